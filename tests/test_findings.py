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


def _decoded_and_generic_files(keys: list[str]) -> dict[str, str]:
    import base64
    from urllib.parse import quote

    blob = base64.b64encode(f'{{"token": "{keys[1]}"}}'.encode()).decode()
    return {
        "deploy.py": f"CONFIG = '{blob}'\n",
        "notes.md": "cb: https://x.test/?s=" + quote(f'"{keys[0]}"', safe="") + "\n",
        ".env": f"DATABASE_URL=postgres://app:{keys[2]}@db.internal:5432/app\nACME_API_KEY={keys[3]}\n",
    }


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_reporter_prints_decoded_or_generic_secrets(registry, fmt):
    from tests.conftest import fake_key

    keys = [stripe_key(3), anthropic_key(4), fake_key("", 20, seed=8), fake_key("", 40, seed=9)]
    result = _scan(_decoded_and_generic_files(keys), registry)
    rules = sorted(f.rule_id for f in result.findings)
    assert rules == ["anthropic-api-key", "database-url-password", "env-file-committed", "generic-secret-assignment",
                     "stripe-secret-key"], rules
    output = get_reporter(fmt, verbose=True).render(result)
    for key in keys:  # not the key, nor its random tail (a rule's description may name the provider prefix)
        assert key not in output and key[-16:] not in output


@pytest.mark.parametrize("fmt", ["launchready", "detect-secrets"])
def test_baseline_files_hold_no_secret(registry, fmt):
    from scanner.baseline import detect_secrets_document, launchready_document, render

    keys = [stripe_key(3), anthropic_key(4), stripe_key(5)]
    files = {**_decoded_and_generic_files([keys[0], keys[1], "x" * 3, "y" * 3]), "a.py": f'K = "{keys[2]}"\n'}
    result = _scan(files, registry)
    document = (launchready_document(result.findings) if fmt == "launchready"
                else detect_secrets_document(result.findings, {}))
    text = render(document)
    assert len(result.findings) >= 3
    for key in keys:
        assert key not in text and key[:12] not in text
