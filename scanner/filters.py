"""Named false-positive heuristics for secret hits, one small function each.

Each filter gets the raw candidate and says whether it is *not* a secret. A filter that fires
drops the hit, and its name is counted in the scan statistics so precision work is measurable.
Path heuristics do not drop: a key under ``tests/`` is still a key, only with lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import PurePosixPath

from scanner.model import Confidence

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(?:x{4,}|\*{3,}|\.{3}|your[-_ ]?(?:api[-_ ]?)?(?:key|token|secret)|change[-_ ]?me|placeholder|"
    r"example|dummy|redacted|insert[-_ ]|replace[-_ ]?me|<[^>]*>|fake|sample)"
)
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|%\(?[A-Za-z_]+\)?s?|process\.env\.|os\.environ|"
    r"import\.meta\.env\.|env\(|getenv\()"
)


def is_placeholder(secret: str) -> bool:
    """Documentation stand-ins: ``sk-xxxx``, ``your-api-key``, ``<TOKEN>``, ``changeme``."""
    return bool(_PLACEHOLDER_WORDS.search(secret))


def is_repetitive(secret: str) -> bool:
    """One character repeated, or a run like ``abcdef``/``123456`` making up the value's body."""
    body = re.sub(r"^[A-Za-z]+[-_]", "", secret)  # ignore a provider prefix such as "sk_live_"
    if len(body) < 8:
        return False
    if len(set(body)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in pairwise(body)}
    return steps <= {1} or steps <= {-1}


def is_reference(secret: str) -> bool:
    """A variable or environment reference rather than a value: ``${API_KEY}``, ``process.env.X``."""
    return bool(_REFERENCE.match(secret))


#: (name, predicate) in the order they are tried.
SECRET_FILTERS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("placeholder", is_placeholder),
    ("repetitive", is_repetitive),
    ("reference", is_reference),
)

_LOW_CONFIDENCE_DIRS = {"test", "tests", "__tests__", "spec", "specs", "fixtures", "testdata", "examples",
                        "example", "docs", "samples", "mocks", "__mocks__"}


def false_positive_reason(secret: str) -> str | None:
    """The name of the first filter that says ``secret`` is not a real secret, or None."""
    for name, predicate in SECRET_FILTERS:
        if predicate(secret):
            return name
    return None


def path_confidence(path: str, confidence: Confidence) -> Confidence:
    """Confidence for a finding at ``path``: lowered under test, example and docs folders."""
    posix = PurePosixPath(path)
    name = posix.name.lower()
    if {part.lower() for part in posix.parts[:-1]} & _LOW_CONFIDENCE_DIRS or name.startswith("test_") \
            or ".test." in name or ".spec." in name:
        return Confidence.LOW
    return confidence
