"""The working-tree source: walk files under the scan root like git would see them.

Honours nested ``.gitignore`` files, ``.git/info/exclude`` and the configuration's ``exclude``
patterns; never descends into VCS metadata, dependency folders or virtualenvs; never follows
symlinks (so link loops cannot hang the walk). Everything left out is recorded with a reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from scanner.config import invalid_pattern
from scanner.model import Artifact, Notice, Origin
from scanner.paths import is_build_cache
from scanner.sources.files import (
    LFS_DETAIL,
    artifact_kind,
    decode,
    has_binary_extension,
    is_lfs_pointer,
    looks_binary,
    os_display_path,
)

#: Folders skipped by name wherever they appear, with the reason reported.
SKIPPED_DIRS = {
    ".git": "vcs-metadata", ".hg": "vcs-metadata", ".svn": "vcs-metadata",
    "node_modules": "dependencies", "bower_components": "dependencies", "site-packages": "dependencies",
    "__pycache__": "cache", ".mypy_cache": "cache", ".pytest_cache": "cache", ".ruff_cache": "cache",
    ".tox": "virtualenv", ".nox": "virtualenv",
}


BARE_DETAIL = "a bare git repository (compressed objects, not files): scan its history with --history"


def is_git_dir(path: Path) -> bool:
    """Whether ``path`` is a git directory (a bare repository, or a ``.git`` folder under another name)."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _spec(lines: Iterable[str], invalid: list[str] | None = None) -> pathspec.PathSpec | None:
    """The spec of gitignore ``lines``; a pattern that does not compile is left out and added to ``invalid``."""
    patterns = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if invalid is not None:
        invalid.extend(p for p in patterns if invalid_pattern(p))
        patterns = [p for p in patterns if p not in invalid]
    return pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None


@dataclass
class _Ignores:
    """Ignore specs in force for one directory: (base directory relative to root, spec)."""

    specs: list[tuple[str, pathspec.PathSpec]] = field(default_factory=list)

    def matches(self, rel: str, is_dir: bool) -> bool:
        for base, spec in self.specs:
            sub = rel[len(base) + 1:] if base else rel
            if spec.match_file(sub + "/" if is_dir else sub):
                return True
        return False

    def child(self, base: str, spec: pathspec.PathSpec | None) -> _Ignores:
        return _Ignores([*self.specs, (base, spec)]) if spec else self


