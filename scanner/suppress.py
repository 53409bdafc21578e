"""Inline suppressions: ``launchready: ignore`` or ``launchready: ignore[rule-a, rule-b]``.

The comment may stand on the finding's line or on the line above it, in any comment syntax.
Text after the directive (``-- reason``) is kept as the suppression's reason.
"""

from __future__ import annotations

import re

from scanner.model import Suppression

_DIRECTIVE = re.compile(
    r"launchready:\s*ignore(?:\[(?P<rules>[^\]]*)\])?(?:\s*(?:--|:|-)?\s*(?P<reason>[^\n]*?))?\s*(?:\*/|-->)?\s*$"
)


def inline_suppression(lines: list[str], line: int, rule_id: str) -> Suppression | None:
    """The inline suppression covering ``rule_id`` at 1-based ``line``, if any."""
    for number in (line, line - 1):
        if 1 <= number <= len(lines) and "launchready" in lines[number - 1]:
            match = _DIRECTIVE.search(lines[number - 1])
            if not match:
                continue
            listed = match.group("rules")
            if listed is not None:
                ids = {part.strip() for part in listed.split(",") if part.strip()}
                if rule_id not in ids:
                    continue
            return Suppression("inline", (match.group("reason") or "").strip())
    return None
