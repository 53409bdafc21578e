"""The named-provider table (``names:`` of ``named-provider-credential``): every provider in it is found by
its name next to a credential word with a value of its documented shape, and only with such a value."""

from __future__ import annotations

import random
import re

import pytest

from scanner.config import Config
from scanner.detectors.secrets import SecretsDetector
from scanner.rules import RuleError, _trie_regex, parse_rule
from scanner.testing import ALPHABETS

RULE_ID = "named-provider-credential"
_ALPHABET_OF = {"hex": ALPHABETS["hex"], "alnum": ALPHABETS["alnum"], "loweralnum": ALPHABETS["loweralnum"],
                "upperalnum": ALPHABETS["upperalnum"], "base64": ALPHABETS["base64"],
                "urlsafe": ALPHABETS["urlsafe"], "token": ALPHABETS["alnum"]}


def sample_value(entry, rng: random.Random, length: int | None = None) -> str:
    """A random value of the entry's documented shape (letters and digits mixed, as a generated key is)."""
    if entry.shape == "uuid":
        return "-".join("".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12))
    alphabet = _ALPHABET_OF[entry.shape]
    size = length or max(entry.length[0], min(32, entry.length[1]))
    letters = [c for c in alphabet if c.isalpha()]
    return "".join(rng.choice(alphabet) for _ in range(size - 2)) + rng.choice(letters) + rng.choice("0123456789")


def key_name(spelling: str, public: bool) -> str:
    """``voyage ai`` -> ``VOYAGE_AI_SECRET_KEY`` (public providers) or ``VOYAGE_AI_API_KEY``."""
    return spelling.upper().replace(" ", "_") + ("_SECRET_KEY" if public else "_API_KEY")


@pytest.fixture(scope="module")
def rule(registry):
    return registry.get(RULE_ID)


@pytest.fixture(scope="module")
def detector(rule):
    return SecretsDetector([rule], Config())


def found(detector, text: str, path: str = "config/settings.env") -> dict[int, str]:
    """Line number (0-based) -> provider named, for every match in ``text``."""
    return {text.count("\n", 0, m.start): m.provider for m in detector.matches(text, path)}


def test_every_provider_is_found_by_each_spelling(rule, detector):
    rng = random.Random(7)
    lines, expected = [], []
    for entry in rule.options["names"].entries:
        for spelling in entry.spellings:
            lines.append(f"{key_name(spelling, entry.public)}={sample_value(entry, rng)}")
            expected.append(entry.provider)
    result = found(detector, "\n".join(lines) + "\n")
    missed = [(lines[i].split("=")[0], provider) for i, provider in enumerate(expected) if result.get(i) != provider]
    assert not missed, f"{len(missed)} spellings not found as their provider: {missed[:20]}"


def test_values_of_another_shape_are_not_the_provider(rule, detector):
    rng = random.Random(11)
    shaped = [e for e in rule.options["names"].entries if e.shape != "token"]
    assert len(shaped) > 100  # documented shapes, not only the default
    lines = []
    for entry in shaped:
        short = sample_value(entry, rng, length=entry.length[0] - 1) if entry.shape != "uuid" else "not-a-uuid-0123"
        lines.append(f"{key_name(entry.spellings[0], entry.public)}={short}")
    assert found(detector, "\n".join(lines) + "\n") == {}


def test_a_public_providers_plain_key_is_not_reported(rule, detector):
    rng = random.Random(3)
    public = [e for e in rule.options["names"].entries if e.public]
    assert public
    text = "".join(f"{e.spellings[0].upper().replace(' ', '_')}_API_KEY={sample_value(e, rng)}\n" for e in public)
    assert found(detector, text) == {}


@pytest.mark.parametrize("line", [
    "2024-05-01 12:00:00 [DEBUG] Using Qdrant Key={v}",
    "X-Typesense-Api-Key: {v}",
    "python ingest.py --qdrant-api-key {v} --collection docs",
    "GET /collections/docs?qdrant_api_key={v}&limit=5",
    'os.environ.setdefault("QDRANT_API_KEY", "{v}")',
    "<QdrantApiKey>{v}</QdrantApiKey>",
    "const qdrantApiKey = '{v}';",
])
def test_shapes_a_key_is_written_in(detector, line):
    value = "Qx7" + "k2P9mZr4Tt8LwB5nV0cYh3Jd"
    assert found(detector, line.format(v=value), "notes/setup.txt")


@pytest.mark.parametrize("line", [
    "Set your Qdrant key {v} later",  # whitespace only, no flag: prose
    "QDRANT_API_KEY_PATH={v}",  # the key's file, not the key
    "NEXT_PUBLIC_QDRANT_API_KEY={v}",  # shipped to browsers by design
    "QDRANT_URL={v}",
])
def test_shapes_that_are_not_a_key(detector, line):
    assert not found(detector, line.format(v="Qx7k2P9mZr4Tt8LwB5nV0cYh3Jd"), "notes/setup.txt")


def test_trie_regex_matches_exactly_the_spellings():
    spellings = [["openai"], ["open", "weather"], ["openweathermap"], ["ai21"], ["abc"], ["abcd"]]
    pattern = re.compile(f"(?i)(?:{_trie_regex(spellings)})")
    for text in ("openai", "OPEN_WEATHER", "open-weather", "OpenWeather", "openweathermap", "ai21", "abc", "abcd"):
        assert pattern.fullmatch(text), text
    for text in ("open", "openaix", "ai2", "ab", "abcde", "weather"):
        assert not pattern.fullmatch(text), text


def _rule(names, regex="(?i)(?P<name>{names})(?P<cred>_key)(?P<op>=)(?P<secret>\\w+)") -> dict:
    return {"id": "named-test", "kind": "secret", "provider": "Generic", "title": "t", "severity": "high",
            "check": "secrets", "description": "d", "remediation": "r", "regex": regex, "keywords": [],
            "names": names, "examples": {"positive": ["a"], "negative": ["b"]}}


@pytest.mark.parametrize(("names", "regex", "message"), [
    ([{"provider": "A", "name": "acme"}, {"provider": "B", "name": "acm e"}], None, "listed twice"),
    ([{"provider": "A", "name": "ac"}], None, "3+ characters"),
    ([{"provider": "A", "name": "acme", "length": [4, 9]}], None, "'length'"),
    ([{"provider": "A", "name": "acme", "value": "emoji"}], None, "'value'"),
    ([{"provider": "A", "name": "acme", "public": "yes"}], None, "'public'"),
    ([{"provider": "A", "name": "acme", "colour": "red"}], None, "each entry needs"),
    ([{"provider": "A", "name": "acme"}], "(?P<secret>x)", "{names}"),
])
def test_a_malformed_table_fails_loudly(names, regex, message):
    raw = _rule(names) if regex is None else _rule(names, regex)
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_rule(raw, "test.yaml")
