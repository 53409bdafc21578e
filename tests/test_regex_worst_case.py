"""No secret rule's regex backtracks catastrophically: each is timed on adversarial lines built from its own
keywords and character classes, and must stay under ``LIMIT`` seconds per MB of text.

Only the matching stage is timed (the rule's regex inside the windows its keyword hits open, and its gates),
on lines of ``SIZE`` characters, and scaled to a megabyte. Windows are bounded (``scanner.prefilter``), so
the per-window cost does not grow with the line; ``SIZE`` is larger than any window, so a regex that
backtracks over its whole window shows its full cost here. Lines: a keyword repeated, a keyword and a
separator repeated, a keyword followed by a long run of one character of the regex's classes, and a
keyword followed by all of them cycled. A line is timed a second time only when the first run is over the
limit (a busy machine), and the faster run counts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from scanner.config import Config
from scanner.context import Hit, Span
from scanner.decoding import encoded_segments
from scanner.detectors.secrets import SecretsDetector, resolve_overlaps
from scanner.model import Rule
from scanner.rules import default_registry

try:  # Python 3.11+: the regex parser moved; sre_parse warns on import
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse  # type: ignore[no-redef]

#: Characters per adversarial line; larger than any candidate window (anchored: 8 KiB).
SIZE = 12 * 1024
#: Slowest acceptable matching stage, in seconds per MB of text.
LIMIT = 0.100
#: Lines that are nothing but a keyword (and a separator) repeated put a keyword hit every few characters,
#: and every hit costs one regex attempt: linear, but above LIMIT for rules whose regex does real work after
#: the keyword (measured per rule in docs/architecture.md, "Regex worst cases"). Those lines get DENSE_LIMIT,
#: and the generic assignment rules (a deny-list lookahead and 20 characters of key name at every hit) their
#: own measured bound; all stay linear, far below the minutes per MB a backtracking regex takes.
DENSE_LIMIT = 1.0
DENSE_LIMITS = {"generic-secret-assignment": 6.0, "generic-password-assignment": 4.0,
                "authorization-header-credential": 3.0}
#: Separators tried after a keyword.
SEPARATORS = (" ", "=", ":", '"', "'", "_", "-", ".", "\\\n", "\t", "/", "@")
#: Keywords tried per rule (spread over its list: ``api_key``, ``api-key``, ``api.key`` behave alike).
KEYWORDS = 6
#: Keywords (per rule) followed by long runs of each character class.
RUN_KEYWORDS = 2

_CATEGORY_CHARS = {"DIGIT": "7", "SPACE": " \n", "WORD": "a_", "LINEBREAK": "\n"}


def alphabet(pattern: str) -> str:
    """Representative characters of ``pattern``: its literals and both ends and the middle of each range."""
    chars: set[str] = set()

    def walk(items) -> None:
        for op, av in items:
            name = str(op)
            if name in ("LITERAL", "NOT_LITERAL"):
                chars.add(chr(av))
            elif name == "RANGE":
                low, high = av
                chars.update((chr(low), chr(high), chr((low + high) // 2)))
            elif name == "CATEGORY":
                chars.update(next((v for k, v in _CATEGORY_CHARS.items() if k in str(av)), ""))
            elif name == "IN":
                walk(av)
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                walk(av[2])
            elif name == "SUBPATTERN":
                walk(av[3])
            elif name == "ATOMIC_GROUP":
                walk(av)
            elif name in ("ASSERT", "ASSERT_NOT"):
                walk(av[1])
            elif name == "BRANCH":
                for branch in av[1]:
                    walk(branch)
            elif name == "GROUPREF_EXISTS":
                walk(av[1])
                if av[2]:
                    walk(av[2])

    walk(sre_parse.parse(pattern))
    return "".join(sorted(c for c in chars if c.isprintable() or c in "\n\t"))


def adversarial_lines(rule: Rule, size: int = SIZE) -> Iterator[tuple[str, str]]:
    """(name, text) pairs: lines of about ``size`` characters that make a rule's regex work hardest."""
    def repeat(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    keywords = list(dict.fromkeys(k.lower() for k in rule.options["keywords"]))
    keywords = keywords[::-(-len(keywords) // KEYWORDS)]
    chars = alphabet(rule.options["regex"].pattern)
    for keyword in keywords:
        yield f"{keyword!r} repeated", repeat(keyword)
        for sep in SEPARATORS:
            yield f"{keyword + sep!r} repeated", repeat(keyword + sep)
    for keyword in keywords:
        yield f"{keyword!r} + all characters cycled", keyword + repeat(keyword + chars)
    for keyword in keywords[:RUN_KEYWORDS]:
        for char in chars:
            yield f"{keyword!r} + run of {char!r}", keyword + " = " + repeat(char)
            yield f"{keyword!r} + quote + run of {char!r}", keyword + ' = "' + repeat(char)


_DETECTORS: dict[str, SecretsDetector] = {}


def _detector(rule: Rule) -> SecretsDetector:
    if rule.id not in _DETECTORS:
        _DETECTORS[rule.id] = SecretsDetector([rule], Config())
    return _DETECTORS[rule.id]


def match_seconds(rule: Rule, text: str) -> float:
    """Seconds the matching stage of ``rule`` (regex in its windows, then its gates) takes over ``text``."""
    detector = _detector(rule)
    candidates = detector.prefilter.candidates(text)
    started = time.process_time()
    for _ in detector.matches(text, "config/settings.py", candidates):
        pass
    return time.process_time() - started


def limit_for(rule: Rule, name: str) -> float:
    """Seconds per MB allowed for ``rule`` on the line called ``name``."""
    return DENSE_LIMITS.get(rule.id, DENSE_LIMIT) if name.endswith(" repeated") else LIMIT


def over_limit(rule: Rule, size: int = SIZE, first: bool = False) -> list[tuple[float, str]]:
    """(seconds per MB, line name) of every adversarial line on which ``rule`` is over its limit (``first``:
    stop at the first one)."""
    slow = []
    for name, line in adversarial_lines(rule, size):
        per_mb = match_seconds(rule, line) * 2**20 / size
        if per_mb > limit_for(rule, name):  # time it again: a busy machine is not a slow regex
            per_mb = min(per_mb, match_seconds(rule, line) * 2**20 / size)
        if per_mb > limit_for(rule, name):
            slow.append((per_mb, name))
            if first:
                break
    return slow


@pytest.mark.parametrize("rule_id", [r.id for r in default_registry().of_kind("secret")])
def test_rule_regex_is_linear_on_adversarial_lines(rule_id):
    slow = over_limit(default_registry().get(rule_id))
    assert not slow, f"{rule_id}: " + "; ".join(f"{per_mb * 1000:.0f} ms per MB on {name}" for per_mb, name in slow)


def test_the_timing_catches_a_backtracking_regex():
    """Proof the test can fail: a lookahead that scans the rest of the identifier at every keyword hit
    (the shape the generic rules had before) is over the limit."""
    rule = default_registry().get("generic-password-assignment")
    slow = re.compile(r"(?i)(?:password|passwd|pwd)(?![a-z0-9_.-]*?(?:url|name|file|path|field|policy|length))"
                      r"[a-z0-9_.-]{0,20}[ \t]*[:=][ \t]*(?P<secret>[^\s\"'`]{8,128})")
    assert over_limit(replace(rule, id="backtracking-probe", options={**rule.options, "regex": slow}), first=True)


def _grows_linearly(work, small: int) -> bool:
    """Whether ``work(n)`` takes well under 16x longer for 4x the input (quadratic would be 16x); the best of
    three runs of each size, so a busy machine does not decide."""
    def seconds(n: int) -> float:
        return min(_timed(work, n) for _ in range(3))
    return seconds(4 * small) < 10 * max(seconds(small), 1e-3)


def _timed(work, n: int) -> float:
    prepared = work(n)
    started = time.process_time()
    prepared()
    return time.process_time() - started


def test_percent_decoding_is_linear_on_a_run_without_escapes():
    """``%4`` repeated: a run that looks percent-encoded but holds no ``%XX`` escape (was quadratic)."""
    assert _grows_linearly(lambda n: lambda: list(encoded_segments("%4" * n)), 4_000)


def test_overlap_resolution_is_not_quadratic_on_a_line_full_of_hits():
    registry = default_registry()
    rules = {rule.id: rule for rule in registry.of_kind("secret")}

    def resolve(n: int):
        hits = [Hit(rule_id="generic-secret-assignment" if i % 2 else "stripe-secret-key",
                    span=Span(1, 10 * i + 1, 1, 10 * i + 9)) for i in range(n)]
        return lambda: resolve_overlaps(hits, rules)

    assert _grows_linearly(resolve, 4_000)
