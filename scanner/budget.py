"""A per-file time budget: a pathological file stops with a notice, never hangs the scan.

The limit is an interval timer (``SIGALRM``) around each detector's work on one file. Python's regex
engine checks for signals while it matches, so even a backtracking regex is interrupted; worker processes
run their tasks in their main thread, so the budget holds there too. Where a timer cannot be set (no
``setitimer``, as on Windows, or the engine running outside the main thread) there is no limit.
"""

from __future__ import annotations

import signal
import threading
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


def _expire(signum, frame) -> None:
    raise BudgetExceeded


def can_limit() -> bool:
    """Whether :func:`time_limit` can interrupt work here (a POSIX timer, in the main thread)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`BudgetExceeded` in the block after ``seconds`` (None: no limit)."""
    if not seconds or not can_limit():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
