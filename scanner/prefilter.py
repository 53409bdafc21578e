"""One multi-pattern pass over an artifact tells which secret rules can match, and where.

All rules' keywords go into one Aho-Corasick automaton (``pyahocorasick``), searched once over the
lowercased text, so the cost of the pass does not grow with the number of rules. Each keyword hit
becomes a *candidate window* (the hit's line, cut to a bounded width, widened for rules whose regex
may cross lines); a rule's regex then runs only inside its merged windows. When a keyword is so
frequent in an artifact that windows would cover most of it, the rule's regex runs on the whole text.

Measured against one Hyperscan database of the same keywords (``bench/secrets_speed.py --prefilter``):
see docs/architecture.md, "Secrets pipeline".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

#: Characters kept before a keyword hit: a keyword may sit inside the secret (OpenAI's marker).
BEFORE = 1024
#: Characters kept after a keyword hit on one line; rules whose regex may cross lines get MULTILINE_AFTER.
AFTER = 4096
MULTILINE_AFTER = 8192
#: More keyword hits than this for one rule in one artifact: run its regex over the whole text.
DENSE_HITS = 256

Window = tuple[int, int]
#: A window never ends inside a token: a regex would see a cut token as ending there.
_BREAK = re.compile(r"[\s\"'`,;<>]")


def may_cross_lines(pattern: str) -> bool:
    """Whether a regex source can match a newline (``\\s``, ``\\n``, a negated class or DOTALL)."""
    return any(token in pattern for token in ("\\s", "\\n", "[^", "(?s", "\\W", "\\D"))


class KeywordPrefilter:
    """Maps keyword hits in a text to the rules they enable and the windows to search."""

    def __init__(self, rule_keywords: Iterable[tuple[int, Sequence[str], bool]]):
        """``rule_keywords``: (rule index, keywords, regex may cross lines) for every rule."""
        import ahocorasick

        by_keyword: dict[str, set[int]] = defaultdict(set)
        self._multiline: dict[int, bool] = {}
        for index, keywords, multiline in rule_keywords:
            self._multiline[index] = multiline
            for keyword in keywords:
                by_keyword[keyword.lower()].add(index)
        self._automaton = ahocorasick.Automaton()
        for keyword, indexes in by_keyword.items():
            self._automaton.add_word(keyword, (len(keyword), tuple(sorted(indexes))))
        if by_keyword:
            self._automaton.make_automaton()
        self._empty = not by_keyword

    def candidates(self, text: str) -> dict[int, list[Window] | None]:
        """Rule index -> merged windows to search, or None meaning "search the whole text"."""
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
            if not exact_offsets or len(offsets) > DENSE_HITS:
                result[index] = None
            else:
                result[index] = _windows(text, offsets, MULTILINE_AFTER if self._multiline[index] else AFTER,
                                         self._multiline[index])
        return result


def _windows(text: str, offsets: list[int], after: int, multiline: bool) -> list[Window]:
    """Merged [start, end) windows around keyword offsets: the hit's line, cut to BEFORE/AFTER characters."""
    windows: list[Window] = []
    for offset in sorted(offsets):
        line_start = text.rfind("\n", 0, offset) + 1
        start = max(line_start, offset - BEFORE)
        limit = min(len(text), offset + after)
        if multiline:
            end = limit
        else:
            line_end = text.find("\n", offset, limit)
            end = limit if line_end == -1 else line_end
        if end < len(text):
            found = _BREAK.search(text, end, end + 512)
            end = found.start() if found else min(len(text), end + 512)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows
