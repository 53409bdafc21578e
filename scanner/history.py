"""History aggregation: one finding per secret, however many commits and paths it appears in.

A secret shows up once per commit that adds it (first introduced, re-added after a revert, brought in
again by a merge's first-parent diff), and once per path it is copied to: a renamed file, a bundle
rebuilt under a new content hash (``main.09a17aff.js``, ``main.0e22bffb.js``), the same example pasted
into three docs pages. This step folds all findings of the same rule and secret hash into the one from
the introducing (oldest) commit and records:

- in its origin, how many commits it appeared in and whether any file still holds the secret at HEAD
  (the engine answers that by running the same detectors over the HEAD blob in memory and comparing
  secret hashes, so encoded secrets count too and no raw secret is kept);
- in its evidence, every path (``paths``) and commit (``commits``, oldest first) it was seen in, when
  there is more than one, and ``path_at_head`` when the reported file was renamed since;
- as its confidence, the highest of its occurrences': a value that only ever appeared in tests, docs or
  examples stays low, one that also reached product code is not.

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
    """Fold history findings per (rule, secret hash) across commits and paths; other findings pass through.

    ``findings`` come newest commit first, so on equal dates the later one is the older commit.
    """
    groups: dict[tuple[str, str], list[Finding]] = {}
    result: list[Finding] = []
    for finding in findings:
        if finding.origin.kind != "history" or finding.secret_hash is None:
            result.append(finding)
            continue
        groups.setdefault((finding.rule_id, finding.secret_hash), []).append(finding)
    at_head: dict[str, Collection[tuple[str, str]]] = {}

    def present(path: str, rule_id: str, hashed: str) -> bool:
        head_path = locate(path)
        if head_path is None:
            return False
        if head_path not in at_head:
            at_head[head_path] = secrets_at_head(head_path)
        return (rule_id, hashed) in at_head[head_path]

    for (rule_id, hashed), group in groups.items():
        by_age = sorted(reversed(group), key=_age_key)  # stable: equal dates keep the older commit first
        oldest = by_age[0]
        paths = list(dict.fromkeys(f.location.path for f in by_age))
        commits = list(dict.fromkeys(f.origin.commit for f in by_age if f.origin.commit))
        evidence = dict(oldest.evidence)
        head_path = locate(oldest.location.path)
        if head_path not in (None, oldest.location.path):
            evidence["path_at_head"] = head_path
        if len(paths) > 1:
            evidence["paths"] = tuple(paths)
        if len(commits) > 1:
            evidence["commits"] = tuple(commits)
        origin = replace(oldest.origin, present_at_head=any(present(p, rule_id, hashed) for p in paths),
                         commit_count=len(commits) or 1)
        confidence = max(f.confidence for f in group)
        result.append(replace(oldest, origin=origin, evidence=frozen_mapping(evidence), confidence=confidence))
    return result
