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
- A commit whose objects git cannot read (a corrupted or missing blob) is skipped with a notice and
  the log resumes after it. A shallow clone is scanned with a warning that history is partial.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Artifact, Notice, Origin
from scanner.sources.git import (
    GIT,
    PATCH_OPTIONS,
    GitError,
    PatchReader,
    first_error_line,
    is_shallow,
    parse_patch,
    run_git,
)

#: Marks a commit line in the log stream; diff content lines never start with \x01.
_COMMIT = b"\x01commit "
_FORMAT = "--format=tformat:%x01commit %H%x01%an%x01%aI"


@dataclass
class HeadView:
    """Files as they are at HEAD, read lazily (in memory only), following renames seen in history."""

    root: Path
    renames: dict[str, str] = field(default_factory=dict)

    def path_at_head(self, path: str) -> str | None:
        """``path``'s name at HEAD: itself if it exists there, else where renames took it."""
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
class HistorySource:
    """Artifacts for the lines each commit added, for every commit in ``revisions``."""

    root: Path
    #: ``git rev-list`` arguments: ``("--all",)`` for everything, or e.g. ``("main..feature",)``.
    revisions: tuple[str, ...] = ("--all",)
    max_file_size: int = 10 * 1024 * 1024
    #: gitignore-style patterns (the configuration's ``exclude``) of paths not to scan.
    exclude: tuple[str, ...] = ()
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
        out = run_git(self.root, "rev-list", "--full-history", *self.revisions, "--")
        return out.decode("ascii").split()

    def artifacts(self) -> Iterator[Artifact]:
        if is_shallow(self.root):
            self.warnings.append(Notice(".", "shallow-clone",
                                        "history is partial: commits before the shallow boundary are not scanned "
                                        "(run 'git fetch --unshallow' for a full scan)"))
        shas = self.commits()
        self.commits_total = len(shas)
        if not shas:
            self.warnings.append(Notice(".", "no-commits", "the repository has no commits to scan"))
        while shas:
            failed = yield from self._log(shas)
            if failed is None:
                break
            index, error = failed
            self.skipped.append(Notice(f"commit {shas[index][:12]}", "unreadable-commit",
                                       error or "git could not read this commit's objects"))
            self._advance()
            shas = shas[index + 1:]
        self._reader.flush_counts("commit")

    def _advance(self) -> None:
        self.commits_scanned += 1
        if self.on_progress is not None:
            self.on_progress(self.commits_scanned, self.commits_total)

    def _log(self, shas: list[str]) -> Iterator[Artifact]:
        """Stream the patches of ``shas``; return None when done, or (index, error) where git failed."""
        command = [*GIT, "-C", str(self.root), "log", "--stdin", "--no-walk=unsorted", "-p", *PATCH_OPTIONS,
                   "--diff-merges=first-parent", _FORMAT]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
        feeder.start()
        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
        drain.start()
        seen = 0
        origin = Origin("history")
        try:
            for item in parse_patch(proc.stdout, self.max_file_size, header=_COMMIT):
                if isinstance(item, bytes):
                    if seen:
                        self._advance()
                    seen += 1
                    origin = _origin(item)
                    continue
                if item.renamed_from is not None:
                    old = self._reader.classify(item.renamed_from)[0]
                    self.head.renames.setdefault(old, self._reader.classify(item.path)[0])
                art = self._reader.artifact(item, origin)
                if art is not None:
                    yield art
        finally:
            proc.stdout.close()
            code = proc.wait()
            feeder.join()
            drain.join()
        if code != 0:
            return max(seen - 1, 0), first_error_line(b"".join(errors))
        if seen:
            self._advance()
        return None


def _feed(stdin, shas: list[str]) -> None:
    try:
        stdin.write("".join(f"{sha}\n" for sha in shas).encode("ascii"))
        stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _origin(header: bytes) -> Origin:
    sha, author, date = header[len(_COMMIT):].decode("utf-8", "replace").split("\x01")[:3]
    return Origin("history", commit=sha, author=author, date=date)
