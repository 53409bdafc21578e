"""History aggregation: one finding per secret per file, however many commits it appears in.

A secret that lives in a file for a hundred commits shows up once per commit that adds it (first
introduced, re-added after a revert, brought in again by a merge's first-parent diff). This step
folds all findings of the same rule, path and secret hash into the one from the introducing (oldest)
commit, and records in its origin how many commits it appeared in and whether the file still holds
the secret at HEAD. That check re-runs the rule on the HEAD blob in memory and compares hashes, so
no raw secret is kept. Fingerprints do not include the commit, so a history finding matches the same
worktree finding in a baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from scanner.model import Finding, frozen_mapping
from scanner.redact import secret_hash
from scanner.rules import Registry


class Head(Protocol):
    """What aggregation needs to know about HEAD (see ``scanner.sources.git_history.HeadView``)."""

    def path_at_head(self, path: str) -> str | None: ...

    def text(self, path: str) -> str | None: ...


def _age_key(finding: Finding) -> float:
    return datetime.fromisoformat(finding.origin.date).timestamp() if finding.origin.date else float("inf")


def aggregate_history(findings: Iterable[Finding], registry: Registry, head: Head) -> list[Finding]:
    """Fold history findings per (rule, path, secret); other findings pass through unchanged.

    ``findings`` come newest commit first, so on equal dates the later one is the older commit.
    """
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    result: list[Finding] = []
    for finding in findings:
        if finding.origin.kind != "history" or finding.secret_hash is None:
            result.append(finding)
            continue
        groups.setdefault((finding.rule_id, finding.location.path, finding.secret_hash), []).append(finding)
    for group in groups.values():
        oldest = min(reversed(group), key=_age_key)
        commits = {f.origin.commit for f in group}
        present, path_at_head = _present_at_head(oldest, registry, head)
        evidence = dict(oldest.evidence)
        if path_at_head not in (None, oldest.location.path):
            evidence["path_at_head"] = path_at_head
        origin = replace(oldest.origin, present_at_head=present, commit_count=len(commits))
        result.append(replace(oldest, origin=origin, evidence=frozen_mapping(evidence)))
    return result


def _present_at_head(finding: Finding, registry: Registry, head: Head) -> tuple[bool, str | None]:
    path = head.path_at_head(finding.location.path)
    text = head.text(path) if path is not None else None
    if text is None:
        return False, path
    regex = registry.get(finding.rule_id).options["regex"]
    present = any(secret_hash(m.group("secret") or "") == finding.secret_hash for m in regex.finditer(text))
    return present, path
