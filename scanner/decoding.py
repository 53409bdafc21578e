"""Encoded text that may hide a secret: base64 blobs and percent-encoded URLs.

:func:`encoded_segments` yields each decodable run with its offsets in the original text, so a
secret found in the decoded text is reported at the encoded location. Only decodings that yield
printable text are kept (a PEM body or an image decodes to binary and is skipped).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote

#: Shortest base64 run worth decoding: 32 characters decode to 24 bytes, the size of a short key.
MIN_BASE64 = 32
#: Longest run decoded (a larger blob is data, not configuration).
MAX_BASE64 = 64 * 1024
#: Decoded runs per artifact, so a file full of base64 cannot make the scan quadratic.
MAX_SEGMENTS = 200

_BASE64 = re.compile(rf"(?<![A-Za-z0-9+/_-])([A-Za-z0-9+/_-]{{{MIN_BASE64},}}={{0,2}})(?![A-Za-z0-9+/=_-])")
#: A run of URL characters holding a ``%XX`` escape. It starts only at a run's start (the lookbehind), and
#: the part before the first escape is an unrolled loop, so a megabyte-long run (a source map's
#: ``mappings``) is read once, not once per start position (that was quadratic).
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PERCENT_RUN = re.compile(r"(?<![^\s\"'`<>])[^\s\"'`<>%]*(?:%(?![0-9A-Fa-f]{2})[^\s\"'`<>%]*)*"
                          r"%[0-9A-Fa-f]{2}[^\s\"'`<>]*")


class Segment(NamedTuple):
    """A decoded run: ``[start, end)`` in the original text, the decoded text and how it was encoded."""

    start: int
    end: int
    text: str
    encoding: str  # "base64" | "percent"


def _printable(text: str) -> bool:
    if not text:
        return False
    good = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return good / len(text) >= 0.95


def decode_base64(run: str) -> str | None:
    """The printable UTF-8 text a base64 (standard or URL-safe) run decodes to, else None."""
    body = run.rstrip("=")
    if len(body) % 4 == 1 or len(body) > MAX_BASE64:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        data = base64.urlsafe_b64decode(padded) if ("-" in body or "_" in body) else base64.b64decode(padded)
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if _printable(text) else None


_HEX_OR_WORD = re.compile(r"[0-9a-fA-F]+|[A-Za-z_-]+")


def _not_base64(run: str) -> bool:
    """Hex digests, plain words, and runs mixing the standard and URL-safe alphabets are not base64."""
    return bool(_HEX_OR_WORD.fullmatch(run)) or (("+" in run or "/" in run) and ("-" in run or "_" in run))


def encoded_segments(text: str) -> Iterator[Segment]:
    """Every base64 blob and percent-encoded run in ``text`` that decodes to different, printable text."""
    count = 0
    for match in _BASE64.finditer(text):
        run = match.group(1)
        if _not_base64(run):
            continue
        decoded = decode_base64(run)
        if decoded:
            yield Segment(match.start(1), match.end(1), decoded, "base64")
            count += 1
            if count >= MAX_SEGMENTS:
                return
    if "%" not in text or _PERCENT_ESCAPE.search(text) is None:  # the run regex costs 100x this search
        return
    for match in _PERCENT_RUN.finditer(text):
        try:
            decoded = unquote(match.group(0), errors="strict")
        except UnicodeDecodeError:
            continue
        if decoded != match.group(0) and _printable(decoded):
            yield Segment(match.start(), match.end(), decoded, "percent")
            count += 1
            if count >= MAX_SEGMENTS:
                return


def _json_part(part: str) -> object:
    """A JWT part's JSON, or None (not base64 JSON, or nested past the decoder's recursion limit)."""
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return None


def jwt_claims(token: str) -> dict | None:
    """The payload of a JSON Web Token (``header.payload.signature``), or None if it is not one.

    Only decodes; never verifies. The payload must be a JSON object (the header is not checked:
    a token with a damaged header is still a credential).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = _json_part(parts[1])
    return payload if isinstance(payload, dict) else None
