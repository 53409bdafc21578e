"""The HTML audit report: one self-contained page (inline CSS and JS, no network requests).

Rendered with jinja2 (imported only when this format is used) from ``templates/report.html.j2``
with autoescape on, so everything that comes from the scanned code is shown as text. The page
reads well without JavaScript; the small inline script only adds filters and a text search, which
can also be preset from the URL fragment (``report.html#severity=high&check=secrets&q=stripe``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.model import CHECKS, Finding, Rule, Severity
from scanner.reporters.header import MECHANISMS, PROVENANCE_TEXT, audit_header, configuration_header, settings_text
from scanner.result import ScanResult
from scanner.scorecard import CHECK_INFO, FAIL, CheckResult, Scorecard, build_scorecard

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: How many failing checks the "top risks" section explains.
TOP_RISKS = 5


@dataclass
class RuleGroup:
    """One rule's findings, worst first; suppressed findings last."""

    rule: Rule
    findings: list[Finding] = field(default_factory=list)

    @property
    def worst(self) -> Severity:
        active = [f.severity for f in self.findings if not f.suppressed]
        return max(active, default=Severity.INFO)


@dataclass
class CheckGroup:
    """The findings of one launch-readiness check, by rule."""

    row: CheckResult
    rules: list[RuleGroup]


@dataclass
class Risk:
    """A failing check explained in plain words, with the rules behind it."""

    row: CheckResult
    worst: Severity
    causes: list[tuple[str, int]]


def _groups(result: ScanResult, scorecard: Scorecard) -> list[CheckGroup]:
    rows = {row.check: row for row in scorecard.checks}
    by_check: dict[str, dict[str, RuleGroup]] = {check: {} for check in CHECKS}
    for finding in result.findings:
        rules = by_check.setdefault(finding.check, {})
        group = rules.get(finding.rule_id) or rules.setdefault(
            finding.rule_id, RuleGroup(result.registry.get(finding.rule_id)))
        group.findings.append(finding)
    groups = []
    for check, rules in by_check.items():
        if not rules:
            continue
        for group in rules.values():
            group.findings.sort(key=lambda f: (f.suppressed, -f.severity, f.location.path, f.location.line))
        ordered = sorted(rules.values(), key=lambda g: (-g.worst, g.rule.id))
        groups.append(CheckGroup(rows[check], ordered))
    groups.sort(key=lambda g: (g.row.status != FAIL, CHECKS.index(g.row.check)))
    return groups


def _risks(groups: list[CheckGroup]) -> list[Risk]:
    risks = []
    for group in groups:
        if group.row.status != FAIL:
            continue
        causes = Counter()
        for rule_group in group.rules:
            causes[rule_group.rule.title] += sum(1 for f in rule_group.findings if not f.suppressed)
        worst = max(g.worst for g in group.rules)
        risks.append(Risk(group.row, worst, [c for c in causes.most_common() if c[1]]))
    risks.sort(key=lambda r: (-r.worst, -r.row.failing))
    return risks[:TOP_RISKS]


_SECTION = re.compile(r"^\s*(What it does|Why it matters):\s*", re.I | re.M)


def split_description(text: str) -> tuple[str, str]:
    """(what it does, why it matters) from a rule description written in those two sections.

    A description without the "Why it matters:" marker is returned whole as the first part.
    """
    parts = _SECTION.split(text)
    if len(parts) == 1:
        return text.strip(), ""
    sections = {label.lower(): body.strip() for label, body in zip(parts[1::2], parts[2::2], strict=True)}
    what = " ".join(filter(None, [parts[0].strip(), sections.get("what it does", "")]))
    return what, sections.get("why it matters", "")


def prose(text: str) -> str:
    """Escaped text as HTML paragraphs, with `backticks` as <code> (escaping happens first)."""
    from markupsafe import Markup, escape

    escaped = str(escape(text.strip()))
    escaped = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", escaped) if p.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in paragraphs))


def _when(iso: str) -> str:
    """``2026-11-29T01:26:17+00:00`` -> ``2026-11-29 01:26 UTC`` (other offsets are kept)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = "UTC" if moment.utcoffset() == timedelta(0) else moment.strftime("UTC%z")
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


def _handover(result: ScanResult) -> dict[str, list[dict[str, Any]]]:
    """The environment inventory split for the handover table: secrets first, the other names after."""
    rows = result.tables.get("env_inventory", [])
    return {"rows": rows, "secrets": [r for r in rows if r["secret"]], "others": [r for r in rows if not r["secret"]]}


def report_context(result: ScanResult) -> dict[str, Any]:
    """Everything the template shows, computed here so the template only lays it out."""
    scorecard = build_scorecard(result)
    groups = _groups(result, scorecard)
    return {
        "result": result,
        "project": Path(result.root).name or result.root,
        "scanned_at": _when(result.started_at),
        "version": __version__,
        "scorecard": scorecard,
        "counts": result.severity_counts(),
        "suppressed": len(result.findings) - len(result.active),
        "groups": groups,
        "risks": _risks(groups),
        "check_info": CHECK_INFO,
        "checks": CHECKS,
        "severities": [s.label for s in sorted(Severity, reverse=True)],
        "configuration": configuration_header(result),
        "audit": audit_header(result),
        "mechanisms": MECHANISMS,
        "provenance_text": PROVENANCE_TEXT,
        "handover": _handover(result),
        "status_label": {"pass": "Pass", "fail": "Fail", "no-issue-found": "No issue found",
                         "not-checked": "Not checked"},
    }


class HtmlReporter:
    """Render a scan as a self-contained HTML audit report."""

    name = "html"

    def __init__(self, *, verbose: bool = False, color: bool = False):
        self.verbose = verbose

    def render(self, result: ScanResult) -> str:
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters["prose"] = prose
        env.globals["split_description"] = split_description
        env.globals["settings_text"] = settings_text
        return env.get_template("report.html.j2").render(**report_context(result))
