"""Make untrusted text safe to print on a terminal.

Scanned files, their names, messages built from them and git metadata may hold terminal escape
sequences (ANSI colours, OSC 8 links, OSC 52 clipboard writes), carriage returns that overwrite what
was printed, or Unicode bidi overrides that make a line read differently from what it is. Text output
renders every such character visibly (``\\x1b``, ``\\r``, ``\\u202e``) so a report line is exactly one
line and shows what is in the file. Escape the data *before* styling it; never escape our own styling.

JSON, SARIF and HTML keep the data as it is: their formats escape it.
"""

from __future__ import annotations

#: Unicode bidirectional controls (the "Trojan Source" set): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = ("\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)))

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


#: C0 controls, DEL, C1 controls, bidi controls and the Unicode line/paragraph separators.
UNSAFE = (*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), *BIDI_CONTROLS, "\u2028", "\u2029")
_TABLE = str.maketrans({char: _escape(char) for char in UNSAFE})


def terminal_safe(text: object) -> str:
    """``text`` as a string with every control character (newline included) rendered visibly."""
    return str(text).translate(_TABLE)
