"""Human output for terminals: findings grouped by file, worst first, then a summary line.

Every string that comes from scanned data (paths, messages, snippets, git metadata, notices) goes
through :func:`~scanner.reporters.terminal.terminal_safe` before it is styled or printed.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import click

from scanner.model import Finding, Severity
from scanner.reporters.header import audit_lines, configuration_lines
from scanner.reporters.terminal import terminal_safe as safe
from scanner.result import ScanResult
from scanner.scorecard import FAIL, NO_ISSUE, PASS, build_scorecard

_COLOURS = {
    Severity.CRITICAL: "magenta",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "white",
}


class TextReporter:
    name = "text"

    def __init__(self, *, verbose: bool = False, color: bool = False):
        self.verbose = verbose
        self.color = color

    def _style(self, text: str, **styles) -> str:
        return click.style(text, **styles) if self.color else text

    def _finding(self, finding: Finding) -> list[str]:
        loc = finding.location
        severity = self._style(f"{finding.severity.label.upper():8}", fg=_COLOURS[finding.severity], bold=True)
        where = f"{loc.line}:{loc.column}"
        lines = [f"  {where:>9}  {severity} {safe(finding.rule_id)}  {safe(finding.message)}"]
        if finding.origin.commit:
            origin = finding.origin
            where = "" if origin.present_at_head is None else (
                "; still at HEAD" if origin.present_at_head else "; not at HEAD (rotate it anyway)")
            count = f"; in {origin.commit_count} commit(s)" if origin.commit_count else ""
            lines.append(f"{'':13}introduced in {safe(origin.commit[:12])} by {safe(origin.author)} "
                         f"on {safe(origin.date)}{where}{count}")
        if finding.repository_suppressions:
            marks = "; ".join(f"{s.kind}" + (f" ({s.reason})" if s.reason else "")
                              for s in finding.repository_suppressions)
            lines.append(self._style(f"{'':13}suppressed by the repository: {safe(marks)}", fg="yellow"))
        if loc.snippet:
            lines.append(self._style(f"{'':13}{safe(loc.snippet.strip())}", dim=True))
        return lines

    def render(self, result: ScanResult) -> str:
        out = [safe(line) for line in (*audit_lines(result), *configuration_lines(result))]
        if out:
            out.append("")
        active = result.active
        for path, group in groupby(active, key=lambda f: f.location.path):
            out.append(self._style(safe(path), bold=True, underline=True))
            ordered = sorted(group, key=lambda f: (-f.severity, f.location.line))
            for finding in ordered:
                out.extend(self._finding(finding))
            out.append("")
        out.extend(self._notices(result))
        out.extend(self._scorecard(result))
        out.append(self._summary(result))
        return "\n".join(out) + "\n"

    def _notices(self, result: ScanResult) -> list[str]:
        lines = []
        if self.verbose:
            for notice in result.skipped:
                lines.append(safe(f"skipped {notice.path}: {notice.reason} ({notice.detail})"))
            for notice in result.warnings:
                lines.append(safe(f"warning {notice.path}: {notice.reason} ({notice.detail})"))
            suppressed = [f for f in result.findings if f.suppression]
            for f in suppressed:
                reason = f": {f.suppression.reason}" if f.suppression.reason else ""
                lines.append(safe(f"suppressed {f.location.path}:{f.location.line} {f.rule_id} "
                                  f"({f.suppression.kind}{reason})"))
        elif result.skipped or result.warnings:
            reasons = Counter(n.reason for n in result.skipped)
            detail = safe(", ".join(f"{n} {reason}" for reason, n in reasons.most_common()))
            lines.append(f"skipped {len(result.skipped)} paths ({detail}); "
                         f"{len(result.warnings)} warnings; --verbose lists them")
        return lines

    def _scorecard(self, result: ScanResult) -> list[str]:
        scorecard = build_scorecard(result)
        lines = [self._style("Launch-readiness scorecard", bold=True)]
        for row in scorecard.checks:
            if row.status == FAIL:
                status = self._style("FAIL    ", fg="red", bold=True)
            elif row.status == PASS:
                status = self._style("pass    ", fg="green")
            elif row.status == NO_ISSUE:
                status = self._style("no issue", fg="yellow")  # examined, nothing found, nothing proven
            else:
                status = self._style("--      ", dim=True)
            if row.findings:
                parts = ", ".join(f"{n} {sev}" for sev, n in row.by_severity.items() if n)
                detail = f"{row.findings} finding{'s' if row.findings != 1 else ''} ({parts})"
                if row.status != FAIL:
                    detail = f"{row.summary}; {detail}"
            else:
                detail = row.summary
            lines.append(f"  {status}  {row.title:<41} {safe(detail)}")
        lines.append(self._style("  pass: evidence the check is met; no issue: examined, nothing found, not proven; "
                                 "--: not checked", dim=True))
        verdict = scorecard.verdict
        lines.append(self._style(verdict, bold=True, fg="green" if scorecard.launch_ready else "red"))
        lines.append("")
        return lines

    def _summary(self, result: ScanResult) -> str:
        active = result.active
        suppressed = len(result.findings) - len(active)
        counts = result.severity_counts()
        if active:
            parts = ", ".join(f"{n} {sev}" for sev, n in counts.items() if n)
            files = len({f.location.path for f in active})
            plural = "s" if len(active) != 1 else ""
            head = f"{len(active)} finding{plural} ({parts}) in {files} file{'s' if files != 1 else ''}"
        else:
            head = "no findings"
        tail = f"; {suppressed} suppressed" if suppressed else ""
        hidden = sum(1 for f in result.findings if f.repository_suppressions)
        tail += f"; {hidden} would have been hidden or lowered by the repository" if result.audit else ""
        return (f"{head}{tail}. Scanned {result.artifacts_scanned} files with {len(result.rules_run)} rules "
                f"in {result.duration_seconds:.2f}s.")
