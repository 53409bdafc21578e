"""One multi-pattern pass over an artifact tells which secret rules can match, and where.

All rules' keywords go into one Aho-Corasick automaton (``pyahocorasick``), searched once over the
lowercased text, so the cost of the pass does not grow with the number of rules. Each keyword hit
becomes a *candidate window*: the hit's line and the next one, cut to a bounded width (rules with
``multiline: true``, such as PEM private keys, get MULTILINE_AFTER characters instead); a rule's regex
then runs only inside its merged windows. Rules with ``anchored: true`` (their matches begin with a
keyword, like the generic assignment rules) are tried only *at* each keyword hit (``regex.match``). When a keyword is so
frequent in an artifact that windows would cover most of it, the rule's regex runs on the whole text.

Measured against one Hyperscan database of the same keywords (``bench/secrets_speed.py --prefilter``):
see docs/architecture.md, "Secrets pipeline".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: Characters kept before a keyword hit: a keyword may sit inside the secret (OpenAI's marker).
BEFORE = 1024
#: Characters kept after a keyword hit (up to the end of the next line); ``multiline`` rules get MULTILINE_AFTER.
AFTER = 4096
MULTILINE_AFTER = 16384

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


def _window_end(text: str, offset: int, multiline: bool) -> int:
    """Where a window opened by a keyword at ``offset`` ends: the next line's end, never inside a token."""
    limit = min(len(text), offset + (MULTILINE_AFTER if multiline else AFTER))
    if multiline:
        end = limit
    else:  # the hit's line and the next (a value may sit on the line below its key: XML, YAML blocks)
        line_end = text.find("\n", offset, limit)
        next_end = text.find("\n", line_end + 1, limit) if line_end != -1 else -1
        end = limit if next_end == -1 else next_end
    if end < len(text):
        found = _BREAK.search(text, end, end + 512)
        end = found.start() if found else min(len(text), end + 512)
    return end


def _windows(text: str, offsets: list[int], shape: RuleShape) -> list[Window]:
    """[start, end) windows around sorted keyword offsets (merged unless the rule is anchored)."""
    if shape.anchored:  # the regex is only tried at each hit, so a generous fixed end costs nothing
        after = MULTILINE_AFTER if shape.multiline else AFTER
        return [(offset, offset + after) for offset in offsets]
    windows: list[Window] = []
    for offset in offsets:
        start = max(text.rfind("\n", 0, offset) + 1, offset - BEFORE)
        end = _window_end(text, offset, shape.multiline)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows
