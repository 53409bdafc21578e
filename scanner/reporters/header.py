"""The report header every format shows: where the configuration came from and, in an audit, what the
scanned repository would have hidden, what was scanned and what was not.

One place computes it (as plain data); JSON puts it under ``scan.configuration`` and ``audit``, SARIF in
the run's properties, text and HTML lay the same data out. A configuration read from the scanned tree is
always named with what it turns off, so a repository cannot quietly configure its own scan.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scanner.result import ScanResult

#: What each kind of repository suppression means (the keys of ``audit.suppressed_by_repository``).
MECHANISMS = {
    "config-disable": "rule disabled by the repository's configuration",
    "config-exclude": "path excluded by the repository's configuration",
    "config-severity": "severity lowered by the repository's configuration",
    "config-size-limit": "file over the repository's max_file_size",
    "inline": "inline 'launchready: ignore' comment",
    "baseline": "listed in the repository's baseline",
    "config-other": "not reported under the repository's configuration (public_routes, tenant keys or models)",
}
PROVENANCE_TEXT = {
    "default": "defaults (no configuration file)",
    "repository": "from the scanned repository",
    "external": "from outside the scanned tree",
}
#: Items of a list shown in text before "and N more".
TEXT_LIST_LIMIT = 10


def configuration_header(result: ScanResult) -> dict[str, Any]:
    """Where the scan's configuration came from and what it turns off or lowers."""
    config = result.config
    return {"provenance": config.provenance, "source": config.source or None, **config.what_it_changes()}


def audit_header(result: ScanResult) -> dict[str, Any] | None:
    """The audit's account (None for an ordinary scan)."""
    audit = result.audit
    if audit is None:
        return None
    from scanner.scorecard import build_scorecard

    marked = [f for f in result.findings if f.repository_suppressions]
    scorecard = build_scorecard(result)
    return {
        "repository_config": audit.repository_config or None,
        "repository_config_error": audit.repository_config_error or None,
        "repository_settings": audit.repository_settings,
        "baselines": list(audit.baselines),
        "baseline_errors": list(audit.baseline_errors),
        "suppressed_by_repository": {"findings": len(marked), "by_mechanism": result.repository_suppressed()},
        "scanned": {"sources": list(audit.scanned), "files": audit.files_scanned, "commits": audit.commits_scanned,
                    "rules": len(result.rules_run)},
        "not_scanned": {
            "sources": list(audit.not_scanned),
            "skipped_by_reason": dict(sorted(Counter(n.reason for n in result.skipped).items())),
            "checks_not_examined": [row.check for row in scorecard.with_status("not-checked")],
        },
    }


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:TEXT_LIST_LIMIT])
    more = len(items) - TEXT_LIST_LIMIT
    return f"{shown}, and {more} more (all in the JSON report)" if more > 0 else shown


def settings_text(settings: dict[str, Any]) -> str:
    """``disables 3 rules (a, b, c); excludes 1 path pattern (**); lowers ...`` for a configuration."""
    parts = []
    if settings.get("disable"):
        parts.append(f"disables {len(settings['disable'])} rule(s) ({_listed(settings['disable'])})")
    if settings.get("exclude"):
        parts.append(f"excludes {len(settings['exclude'])} path pattern(s) ({_listed(settings['exclude'])})")
    if settings.get("severity"):
        overrides = [f"{rule}={level}" for rule, level in settings["severity"].items()]
        parts.append(f"overrides the severity of {len(overrides)} rule(s) ({_listed(overrides)})")
    for key in ("fail_on", "max_file_size", "public_routes", "tenant_keys", "owner_keys", "tenant_models"):
        if key in settings:
            value = settings[key]
            parts.append(f"{key} = {_listed(value) if isinstance(value, list) else value}")
    return "; ".join(parts) or "changes nothing that hides findings"


def configuration_lines(result: ScanResult) -> list[str]:
    """Text lines about the configuration: none for defaults (the usual case stays quiet)."""
    header = configuration_header(result)
    if header["provenance"] == "default":
        return []
    settings = {k: v for k, v in header.items() if k not in ("provenance", "source")}
    return [f"configuration {PROVENANCE_TEXT[header['provenance']]}: {header['source']}: {settings_text(settings)}"]


def audit_lines(result: ScanResult) -> list[str]:
    """Text lines of an audit's header."""
    header = audit_header(result)
    if header is None:
        return []
    lines = [f"AUDIT of {result.root}: the repository's own configuration, inline suppressions and baselines "
             "were ignored; what they would have hidden is counted and marked."]
    if header["repository_config"]:
        lines.append(f"  repository configuration {header['repository_config']}: "
                     f"{settings_text(header['repository_settings'])}")
    if header["repository_config_error"]:
        lines.append(f"  repository configuration unreadable: {header['repository_config_error']}")
    if header["baselines"]:
        lines.append(f"  repository baselines: {', '.join(header['baselines'])}")
    lines += [f"  repository baseline unreadable: {error}" for error in header["baseline_errors"]]
    hidden = header["suppressed_by_repository"]
    by_mechanism = ", ".join(f"{n} {kind}" for kind, n in hidden["by_mechanism"].items())
    lines.append(f"  suppressed by the repository: {hidden['findings']} finding(s) would have been hidden or lowered"
                 + (f" ({by_mechanism})" if by_mechanism else ""))
    scanned = header["scanned"]
    lines.append(f"  scanned: {'; '.join(scanned['sources'])}; {scanned['rules']} rules")
    not_scanned = header["not_scanned"]
    skipped = ", ".join(f"{n} {reason}" for reason, n in not_scanned["skipped_by_reason"].items())
    missing = [*not_scanned["sources"], *([f"skipped paths: {skipped}"] if skipped else []),
               *([f"checks not examined: {', '.join(not_scanned['checks_not_examined'])}"]
                 if not_scanned["checks_not_examined"] else [])]
    lines.append(f"  not scanned: {'; '.join(missing) if missing else 'nothing left out'}")
    return lines
