"""Keep secrets out of every output: short prefix plus length and a hash, never the value."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

from scanner.model import VERBATIM

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
    """``text`` with every occurrence of each secret replaced by its redacted form.

    Occurrences of different secrets may overlap (``…AB…`` where ``AB…`` and ``…B`` are both secrets): the
    union of all of them is masked, so no part of either is left in plain text. A multi-line secret keeps
    its line breaks in the stand-in, so masked text has the same lines.
    """
    spans = []
    for secret in {s for s in secrets if s}:
        start = text.find(secret)
        while start != -1:
            spans.append((start, start + len(secret)))
            start = text.find(secret, start + 1)
    return _masked(text, spans)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each maximal run of overlapping ``[start, end)`` spans replaced by its redacted form."""
    if not spans:
        return text
    pieces, last, run_start, run_end = [], 0, -1, -1
    for start, end in [*sorted(spans), (len(text) + 1, len(text) + 1)]:
        if start < run_end:
            run_end = max(run_end, end)
            continue
        if run_end > run_start >= 0:
            covered = text[run_start:run_end]
            pieces.append(text[last:run_start])
            pieces.append(redact(covered) + "\n" * covered.count("\n"))
            last = run_end
        run_start, run_end = start, end
    pieces.append(text[last:])
    return "".join(pieces)


class Redactor:
    """Masks a fixed set of recognised secrets in any string, or in every string of a finding or notice.

    One Aho-Corasick automaton over all values, so a report with thousands of recognised secrets is
    masked in one pass per string; every occurrence counts, overlapping ones are masked as one run.
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
        """``text`` with every recognised value masked, overlapping occurrences as one run (see :func:`mask`)."""
        if self._automaton is None or not text:
            return text
        return _masked(text, [(end - len(value) + 1, end + 1) for end, value in self._automaton.iter(text)])

    def value(self, value: Any) -> Any:
        """``value`` with every string inside it masked: strings, tuples, lists, mapping values, dataclasses.

        Our own vocabulary is never masked, even when a scanned value happens to spell it (a documented
        ``SMTP_PASSWORD=smtp-password`` recognised as a secret must not rewrite the rule id
        ``smtp-password``): mapping keys (names chosen by our code: evidence fields, check names, variable
        names) and dataclass fields marked ``VERBATIM`` (rule ids, checks, severities, hashes, reasons)."""
        if self._automaton is None or isinstance(value, enum.Enum):
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (tuple, list)):
            return type(value)(self.value(v) for v in value)
        if isinstance(value, Mapping):
            masked = {k: self.value(v) for k, v in value.items()}
            return MappingProxyType(masked) if isinstance(value, MappingProxyType) else masked
        if is_dataclass(value) and not isinstance(value, type):
            return replace(value, **{f.name: self.value(getattr(value, f.name)) for f in fields(value)
                                     if not f.metadata.get(VERBATIM)})
        return value
