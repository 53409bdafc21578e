"""Every commit's added lines, as artifacts: the source behind ``launchready scan --history``.

Commits come from ``git rev-list`` (every ref by default, or a range) and their patches stream from
one ``git log -p -U0 --stdin --no-walk`` process, read line by line: memory is bounded by one file's
added lines. Each (commit, file) becomes one artifact holding only the added lines, with a line map
to the commit's version of the file.

- Merge commits: their diff against the first parent (``--diff-merges=first-parent``). A merge's own
  changes (conflict resolutions, "evil merges") are scanned; lines the merge brings in from the
  other branch are scanned again, which history aggregation folds into the finding of the commit
  that introduced them.
- Renames (``-M``): a renamed file is not rescanned; only lines added in the same commit are read.
  The rename is remembered so "still present at HEAD" follows the file to its new name.
- Commit messages: each commit with a message also yields a :data:`COMMIT_MSG` artifact (the message,
  then a line naming the author), so a key pasted into a message or an author field is found.
- Revisions given by the user are checked to name commits (:func:`resolve_revision_range`) and passed
  after ``--end-of-options``, so a value such as ``--output=FILE`` can never be read as a git option.
- ``.gitattributes`` cannot hide content: patches are read with ``--text --no-textconv --no-ext-diff``
  and binary files are recognised by their content (NUL bytes in the added lines).
- An object git cannot read (a blob missing from a partial or pruned clone, a corrupted blob) skips
  only that file of that commit, listed as skipped (``object-missing`` / ``object-unreadable``): git
  dies on it for the whole stream, so that commit is read again without the unreadable paths
  (``:(exclude)`` pathspecs) and the log resumes after it. When even that fails (a missing tree), the
  commit is skipped as ``unreadable-commit``. A shallow clone is scanned with a warning that history is
  partial.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Artifact, Notice, Origin
from scanner.sources.files import decode
from scanner.sources.git import (
    GIT,
    PATCH_OPTIONS,
    FilePatch,
    GitError,
    PatchReader,
    first_error_line,
    git_env,
    is_shallow,
    parse_patch,
    resolve_revision_range,
    run_git,
)

#: The path of a commit's message artifact (it is no file, so it is never "at HEAD").
#:
#: Its text is the full message (subject, blank line, body) as ``git log --format=%B`` prints it, lines
#: 1..N, then one line ``Author: Name <email>`` (line N+1), so a secret pasted into the author name or
#: email is found too. Findings at this path name the commit in their origin.
COMMIT_MSG = "COMMIT_MSG"

#: Marks a commit line in the log stream; diff content lines never start with \x01.
_COMMIT = b"\x01commit "
#: Ends the commit message, which comes indented by one space (``%w(0,1,1)``) so no line of it can pass
#: for a diff or commit header.
_MESSAGE_END = b"\x01message-end"
_FORMAT = ("--format=tformat:%x01commit %H%x01%aI%x01%an%x01%ae%n%w(0,1,1)%B%w(0,0,0)%n%x01message-end")
#: Key of the message artifact among the files done in a commit (no path holds a NUL byte).
_MESSAGE_KEY = (b"\0message", None)
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_SUBMODULE_PATH = re.compile(r"^\s*path\s*=\s*(.+?)\s*$", re.MULTILINE)
_NULL_SHA = "0" * 40
#: Bytes of git output read ahead of the parser, shared by the concurrent log processes.
READ_AHEAD = 256 * 1024 * 1024
_BLOCK = 1024 * 1024
#: Fewer commits than this per chunk are not worth another git process.
MIN_CHUNK = 1000


@dataclass
class HeadView:
    """Files as they are at HEAD, read lazily (in memory only), following renames seen in history."""

    root: Path
    renames: dict[str, str] = field(default_factory=dict)

    def path_at_head(self, path: str) -> str | None:
        """``path``'s name at HEAD: itself if it exists there, else where renames took it.

        :data:`COMMIT_MSG` is no file: always None (a secret in a message stays in history).
        """
        if path == COMMIT_MSG:
            return None
        seen: set[str] = set()
        while path not in seen:
            if self._exists(path):
                return path
            seen.add(path)
            if path not in self.renames:
                return None
            path = self.renames[path]
        return None

    def text(self, path: str) -> str | None:
        """The HEAD version of ``path`` (decoded with replacement), or None when it is not there."""
        try:
            return run_git(self.root, "cat-file", "blob", f"HEAD:{path}").decode("utf-8", "replace")
        except GitError:
            return None

    def _exists(self, path: str) -> bool:
        try:
            run_git(self.root, "cat-file", "-e", f"HEAD:{path}")
        except GitError:
            return False
        return True


@dataclass
class _Failure:
    """Where a log stopped: the commit it was printing, git's error, what of that commit was done."""

    index: int
    error: str
    #: Keys (path, renamed from) of the files (and message) of that commit already turned into artifacts.
    done: set[tuple[bytes, bytes | None]]
    #: All of git's error output (the first line need not name the object).
    stderr: str = ""


