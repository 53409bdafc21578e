"""Provider secret detection driven by the ``kind: secret`` rules.

Each rule's literal keywords act as a cheap prefilter: the rule's regex only runs on artifacts
that contain one of them (case-insensitively). The secret is the regex's ``secret`` group. Optional
rule settings: ``entropy`` (minimum Shannon bits per character), ``paths`` (gitignore-style patterns:
the rule only reads matching files, e.g. ``.npmrc``) and ``allow`` (regexes of known-safe values).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from scanner.detectors.base import Context, Detector, Hit
from scanner.model import Artifact, Rule


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s character distribution."""
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


class SecretsDetector(Detector):
    """Implements every ``kind: secret`` rule."""

    rule_kind = "secret"

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        lowered = artifact.text.lower()
        for rule in self.rules.values():
            paths = rule.options.get("paths")
            if paths is not None and not paths.match_file(artifact.path):
                continue
            if any(keyword.lower() in lowered for keyword in rule.options["keywords"]):
                yield from self._matches(rule, artifact, ctx)

    def _matches(self, rule: Rule, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        minimum = rule.options.get("entropy")
        allowed = rule.options["allow"]
        for match in rule.options["regex"].finditer(artifact.text):
            secret = match.group("secret")
            if not secret or (minimum is not None and shannon_entropy(secret) < minimum):
                continue
            if any(pattern.search(secret) for pattern in allowed):
                continue
            start, end = match.span("secret")
            yield ctx.finding(rule.id, ctx.span(start, end), secret=secret,
                              message=f"{rule.title} found")
