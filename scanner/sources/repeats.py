"""One finding per secret across generated copies: the same key in five content-hashed chunks, in a
source map and in the original file it embeds, or in a CI job's log and its step's log, is one finding
that lists every place it was seen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from scanner.model import Finding, frozen_mapping

#: How many other places a finding's message names before saying "and N more".
NAMED_IN_MESSAGE = 2


def where(finding: Finding) -> str:
    location = finding.location
    return f"{location.path}:{location.line}:{location.column}"


def fold_repeats(findings: list[Finding], kind: str, rank: Callable[[Finding], Any],
                 extra: Callable[[Finding], Mapping[str, Any]] | None = None) -> list[Finding]:
    """Fold findings of origin ``kind`` that report the same secret under the same rule into the one
    ``rank`` puts first; its evidence gets ``locations`` (every place, sorted) and its message names the
    others. ``extra`` adds evidence to every finding of that kind. Other findings pass unchanged."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    result: list[Finding] = []
    for finding in findings:
        if finding.origin.kind != kind:
            result.append(finding)
        elif finding.secret_hash is None:
            result.append(_with_evidence(finding, extra(finding) if extra else {}))
        else:
            groups.setdefault((finding.rule_id, finding.secret_hash), []).append(finding)
    for group in groups.values():
        primary = min(group, key=rank)
        evidence = dict(extra(primary) if extra else {})
        others = sorted({where(f) for f in group} - {where(primary)})
        message = primary.message
        if others:
            evidence["locations"] = sorted({where(f) for f in group})
            named = ", ".join(others[:NAMED_IN_MESSAGE])
            more = f" and {len(others) - NAMED_IN_MESSAGE} more" if len(others) > NAMED_IN_MESSAGE else ""
            message = f"{message}; also at {named}{more}"
        severity = max(f.severity for f in group)
        result.append(replace(_with_evidence(primary, evidence), message=message, severity=severity))
    return result


def merge_same_place(findings: list[Finding], kind: str, prefer: Callable[[Finding], Any]) -> list[Finding]:
    """Findings of origin ``kind`` that report the same secret at the same place under different rules (a
    GitHub token that a provider rule and an environment-dump rule both see) become one: the one ``prefer``
    ranks highest, whose message adds the others' and whose evidence names their rules (``also``)."""
    places: dict[tuple, list[Finding]] = {}
    result: list[Finding] = []
    for finding in findings:
        if finding.origin.kind != kind or finding.secret_hash is None:
            result.append(finding)
        else:
            places.setdefault((where(finding), finding.secret_hash), []).append(finding)
    for group in places.values():
        kept = max(group, key=prefer)
        others = [f for f in group if f is not kept]
        if others:
            message = "; ".join([kept.message, *(f.message for f in others)])
            kept = replace(_with_evidence(kept, {"also": sorted(f.rule_id for f in others)}), message=message,
                           severity=max(f.severity for f in group))
        result.append(kept)
    return result


def _with_evidence(finding: Finding, evidence: Mapping[str, Any]) -> Finding:
    if not evidence:
        return finding
    return replace(finding, evidence=frozen_mapping({**finding.evidence, **evidence}))
