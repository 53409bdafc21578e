"""Peak memory of ``launchready scan`` on a large generated history and a large generated working tree.

    .venv/bin/python bench/memory.py                           # 1 GB history, 5 GB working tree
    .venv/bin/python bench/memory.py --history-mb 100 --tree-mb 200   # a quick run

Both are generated at bench time from a pool of generated source lines (Python, TypeScript, JSON, YAML,
Markdown; bench/secrets_speed.py's generators) with a few planted keys: the history with ``git fast-import``
(one commit per new ~100 KB file), the tree as files of ~100 KB. Each scan runs under ``/usr/bin/time -v``
(its "Maximum resident set size": the largest single process), and a sampler also records the peak of the
*sum* of proportional memory (PSS: pages shared by forked workers counted once) over the scan's whole
process tree, workers and git included, and the CPU seconds of the whole tree (user + system: on a shared
machine the figure to compare, wall time being mostly other people's load). The target is 500 MB resident.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from _common import table, tool_path
from secrets_speed import KINDS, planted_secret

#: Size of each generated file.
FILE_BYTES = 100_000
#: Characters of generated lines files are cut from (a pool, so generating gigabytes stays fast).
POOL_BYTES = 8_000_000
TARGET_MB = 500


def line_pool(seed: int = 1) -> str:
    rng = random.Random(seed)
    lines, size = [], 0
    while size < POOL_BYTES:
        _, make = KINDS[len(lines) % len(KINDS)]
        line = make(rng)
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def _files(total_mb: float, pool: str, seed: int):
    """(relative path, text) of files adding up to ``total_mb``; every 500th holds a planted key."""
    rng = random.Random(seed)
    count = max(1, int(total_mb * 1_000_000 // FILE_BYTES))
    for index in range(count):
        start = rng.randrange(0, len(pool) - FILE_BYTES)
        start = pool.rfind("\n", 0, start) + 1
        text = pool[start:start + FILE_BYTES]
        text = text[:text.rfind("\n") + 1]
        if index % 500 == 0:
            text += planted_secret(rng, index // 500) + "\n"
        ext = KINDS[index % len(KINDS)][0]
        yield f"pkg{index % 100:02d}/m{index // 100:04d}.{ext}", text


def build_tree(root: Path, total_mb: float, pool: str) -> None:
    for rel, text in _files(total_mb, pool, seed=2):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def build_history(repo: Path, total_mb: float, pool: str) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    clock = 1_700_000_000
    for number, (rel, text) in enumerate(_files(total_mb, pool, seed=3)):
        data = text.encode()
        message = f"add {rel}".encode()
        proc.stdin.write(b"commit refs/heads/main\n")
        proc.stdin.write(b"committer Bench <bench@example.test> %d +0000\n" % (clock + number))
        proc.stdin.write(b"data %d\n%s\n" % (len(message), message))
        proc.stdin.write(b"M 100644 inline %s\ndata %d\n%s\n" % (rel.encode(), len(data), data))
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)


def _pss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` (KB): pages shared with forked workers are counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_pss_kb(root_pid: int) -> int:
    """Memory (KB, PSS) summed over ``root_pid`` and all its descendants (workers, git)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    family, changed = {root_pid}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(_pss_kb(pid) for pid in family)


def measure(args: list[str], cwd: Path) -> tuple[float, float, float, float, int]:
    """(wall seconds, CPU seconds, /usr/bin/time max RSS MB, peak process-tree PSS MB, exit code) of one scan.
    CPU seconds (user + system, workers included) is the figure to compare on a shared machine."""
    command = ["/usr/bin/time", "-v", tool_path("launchready") or "launchready", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_pss_kb(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stderr = proc.stderr.read()
    proc.wait()
    sampler.join()
    wall = time.perf_counter() - started
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    return wall, cpu, int(found.group(1)) / 1024 if found else float("nan"), peak[0] / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history-mb", type=float, default=1024)
    parser.add_argument("--tree-mb", type=float, default=5120)
    parser.add_argument("--jobs", default="0", help="launchready --jobs (default 0: one per core)")
    parser.add_argument("--work", type=Path, help="folder for the generated data (default: a temporary one)")
    args = parser.parse_args()
    pool = line_pool()
    rows = []
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        work = Path(work)
        if args.history_mb:
            started = time.perf_counter()
            build_history(work / "history", args.history_mb, pool)
            print(f"history: {args.history_mb:g} MB generated in {time.perf_counter() - started:.0f} s", flush=True)
            command = ["scan", ".", "--history", "--jobs", args.jobs, "--format", "json",
                       "-o", str(work / "history.json"), "--fail-on", "none"]
            wall, cpu, rss, tree, code = measure(command, work / "history")
            rows.append([f"history {args.history_mb:g} MB", f"{wall:.0f}", f"{cpu:.0f}", f"{rss:.0f}", f"{tree:.0f}",
                         code])
            print(rows[-1], flush=True)
        if args.tree_mb:
            started = time.perf_counter()
            build_tree(work / "tree", args.tree_mb, pool)
            print(f"tree: {args.tree_mb:g} MB generated in {time.perf_counter() - started:.0f} s", flush=True)
            wall, cpu, rss, tree, code = measure(["scan", ".", "--jobs", args.jobs, "--format", "json",
                                                  "-o", str(work / "tree.json"), "--fail-on", "none"], work / "tree")
            rows.append([f"working tree {args.tree_mb:g} MB", f"{wall:.0f}", f"{cpu:.0f}", f"{rss:.0f}", f"{tree:.0f}",
                         code])
            print(rows[-1], flush=True)
    print(table(["scan", "seconds", "CPU seconds", "max RSS MB (time -v)", "peak PSS MB (all processes)", "exit"],
                rows))
    over = [row[0] for row in rows if float(row[3]) > TARGET_MB]
    print(f"target: under {TARGET_MB} MB resident; " + (f"OVER: {', '.join(over)}" if over else "all under"))


if __name__ == "__main__":
    main()
