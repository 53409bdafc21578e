"""Recall and false-positive rate of launchready, gitleaks and detect-secrets on labelled samples.

    .venv/bin/python bench/secrets_accuracy.py [--cases FILE] [--tools launchready,gitleaks,detect-secrets]

Each sample is written to its own file (under its ``path`` when the sample has one), then each tool
scans the whole folder once. A ``tp`` sample counts as found when the tool reports anything in its file;
an ``fp`` sample counts as a false alarm when it does. Prints, side by side: recall on tp, FP rate on fp,
wall time; then launchready's misses and false alarms grouped by the sample's rule name (ids and counts
only, never sample text). ``--list-misses`` prints the ids of missed samples, for reading them one by one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, percent, table, timed_run, tool_path

DEFAULT_CASES = REPO.parent / "shared" / "bench" / "secrets" / "gitleaks_cases.jsonl"
TOOLS = ("launchready", "gitleaks", "detect-secrets")


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_cases(cases: list[dict], folder: Path) -> dict[str, int]:
    """One directory per sample; returns relative file path -> sample index."""
    owners: dict[str, int] = {}
    for index, case in enumerate(cases):
        name = Path(case.get("path") or "sample.txt").name
        rel = f"c{index:05d}/{name}"
        target = folder / rel
        target.parent.mkdir(parents=True)
        target.write_text(case["text"], encoding="utf-8")
        owners[rel] = index
    return owners


def run_launchready(folder: Path) -> tuple[set[str], float]:
    out = folder.parent / "launchready.json"
    run = timed_run([tool_path("launchready") or "launchready", "scan", str(folder), "--fail-on", "none",
                     "--no-gitignore", "--json", str(out), "--quiet"])
    if run.returncode != 0:
        raise RuntimeError(f"launchready failed: {run.stderr.strip()[-500:]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    return {f["location"]["path"] for f in report["findings"]}, run.seconds


def run_gitleaks(folder: Path) -> tuple[set[str], float]:
    out = folder.parent / "gitleaks.json"
    run = timed_run([tool_path("gitleaks") or "gitleaks", "dir", str(folder), "--report-format", "json",
                     "--report-path", str(out), "--exit-code", "0", "--no-banner", "--log-level", "error"])
    if run.returncode != 0:
        raise RuntimeError(f"gitleaks failed: {run.stderr.strip()[-500:]}")
    report = json.loads(out.read_text(encoding="utf-8") or "[]")
    return {Path(item["File"]).resolve().relative_to(folder.resolve()).as_posix() for item in report}, run.seconds


def run_detect_secrets(folder: Path) -> tuple[set[str], float]:
    run = timed_run([tool_path("detect-secrets") or "detect-secrets", "scan", "--all-files", "."], cwd=folder)
    if run.returncode != 0:
        raise RuntimeError(f"detect-secrets failed: {run.stderr.strip()[-500:]}")
    return set(json.loads(run.stdout)["results"]), run.seconds


RUNNERS: dict[str, Callable[[Path], tuple[set[str], float]]] = {
    "launchready": run_launchready,
    "gitleaks": run_gitleaks,
    "detect-secrets": run_detect_secrets,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="labelled samples (JSON lines)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ", ".join(TOOLS))
    parser.add_argument("--list-misses", action="store_true", help="print ids of launchready's misses and FPs")
    args = parser.parse_args(argv)
    if not args.cases.is_file():
        parser.error(f"no samples at {args.cases}")
    cases = load_cases(args.cases)
    labels = Counter(c["label"] for c in cases)
    rows, detail = [], None
    with tempfile.TemporaryDirectory(prefix="lr-accuracy-") as tmp:
        folder = Path(tmp) / "cases"
        owners = write_cases(cases, folder)
        for tool in args.tools.split(","):
            reported, seconds = RUNNERS[tool](folder)
            flagged = {owners[p] for p in reported if p in owners}
            found = Counter(cases[i]["label"] for i in flagged)
            rows.append([tool, f"{found['tp']}/{labels['tp']}", percent(found["tp"], labels["tp"]),
                         f"{found['fp']}/{labels['fp']}", percent(found["fp"], labels["fp"]), f"{seconds:.1f}"])
            if tool == "launchready":
                detail = flagged
    print(f"{len(cases)} samples from {args.cases.name}: {labels['tp']} tp, {labels['fp']} fp\n")
    print(table(["tool", "tp found", "recall", "fp flagged", "fp rate", "seconds"], rows))
    if detail is not None:
        misses = [c for i, c in enumerate(cases) if c["label"] == "tp" and i not in detail]
        alarms = [c for i, c in enumerate(cases) if c["label"] == "fp" and i in detail]
        for title, items in (("launchready misses (tp not found)", misses),
                             ("launchready false alarms (fp flagged)", alarms)):
            counts = Counter(c["rule"] for c in items)
            print(f"\n{title}: {len(items)} in {len(counts)} rules")
            print("  " + ", ".join(f"{rule} {n}" for rule, n in counts.most_common()) if counts else "  none")
            if args.list_misses:
                print("  ids: " + " ".join(c["id"] for c in items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
