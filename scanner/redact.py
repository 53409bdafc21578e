"""Keep secrets out of every output: short prefix plus length and a hash, never the value."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

#: At most this many leading characters are shown, and never more than a quarter of the secret.
MAX_PREFIX = 6
#: Values shorter than this are masked only in their own artifact's lines, not across a whole report:
#: there they would rewrite ordinary words (rule titles, paths) everywhere.
MIN_MASKED = 6


def secret_hash(secret: str) -> str:
    """SHA-256 of the secret: what fingerprints and baselines store instead of it."""
    return hashlib.sha256(secret.encode("utf-8", errors="surrogatepass")).hexdigest()


def secret_sha1(secret: str) -> str:
    """SHA-1 of the secret: detect-secrets' ``hashed_secret``, so its baselines can be read and written."""
    return hashlib.sha1(secret.encode("utf-8", errors="surrogatepass")).hexdigest()


def redact(secret: str) -> str:
    """A printable stand-in, e.g. ``sk-pr…[164 chars, sha256:1a2b3c4d]``."""
    shown = secret[: min(MAX_PREFIX, len(secret) // 4)]
    return f"{shown}…[{len(secret)} chars, sha256:{secret_hash(secret)[:8]}]"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by its redacted form (longest first).

    A multi-line secret keeps its line breaks in the stand-in, so masked text has the same lines.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, redact(secret) + "\n" * secret.count("\n"))
    return text


class Redactor:
    """Masks a fixed set of recognised secrets in any string, or in every string of a finding or notice.

    One Aho-Corasick automaton over all values, so a report with thousands of recognised secrets is
    masked in one pass per string; leftmost-longest matches win.
    """

    def __init__(self, secrets: Iterable[str | None]):
        values = {v for v in secrets if v and len(v) >= MIN_MASKED}
        self._automaton = None
        if values:
            import ahocorasick

            self._automaton = ahocorasick.Automaton()
            for value in values:
                self._automaton.add_word(value, value)
            self._automaton.make_automaton()

    def text(self, text: str) -> str:
        if self._automaton is None or not text:
            return text
        pieces, last = [], 0
        for end, value in self._automaton.iter_long(text):
            start = end - len(value) + 1
            pieces.append(text[last:start])
            pieces.append(redact(value) + "\n" * value.count("\n"))
            last = end + 1
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    def value(self, value: Any) -> Any:
        """``value`` with every string inside it masked: strings, tuples, lists, mappings, dataclasses."""
        if self._automaton is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (tuple, list)):
            return type(value)(self.value(v) for v in value)
        if isinstance(value, Mapping):
            masked = {self.value(k): self.value(v) for k, v in value.items()}
            return MappingProxyType(masked) if isinstance(value, MappingProxyType) else masked
        if is_dataclass(value) and not isinstance(value, type):
            return replace(value, **{f.name: self.value(getattr(value, f.name)) for f in fields(value)})
        return value
