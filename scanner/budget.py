"""A per-file time budget: a pathological file stops with a notice, never hangs the scan.

The limit is an interval timer (``SIGALRM``) around each detector's work on one file. Python's regex
engine checks for signals while it matches, so even a backtracking regex is interrupted; worker processes
run their tasks in their main thread, so the budget holds there too. Where a timer cannot be set (no
``setitimer``, as on Windows, or the engine running outside the main thread) there is no limit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds one file may take in one pass (streaming detection, or the index and detect passes of code
#: checks) before what is left of that pass is abandoned.
FILE_SECONDS = 60.0


class BudgetExceeded(BaseException):
    """The time budget of the file being scanned ran out.

    A ``BaseException``, like ``KeyboardInterrupt``: a detector's ``except Exception`` (a parser error
    turned into a skip notice) must not swallow it, or the rest of the file would run without a limit.
    """


_installed = False


def _expire(signum, frame) -> None:
    raise BudgetExceeded


def can_limit() -> bool:
    """Whether :func:`time_limit` can interrupt work here (a POSIX timer, in the main thread)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`BudgetExceeded` in the block after ``seconds`` (None: no limit).

    Runs around every detector on every file (hundreds of thousands of times in a history scan), so it only
    arms and disarms the timer: the handler is installed once, on first use, and stays (no timer of ours is
    armed outside a limit, so it never fires elsewhere). A limit inside a limit keeps the outer deadline."""
    global _installed
    if not seconds or not can_limit():
        yield
        return
    if not _installed:
        signal.signal(signal.SIGALRM, _expire)
        _installed = True
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    started = time.perf_counter() if outer else 0.0
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        # 0 disarms; an outer limit gets what is left of it (at least a moment, so it still fires)
        signal.setitimer(signal.ITIMER_REAL, max(outer - (time.perf_counter() - started), 1e-3) if outer else 0)
