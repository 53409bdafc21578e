"""Machine-readable output. The shape is versioned and described by ``report.schema.json``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from scanner.model import Finding
from scanner.reporters.header import audit_header, configuration_header
from scanner.result import ScanResult
from scanner.scorecard import build_scorecard

#: Bump the major version on any incompatible change to the document's shape.
#: 1.1 adds ``scorecard`` (the launch-readiness checks and verdict), ``scan.rules_applied`` and
#: ``location.excerpt``; 1.2 the ``no-issue-found`` status, ``scorecard.counts`` and each check's ``summary``,
#: ``examined`` and ``not_checked_reason``; 1.3 ``scan.configuration`` (where the configuration came from and
#: what it turns off), ``audit`` (auditor mode's header), each finding's ``repository_suppressions`` and
#: ``env_inventory`` (every environment variable the project reads, never a value).
SCHEMA_VERSION = "1.3"


def finding_to_dict(finding: Finding, result: ScanResult) -> dict[str, Any]:
    rule = result.registry.get(finding.rule_id)
    return {
        "rule_id": finding.rule_id,
        "title": rule.title,
        "message": finding.message,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "check": finding.check,
        "cwe": list(rule.cwe),
        "owasp": list(rule.owasp),
        "location": asdict(finding.location),
        "origin": asdict(finding.origin),
        "fingerprint": finding.fingerprint,
        "secret_hash": finding.secret_hash,
        "evidence": dict(finding.evidence),
        "suppression": asdict(finding.suppression) if finding.suppression else None,
        "repository_suppressions": [asdict(s) for s in finding.repository_suppressions],
    }


def result_to_dict(result: ScanResult) -> dict[str, Any]:
    """The whole report as plain JSON-ready data."""
    from scanner import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "launchready", "version": __version__},
        "scan": {
            "root": result.root,
            "sources": result.sources,
            "started_at": result.started_at,
            "duration_seconds": result.duration_seconds,
            "artifacts_scanned": result.artifacts_scanned,
            "rules_run": len(result.rules_run),
            "rules_applied": len(result.rules_applied),
            "configuration": configuration_header(result),
        },
        "audit": audit_header(result),
        "summary": {
            "total": len(result.active),
            "suppressed": len(result.findings) - len(result.active),
            "by_severity": result.severity_counts(),
        },
        "scorecard": build_scorecard(result).to_dict(),
        "findings": [finding_to_dict(f, result) for f in result.findings],
        "skipped": [asdict(n) for n in result.skipped],
        "warnings": [asdict(n) for n in result.warnings],
        "stats": result.stats,
        "env_inventory": result.tables.get("env_inventory", []),
    }


class JsonReporter:
    name = "json"

    def __init__(self, *, verbose: bool = False, color: bool = False):
        self.verbose = verbose

    def render(self, result: ScanResult) -> str:
        return json.dumps(result_to_dict(result), indent=2, ensure_ascii=False) + "\n"
