"""``launchready scan --history`` against ``gitleaks git`` on the same repository, side by side.

By default builds a synthetic repository with ``git fast-import`` (20,000 commits; planted keys on
main, on an unmerged branch, in a merged branch, in a renamed file, in a deleted log file and in a
``.env`` still present at HEAD), then runs each tool ``--runs`` times and prints wall time (median),
peak memory, finding counts, whether each tool found every planted key, and the time ratio.
Keys are generated at run time and never printed: they are compared by SHA-256.

    python bench/history_speed.py                     # 20,000 commits
    python bench/history_speed.py --commits 2000 --runs 3
    python bench/history_speed.py --repo /path/to/any/repo
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import string
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _common import max_rss_mb, median_seconds, ratio, table, tool_path
from _cpu import cpu_timed_run

ALNUM = string.ascii_letters + string.digits
FILES = 300
LINES_PER_FILE = 40


@dataclass(frozen=True)
class Planted:
    """A key written into the synthetic history; only its hash is ever shown."""

    where: str
    secret: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()


def _keys(rng: random.Random) -> dict[str, str]:
    def chars(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return {
        "anthropic": "sk-ant-" + "api03-" + chars(ALNUM + "-_", 93) + "AA",
        "github": "gh" + "p_" + chars(ALNUM, 36),
        "stripe": "sk_" + "live_" + chars(ALNUM, 24),
        "aws": "AK" + "IA" + chars(string.ascii_uppercase + "234567", 16),
        "anthropic2": "sk-ant-" + "api03-" + chars(ALNUM + "-_", 93) + "AA",
        "stripe2": "rk_" + "live_" + chars(ALNUM, 24),
    }


class HistoryWriter:
    """Writes a ``git fast-import`` stream: commits on branches, merges, file edits, deletes and renames."""

    def __init__(self, out, rng: random.Random):
        self.out = out
        self.rng = rng
        self.mark = 0
        self.clock = 1_600_000_000
        self.tips: dict[str, int] = {}
        self.commits = 0

    def commit(self, branch: str, message: str, changes: list[str], parent: str | None = None,
               merge: str | None = None) -> int:
        self.mark += 1
        self.clock += 60
        self.commits += 1
        lines = [f"commit refs/heads/{branch}", f"mark :{self.mark}",
                 f"author Bench Dev <dev@bench.test> {self.clock} +0000",
                 f"committer Bench Dev <dev@bench.test> {self.clock} +0000", *self._data(message)]
        start = self.tips.get(parent or branch)
        if start is not None:
            lines.append(f"from :{start}")
        if merge is not None:
            lines.append(f"merge :{self.tips[merge]}")
        self.out.write("\n".join([*lines, *changes, ""]) + "\n")
        self.tips[branch] = self.mark
        return self.mark

    @staticmethod
    def _data(text: str) -> list[str]:
        return [f"data {len(text.encode())}", text]

    def modify(self, path: str, content: str) -> str:
        return "\n".join([f"M 100644 inline {path}", *self._data(content)])


def _line(rng: random.Random) -> str:
    name = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))
    return f"{name}_{rng.randint(0, 999)} = compute({rng.randint(0, 99999)}, '{name}')"


def build_repository(path: Path, commits: int, seed: int = 1) -> list[Planted]:
    """A repository of about ``commits`` commits with planted keys; returns the keys."""
    rng = random.Random(seed)
    keys = _keys(rng)
    files = {f"src/mod{i % 20}/file{i}.py": [_line(rng) for _ in range(LINES_PER_FILE)] for i in range(FILES)}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE, text=True,
                            encoding="utf-8")
    writer = HistoryWriter(proc.stdin, rng)
    writer.commit("main", "initial", [writer.modify(p, "\n".join(c) + "\n") for p, c in files.items()])
    events = {
        int(commits * 0.10): "add-anthropic", int(commits * 0.20): "delete-anthropic",
        int(commits * 0.30): "side-branch", int(commits * 0.40): "merged-branch",
        int(commits * 0.50): "add-aws", int(commits * 0.60): "rename-aws",
        int(commits * 0.70): "add-env", int(commits * 0.80): "add-log", int(commits * 0.85): "delete-log",
    }
    config = [_line(rng) for _ in range(10)]
    while writer.commits < commits:
        event = events.pop(writer.commits, None)
        if event == "add-anthropic":
            config.insert(5, f'ANTHROPIC_API_KEY = "{keys["anthropic"]}"')
            writer.commit("main", "configure the client", [writer.modify("src/config.py", "\n".join(config) + "\n")])
        elif event == "delete-anthropic":
            config.pop(5)
            writer.commit("main", "read key from env", [writer.modify("src/config.py", "\n".join(config) + "\n")])
        elif event == "side-branch":
            writer.commit("experiment", "try github api", [writer.modify(
                "tools/gh.py", f'TOKEN = "{keys["github"]}"\n')], parent="main")
            for n in range(20):
                writer.commit("experiment", f"wip {n}", [writer.modify("tools/gh.py", f"step = {n}\n")])
        elif event == "merged-branch":
            billing = f'STRIPE_KEY = "{keys["stripe"]}"\nprice = 10\n'
            writer.commit("billing", "billing", [writer.modify("src/billing.py", billing)], parent="main")
            writer.commit("main", "Merge branch 'billing'", [writer.modify("src/billing.py", billing)],
                          merge="billing")
        elif event == "add-aws":
            writer.commit("main", "legacy settings", [writer.modify(
                "legacy/settings.py", f'AWS_ACCESS_KEY_ID = "{keys["aws"]}"\nregion = "eu-west-1"\n')])
        elif event == "rename-aws":
            writer.commit("main", "move settings", ["R legacy/settings.py app/settings.py"])
        elif event == "add-env":
            writer.commit("main", "local env", [writer.modify(".env", f"ANTHROPIC_API_KEY={keys['anthropic2']}\n")])
        elif event == "add-log":
            writer.commit("main", "debug log", [writer.modify(
                "logs/debug.log", f"2024-01-01 request failed api_key={keys['stripe2']} status=401\n")])
        elif event == "delete-log":
            writer.commit("main", "remove log", ["D logs/debug.log"])
        else:
            changes = []
            for name in rng.sample(list(files), rng.randint(1, 2)):
                content = files[name]
                content[rng.randrange(len(content))] = _line(rng)
                changes.append(writer.modify(name, "\n".join(content) + "\n"))
            writer.commit("main", f"change {writer.commits}", changes)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)
    return [Planted(name, secret) for name, secret in keys.items()]


def launchready_command(repo: Path, report: Path) -> list[str]:
    return [tool_path("launchready") or "launchready", "scan", "--history", str(repo), "--no-progress",
            "--fail-on", "none", "--format", "json", "--output", str(report)]


def gitleaks_command(repo: Path, report: Path) -> list[str]:
    return [tool_path("gitleaks") or "gitleaks", "git", str(repo), "--report-format", "json", "--report-path",
            str(report), "--no-banner", "--exit-code", "0", "--log-level", "error"]


def launchready_hashes(report: Path) -> list[str]:
    return [f["secret_hash"] for f in json.loads(report.read_text())["findings"]]


def gitleaks_hashes(report: Path) -> list[str]:
    """gitleaks reports one finding per commit; hash each secret in memory, keep only the hash."""
    return [hashlib.sha256(f["Secret"].encode()).hexdigest() for f in json.loads(report.read_text() or "[]")]


def _measure(name: str, command: list[str], report: Path, hashes, runs: int, planted: list[Planted]) -> list:
    samples = [cpu_timed_run(command) for _ in range(max(1, runs))]
    for run, _ in samples:
        if run.returncode not in (0, 1):
            raise SystemExit(f"{name} failed ({run.returncode}): {run.stderr.strip()[:300]}")
    found = hashes(report)
    missing = [p.where for p in planted if p.sha256 not in found]
    recall = "n/a" if not planted else ("all" if not missing else "missing " + ", ".join(missing))
    results = [run for run, _ in samples]
    cpu = statistics.median(seconds for _, seconds in samples)
    return [name, f"{median_seconds(results):.2f}", f"{cpu:.2f}", f"{max_rss_mb(results):.0f}", len(found), recall]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000, help="size of the synthetic repository")
    parser.add_argument("--repo", type=Path, help="benchmark this repository instead of a synthetic one")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        work = Path(tmp)
        planted: list[Planted] = []
        repo = args.repo
        if repo is None:
            repo = work / "repo"
            planted = build_repository(repo, args.commits)
        count = subprocess.run(["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True,
                               text=True, check=True).stdout.strip()
        print(f"repository: {'synthetic, ' if args.repo is None else ''}{count} commits; {args.runs} run(s) each")
        rows = [
            _measure("launchready", launchready_command(repo, work / "lr.json"), work / "lr.json",
                     launchready_hashes, args.runs, planted),
            _measure("gitleaks", gitleaks_command(repo, work / "gl.json"), work / "gl.json",
                     gitleaks_hashes, args.runs, planted),
        ]
    print(table(["tool", "median wall s", "median CPU s", "peak MB", "findings", "planted keys found"], rows))
    print(f"launchready / gitleaks: wall {ratio(float(rows[0][1]), float(rows[1][1]))}, "
          f"CPU {ratio(float(rows[0][2]), float(rows[1][2]))} (goal: wall <= 1.0; memory < 500 MB)")


if __name__ == "__main__":
    main()
