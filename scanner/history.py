"""History aggregation: one finding per secret per file, however many commits it appears in.

A secret that lives in a file for a hundred commits shows up once per commit that adds it (first
introduced, re-added after a revert, brought in again by a merge's first-parent diff). This step
folds all findings of the same rule, path and secret hash into the one from the introducing (oldest)
commit, and records in its origin how many commits it appeared in and whether the file still holds
the secret at HEAD. The engine answers that by running the same detectors over the HEAD blob in
memory and comparing secret hashes, so encoded secrets count too and no raw secret is kept.
Fingerprints do not include the commit, so a history finding matches the same worktree finding in a
baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from datetime import datetime

from scanner.model import Finding, frozen_mapping

#: Where a path lives at HEAD (following renames), or None when it is gone.
Locate = Callable[[str], "str | None"]
#: The (rule id, secret hash) pairs found in a file at HEAD.
SecretsAtHead = Callable[[str], Collection[tuple[str, str]]]


def _age_key(finding: Finding) -> float:
    return datetime.fromisoformat(finding.origin.date).timestamp() if finding.origin.date else float("inf")


def aggregate_history(findings: Iterable[Finding], locate: Locate, secrets_at_head: SecretsAtHead) -> list[Finding]:
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
    at_head: dict[str, Collection[tuple[str, str]]] = {}
    for (rule_id, path, hashed), group in groups.items():
        oldest = min(reversed(group), key=_age_key)
        head_path = locate(path)
        if head_path is not None and head_path not in at_head:
            at_head[head_path] = secrets_at_head(head_path)
        present = head_path is not None and (rule_id, hashed) in at_head[head_path]
        evidence = dict(oldest.evidence)
        if head_path not in (None, path):
            evidence["path_at_head"] = head_path
        origin = replace(oldest.origin, present_at_head=present, commit_count=len({f.origin.commit for f in group}))
        result.append(replace(oldest, origin=origin, evidence=frozen_mapping(evidence)))
    return result
