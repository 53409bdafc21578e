"""Shared git plumbing for the history and staged sources: running git, and reading ``-U0`` patches.

Patches are read as bytes, line by line, so memory stays bounded by one file's added lines however
long the history. Paths are read with ``core.quotePath=false``; paths git still quotes (control
characters, quotes, backslashes, or bytes that are not UTF-8) are unquoted C-style, bytes that are not UTF-8
shown as ``\\xNN`` escapes, and noted.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from scanner.model import Artifact, Notice, Origin
from scanner.sources.files import LFS_DETAIL, artifact_kind, decode, display_path, has_binary_extension, is_lfs_pointer

#: Options every git call gets: literal UTF-8 paths, no pager, no colour, and nothing a repository's own
#: configuration could use to run a program or hide content: no external diff, no global attributes file,
#: no fsmonitor hook, no signature checks (``gpg.program``), root commits always diffed, UTF-8 messages.
GIT = ("git", "-c", "core.quotePath=false", "-c", "color.ui=never", "-c", "diff.noprefix=false",
       "-c", "diff.mnemonicPrefix=false", "-c", "core.pager=cat", "-c", "diff.external=",
       "-c", f"core.attributesFile={os.devnull}", "-c", "core.fsmonitor=false", "-c", "log.showSignature=false",
       "-c", "log.showRoot=true", "-c", "diff.relative=false", "-c", "i18n.logOutputEncoding=UTF-8")

#: ``git diff``/``git log -p`` options shared by every patch we read: added lines only, no context, and
#: content read as text whatever ``.gitattributes`` says (``-diff``, ``binary``, ``diff=driver``): no
#: external diff driver, no textconv program. Binary content is recognised by our parser (NUL bytes).
PATCH_OPTIONS = ("-U0", "--no-color", "--text", "--no-ext-diff", "--no-textconv", "-M", "--ignore-submodules=all")

#: Environment variables that would make git run a program or change the patch format we parse.
_UNSAFE_ENV = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER")

_HUNK = re.compile(rb"^@@+ (?:-\d+(?:,(\d+))? )+\+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


class GitError(Exception):
    """git failed in a way the user must hear about (printed as one line)."""


class GitUnavailable(GitError):
    """The git executable could not be run at all."""


class RevisionError(GitError):
    """A user-supplied revision that does not name a commit (or looks like an option)."""


def git_env() -> dict[str, str]:
    """The environment for git: ours, without variables that run programs or reshape patches."""
    return {name: value for name, value in os.environ.items() if name not in _UNSAFE_ENV}


def run_git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run git in ``root`` and return its stdout; raise :class:`GitError` with git's first error line."""
    try:
        proc = subprocess.run([*GIT, "-C", str(root), *args], input=input, capture_output=True, check=False,
                              env=git_env())
    except OSError as exc:
        raise GitUnavailable(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        raise GitError(first_error_line(proc.stderr) or f"git {args[0]} failed ({proc.returncode})")
    return proc.stdout


def first_error_line(stderr: bytes) -> str:
    """git's most telling error line (``fatal:``/``error:`` first), decoded for a one-line message."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[0] if lines else ""


def repository_root(path: Path) -> Path | None:
    """The top level of the git work tree containing ``path`` (a bare repository: its git directory), or
    None when it is not in one.

    Raises :class:`GitUnavailable` when git itself cannot be run.
    """
    folder = path if path.is_dir() else path.parent
    try:
        bare = run_git(folder, "rev-parse", "--is-bare-repository").strip() == b"true"
        out = run_git(folder, "rev-parse", "--absolute-git-dir" if bare else "--show-toplevel")
    except GitUnavailable:
        raise
    except GitError:
        return None
    return Path(out.decode("utf-8", "surrogateescape").strip())


def verify_commit(root: Path, revision: str) -> str:
    """The full sha of the commit ``revision`` names; :class:`RevisionError` when it names none.

    The value is never read as an option: one starting with ``-`` is refused outright, and the check runs
    ``git rev-parse --verify --end-of-options REV^{commit}``.
    """
    if not revision or revision.startswith("-") or "\0" in revision:
        raise RevisionError(f"not a revision: {revision!r}")
    try:
        out = run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    except GitUnavailable:
        raise
    except GitError:
        raise RevisionError(f"not a commit: {revision!r}") from None
    return out.decode("ascii").strip()


def resolve_revision_range(root: Path, spec: str) -> str:
    """``A..B`` / ``A...B`` / ``REV`` with every side checked by :func:`verify_commit` and replaced by its sha.

    An empty side means HEAD, as in git. The result is safe to pass to ``git rev-list --end-of-options``.
    """
    for separator in ("...", ".."):
        if separator in spec:
            left, right = spec.split(separator, 1)
            return f"{verify_commit(root, left or 'HEAD')}{separator}{verify_commit(root, right or 'HEAD')}"
    return verify_commit(root, spec)


def is_shallow(root: Path) -> bool:
    return run_git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"


def unquote_path(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"a\\tb\\303\\251"``); unquoted paths pass through."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i:i + 1]
        if char != b"\\" or i + 1 >= len(body):
            out += char
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt.isdigit():
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, nxt[0]))
            i += 2
    return bytes(out)


@dataclass
class FilePatch:
    """The added lines of one file in one diff, with their line numbers in the new file."""

    path: bytes
    #: Added lines without their ``+`` and newline.
    lines: list[bytes] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    binary: bool = False
    #: Set when the added lines passed the size limit; ``lines`` is then emptied.
    too_large: bool = False
    renamed_from: bytes | None = None

    def text_bytes(self) -> bytes:
        return b"\n".join(self.lines)


def _strip_prefix(raw: bytes, prefix: bytes) -> bytes:
    path = unquote_path(raw)
    return path[len(prefix):] if path.startswith(prefix) else path


def _path_from_diff_line(rest: bytes) -> bytes:
    """``a/X b/X`` -> X, for files without a ``+++`` or ``rename to`` line (binary, deleted, mode change)."""
    if rest.startswith(b'"'):
        end = rest.find(b'" ', 1)
        if end != -1:
            return _strip_prefix(rest[end + 2:], b"b/")
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[half + 1:], b"b/") if rest[half:half + 1] == b" " else _strip_prefix(rest, b"a/")


def parse_patch(lines: Iterable[bytes], max_size: int, header: bytes | None = None, preamble: bool = False
                ) -> Iterator[bytes | FilePatch]:
    """Read a ``-U0`` patch; yield each :class:`FilePatch` and each header line.

    ``lines`` come without their newline, split on ``\\n`` alone (a lone ``\\r`` is content). ``header``
    marks lines that are not part of a patch (e.g. a commit line of ``git log``): they are yielded in
    order, so the caller can attach the following files to that commit. With ``preamble``, the lines
    between a header and the first file of its patch (e.g. a commit message) are yielded too. Hunk bodies
    are consumed by the counts in their ``@@`` line, so an added line that looks like a header is still
    content. An added line holding a NUL byte makes the file binary (decided by content, whatever git's
    attributes say). Dispatch is on the first byte: this loop sees every line of the history.
    """
    current: FilePatch | None = None
    diff_line = b""
    added: list[bytes] | None = None  # current.lines while under the size limit
    numbers: list[int] = []
    size = plus = minus = number = 0
    header_start = header[:1] if header else None
    for raw in lines:
        if plus or minus:
            tag = raw[:1]
            if tag == b"+":
                plus -= 1
                if added is not None:
                    size += len(raw)
                    if b"\0" in raw:
                        current.binary = True
                        current.lines, current.line_numbers, added = [], [], None
                    elif size > max_size:
                        current.too_large = True
                        current.lines, current.line_numbers, added = [], [], None
                    else:
                        added.append(raw[1:])
                        numbers.append(number)
                number += 1
                continue
            if tag == b"-":
                minus -= 1
                continue
            if tag == b"\\":
                continue
            plus = minus = 0  # a malformed hunk: read the line as a header
        first = raw[:1]
        if first == b"d" and raw.startswith(b"diff --git "):
            if current is not None:
                yield _finished(current, diff_line)
            current = FilePatch(b"")
            diff_line = raw[len(b"diff --git "):]
            added, numbers, size = current.lines, current.line_numbers, 0
        elif first == header_start and raw.startswith(header):
            if current is not None:
                yield _finished(current, diff_line)
                current, added = None, None
            yield raw
        elif current is None:
            if preamble:
                yield raw
            continue
        elif first == b"@":
            match = _HUNK.match(raw)
            if match:
                minus = int(match.group(1)) if match.group(1) is not None else 1
                number = int(match.group(2))
                plus = int(match.group(3)) if match.group(3) is not None else 1
        elif first == b"+" and raw.startswith(b"+++ "):
            target = raw[4:].rstrip(b"\t")  # git appends a tab to names with spaces
            if target != b"/dev/null":
                current.path = _strip_prefix(target, b"b/")
        elif first == b"r" and raw.startswith(b"rename "):
            if raw.startswith(b"rename from "):
                current.renamed_from = unquote_path(raw[len(b"rename from "):])
            elif raw.startswith(b"rename to "):
                current.path = unquote_path(raw[len(b"rename to "):])
        elif (first == b"B" and raw.startswith(b"Binary files ")) or (first == b"G" and raw.startswith(b"GIT binary")):
            current.binary = True
    if current is not None:
        yield _finished(current, diff_line)


def _finished(patch: FilePatch, diff_line: bytes) -> FilePatch:
    if not patch.path:
        patch.path = _path_from_diff_line(diff_line)
    return patch


@dataclass
class PatchReader:
    """Turns :class:`FilePatch` objects into artifacts, counting what it skips and why.

    ``exclude`` holds the configuration's gitignore-style patterns; matching paths are skipped.
    """

    max_file_size: int
    exclude: tuple[str, ...] = ()
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    #: (path, reason) -> how many times; turned into notices by :meth:`flush_counts`.
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    #: raw path -> (path, artifact kind, reason to skip it whatever its content): paths recur in every commit.
    _paths: dict[bytes, tuple[str, str, str]] = field(default_factory=dict)
    _undecodable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._excluded = pathspec.GitIgnoreSpec.from_lines(self.exclude) if self.exclude else None

    def artifact(self, patch: FilePatch, origin: Origin) -> Artifact | None:
        path, kind, reason = self.classify(patch.path)
        reason = reason or ("binary" if patch.binary else "too-large" if patch.too_large else "")
        if reason:
            self.counts[path, reason] = self.counts.get((path, reason), 0) + 1
            return None
        if not patch.lines:
            return None
        if is_lfs_pointer(patch.lines[0] + b"\n"):
            self.counts[path, "lfs-pointer"] = self.counts.get((path, "lfs-pointer"), 0) + 1
            return None
        decoded = decode(patch.text_bytes())
        if decoded.note and path not in self._undecodable:
            self._undecodable.add(path)
            self.warnings.append(Notice(path, "invalid-utf8", decoded.note))
        return Artifact(path=path, text=decoded.text, kind=kind, origin=origin,
                        first_line=patch.line_numbers[0], line_map=tuple(patch.line_numbers))

    def classify(self, raw: bytes) -> tuple[str, str, str]:
        """(path as text, artifact kind, "excluded"/"binary"/"") for a raw path; warns once per bad path."""
        known = self._paths.get(raw)
        if known is None:
            path = decode_path(raw, self.warnings)
            reason = "excluded" if self._excluded is not None and self._excluded.match_file(path) else \
                "binary" if has_binary_extension(path) else ""
            known = self._paths[raw] = (path, artifact_kind(path), reason)
        return known

    def flush_counts(self, unit: str) -> None:
        """Record one notice per skipped path and reason, saying in how many ``unit``\\ s it was skipped."""
        details = {"binary": "binary content", "too-large": f"added lines over the {self.max_file_size}-byte limit",
                   "excluded": "matches an exclude pattern", "lfs-pointer": LFS_DETAIL}
        for (path, reason), count in sorted(self.counts.items()):
            self.skipped.append(Notice(path, reason, f"{details[reason]} in {count} {unit}{'s' * (count != 1)}"))
        self.counts.clear()


def decode_path(raw: bytes, warnings: list[Notice]) -> str:
    """A repository path as text (:func:`display_path`); a path that is not UTF-8 is noted."""
    path, valid = display_path(raw)
    if not valid:
        warnings.append(Notice(path, "invalid-utf8-path", "path is not valid UTF-8; shown with \\x escapes"))
    return path
