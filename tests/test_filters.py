"""Each named false-positive filter: what it drops and, as important, what it keeps."""

from __future__ import annotations

import base64
import json

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.filters import Candidate, false_positive_reason, is_generic, path_confidence
from scanner.model import Confidence
from scanner.testing import MemorySource
from tests.conftest import fake_key, stripe_key

RANDOM = fake_key("", 32, seed=5)


@pytest.mark.parametrize("value, reason", [
    ("sk-xxxxxxxxxxxxxxxxxxxxxxxx", "placeholder"),
    ("your-api-key-here", "placeholder"),
    ("<TOKEN>", "placeholder"),
    ("changeme", "placeholder"),
    ("aaaaaaaaaaaaaaaa", "repetitive"),
    ("sk_live_abcdefghijklmnop", "repetitive"),
    ("Zx9" + "0123456789" + "Qw", "repetitive"),
    ("${STRIPE_SECRET_KEY}", "reference"),
    ("process.env.OPENAI_API_KEY", "reference"),
    ("os.environ['KEY']", "reference"),
    ("{{ vault_token }}", "template"),
    ("prefix-%s-suffix", "template"),
    ("token-{0}-x", "template"),
    ("gldt-{urlsafe:20}", "template"),  # the rule examples' own placeholders (self-scan of rules/)
    ("gldt-{urlsafe:20", "template"),
    ("<%= ENV['KEY'] %>", "placeholder"),
    ("ENC[AES256_GCM,data:abc,iv:def]", "encrypted"),
])
def test_filter_drops(value, reason):
    assert false_positive_reason(value) == reason


@pytest.mark.parametrize("value", [RANDOM, stripe_key(), "Tr0ub4dor&3x9q", "9f86d081884c7d659a2feaa0c55ad015"])
def test_filter_keeps_random_values(value):
    assert false_positive_reason(value) is None


def test_uuid_and_integrity_hash_dropped_only_for_generic_rules(registry):
    uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    integrity = "sha512-" + base64.b64encode(bytes(range(64))).decode()
    generic = registry.get("generic-secret-assignment")
    provider = registry.get("stripe-secret-key")
    assert is_generic(generic) and not is_generic(provider)
    assert false_positive_reason(uuid, "a.py", generic) == "hash-or-uuid"
    assert false_positive_reason(integrity, "a.py", generic) == "hash-or-uuid"
    assert false_positive_reason(uuid, "a.py", provider) is None


@pytest.mark.parametrize("name", ["package-lock.json", "yarn.lock", "poetry.lock", "Pipfile.lock", "pnpm-lock.yaml",
                                  "go.sum", "Cargo.lock", ".secrets.baseline", ".launchready-baseline.json"])
def test_lock_and_baseline_files_silence_generic_rules_only(registry, name):
    generic = registry.get("generic-secret-assignment")
    assert false_positive_reason(RANDOM, f"web/{name}", generic) == "lock-or-baseline-file"
    assert false_positive_reason(stripe_key(), f"web/{name}", registry.get("stripe-secret-key")) is None


def test_real_key_in_a_lock_file_is_still_reported(registry):
    files = {"package-lock.json": json.dumps({"token": stripe_key(), "integrity": "sha512-" + "A" * 86})}
    result = Engine(registry, Config(), DETECTORS).run([MemorySource(files)], "/x", ["t"])
    assert [f.rule_id for f in result.active] == ["stripe-secret-key"]


def test_known_public_vectors_are_dropped():
    # provider-documented examples, assembled from pieces so no key-shaped literal sits in the repository
    stripe_docs_test_key = "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc"
    aws_docs_key_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    assert false_positive_reason(stripe_docs_test_key) == "known-public"
    assert false_positive_reason(aws_docs_key_id) == "placeholder"


def test_supabase_local_demo_jwt_is_known_public():
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    token = f"{part({'alg': 'HS256'})}.{part({'iss': 'supabase-demo', 'role': 'service_role'})}.{RANDOM}"
    assert false_positive_reason(token) == "known-public"
    real = f"{part({'alg': 'HS256'})}.{part({'iss': 'supabase', 'role': 'service_role'})}.{RANDOM}"
    assert false_positive_reason(real) is None


def test_candidate_defaults_are_not_generic():
    assert Candidate("x").generic is False


@pytest.mark.parametrize("path, expected", [
    ("tests/test_app.py", Confidence.LOW), ("examples/demo.py", Confidence.LOW), ("src/app.test.ts", Confidence.LOW),
    ("docs/setup.md", Confidence.LOW), ("src/app.py", Confidence.HIGH),
])
def test_test_and_example_paths_keep_findings_with_lower_confidence(path, expected):
    assert path_confidence(path, Confidence.HIGH) is expected
