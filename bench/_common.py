"""Shared helpers for the side-by-side benchmarks in ``bench/``: run a tool, time it, measure memory.

Every benchmark runs each tool as a child process so wall time and peak memory are comparable:

    run = timed_run(["gitleaks", "dir", path], cwd=tmp)       # one run: seconds, peak RSS, output
    runs = repeat(lambda: timed_run(cmd), times=3)             # several runs
    print(table(["tool", "median s"], rows))                   # aligned plain-text table

Peak memory is the child's maximum resident set size, read with ``os.wait4`` (Linux reports it in KiB),
so each run is measured on its own rather than as the maximum over all children so far.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One finished child process: how long it took, how much memory it used, what it printed."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def tool_path(name: str) -> str | None:
    """The executable ``name`` next to this Python (the project's venv) or on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def timed_run(command: Sequence[str], cwd: str | Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to completion; return wall seconds, the child's own peak RSS and its output."""
    started = time.perf_counter()
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace") as proc:
        stdout, stderr = _communicate(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr)


def _communicate(proc: subprocess.Popen) -> tuple[str, str]:
    """Read both pipes without reaping the child (so ``wait4`` can still collect its usage)."""
    chunks: dict[str, str] = {}

    def drain(name: str, stream) -> None:
        chunks[name] = stream.read()

    threads = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return chunks["out"], chunks["err"]


def repeat(action: Callable[[], Run], times: int) -> list[Run]:
    """``times`` runs of ``action``, one after the other."""
    return [action() for _ in range(max(1, times))]


def median_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def max_rss_mb(runs: Sequence[Run]) -> float:
    return max(r.peak_rss_mb for r in runs)


def ratio(numerator: float, denominator: float) -> str:
    """``a/b`` formatted for a table, or ``n/a`` when it cannot be computed."""
    if not denominator or numerator is None:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "n/a"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with columns aligned to their widest cell."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
