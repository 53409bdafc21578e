"""CPU seconds of a benchmarked command, next to its wall time from ``_common.timed_run``.

On a shared machine wall time swings with the load; user+system CPU seconds of the child and
everything it waited for (git, for both launchready and gitleaks) measure the work itself.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Sequence
from pathlib import Path

from _common import Run, timed_run


def cpu_timed_run(command: Sequence[str], cwd: str | Path | None = None) -> tuple[Run, float]:
    """``timed_run`` plus the CPU seconds (user + system) the child and its own children used.

    Bytecode caching is left on (``PYTHONDONTWRITEBYTECODE`` removed) as in a real installation, where
    pip compiles the package: otherwise every run would recompile launchready's modules.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = timed_run(command, cwd=cwd, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return run, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
