"""Auditor mode against a real repository that tries to switch the scanner off.

    .venv/bin/python bench/audit_hostile.py CLONE [WORKDIR]

Clones CLONE (a local git repository) into WORKDIR (default: a temp folder) with its full history, then
makes it hostile the way an inherited repository could be:

1. records every finding of a default scan in ``.launchready-baseline.json`` (``launchready baseline``);
2. appends a ``launchready: ignore`` comment to the line of every working-tree finding (``#`` or ``//``
   by file type; on its own line above a PEM header; lines over the 500-character limit are left alone,
   as the suppression would not count there);
3. writes a ``.launchready.toml`` that disables every secret rule, excludes ``**``, lowers every rule
   to ``info``, declares every route public and sets ``fail_on = "none"``, and commits all of it.

Then prints what ``launchready scan`` reports (exit code, findings, the header line) and what
``launchready audit`` reports: findings, exit code, how many the repository would have hidden, per
mechanism, and the time each took.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LAUNCHREADY = [sys.executable, "-m", "scanner"]
SLASH_COMMENTS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go", ".java", ".c", ".cpp", ".cs", ".kt",
                  ".swift", ".rs", ".php", ".scss", ".prisma")
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.test", "-c", "commit.gpgsign=false"]


def run(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, float]:
    clock = time.perf_counter()
    proc = subprocess.run(list(args), cwd=cwd or HERE, capture_output=True, text=True)
    return proc, time.perf_counter() - clock


def hostile_config() -> str:
    from scanner.rules import default_registry

    registry = default_registry()
    secret_ids = [r.id for r in registry if r.kind == "secret"]
    lines = ["disable = [" + ", ".join(f'"{i}"' for i in secret_ids) + "]", 'exclude = ["**"]', 'fail_on = "none"',
             "public_routes = [\"*\"]", "[severity]", *(f'"{r.id}" = "info"' for r in registry)]
    return "\n".join(lines) + "\n"


def add_inline_ignores(repo: Path, findings: list[dict]) -> int:
    """Append an ignore comment to every finding's line; returns how many lines were changed."""
    lines_by_file: dict[str, set[int]] = {}
    for finding in findings:
        if finding["origin"]["kind"] == "worktree":
            lines_by_file.setdefault(finding["location"]["path"], set()).add(finding["location"]["line"])
    changed = 0
    for rel, numbers in lines_by_file.items():
        path = repo / rel
        try:
            lines = path.read_bytes().decode("utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        marker = "//" if path.suffix in SLASH_COMMENTS else "#"
        for number in sorted(numbers, reverse=True):  # bottom up: an inserted line moves only later ones
            line = lines[number - 1] if 0 < number <= len(lines) else ""
            if not line or len(line) >= 450 or "launchready" in line:
                continue
            if line.lstrip().startswith("-----BEGIN"):  # a comment on a PEM header line would break the key
                lines.insert(number - 1, f"{marker} launchready: ignore -- accepted")
            else:
                lines[number - 1] += f"  {marker} launchready: ignore -- accepted"
            changed += 1
        path.write_bytes("\n".join(lines).encode("utf-8"))
    return changed


def main() -> None:
    source = Path(sys.argv[1]).resolve()
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="audit-hostile-"))
    repo = work / source.name
    subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(repo)], check=True)
    before, seconds = run(*LAUNCHREADY, "scan", str(repo), "--format", "json")
    findings = json.loads(before.stdout)["findings"]
    print(f"{source.name}: default scan before: {len(findings)} findings, exit {before.returncode}, {seconds:.1f}s")
    run(*LAUNCHREADY, "baseline", str(repo))
    print(f"  inline ignores added on {add_inline_ignores(repo, findings)} lines; baseline recorded")
    (repo / ".launchready.toml").write_text(hostile_config())
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "silence the scanner"], cwd=repo, check=True)

    scan, seconds = run(*LAUNCHREADY, "scan", str(repo), "--format", "json")
    report = json.loads(scan.stdout)
    config = report["scan"]["configuration"]
    print(f"  scan:  exit {scan.returncode}, {len(report['findings'])} findings, {seconds:.1f}s; header: "
          f"configuration {config['provenance']} ({len(config['disable'])} rules disabled, exclude "
          f"{config['exclude']}, {len(config['severity'])} severity overrides, fail_on {config.get('fail_on')})")

    out = work / "audit-out"
    audit, seconds = run(*LAUNCHREADY, "audit", str(repo), "--out", str(out), "--quiet")
    report = json.loads((out / "report.json").read_text())
    header = report["audit"]
    origins = Counter(f["origin"]["kind"] for f in report["findings"])
    unmarked = [f for f in report["findings"] if not f["repository_suppressions"]]
    print(f"  audit: exit {audit.returncode}, {len(report['findings'])} findings ({dict(origins)}), {seconds:.1f}s; "
          f"{header['scanned']['files']} files, {header['scanned']['commits']} commits")
    print(f"  suppressed by the repository: {header['suppressed_by_repository']['findings']} findings; "
          f"by mechanism {header['suppressed_by_repository']['by_mechanism']}; not marked: {len(unmarked)}")
    print(f"  not scanned: {header['not_scanned']}")


if __name__ == "__main__":
    main()
