"""Cost of the code checks: a full scan against the secrets-only scan of the same tree, and semgrep.

    .venv/bin/python bench/code_checks_speed.py PATH [PATH ...] [--runs 3] [--semgrep BIN] [--jobs N]

For each PATH (a real project's working tree, e.g. sqlalchemy or a ~2,000-file TypeScript monorepo) it runs,
``--runs`` times each and interleaved (so a busy shared machine slows every tool alike):

- ``launchready full``: ``launchready scan`` with every rule, as users run it;
- ``launchready secrets``: the same command with every non-secret rule disabled (the pre-commit job);
- ``semgrep``: ``semgrep scan`` with the local rules of ``bench/semgrep_rules/`` (a few route-without-auth,
  TLS, debug and CORS shaped patterns per language, written for this benchmark), when semgrep is found
  (``--semgrep``, else ``semgrep`` on PATH; install it in a separate virtualenv: its dependencies pin
  versions this project does not). Never ``--config auto`` (that would fetch rules over the network).

It prints, per tool, the medians of wall seconds and of CPU seconds (user + system of the process and
the workers it waited for: the measure that a shared machine disturbs least), the largest peak RSS,
files per second per language (source files of the language in the tree over the median wall time),
and the ratios full/secrets and full/semgrep. The figures in ``bench/code_checks_results.md`` come from it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _common import REPO, ratio, table, tool_path

RULES = REPO / "bench" / "semgrep_rules"
LANGUAGES = {".py": "python", ".ts": "typescript", ".tsx": "typescript", ".js": "javascript",
             ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript"}
SKIPPED = {".git", "node_modules", "__pycache__", ".venv", "venv", ".tox"}


@dataclass(frozen=True)
class Measure:
    """One run: wall seconds, CPU seconds of the process tree, peak RSS in MB, exit code."""

    wall: float
    cpu: float
    rss_mb: float
    returncode: int


def measure(command: list[str]) -> Measure:
    """Run ``command`` to completion (output discarded) and read its resource usage with ``wait4``."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def files_by_language(root: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in files:
            language = LANGUAGES.get(Path(name).suffix.lower())
            if language:
                counts[language] += 1
    return counts


def commands(root: Path, out: Path, jobs: int | None, semgrep: str | None) -> dict[str, list[str]]:
    launchready = tool_path("launchready") or "launchready"
    base = [launchready, "scan", str(root), "--format", "json", "--output", str(out / "r.json"), "--fail-on",
            "none", "--quiet", "--no-progress"] + ([] if jobs is None else ["--jobs", str(jobs)])
    from scanner.rules import default_registry

    others = [r.id for r in default_registry() if r.kind != "secret"]
    config = out / "secrets-only.toml"
    config.write_text("disable = [" + ", ".join(f'"{i}"' for i in others) + "]\n", encoding="utf-8")
    found = {"launchready full": base, "launchready secrets": [*base, "--config", str(config)]}
    if semgrep:
        found["semgrep"] = [semgrep, "scan", "--metrics=off", "--disable-version-check", "--config", str(RULES),
                            "--json", "--output", str(out / "s.json"), "--quiet", str(root)]
    return found


def bench(root: Path, runs: int, jobs: int | None, semgrep: str | None) -> str:
    languages = files_by_language(root)
    with tempfile.TemporaryDirectory() as tmp:
        tools = commands(root, Path(tmp), jobs, semgrep)
        results: dict[str, list[Measure]] = {name: [] for name in tools}
        for _ in range(runs):
            for name, command in tools.items():
                results[name].append(measure(command))
    wall = {name: statistics.median(m.wall for m in ms) for name, ms in results.items()}
    cpu = {name: statistics.median(m.cpu for m in ms) for name, ms in results.items()}
    rows = []
    for name, ms in results.items():
        rate = ", ".join(f"{lang} {count / wall[name]:.0f}" for lang, count in languages.most_common())
        failed = sum(m.returncode not in (0, 1) for m in ms)
        rows.append([name, f"{wall[name]:.1f}", f"{cpu[name]:.1f}", f"{max(m.rss_mb for m in ms):.0f}", rate,
                     f"{failed} failed" if failed else "ok"])
    summary = [f"{root} ({', '.join(f'{n} {lang}' for lang, n in languages.most_common())} files), "
               f"median of {runs} runs",
               table(["tool", "wall s", "CPU s", "peak RSS MB", "files/s (wall)", "runs"], rows),
               f"full/secrets: wall {ratio(wall['launchready full'], wall['launchready secrets'])}, "
               f"CPU {ratio(cpu['launchready full'], cpu['launchready secrets'])}"]
    if "semgrep" in wall:
        summary.append(f"full/semgrep: wall {ratio(wall['launchready full'], wall['semgrep'])}, "
                       f"CPU {ratio(cpu['launchready full'], cpu['semgrep'])}")
    return "\n".join(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="launchready --jobs (default: its own)")
    parser.add_argument("--semgrep", default=tool_path("semgrep"), help="semgrep executable (default: on PATH)")
    args = parser.parse_args()
    for path in args.paths:
        print(bench(path.resolve(), max(1, args.runs), args.jobs, args.semgrep))
        print()


if __name__ == "__main__":
    main()
