"""The CI-log source (origin ``ci-log``): ``*.log`` files and GitHub Actions run logs as downloaded.

A run's log archive (a folder or the zip GitHub serves) holds one file per job (``0_build.txt``) and a
folder per job with one file per step (``build/3_Run tests.txt``). Every line starts with a timestamp
and may carry ANSI colour codes; both are blanked with spaces of the same length before matching
(:func:`normalise`), so a secret split by a colour code still matches and every line *and column* is
the one in the original file. Findings carry the job and step in their evidence; the same secret in a
job's file and its step's file is one finding (:meth:`CiLogSource.refine`).

Zip archives are read in memory, never extracted: members with unsafe names (absolute, ``..``) are
skipped, and sizes are bounded per member (declared *and* read), in total, in count and in compression
ratio, so a zip bomb costs at most those bounds.

In a working-tree scan the source reads ``*.log`` files wherever ``.gitignore`` leaves them; with
``launchready scan --ci-logs DIR_OR_ZIP`` it reads only the logs there (``*.log`` and ``*.txt``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from scanner.model import Artifact, Finding, Notice, Origin
from scanner.paths import is_ci_log
from scanner.sources.files import decode, looks_binary
from scanner.sources.repeats import fold_repeats, merge_same_place
from scanner.sources.worktree import WorktreeSource

ORIGIN = Origin("ci-log")
KIND = "ci-log"
#: Log files in a run's log folder or archive.
LOG_SUFFIXES = (".log", ".txt")
#: Bounds for zip archives: members read, bytes read in all, and the largest compression ratio believed.
MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 250

#: GitHub Actions' line prefix (``2024-05-01T12:00:00.1234567Z ``) and ISO timestamps of other CIs.
_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? ?", re.MULTILINE)
#: ANSI escape sequences: CSI (colours, cursor), OSC (titles, links), and two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_STEP_INDEX = re.compile(r"^\d+_")


class ArchiveError(Exception):
    """The CI-log archive cannot be opened at all (not a zip file, unreadable)."""


def normalise(text: str) -> str:
    """``text`` with timestamps and ANSI escapes replaced by as many spaces: same lines, same columns."""
    def blank(match: re.Match) -> str:
        return " " * len(match.group())

    if "\x1b" in text:
        text = _ANSI.sub(blank, text)
    return _TIMESTAMP.sub(blank, text)


def job_and_step(relative: str) -> dict[str, str]:
    """GitHub Actions' layout: ``<n>_<job>.txt`` is a job's whole log, ``<job>/<n>_<step>.txt`` one step."""
    parts = PurePosixPath(relative).parts
    if not parts:
        return {}
    stem = _STEP_INDEX.sub("", PurePosixPath(parts[-1]).stem)
    if len(parts) == 1:
        return {"job": stem} if _STEP_INDEX.match(parts[-1]) else {}
    return {"job": parts[-2], "step": stem}


@dataclass
class CiLogSource:
    """CI logs under ``paths`` (a working-tree scan), or only those in ``archive`` (a folder or zip)."""

    root: Path
    paths: list[Path]
    exclude: tuple[str, ...] = ()
    max_file_size: int = 10 * 1024 * 1024
    #: ``--ci-logs``: the run-log folder or zip archive to read instead of ``*.log`` under ``paths``.
    archive: Path | None = None
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    #: Artifact path -> job and step, for the findings' evidence.
    places: dict[str, dict[str, str]] = field(default_factory=dict)

    def artifacts(self) -> Iterator[Artifact]:
        if self.archive is not None and self.archive.is_file() and not _is_log(self.archive.name):
            if not zipfile.is_zipfile(self.archive):
                raise ArchiveError(f"not a log file, folder or zip archive: {self.archive}")
            yield from self._zip(self.archive)
            return
        select: Callable[[str], bool] = is_ci_log if self.archive is None else _is_log
        base = "" if self.archive is None or not self.archive.is_dir() else _relative(self.archive, self.root)
        walker = WorktreeSource(self.root, [self.archive] if self.archive else self.paths, self.exclude,
                                self.max_file_size, use_gitignore=False, select=select)
        try:
            for art in walker.artifacts():
                relative = art.path[len(base) + 1:] if base and art.path.startswith(base + "/") else art.path
                yield self._artifact(art.path, art.text, relative if self.archive is not None else "")
        finally:
            self.skipped.extend(n for n in walker.skipped if select(n.path))
            self.warnings.extend(n for n in walker.warnings if select(n.path))

    def _artifact(self, path: str, text: str, relative: str) -> Artifact:
        place = job_and_step(relative) if relative else {}
        if place:
            self.places[path] = place
        return Artifact(path=path, text=normalise(text), kind=KIND, origin=ORIGIN)

    def _zip(self, archive: Path) -> Iterator[Artifact]:
        """Log members of a zip archive, read in memory within the bounds above."""
        label = _relative(archive, self.root) or archive.name
        try:
            with zipfile.ZipFile(archive) as bundle:
                members = bundle.infolist()
                if len(members) > MAX_MEMBERS:
                    self.skipped.append(Notice(label, "too-many-members",
                                               f"{len(members)} members; only the first {MAX_MEMBERS} are read"))
                total = 0
                for info in members[:MAX_MEMBERS]:
                    if info.is_dir() or not _is_log(info.filename):
                        continue
                    path = f"{label}/{info.filename}"
                    reason = self._refusal(info)
                    if reason:
                        self.skipped.append(Notice(path, *reason))
                        continue
                    if total + info.file_size > MAX_TOTAL_BYTES:
                        self.skipped.append(Notice(path, "archive-too-large",
                                                   f"more than {MAX_TOTAL_BYTES} bytes uncompressed in all"))
                        break
                    data = self._read_member(bundle, info, path)
                    if data is None:
                        continue
                    total += len(data)
                    decoded = decode(data)
                    if decoded.note:
                        self.warnings.append(Notice(path, "invalid-utf8", decoded.note))
                    yield self._artifact(path, decoded.text, info.filename)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ArchiveError(f"cannot read {archive}: {exc}") from exc

    def _refusal(self, info: zipfile.ZipInfo) -> tuple[str, str] | None:
        """Why a member is not read (unsafe name, encrypted, too large, suspicious ratio), or None."""
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in PurePosixPath(name.replace("\\", "/")).parts or ":" in name:
            return "unsafe-path", "absolute or parent-relative member name"
        if info.flag_bits & 0x1:
            return "encrypted", "encrypted zip member"
        if info.file_size > self.max_file_size:
            return "too-large", f"{info.file_size} bytes > limit {self.max_file_size}"
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return "zip-bomb", f"compression ratio above {MAX_RATIO}"
        return None

    def _read_member(self, bundle: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> bytes | None:
        """The member's bytes, never more than the size limit whatever its header says."""
        try:
            with bundle.open(info) as handle:
                data = handle.read(self.max_file_size + 1)
        except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            self.skipped.append(Notice(path, "unreadable", str(exc)))
            return None
        if len(data) > self.max_file_size:
            self.skipped.append(Notice(path, "too-large", f"more than the limit {self.max_file_size} when read"))
            return None
        if looks_binary(data):
            self.skipped.append(Notice(path, "binary", "contains NUL bytes"))
            return None
        return data

    def refine(self, findings: list[Finding]) -> list[Finding]:
        """One finding per printed secret: rules that see the same value at the same place merge (the
        highest severity wins, then the CI-log rule over a generic one), and the same secret in a job's log
        and its step's log folds into the step's; job and step go into the evidence."""
        def prefer(finding: Finding) -> tuple:
            return (finding.severity, finding.rule_id.startswith("ci-log-"), finding.rule_id)

        def rank(finding: Finding) -> tuple:
            location = finding.location
            return ("step" not in self.places.get(location.path, {}), location.path, location.line, location.column)

        merged = merge_same_place(findings, ORIGIN.kind, prefer)
        return fold_repeats(merged, ORIGIN.kind, rank, lambda f: self.places.get(f.location.path, {}))


def _is_log(path: str) -> bool:
    return path.lower().endswith(LOG_SUFFIXES)


def _relative(path: Path, root: Path) -> str:
    try:
        relative = path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.name
    return "" if relative == "." else relative

