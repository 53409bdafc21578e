"""Split SQL text into statements, respecting quotes, dollar-quoting and comments.

Each :class:`Statement` keeps offsets into the original text, so findings point at the real line, and two
views of the text of the same length as the original slice: ``text`` (comments blanked) and ``code``
(comments and dollar-quoted bodies blanked, so a function body's ``SECURITY DEFINER`` in dynamic SQL or a
``;`` inside it never counts as the statement's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$]")


@dataclass(frozen=True)
class Statement:
    """One SQL statement: ``start``/``end`` offsets in the file, its text with comments blanked, its code with
    dollar-quoted bodies blanked too, and those bodies (function source) as written."""

    start: int
    end: int
    text: str
    code: str
    bodies: tuple[str, ...]

    @property
    def offset(self) -> int:
        """Offset of the statement's first keyword (after leading blanks)."""
        return self.start + len(self.code) - len(self.code.lstrip())


def split_statements(text: str) -> list[Statement]:
    """The statements of ``text``; an unterminated quote or comment ends the text (never an exception)."""
    plain = list(text)   # comments blanked
    code = list(text)    # comments and dollar-quoted bodies blanked
    bodies: list[tuple[int, str]] = []
    cuts: list[int] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char == "-" and text.startswith("--", index):
            end = text.find("\n", index)
            end = size if end == -1 else end
            _blank(plain, code, index, end)
            index = end
        elif char == "/" and text.startswith("/*", index):
            end = _comment_end(text, index)
            _blank(plain, code, index, end)
            index = end
        elif char == "'":
            index = _quoted_end(text, index, "'", backslash=_escape_string(text, index))
        elif char == '"':
            index = _quoted_end(text, index, '"', backslash=False)
        elif char == "$" and (index == 0 or not _IDENT_CHAR.match(text[index - 1])):
            tag = _DOLLAR_TAG.match(text, index)
            if tag is None:
                index += 1
                continue
            close = text.find(tag.group(0), tag.end())
            end = size if close == -1 else close
            bodies.append((index, text[tag.end():end]))
            for position in range(tag.end(), end):
                if code[position] != "\n":
                    code[position] = " "
            index = size if close == -1 else close + len(tag.group(0))
        elif char == ";":
            cuts.append(index)
            index += 1
        else:
            index += 1
    return _statements(text, "".join(plain), "".join(code), cuts, bodies)


def _statements(text: str, plain: str, code: str, cuts: list[int], bodies: list[tuple[int, str]]) -> list[Statement]:
    result: list[Statement] = []
    start = 0
    for end in [*cuts, len(text)]:
        if code[start:end].strip():
            inside = tuple(body for at, body in bodies if start <= at < end)
            result.append(Statement(start, end, plain[start:end], code[start:end], inside))
        start = end + 1
    return result


def _blank(plain: list[str], code: list[str], start: int, end: int) -> None:
    for position in range(start, end):
        if plain[position] != "\n":
            plain[position] = code[position] = " "


def _comment_end(text: str, index: int) -> int:
    """End of the (nestable) block comment opening at ``index``."""
    depth, position = 0, index
    while position < len(text):
        if text.startswith("/*", position):
            depth, position = depth + 1, position + 2
        elif text.startswith("*/", position):
            depth, position = depth - 1, position + 2
            if depth == 0:
                return position
        else:
            position += 1
    return len(text)


def _escape_string(text: str, index: int) -> bool:
    """Whether the quote at ``index`` opens an ``E'...'`` string (backslash escapes)."""
    return index > 0 and text[index - 1] in "eE" and (index < 2 or not _IDENT_CHAR.match(text[index - 2]))


def _quoted_end(text: str, index: int, quote: str, backslash: bool) -> int:
    """Offset just past the quoted literal opening at ``index`` (doubled quotes stay inside)."""
    position = index + 1
    while position < len(text):
        char = text[position]
        if backslash and char == "\\":
            position += 2
            continue
        if char == quote:
            if text.startswith(quote * 2, position):
                position += 2
                continue
            return position + 1
        position += 1
    return len(text)
