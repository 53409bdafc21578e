"""Regular expressions that can backtrack catastrophically (ReDoS), judged on the pattern text alone.

A pattern is flagged when a group repeated without bound (``*``, ``+``, ``{n,}``) has an alternative that
itself repeats something without bound, needs no literal character, and is either one repeated unit
(``(a+)+``, ``(\\w+\\s?)*``, ``([-.\\w]*[0-9a-z])*``) or ends on characters it may also start with. Each
iteration can then take any share of a stretch of input, so a near-miss string makes the engine try
exponentially many splits. A literal in every iteration (``(\\.\\d+)*``, ``(?:\\s*,\\s*\\w+)*``) or disjoint
ends (``(\\s+\\w+)*``) pin where one iteration stops, and are not flagged. Character sets are compared by
coarse category (digit, lower, upper, underscore, space, other), which errs towards overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Coarse character categories: digit, lower, upper, underscore, space, other.
ALL = frozenset("dlu_so")
_ESCAPES = {"d": frozenset("d"), "w": frozenset("dlu_"), "s": frozenset("s")}


def _category(char: str) -> frozenset[str]:
    if char.isdigit():
        return frozenset("d")
    if char.isalpha():
        return frozenset("l" if char.islower() else "u")
    return frozenset("_" if char == "_" else ("s" if char.isspace() else "o"))


@dataclass
class _Atom:
    chars: frozenset[str]
    mandatory: bool
    unbounded: bool
    literal: bool


@dataclass
class _Group:
    branches: list[list[_Atom]] = field(default_factory=lambda: [[]])

    @property
    def ambiguous(self) -> bool:
        """Some alternative can split one stretch of input between iterations in many ways."""
        return any(_ambiguous(atoms) for atoms in self.branches)

    @property
    def unbounded(self) -> bool:
        return any(a.unbounded for atoms in self.branches for a in atoms)

    @property
    def chars(self) -> frozenset[str]:
        return frozenset().union(*(a.chars for atoms in self.branches for a in atoms))


def _ambiguous(atoms: list[_Atom]) -> bool:
    """Repeats without bound, needs no literal, and is one repeated unit or ends on what it starts with."""
    if not any(a.unbounded for a in atoms) or any(a.literal and a.mandatory and not a.unbounded for a in atoms):
        return False
    mandatory = [a for a in atoms if a.mandatory]
    return len(mandatory) <= 1 or bool(atoms[0].chars & atoms[-1].chars)


def catastrophic(pattern: str) -> bool:
    """Whether ``pattern`` nests unbounded repetition in a way that backtracks exponentially."""
    stack = [_Group()]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        literal = False
        if char == "\\":
            escaped = pattern[i + 1:i + 2]
            chars = _ESCAPES.get(escaped) or (ALL if escaped.isalpha() else _category(escaped))
            literal = not escaped.isalpha()
            i += 2
        elif char == "[":
            end = _class_end(pattern, i)
            chars = _class_chars(pattern[i + 1:end - 1])
            i = end
        elif char == "(":
            stack.append(_Group())
            i += 1
            if pattern.startswith("?", i):  # (?:  (?P<name>  (?<name>  (?=  (?<=: skip the group's prefix
                i = _after_group_name(pattern, i)
            continue
        elif char == ")":
            if len(stack) == 1:
                return False  # unbalanced: not a pattern we can read
            group = stack.pop()
            i += 1
            quantifier, i = _quantifier(pattern, i)
            if quantifier in ("*", "+", "{,}") and group.ambiguous:
                return True
            stack[-1].branches[-1].append(_Atom(group.chars, quantifier not in ("*", "?", "{0}"),
                                                group.unbounded or quantifier in ("*", "+", "{,}"), False))
            continue
        elif char == "|":
            stack[-1].branches.append([])
            i += 1
            continue
        elif char in "^$":
            i += 1
            continue
        else:
            chars = ALL if char == "." else _category(char)
            literal = char != "."
            i += 1
        quantifier, i = _quantifier(pattern, i)
        stack[-1].branches[-1].append(_Atom(chars, quantifier not in ("*", "?", "{0}"),
                                            quantifier in ("*", "+", "{,}"), literal))
    return False


def _class_chars(body: str) -> frozenset[str]:
    """The categories a character class's body ``a-z0-9_.-`` may match (every one for a negated class)."""
    if body.startswith("^"):
        return ALL
    found: set[str] = set()
    i = 0
    while i < len(body):
        if body[i] == "\\":
            escaped = body[i + 1:i + 2]
            found |= _ESCAPES.get(escaped) or (ALL if escaped.isupper() else _category(escaped))
            i += 2
        else:
            found |= _category(body[i])
            i += 1
    return frozenset(found)


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class opening at ``start``."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _after_group_name(pattern: str, i: int) -> int:
    """The index after a group's ``?...`` prefix: ``(?:``, ``(?P<name>``, ``(?<name>``, lookarounds ``(?=``."""
    if pattern.startswith(("?P<", "?<"), i) and not pattern.startswith(("?<=", "?<!"), i):
        close = pattern.find(">", i)
        return close + 1 if close != -1 else len(pattern)
    return i + (3 if pattern.startswith(("?<=", "?<!"), i) else 2)


def _quantifier(pattern: str, i: int) -> tuple[str | None, int]:
    """The quantifier at ``i`` (``*``, ``+``, ``?``, ``{,}`` for an open range, ``{0}``/``{n}`` for a bounded one)
    and the index after it (and after a lazy or possessive mark)."""
    if i >= len(pattern):
        return None, i
    char = pattern[i]
    if char in "*+?":
        found, i = char, i + 1
    elif char == "{":
        close = pattern.find("}", i)
        body = pattern[i + 1:close] if close != -1 else ""
        if close == -1 or not re.fullmatch(r"\d*,?\d*", body) or not body.strip(","):
            return None, i  # a literal brace
        found = "{,}" if body.endswith(",") else ("{0}" if body.split(",")[0].strip() in ("", "0") else "{n}")
        i = close + 1
    else:
        return None, i
    if i < len(pattern) and pattern[i] in "?+":
        i += 1
    return found, i
