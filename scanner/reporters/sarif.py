"""SARIF 2.1.0 for GitHub code scanning, built as plain dicts.

One run. ``tool.driver.rules`` holds every rule that ran (plus any rule a finding refers to) with
help text and markdown, tags (security, CWE, OWASP, the launch-readiness check), precision and
``security-severity``. Results carry a repository-relative location under ``%SRCROOT%``, the
redacted snippet and excerpt (``contextRegion``) only, our stable fingerprint in
``partialFingerprints``, the commit of history findings, and suppressions (inline -> ``inSource``,
baseline -> ``external``) instead of being dropped; in an audit, what the scanned repository would have
hidden is ``properties.suppressedByRepository`` (the result still counts). Skipped files become
``toolExecutionNotifications``; the launch-readiness scorecard is in ``run.properties.scorecard`` (the
JSON report's shape and states), with ``configuration`` (where it came from, what it turns off) and, in an
audit, ``audit``. GitHub's upload limits are enforced: when exceeded, the most severe
results are kept and a notification says what was left out.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model import Confidence, Finding, Notice, Rule, Severity
from scanner.reporters.header import audit_header, configuration_header
from scanner.result import ScanResult
from scanner.scorecard import build_scorecard

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/launchready/launchready"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "launchready/v1"

#: Our severities on GitHub's security-severity bands (critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low < 4).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
SUPPRESSION_KIND = {"inline": "inSource", "baseline": "external"}


@dataclass(frozen=True)
class Limits:
    """GitHub code scanning's upload limits (per run)."""

    results: int = 25_000
    rules: int = 25_000
    tags: int = 20
    description_chars: int = 1_024
    gzipped_bytes: int = 10 * 1024 * 1024


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _tags(rule: Rule, limit: int) -> list[str]:
    tags = ["security", f"launchready/check/{rule.check}"]
    tags += [f"external/cwe/{cwe.lower()}" for cwe in rule.cwe]
    tags += [f"external/owasp/{item}" for item in rule.owasp]
    return tags[:limit]


def _help_markdown(rule: Rule) -> str:
    parts = [f"## {rule.title}", "", rule.description, "", "### How to fix", "", rule.remediation]
    if rule.cwe or rule.owasp:
        parts += ["", "**Maps to:** " + ", ".join([*rule.cwe, *rule.owasp])]
    if rule.references:
        parts += ["", "### References", "", *(f"- <{ref}>" for ref in rule.references)]
    return "\n".join(parts)


def rule_descriptor(rule: Rule, limits: Limits) -> dict[str, Any]:
    """A SARIF ``reportingDescriptor`` for one of our rules."""
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.id),
        "shortDescription": {"text": _truncate(rule.title, limits.description_chars)},
        "fullDescription": {"text": _truncate(rule.description, limits.description_chars)},
        "help": {
            "text": f"{rule.description}\n\nHow to fix: {rule.remediation}",
            "markdown": _help_markdown(rule),
        },
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": _tags(rule, limits.tags),
            "precision": PRECISION[rule.confidence],
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
    return descriptor


def repository_root(scan_root: Path) -> Path:
    """The git work tree holding ``scan_root`` (the folder itself when it is not in one).

    GitHub resolves result URIs against the repository root, so a scan of a subfolder must report
    ``services/api/app.py``, not ``app.py``.
    """
    for folder in (scan_root, *scan_root.parents):
        if (folder / ".git").exists():
            return folder
    return scan_root


def _artifact_location(path: str, prefix: str) -> dict[str, str]:
    return {"uri": quote(prefix + path, safe="/"), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    region: dict[str, Any] = {"startLine": loc.line, "startColumn": loc.column}
    end_line = loc.end_line or loc.line
    region["endLine"] = end_line
    if loc.end_column and (end_line > loc.line or loc.end_column > loc.column):
        region["endColumn"] = loc.end_column
    if loc.snippet:
        region["snippet"] = {"text": loc.snippet}
    return region


def _context_region(finding: Finding) -> dict[str, Any] | None:
    """The redacted excerpt around the finding, when its lines are contiguous (diff hunks may not be)."""
    excerpt = finding.location.excerpt
    numbers = [n for n, _ in excerpt]
    if not excerpt or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    return {"startLine": numbers[0], "endLine": numbers[-1],
            "snippet": {"text": "\n".join(text for _, text in excerpt)}}


def _result(finding: Finding, rule_index: int, prefix: str) -> dict[str, Any]:
    origin = finding.origin
    properties: dict[str, Any] = {
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "check": finding.check,
        "origin": origin.kind,
    }
    if origin.commit:
        properties.update(commit=origin.commit, author=origin.author, date=origin.date)
        if origin.present_at_head is not None:
            properties["presentAtHead"] = origin.present_at_head
    if finding.evidence:
        properties["evidence"] = {k: v if isinstance(v, (str, int, float, bool)) else
                                  list(v) if isinstance(v, (list, tuple)) else str(v)
                                  for k, v in finding.evidence.items()}
    physical: dict[str, Any] = {
        "artifactLocation": _artifact_location(finding.location.path, prefix),
        "region": _region(finding),
    }
    context = _context_region(finding)
    if context:
        physical["contextRegion"] = context
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if finding.repository_suppressions:  # audit: counted, so not a SARIF suppression (GitHub would hide it)
        properties["suppressedByRepository"] = [
            {"kind": s.kind, "reason": s.reason} for s in finding.repository_suppressions]
    if finding.suppression is not None:
        suppression: dict[str, Any] = {"kind": SUPPRESSION_KIND[finding.suppression.kind], "status": "accepted"}
        if finding.suppression.reason:
            suppression["justification"] = finding.suppression.reason
        result["suppressions"] = [suppression]
    return result


def _notification(notice: Notice, level: str, prefix: str) -> dict[str, Any]:
    detail = f": {notice.detail}" if notice.detail else ""
    return {
        "level": level,
        "message": {"text": f"{notice.path}: {notice.reason}{detail}"},
        "descriptor": {"id": notice.reason},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact_location(notice.path, prefix)}}],
    }


