"""The pre-commit path end to end: ``launchready scan --staged`` on a 10-file commit (goal < 300 ms).

Builds a repository with some history, stages changes to ten files (one of them adds a key, so
the run that is timed is the blocking one), then times the console script as a git hook would run
it, next to ``gitleaks git --pre-commit --staged`` on the same index.

    python bench/staged_latency.py --runs 15
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import subprocess
import tempfile
from pathlib import Path

from _common import max_rss_mb, median_seconds, ratio, table, tool_path
from _cpu import cpu_timed_run

FILES = 10
LINES = 200


def _line(rng: random.Random) -> str:
    name = "".join(rng.choice(string.ascii_lowercase) for _ in range(8))
    return f"{name} = compute({rng.randint(0, 99999)})"


def build_repository(path: Path, seed: int = 3) -> None:
    """A repository with one commit of ten files, and a change to each of them staged."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@bench.test")):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    contents = {f"app/module{i}.py": [_line(rng) for _ in range(LINES)] for i in range(FILES)}
    for name, lines in contents.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("\n".join(lines) + "\n")
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", "start"], check=True)
    key = "sk_" + "live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    for index, (name, lines) in enumerate(contents.items()):
        for _ in range(20):
            lines[rng.randrange(LINES)] = _line(rng)
        if index == 0:
            lines.insert(100, f'STRIPE_KEY = "{key}"')
        (path / name).write_text("\n".join(lines) + "\n")
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per tool; the median is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="staged-bench-") as tmp:
        repo = Path(tmp) / "repo"
        build_repository(repo)
        commands = {
            "launchready": [tool_path("launchready") or "launchready", "scan", "--staged", "--quiet"],
            "gitleaks": [tool_path("gitleaks") or "gitleaks", "git", "--pre-commit", "--staged", "--no-banner",
                         "--log-level", "error", "."],
        }
        cpu_timed_run(commands["launchready"], cwd=repo)  # warm-up: writes launchready's bytecode cache
        rows = []
        for name, command in commands.items():
            samples = [cpu_timed_run(command, cwd=repo) for _ in range(max(1, args.runs))]
            runs = [run for run, _ in samples]
            cpu = statistics.median(seconds for _, seconds in samples)
            blocked = all(run.returncode == 1 for run in runs)
            rows.append([name, f"{median_seconds(runs) * 1000:.0f}", f"{cpu * 1000:.0f}", f"{max_rss_mb(runs):.0f}",
                         "yes" if blocked else "NO"])
    print(f"staged: {FILES} files changed, one adds a key; {args.runs} runs each")
    print(table(["tool", "median wall ms", "median CPU ms", "peak MB", "blocked the key"], rows))
    print(f"launchready / gitleaks: wall {ratio(float(rows[0][1]), float(rows[1][1]))}, "
          f"CPU {ratio(float(rows[0][2]), float(rows[1][2]))}; goal: launchready < 300 ms wall")


if __name__ == "__main__":
    main()
