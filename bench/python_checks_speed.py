"""Files per second of the Python code checks on a large real code base, side by side with peers.

    .venv/bin/python bench/python_checks_speed.py [PATH] [--runs 3]

PATH defaults to this virtualenv's site-packages. Each measurement runs in a fresh subprocess (so
peak RSS is per run and nothing is cached between runs); the median of ``--runs`` is reported.
Measured side by side:

- ``libcst parse``: parse every Python file once, nothing else (the floor for any libcst check);
- ``code checks``: launchready's engine with only the code rules (routes, web config, tenant...);
- ``full scan``: launchready's engine with every rule (secrets too), as ``launchready scan`` runs;
- ``bandit``: bandit's AST checks over the same tree, when bandit is installed (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path


def python_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts]


def worker(mode: str, root: Path) -> dict:
    """Run one measurement in this process and return its numbers."""
    if mode == "parse":
        import libcst

        for path in python_files(root):
            with contextlib.suppress(Exception):  # a broken file is part of a real tree
                libcst.parse_module(path.read_text(encoding="utf-8", errors="replace"))
        findings = 0
    else:
        from scanner.config import Config
        from scanner.detectors import DETECTORS
        from scanner.engine import Engine
        from scanner.rules import default_registry
        from scanner.sources.worktree import WorktreeSource

        registry = default_registry()
        only = [r.id for r in registry if r.kind == "code"] if mode == "code" else None
        engine = Engine(registry, Config(), DETECTORS, only_rules=only)
        source = WorktreeSource(root=root, paths=[root], exclude=(), max_file_size=Config().max_file_size,
                                use_gitignore=False)
        findings = len(engine.run([source], root=str(root), source_names=["bench"]).findings)
    return {"findings": findings}


def measure(mode: str, root: Path) -> dict:
    """Wall time, peak RSS (of that child process alone) and findings of one run in a subprocess."""
    if mode == "bandit":
        command = [shutil.which("bandit") or "bandit", "-r", str(root), "-q", "-f", "json", "-o", os.devnull]
    else:
        command = [sys.executable, __file__, "--worker", mode, str(root)]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    findings = json.loads(text)["findings"] if mode != "bandit" else None
    return {"seconds": seconds, "findings": findings, "max_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path, default=Path(sysconfig.get_paths()["purelib"]))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.path)))
        return
    files = len(python_files(args.path))
    modes = ["parse", "code", "full"] + (["bandit"] if shutil.which("bandit") else [])
    print(f"{args.path}: {files} Python files, median of {args.runs} runs")
    results = {}
    for mode in modes:
        runs = [measure(mode, args.path) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        results[mode] = seconds
        rss = max(r["max_rss_mb"] for r in runs)
        found = runs[0]["findings"]
        print(f"  {mode:<7} {seconds:7.2f} s  {files / seconds:7.0f} files/s  peak RSS {rss:6.0f} MB"
              + (f"  findings {found}" if found is not None else ""))
    for peer in [m for m in modes if m != "code"]:
        print(f"  code checks / {peer}: {results['code'] / results[peer]:.2f}x the time")


if __name__ == "__main__":
    main()