def _run_notice(text: str, descriptor: str) -> dict[str, Any]:
    return {"level": "warning", "message": {"text": text}, "descriptor": {"id": descriptor}}


def _serialise(log: dict[str, Any]) -> str:
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _gzipped_size(log: dict[str, Any]) -> int:
    """The size GitHub checks: the rendered file, gzipped."""
    return len(gzip.compress(_serialise(log).encode("utf-8")))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "scan"


def automation_id(result: ScanResult) -> str:
    """``launchready/<sources>-<folder>/``: one category per kind of scan and folder, so uploads coexist."""
    return f"launchready/{_slug('-'.join(result.sources))}-{_slug(Path(result.root).name)}/"


def _run_properties(result: ScanResult) -> dict[str, Any]:
    properties: dict[str, Any] = {"scorecard": build_scorecard(result).to_dict(),
                                  "configuration": configuration_header(result)}
    audit = audit_header(result)
    if audit is not None:
        properties["audit"] = audit
    return properties


class SarifReporter:
    """Render a scan as a SARIF 2.1.0 log that GitHub code scanning accepts."""

    name = "sarif"

    def __init__(self, *, verbose: bool = False, color: bool = False, limits: Limits | None = None):
        self.limits = limits or Limits()

    def render(self, result: ScanResult) -> str:
        return _serialise(self.to_dict(result))

    def to_dict(self, result: ScanResult) -> dict[str, Any]:
        notices: list[dict[str, Any]] = []
        findings = self._most_severe(result.findings, self.limits.results, notices, "results")
        rules = self._rules(result, findings, notices)
        log = self._log(result, findings, rules, notices)
        # Shrink until the gzipped upload fits, keeping the most severe results (in proportion to the excess).
        size = _gzipped_size(log)
        while size > self.limits.gzipped_bytes and findings:
            keep = min(len(findings) - 1, int(len(findings) * self.limits.gzipped_bytes / size * 0.9))
            findings = self._most_severe(findings, keep, notices, "gzipped size")
            log = self._log(result, findings, rules, notices)
            size = _gzipped_size(log)
        return log

    def _most_severe(self, findings: list[Finding], keep: int, notices: list[dict[str, Any]],
                     limit_name: str) -> list[Finding]:
        if len(findings) <= keep:
            return findings
        ranked = sorted(findings, key=lambda f: (f.suppressed, -f.severity))
        kept = ranked[:keep]
        notices.append(_run_notice(
            f"GitHub's {limit_name} limit: kept the {keep} most severe of {len(findings)} results; "
            f"the full list is in the JSON report.", "truncated"))
        return sorted(kept, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))

    def _rules(self, result: ScanResult, findings: list[Finding], notices: list[dict[str, Any]]) -> list[Rule]:
        wanted = set(result.rules_run) | {f.rule_id for f in findings}
        rules = [rule for rule in result.registry if rule.id in wanted]
        if len(rules) > self.limits.rules:
            used = {f.rule_id for f in findings}
            rules = sorted(rules, key=lambda r: (r.id not in used, -r.severity))[: self.limits.rules]
            notices.append(_run_notice(f"GitHub's rules limit: listed {len(rules)} rules, those with results "
                                       "first.", "truncated"))
        return rules

    def _log(self, result: ScanResult, findings: list[Finding], rules: list[Rule],
             notices: list[dict[str, Any]]) -> dict[str, Any]:
        index = {rule.id: i for i, rule in enumerate(rules)}
        limits = self.limits
        scan_root = Path(result.root).absolute()
        repo_root = repository_root(scan_root)
        prefix = scan_root.relative_to(repo_root).as_posix() + "/" if scan_root != repo_root else ""
        invocation: dict[str, Any] = {
            "executionSuccessful": True,
            "startTimeUtc": result.started_at,
            "toolExecutionNotifications": [
                *notices,
                *(_notification(n, "note", prefix) for n in result.skipped),
                *(_notification(n, "warning", prefix) for n in result.warnings),
            ],
        }
        root_uri = repo_root.as_uri().rstrip("/") + "/"
        return {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "launchready",
                    "semanticVersion": __version__,
                    "version": __version__,
                    "informationUri": INFORMATION_URI,
                    "rules": [rule_descriptor(rule, limits) for rule in rules],
                }},
                "automationDetails": {"id": automation_id(result)},
                "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.rule_id], prefix) for f in findings if f.rule_id in index],
                # the launch-readiness scorecard, the same states as the JSON report's (pass only on evidence);
                # where the configuration came from, and an audit's header (the JSON report's shapes)
                "properties": _run_properties(result),
            }],
        }
