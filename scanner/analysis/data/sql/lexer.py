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
_COMMENT_MARK = re.compile(r"/\*|\*/")
_INTERESTING = re.compile(r"--|/\*|['\";$]")


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
    """The statements of ``text``; an unterminated quote or comment ends the text (never an exception).
    Linear: the scan jumps from one quote, comment, dollar sign or semicolon to the next."""
    plain = list(text)   # comments blanked
    code = list(text)    # comments and dollar-quoted bodies blanked
    bodies: list[tuple[int, str]] = []
    cuts: list[int] = []
    size = len(text)
    index = 0
    while True:
        found = _INTERESTING.search(text, index)
        if found is None:
            break
        index = found.start()
        token = found.group(0)
        if token == "--":
            end = text.find("\n", index)
            end = size if end == -1 else end
            _blank(plain, code, index, end)
            index = end
        elif token == "/*":
            end = _comment_end(text, index)
            _blank(plain, code, index, end)
            index = end
        elif token == "'":
            index = _quoted_end(text, index, "'", backslash=_escape_string(text, index))
        elif token == '"':
            index = _quoted_end(text, index, '"', backslash=False)
        elif token == ";":
            cuts.append(index)
            index += 1
        else:  # "$"
            tag = _DOLLAR_TAG.match(text, index)
            if tag is None or (index > 0 and _IDENT_CHAR.match(text[index - 1])):
                index += 1
                continue
            close = text.find(tag.group(0), tag.end())
            end = size if close == -1 else close
            bodies.append((index, text[tag.end():end]))
            _blank_body(code, tag.end(), end, text)
            index = size if close == -1 else close + len(tag.group(0))
    return _statements(text, "".join(plain), "".join(code), cuts, bodies)


def _statements(text: str, plain: str, code: str, cuts: list[int], bodies: list[tuple[int, str]]) -> list[Statement]:
    result: list[Statement] = []
    start, next_body = 0, 0
    for end in [*cuts, len(text)]:
        inside = []
        while next_body < len(bodies) and bodies[next_body][0] < end:
            if bodies[next_body][0] >= start:
                inside.append(bodies[next_body][1])
            next_body += 1
        if code[start:end].strip():
            result.append(Statement(start, end, plain[start:end], code[start:end], tuple(inside)))
        start = end + 1
    return result


def _blank_body(code: list[str], start: int, end: int, text: str) -> None:
    """Blank a dollar-quoted body in ``code``, keeping its line breaks."""
    code[start:end] = re.sub(r"[^\n]", " ", text[start:end])


def _blank(plain: list[str], code: list[str], start: int, end: int) -> None:
    blank = re.sub(r"[^\n]", " ", "".join(plain[start:end]))
    plain[start:end] = code[start:end] = blank


def _comment_end(text: str, index: int) -> int:
    """End of the (nestable) block comment opening at ``index``."""
    depth = 0
    for mark in _COMMENT_MARK.finditer(text, index):
        depth += 1 if mark.group(0) == "/*" else -1
        if depth == 0:
            return mark.end()
    return len(text)


def _escape_string(text: str, index: int) -> bool:
    """Whether the quote at ``index`` opens an ``E'...'`` string (backslash escapes)."""
    return index > 0 and text[index - 1] in "eE" and (index < 2 or not _IDENT_CHAR.match(text[index - 2]))


def _quoted_end(text: str, index: int, quote: str, backslash: bool) -> int:
    """Offset just past the quoted literal opening at ``index`` (doubled quotes stay inside)."""
    pattern = _QUOTED[(quote, backslash)]
    found = pattern.match(text, index + 1)
    return found.end() if found else len(text)


_QUOTED = {
    ("'", False): re.compile(r"[^']*(?:''[^']*)*'"),
    ("'", True): re.compile(r"[^'\\]*(?:(?:''|\\.)[^'\\]*)*'", re.DOTALL),
    ('"', False): re.compile(r'[^"]*(?:""[^"]*)*"'),
}
