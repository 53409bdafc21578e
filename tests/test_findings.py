"""Finding identity and safety: fingerprints survive line shifts; no output holds a secret."""

from __future__ import annotations

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.redact import redact
from scanner.reporters import REPORTERS, get_reporter
from scanner.testing import MemorySource
from tests.conftest import anthropic_key, stripe_key


def _scan(files, registry):
    return Engine(registry, Config(), DETECTORS).run([MemorySource(files)], root="/x", source_names=["test"])


def test_fingerprint_survives_unrelated_line_shifts(registry):
    key = stripe_key()
    before = _scan({"a.py": f'K = "{key}"\n'}, registry).findings
    after = _scan({"a.py": f'import os\n\n\nK = "{key}"\n'}, registry).findings
    assert before[0].location.line == 1 and after[0].location.line == 4
    assert before[0].fingerprint == after[0].fingerprint


def test_fingerprint_differs_by_secret_path_and_occurrence(registry):
    one, two = stripe_key(1), stripe_key(2)
    result = _scan({"a.py": f'K = "{one}"\nK2 = "{one}"\nK3 = "{two}"\n', "b.py": f'K = "{one}"\n'}, registry)
    prints = [f.fingerprint for f in result.findings]
    assert len(prints) == 4 and len(set(prints)) == 4


def test_fingerprint_does_not_contain_the_secret(registry):
    key = stripe_key()
    finding = _scan({"a.py": f'K = "{key}"\n'}, registry).findings[0]
    assert key not in finding.fingerprint and len(finding.fingerprint) == 64


def test_redact_shows_prefix_length_and_hash_only():
    key = anthropic_key()
    shown = redact(key)
    assert key not in shown and "108 chars" in shown and shown.startswith("sk-ant")
    assert len(shown.split("…")[0]) <= 6


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_reporter_prints_a_secret(registry, fmt):
    keys = [stripe_key(), anthropic_key()]
    long_line = "x=1;" * 200 + f'k="{keys[0]}";' + "y=2;" * 200
    files = {"a.py": f'A = "{keys[0]}"\nB = "{keys[1]}"\n', "bundle.min.js": long_line}
    result = _scan(files, registry)
    assert len(result.findings) == 3
    output = get_reporter(fmt, verbose=True).render(result)
    for key in keys:
        assert key not in output
        assert key[:20] not in output  # not even a long fragment