@dataclass
class WorktreeSource:
    """Artifacts for every scannable file under ``paths`` (files or directories inside ``root``)."""

    root: Path
    paths: list[Path]
    exclude: tuple[str, ...] = ()
    max_file_size: int = 10 * 1024 * 1024
    use_gitignore: bool = True
    #: Only files whose path this accepts are read; the others are left to other sources (build output
    #: to the bundle source, logs to the CI-log source) and not recorded as skipped.
    select: Callable[[str], bool] | None = None
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0

    def artifacts(self) -> Iterator[Artifact]:
        excludes = _spec(self.exclude)
        base = _Ignores([("", excludes)] if excludes else [])
        for path in self.paths:
            rel = self._rel(path)
            if path.is_dir() and not path.is_symlink() and is_git_dir(path):
                self.skipped.append(Notice(rel or ".", "vcs-metadata", BARE_DETAIL))
            elif path.is_dir() and not path.is_symlink():
                yield from self._walk(path, rel, self._ignores_for(rel, base))
            elif self.select is None or self.select(rel):
                if excludes and excludes.match_file(rel):
                    self.skipped.append(Notice(rel, "excluded", "matches an exclude pattern"))
                    continue
                art = self._read(path, rel)
                if art:
                    yield art

    def _rel(self, path: Path) -> str:
        try:
            rel = path.absolute().relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        return "" if rel == "." else self._display(rel)

    def _display(self, rel: str) -> str:
        """``rel`` as report-safe text; a name that is not UTF-8 is escaped and noted (still scanned)."""
        text, valid = os_display_path(rel)
        if not valid:
            self.warnings.append(Notice(text, "invalid-utf8-path", "name is not valid UTF-8; shown with \\x escapes"))
        return text

    def _ignores_for(self, rel_dir: str, ignores: _Ignores) -> _Ignores:
        """Ignore files from the root down to ``rel_dir`` (when scanning a subfolder)."""
        if not self.use_gitignore:
            return ignores
        ignores = ignores.child("", self._read_ignore_file(self.root / ".git/info/exclude", ".git/info/exclude"))
        parts = [p for p in rel_dir.split("/") if p]
        for depth in range(len(parts)):
            sub = "/".join(parts[:depth])
            ignores = ignores.child(sub, self._read_ignore_file(self.root / sub / ".gitignore",
                                                                f"{sub}/.gitignore" if sub else ".gitignore"))
        return ignores

    def _read_ignore_file(self, path: Path, rel: str) -> pathspec.PathSpec | None:
        """The spec of an ignore file, None when there is none; a pattern git would not accept either
        (a lone backslash) is left out with a warning, the file's other patterns still apply."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        invalid: list[str] = []
        spec = _spec(text.splitlines(), invalid)
        for pattern in dict.fromkeys(invalid):
            self.warnings.append(Notice(rel, "invalid-ignore-pattern", f"pattern {pattern[:60]!r} is not valid and "
                                                                      "was left out; the other patterns apply"))
        return spec

    def _walk(self, directory: Path, rel_dir: str, ignores: _Ignores) -> Iterator[Artifact]:
        if self.use_gitignore:
            name = f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"
            ignores = ignores.child(rel_dir, self._read_ignore_file(directory / ".gitignore", name))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.skipped.append(Notice(rel_dir or ".", "unreadable", exc.strerror or str(exc)))
            return
        for entry in entries:
            name = self._display(entry.name)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if self.select is not None and not self.select(rel) and not entry.is_dir(follow_symlinks=False):
                continue
            if entry.is_symlink():
                self.skipped.append(Notice(rel, "symlink", "symbolic links are not followed"))
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if ignores.matches(rel, is_dir):
                self.skipped.append(Notice(rel, "ignored", "matches .gitignore or an exclude pattern"))
                continue
            if is_dir:
                reason = SKIPPED_DIRS.get(entry.name) or ("cache" if is_build_cache(rel) else None)
                if reason is None and os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                    reason = "virtualenv"
                if reason is None and is_git_dir(Path(entry.path)):
                    self.skipped.append(Notice(rel, "vcs-metadata", BARE_DETAIL))
                elif reason:
                    self.skipped.append(Notice(rel, reason, "folder not scanned"))
                else:
                    yield from self._walk(Path(entry.path), rel, ignores)
            else:
                art = self._read(Path(entry.path), rel)
                if art:
                    yield art

    def _read(self, path: Path, rel: str) -> Artifact | None:
        try:
            info = path.lstat()
        except OSError as exc:
            self.skipped.append(Notice(rel, "unreadable", exc.strerror or str(exc)))
            return None
        if stat.S_ISLNK(info.st_mode):
            self.skipped.append(Notice(rel, "symlink", "symbolic links are not followed"))
            return None
        if not stat.S_ISREG(info.st_mode):
            self.skipped.append(Notice(rel, "not-a-file", "not a regular file"))
            return None
        if has_binary_extension(rel):
            self.skipped.append(Notice(rel, "binary", "binary file type"))
            return None
        if info.st_size > self.max_file_size:
            self.skipped.append(Notice(rel, "too-large", f"{info.st_size} bytes > limit {self.max_file_size}"))
            return None
        try:
            data = read_bytes(path)
        except OSError as exc:
            self.skipped.append(Notice(rel, "unreadable", exc.strerror or str(exc)))
            return None
        if looks_binary(data):
            self.skipped.append(Notice(rel, "binary", "contains NUL bytes"))
            return None
        if is_lfs_pointer(data) and len(data) < 1024:
            self.skipped.append(Notice(rel, "lfs-pointer", LFS_DETAIL))
            return None
        decoded = decode(data)
        if decoded.note:
            self.warnings.append(Notice(rel, "invalid-utf8", decoded.note))
        self.files_read += 1
        self.bytes_read += len(data)
        return Artifact(path=rel, text=decoded.text, kind=artifact_kind(rel), origin=Origin("worktree"))


def read_bytes(path: Path) -> bytes:
    """Read a whole file (a seam for tests that simulate I/O errors)."""
    with open(path, "rb") as handle:
        return handle.read()
