"""Inline suppressions: ``launchready: ignore`` or ``launchready: ignore[rule-a, rule-b]``.

A suppression comment covers the statement it is attached to, in any comment syntax:

- at the end of the finding's own line, when that line is an ordinary line of code (at most
  ``SAME_LINE_LIMIT`` characters): one trailing comment on a one-line minified bundle does not hide every
  finding in the bundle;
- alone or trailing on the line directly above the finding, under the same length limit.

Suppression comments never count in build output or minified files (``paths.is_build_output``,
``paths.looks_minified``): nobody writes those by hand, and a comment copied into them by a bundler
says nothing about the code around it.

Text after the directive (``-- reason``) is kept as the suppression's reason.
"""

from __future__ import annotations

import re

from scanner.model import Suppression
from scanner.paths import is_build_output, looks_minified

_DIRECTIVE = re.compile(
    r"launchready:\s*ignore(?:\[(?P<rules>[^\]]*)\])?(?:\s*(?:--|:|-)?\s*(?P<reason>[^\n]*?))?\s*(?:\*/|-->)?\s*$"
)

#: Longest line whose suppression comment counts: longer lines are generated or hold many statements.
SAME_LINE_LIMIT = 500


def inline_suppression(lines: list[str], line: int, rule_id: str, path: str = "") -> Suppression | None:
    """The inline suppression covering ``rule_id`` at 1-based ``line`` of the file ``path``, if any."""
    for number in (line, line - 1):
        if not 1 <= number <= len(lines):
            continue
        text = lines[number - 1]
        if "launchready" not in text or len(text) > SAME_LINE_LIMIT:
            continue
        match = _DIRECTIVE.search(text)
        if not match:
            continue
        listed = match.group("rules")
        if listed is not None:
            ids = {part.strip() for part in listed.split(",") if part.strip()}
            if rule_id not in ids:
                continue
        if is_build_output(path) or looks_minified(lines):  # only now: most lines hold no directive
            return None
        return Suppression("inline", (match.group("reason") or "").strip())
    return None
