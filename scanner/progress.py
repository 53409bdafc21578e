"""A progress bar on stderr for long history scans: commits done/total, rate and time left.

Shown only when asked for, or by default when stderr is a terminal and the scan is not ``--quiet``.
rich is imported only when the bar is actually shown.
"""

from __future__ import annotations

import sys
import time
from typing import Any

#: Seconds between redraws: a history scan reports thousands of commits per second.
REFRESH = 0.1


def progress_wanted(requested: bool | None, quiet: bool) -> bool:
    """``--progress``/``--no-progress`` win; otherwise only on a terminal and without ``--quiet``."""
    if requested is not None:
        return requested
    return not quiet and sys.stderr.isatty()


class CommitProgress:
    """Context manager whose :meth:`update` is the history source's ``on_progress`` callback."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0

    def __enter__(self) -> CommitProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("scanning history"), BarColumn(), MofNCompleteColumn(), TextColumn("commits"),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("history", total=None, rate="")
        return self

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self._bar is None or (done < total and now - self._last < REFRESH):
            return
        self._last = now
        task = self._bar.tasks[0]
        speed = task.speed
        self._bar.update(self._task, completed=done, total=total, rate=f"{speed:,.0f}/s" if speed else "")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
