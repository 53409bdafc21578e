"""One multi-pattern pass over an artifact tells which secret rules can match, and where.

All rules' keywords go into one Aho-Corasick automaton (``pyahocorasick``), searched once over the
lowercased text, so the cost of the pass does not grow with the number of rules. Each keyword hit
opens a *candidate window* from BEFORE characters before it to AFTER after it (MULTILINE_AFTER for
rules whose matches span lines, such as PEM keys); overlapping windows merge, and each merged window is
widened to a line start and a token break. A rule's regex runs only inside its windows, never over the
whole text. Rules with ``anchored: true`` (their matches begin with a keyword, like the generic
assignment rules) are tried only *at* each keyword hit (``regex.match``).

Why Aho-Corasick rather than Hyperscan: docs/architecture.md, "Secrets pipeline".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: Characters kept before a keyword hit: a keyword may sit inside the secret (OpenAI's marker, ~210 in).
BEFORE = 320
#: Characters kept after a keyword hit (a key name, an operator, the value, often on the next line);
#: ``multiline`` rules get MULTILINE_AFTER.
AFTER = 768
MULTILINE_AFTER = 16384
#: End of an anchored rule's window: the regex is only tried at the hit, so this may be generous (long JWTs).
ANCHORED_AFTER = 8192
#: How far a window edge may move to reach a line start or a token break.
SNAP = 512

Window = tuple[int, int]
#: A window never ends inside a token: a regex would see a cut token as ending there.
_BREAK = re.compile(r"[\s\"'`,;<>]")


class RuleShape(NamedTuple):
    """What the prefilter needs to know about one rule."""

    index: int
    keywords: Sequence[str]
    #: Matches span many lines (PEM private keys): windows reach MULTILINE_AFTER characters.
    multiline: bool = False
    #: Every match starts at one of the keywords: try the regex only *at* each keyword hit.
    anchored: bool = False


class KeywordPrefilter:
    """Maps keyword hits in a text to the rules they enable and the windows to search."""

    def __init__(self, shapes: Iterable[RuleShape]):
        import ahocorasick

        by_keyword: dict[str, set[int]] = defaultdict(set)
        self._shapes: dict[int, RuleShape] = {}
        for shape in shapes:
            self._shapes[shape.index] = shape
            for keyword in shape.keywords:
                by_keyword[keyword.lower()].add(shape.index)
        self._automaton = ahocorasick.Automaton()
        for keyword, indexes in by_keyword.items():
            self._automaton.add_word(keyword, (len(keyword), tuple(sorted(indexes))))
        if by_keyword:
            self._automaton.make_automaton()
        self._empty = not by_keyword

    def candidates(self, text: str) -> dict[int, list[Window] | None]:
        """Rule index -> windows to search, or None meaning "search the whole text".

        Windows are merged and sorted; for an anchored rule each window starts at a keyword hit and
        windows are not merged (the regex is tried at each start).
        """
        if self._empty:
            return {}
        lowered = text.lower()
        exact_offsets = len(lowered) == len(text)  # a few Unicode characters change length when lowercased
        hits: dict[int, list[int]] = defaultdict(list)
        for end, (length, indexes) in self._automaton.iter(lowered):
            start = end - length + 1
            for index in indexes:
                hits[index].append(start)
        result: dict[int, list[Window] | None] = {}
        for index, offsets in hits.items():
            result[index] = _windows(text, sorted(offsets), self._shapes[index]) if exact_offsets else None
        return result


def _snap_start(text: str, start: int) -> int:
    """Move a window start back to the beginning of its line (at most SNAP characters)."""
    if start <= 0:
        return 0
    newline = text.rfind("\n", max(0, start - SNAP), start)
    return newline + 1 if newline != -1 else max(0, start - SNAP)


def _snap_end(text: str, end: int) -> int:
    """Move a window end forward to a token break, so a regex never sees a token cut short."""
    if end >= len(text):
        return len(text)
    found = _BREAK.search(text, end, end + SNAP)
    return found.start() if found else min(len(text), end + SNAP)


def _windows(text: str, offsets: list[int], shape: RuleShape) -> list[Window]:
    """[start, end) windows around sorted keyword offsets (merged unless the rule is anchored).

    Window bounds are plain arithmetic per hit; only each merged window is snapped to a line start and a
    token break, so dense keywords (thousands of hits per file) cost little.
    """
    if shape.anchored:  # the regex is only tried at each hit, so a generous fixed end costs nothing
        end = MULTILINE_AFTER if shape.multiline else ANCHORED_AFTER
        return [(offset, offset + end) for offset in offsets]
    after = MULTILINE_AFTER if shape.multiline else AFTER
    merged: list[list[int]] = []
    for offset in offsets:
        if merged and offset - BEFORE <= merged[-1][1]:
            merged[-1][1] = offset + after
        else:
            merged.append([offset - BEFORE, offset + after])
    return [(_snap_start(text, start), _snap_end(text, end)) for start, end in merged]
