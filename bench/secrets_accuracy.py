"""Recall and false-positive rate of launchready, gitleaks and detect-secrets on labelled samples.

    .venv/bin/python bench/secrets_accuracy.py [--cases FILE] [--tools launchready,gitleaks,detect-secrets]

Each sample is written to its own file (under its ``path`` when the sample has one), then each tool
scans the whole folder once. A ``tp`` sample counts as found when the tool reports anything in its file;
an ``fp`` sample counts as a false alarm when it does. Prints, side by side: recall on tp, FP rate on fp,
wall time; then launchready's misses and false alarms grouped by the sample's rule name (ids and counts
only, never sample text). ``--list-misses`` prints the ids of missed samples, for reading them one by one.

The samples' README warns that some ``fp`` samples are genuine secrets of a sibling provider. A second
table therefore separates, for launchready, false alarms raised only by rules of the sample's own provider
(e.g. a Cloudflare Global API key sample reported as a Cloudflare Global API key, labelled ``fp`` because
it is a negative example of gitleaks' *Origin CA* rule), and misses of public client identifiers, which
launchready does not report by design. Both raw and adjusted numbers are printed.
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


#: Gitleaks rules for public identifiers (OAuth client ids and the like), which launchready does not report.
PUBLIC_IDENTIFIER_RULES = ("-client-id", "-access-id")


def run_launchready(folder: Path) -> tuple[dict[str, set[str]], float]:
    """File -> rule ids reported in it, and the wall time."""
    out = folder.parent / "launchready.json"
    run = timed_run([tool_path("launchready") or "launchready", "scan", str(folder), "--fail-on", "none",
                     "--no-gitignore", "--json", str(out), "--quiet"])
    if run.returncode != 0:
        raise RuntimeError(f"launchready failed: {run.stderr.strip()[-500:]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    reported: dict[str, set[str]] = {}
    for finding in report["findings"]:
        reported.setdefault(finding["location"]["path"], set()).add(finding["rule_id"])
    return reported, run.seconds


def same_provider(sample_rule: str, rule_ids: set[str]) -> bool:
    """Did only rules of the sample's own provider fire (first word of the rule ids)?"""
    provider = sample_rule.split("-")[0]
    return bool(rule_ids) and all(rule.split("-")[0] == provider for rule in rule_ids)


def adjusted(cases: list[dict], reported: dict[int, set[str]], labels: Counter) -> list[list[str]]:
    """launchready's recall without public identifiers, and FP rate without same-provider detections."""
    public = {i for i, c in enumerate(cases) if c["label"] == "tp" and c["rule"].endswith(PUBLIC_IDENTIFIER_RULES)}
    found = sum(1 for i in reported if cases[i]["label"] == "tp" and i not in public)
    sibling = {i for i, rules in reported.items()
               if cases[i]["label"] == "fp" and same_provider(cases[i]["rule"], rules)}
    alarms = sum(1 for i in reported if cases[i]["label"] == "fp" and i not in sibling)
    tp_total = labels["tp"] - len(public)
    return [["launchready (adjusted)", f"{found}/{tp_total}", percent(found, tp_total),
             f"{alarms}/{labels['fp']}", percent(alarms, labels["fp"]),
             f"{len(public)} public ids out; {len(sibling)} same-provider detections out"]]


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
            if tool == "launchready":
                rules_by_case = {owners[p]: rules for p, rules in reported.items() if p in owners}
            found = Counter(cases[i]["label"] for i in flagged)
            rows.append([tool, f"{found['tp']}/{labels['tp']}", percent(found["tp"], labels["tp"]),
                         f"{found['fp']}/{labels['fp']}", percent(found["fp"], labels["fp"]), f"{seconds:.1f}"])
            if tool == "launchready":
                detail = flagged
    print(f"{len(cases)} samples from {args.cases.name}: {labels['tp']} tp, {labels['fp']} fp\n")
    print(table(["tool", "tp found", "recall", "fp flagged", "fp rate", "seconds"], rows))
    if detail is not None:
        print()
        print(table(["tool", "tp found", "recall", "fp flagged", "fp rate", "left out"],
                    adjusted(cases, rules_by_case, labels)))
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
