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

import contextlib
import queue
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
        chunks = _split(shas, self.jobs)
        logs = [LogProcess(self.root, chunk, READ_AHEAD // len(chunks)) for chunk in chunks]  # all start now
        try:
            for chunk, log in zip(chunks, logs, strict=True):
                yield from self._scan(chunk, log)
        finally:
            for log in logs:
                log.close()
        self._reader.flush_counts("commit")

    def _scan(self, shas: list[str], log: LogProcess) -> Iterator[Artifact]:
        """The artifacts of ``shas`` from ``log``; past a commit git cannot read, a new log resumes."""
        while True:
            try:
                failed = yield from self._parse(log)
            finally:
                log.close()
            if failed is None:
                return
            index, error = failed
            self.skipped.append(Notice(f"commit {shas[index][:12]}", "unreadable-commit",
                                       error or "git could not read this commit's objects"))
            self._advance()
            shas = shas[index + 1:]
            if not shas:
                return
            log = LogProcess(self.root, shas, READ_AHEAD)

    def _advance(self) -> None:
        self.commits_scanned += 1
        if self.on_progress is not None:
            self.on_progress(self.commits_scanned, self.commits_total)

    def _parse(self, log: LogProcess) -> Iterator[Artifact]:
        """Artifacts from one log; returns None when it ended well, or (index, error) where git failed."""
        seen = 0
        origin = Origin("history")
        for item in parse_patch(log.lines(), self.max_file_size, header=_COMMIT):
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
        code, error = log.close()
        if code != 0:
            return max(seen - 1, 0), error
        if seen:
            self._advance()
        return None


class LogProcess:
    """``git log -p`` over given commits, its output read ahead by a thread into a bounded buffer.

    Several run at once (one per chunk of history) while the scan parses them in order, so git's diffing
    uses every core and memory stays within ``read_ahead`` bytes per process.
    """

    def __init__(self, root: Path, shas: list[str], read_ahead: int):
        command = [*GIT, "-C", str(root), "log", "--stdin", "--no-walk=unsorted", "-p", *PATCH_OPTIONS,
                   "--diff-merges=first-parent", _FORMAT]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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

    def lines(self) -> Iterator[bytes]:
        """The output's lines without newlines, split on ``\\n`` only."""
        rest = b""
        while (block := self._buffer.get()) is not None:
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield from lines
        self._done = True
        if rest:
            yield rest

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


def _origin(header: bytes) -> Origin:
    sha, author, date = header[len(_COMMIT):].decode("utf-8", "replace").split("\x01")[:3]
    return Origin("history", commit=sha, author=author, date=date)
