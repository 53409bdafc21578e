"""Keep secrets out of every output: short prefix plus length and a hash, never the value."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

#: At most this many leading characters are shown, and never more than a quarter of the secret.
MAX_PREFIX = 6


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
    """``text`` with every occurrence of each secret replaced by its redacted form (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, redact(secret))
    return text