@dataclass
class _Change:
    """One file of a commit as ``git log --raw`` lists it (no contents read)."""

    path: bytes
    old: str
    new: str
    status: str


@dataclass
class HistorySource:
    """Artifacts for the lines each commit added, for every commit in ``revisions``."""

    root: Path
    #: ``("--all",)`` for every ref, or revisions / ranges given by the user, e.g. ``("main..feature",)``.
    #: Each one is checked to name commits and passed after ``--end-of-options``.
    revisions: tuple[str, ...] = ("--all",)
    max_file_size: int = 10 * 1024 * 1024
    #: gitignore-style patterns (the configuration's ``exclude``) of paths not to scan.
    exclude: tuple[str, ...] = ()
    #: Concurrent ``git log`` processes over chunks of the history (1 = one stream).
    jobs: int = 1
    #: Called with (commits done, commits total) as the log advances.
    on_progress: Callable[[int, int], None] | None = None
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    commits_scanned: int = 0
    commits_total: int = 0

    def __post_init__(self) -> None:
        self.head = HeadView(self.root)
        self._reader = PatchReader(self.max_file_size, self.exclude, self.skipped, self.warnings)

    def commits(self) -> list[str]:
        """The commits to scan, newest first; raises :class:`GitError` for a bad revision."""
        options = [r for r in self.revisions if r == "--all"]
        revisions = [resolve_revision_range(self.root, r) for r in self.revisions if r != "--all"]
        out = run_git(self.root, "rev-list", "--full-history", *options, "--end-of-options", *revisions, "--")
        return out.decode("ascii").split()

    def artifacts(self) -> Iterator[Artifact]:
        shas = self.commits()  # first: a bad revision is reported before anything else
        if is_shallow(self.root):
            self.warnings.append(Notice(".", "shallow-clone",
                                        "history is partial: commits before the shallow boundary are not scanned "
                                        "(run 'git fetch --unshallow' for a full scan)"))
        self._note_submodules()
        self.commits_total = len(shas)
        if not shas:
            self.warnings.append(Notice(".", "no-commits", "the repository has no commits to scan"))
        chunks = _split(shas, self.jobs)
        logs = [LogProcess(self.root, chunk, READ_AHEAD // len(chunks)) for chunk in chunks]  # all start now
        try:
            for chunk, log in zip(chunks, logs, strict=True):
                yield from self._scan(chunk, log)
        finally:
            for log in logs:
                log.close()
        self._reader.flush_counts("commit")

    def _note_submodules(self) -> None:
        """Submodules are separate repositories whose history this scan does not read: say so, per submodule."""
        for path in _SUBMODULE_PATH.findall(self.head.text(".gitmodules") or ""):
            self.warnings.append(Notice(path.strip(), "submodule", "a submodule's history is not scanned; "
                                                                   "scan its repository separately"))

    def _scan(self, shas: list[str], log: LogProcess) -> Iterator[Artifact]:
        """The artifacts of ``shas`` from ``log``; where git fails, that commit is re-read and a new log resumes."""
        while True:
            try:
                failed = yield from self._parse(log)
            finally:
                log.close()
            if failed is None:
                return
            yield from self._recover(shas[failed.index], failed.error, failed.done)
            self._advance()
            shas = shas[failed.index + 1:]
            if not shas:
                return
            log = LogProcess(self.root, shas, READ_AHEAD)

    def _advance(self) -> None:
        self.commits_scanned += 1
        if self.on_progress is not None:
            self.on_progress(self.commits_scanned, self.commits_total)

    def _parse(self, log: LogProcess, skip: frozenset[tuple[bytes, bytes | None]] = frozenset(),
               advance: bool = True) -> Generator[Artifact, None, _Failure | None]:
        """Artifacts from one log; returns None when it ended well, else a :class:`_Failure`.

        A file becomes an artifact only once the next item shows git finished printing it, so a file cut
        short by git dying is read again, and files listed in ``skip`` (already done) are not.
        """
        seen = 0
        origin = Origin("history")
        done: set[tuple[bytes, bytes | None]] = set()
        message: list[bytes] | None = None
        author = b""
        pending: FilePatch | None = None
        for item in parse_patch(log.lines(self.max_file_size + 1), self.max_file_size, header=_COMMIT, preamble=True):
            if pending is not None:
                art = self._file(pending, origin, skip, done)
                pending = None
                if art is not None:
                    yield art
            if isinstance(item, FilePatch):
                pending = item
                continue
            if item.startswith(_COMMIT):
                if seen and advance:
                    self._advance()
                seen += 1
                origin, author = _origin(item)
                done, message = set(), []
            elif message is not None:
                if item == _MESSAGE_END:
                    art = self._message(message, author, origin)
                    message = None
                    if _MESSAGE_KEY not in skip:
                        done.add(_MESSAGE_KEY)
                        if art is not None:
                            yield art
                else:
                    message.append(item[1:] if item[:1] == b" " else item)
        code, error = log.close()
        if code != 0:
            return _Failure(max(seen - 1, 0), error, done if seen else set(), log.stderr())
        if pending is not None:
            art = self._file(pending, origin, skip, done)
            if art is not None:
                yield art
        if seen and advance:
            self._advance()
        return None

    def _file(self, patch: FilePatch, origin: Origin, skip: frozenset[tuple[bytes, bytes | None]],
              done: set[tuple[bytes, bytes | None]]) -> Artifact | None:
        key = (patch.path, patch.renamed_from)
        if key in skip:
            return None
        done.add(key)
        if patch.renamed_from is not None:
            old = self._reader.classify(patch.renamed_from)[0]
            self.head.renames.setdefault(old, self._reader.classify(patch.path)[0])
        return self._reader.artifact(patch, origin)

    @staticmethod
    def _message(lines: list[bytes], author: bytes, origin: Origin) -> Artifact | None:
        """The :data:`COMMIT_MSG` artifact: the message's lines, then ``Author: Name <email>``."""
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return None
        text = decode(b"\n".join([*lines, b"Author: " + author])).text
        return Artifact(path=COMMIT_MSG, text=text, kind="text", origin=origin)

    def _recover(self, sha: str, error: str, done: set[tuple[bytes, bytes | None]]) -> Iterator[Artifact]:
        """Read commit ``sha`` again without the paths git cannot read; note each of them as skipped."""
        short = sha[:12]
        try:
            changes = self._changes(sha)
            missing = self._missing({c.old for c in changes} | {c.new for c in changes})
        except GitError as exc:
            self.skipped.append(Notice(f"commit {short}", "unreadable-commit", str(exc) or error))
            return
        excluded: set[bytes] = set()
        whole: list[_Change] = []  # the old version is gone but the new one is there: scan all of it
        for change in changes:
            if change.new in missing:
                excluded.add(change.path)
                self.skipped.append(Notice(self._reader.classify(change.path)[0], "object-missing",
                                           f"blob {change.new[:12]} of commit {short} is missing or corrupt "
                                           "(a partial or pruned clone?); the rest of the commit was scanned"))
            elif change.old in missing:
                excluded.add(change.path)
                if change.new != _NULL_SHA:
                    whole.append(change)
        skip = set(done)
        for _attempt in range(len(changes) + 1):
            log = LogProcess(self.root, [sha], READ_AHEAD, exclude=sorted(excluded))
            try:
                failed = yield from self._parse(log, frozenset(skip), advance=False)
            finally:
                log.close()
            if failed is None:
                break
            skip |= failed.done
            bad = _unreadable(failed.stderr, changes, excluded)
            if bad is None:
                self.skipped.append(Notice(f"commit {short}", "unreadable-commit",
                                           f"{failed.error or 'git could not read this commit'} "
                                           "(the files before it were scanned)"))
                break
            excluded.add(bad.path)
            self.skipped.append(Notice(self._reader.classify(bad.path)[0], "object-unreadable",
                                       f"{failed.error} in commit {short}; the rest of the commit was scanned"))
        origin = _commit_origin(self.root, sha) if whole else None
        for change in whole:
            art = self._whole_file(change, origin, short)
            if art is not None:
                yield art

    def _changes(self, sha: str) -> list[_Change]:
        """The files commit ``sha`` changes (first-parent diff), from tree objects only, no blob read."""
        out = run_git(self.root, "log", "--no-walk", "--format=", "--raw", "-z", "--no-abbrev", "--no-renames",
                      "--diff-merges=first-parent", "--ignore-submodules=all", "--end-of-options", sha, "--")
        fields = out.split(b"\0")
        changes: list[_Change] = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.lstrip(b"\n:").decode("ascii", "replace").split()
            if len(parts) == 5 and "160000" not in parts[:2]:  # submodules are not followed
                changes.append(_Change(path, parts[2], parts[3], parts[4]))
        return changes

    def _missing(self, shas: set[str]) -> set[str]:
        """Which of ``shas`` (blob ids) are not in the object store."""
        wanted = sorted(shas - {_NULL_SHA})
        if not wanted:
            return set()
        out = run_git(self.root, "cat-file", "--batch-check", input="".join(f"{s}\n" for s in wanted).encode())
        return {line.split()[0].decode("ascii") for line in out.splitlines() if line.endswith(b" missing")}

    def _whole_file(self, change: _Change, origin: Origin, short: str) -> Artifact | None:
        """All of a file whose previous version is missing, so nothing it may have added is lost."""
        path = self._reader.classify(change.path)[0]
        try:
            data = run_git(self.root, "cat-file", "blob", change.new)
        except GitError as exc:
            self.skipped.append(Notice(path, "object-unreadable", f"{exc} in commit {short}"))
            return None
        self.warnings.append(Notice(path, "object-missing", f"the version before commit {short} is missing; "
                                                            "all of the file at that commit was scanned"))
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        patch = FilePatch(change.path, lines, list(range(1, len(lines) + 1)), binary=b"\0" in data,
                          too_large=len(data) > self.max_file_size)
        if patch.binary or patch.too_large:
            patch.lines, patch.line_numbers = [], []
        return self._reader.artifact(patch, origin)


def _unreadable(error: str, changes: list[_Change], excluded: set[bytes]) -> _Change | None:
    """The file of ``changes`` whose object git's ``error`` names, if it is not excluded yet."""
    named = set(_SHA.findall(error))
    return next((c for c in changes if c.path not in excluded and named & {c.old, c.new}), None)


def _commit_origin(root: Path, sha: str) -> Origin:
    out = run_git(root, "log", "--no-walk", "--format=%H%x01%aI%x01%an", "--end-of-options", sha, "--")
    sha, date, author = out.decode("utf-8", "replace").strip("\n").split("\x01", 2)
    return Origin("history", commit=sha, author=author, date=date)


class LogProcess:
    """``git log -p`` over given commits, its output read ahead by a thread into a bounded buffer.

    Several run at once (one per chunk of history) while the scan parses them in order, so git's diffing
    uses every core and memory stays within ``read_ahead`` bytes per process. ``exclude`` lists paths
    left out (literal ``:(exclude)`` pathspecs), for re-reading a commit without an unreadable file.
    """

    def __init__(self, root: Path, shas: list[str], read_ahead: int, exclude: list[bytes] | None = None):
        pathspecs = [f":(exclude,literal){os.fsdecode(path)}" for path in exclude or ()]
        command = [*GIT, "-C", str(root), "log", "--stdin", "--no-walk=unsorted", "-p", *PATCH_OPTIONS,
                   "--diff-merges=first-parent", _FORMAT, "--", *pathspecs]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=git_env())
        self._buffer: queue.Queue[bytes | None] = queue.Queue(maxsize=max(1, read_ahead // _BLOCK))
        self._errors: list[bytes] = []
        self._threads = [
            threading.Thread(target=_feed, args=(self.proc.stdin, shas), daemon=True),
            threading.Thread(target=lambda: self._errors.append(self.proc.stderr.read()), daemon=True),
            threading.Thread(target=self._read, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._result: tuple[int, str] | None = None
        self._done = False

    def _read(self) -> None:
        try:
            while block := self.proc.stdout.read(_BLOCK):
                self._buffer.put(block)
        except (OSError, ValueError):  # closed under us by close()
            pass
        self._buffer.put(None)

    def lines(self, longest: int) -> Iterator[bytes]:
        """The output's lines without newlines, split on ``\\n`` only.

        A line longer than ``longest`` bytes (a one-line file over the size limit) is streamed past: only its
        first ``longest`` bytes are kept, so it is still seen as over the limit without being held whole.
        """
        rest: list[bytes] = []  # pieces of a line longer than a block (kept apart: no quadratic copying)
        kept = 0  # bytes in rest
        while (block := self._buffer.get()) is not None:
            if b"\n" not in block:
                if kept < longest:
                    rest.append(block[:longest - kept])
                    kept += len(rest[-1])
                continue
            lines = block.split(b"\n")
            if rest:
                lines[0] = b"".join([*rest, lines[0][:max(0, longest - kept)]])
            rest = [lines.pop()]
            kept = len(rest[0])
            yield from lines
        self._done = True
        if rest and rest != [b""]:
            yield b"".join(rest)

    def stderr(self) -> str:
        """Everything git wrote on stderr (once it has ended)."""
        return b"".join(self._errors).decode("utf-8", "replace")

    def close(self) -> tuple[int, str]:
        """Stop git if it still runs; return its exit code and first error line."""
        if self._result is None:
            if not self._done:  # abandoned mid-way: stop git and unblock a reader waiting on a full buffer
                self.proc.kill()
                while self._threads[2].is_alive():
                    with contextlib.suppress(queue.Empty):
                        self._buffer.get(timeout=0.05)
            code = self.proc.wait()
            for thread in self._threads:
                thread.join()
            self.proc.stdout.close()
            self.proc.stderr.close()
            self._result = (code, first_error_line(b"".join(self._errors)))
        return self._result


def _split(shas: list[str], jobs: int) -> list[list[str]]:
    """Contiguous chunks of the commit list, one per job, none smaller than ``MIN_CHUNK`` commits."""
    if not shas:
        return []
    count = max(1, min(jobs, len(shas) // MIN_CHUNK))
    size = -(-len(shas) // count)
    return [shas[i:i + size] for i in range(0, len(shas), size)]


def _feed(stdin, shas: list[str]) -> None:
    try:
        stdin.write("".join(f"{sha}\n" for sha in shas).encode("ascii"))
        stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _origin(header: bytes) -> tuple[Origin, bytes]:
    """The commit's origin, and ``Name <email>`` of its author, from a commit header line."""
    sha, date, rest = header[len(_COMMIT):].split(b"\x01", 2)
    name, _, email = rest.rpartition(b"\x01")
    origin = Origin("history", commit=sha.decode("ascii", "replace"), author=name.decode("utf-8", "replace"),
                    date=date.decode("ascii", "replace"))
    return origin, name + b" <" + email + b">"
