"""The secrets pipeline: keyword prefilter and windows, anchored rules, overlap resolution, JWT claims,
decoded findings, and parallel scanning giving the same result as a single process."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest

from scanner import parallel
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.prefilter import KeywordPrefilter, RuleShape
from scanner.reporters import get_reporter
from scanner.rules import RuleError, parse_rule
from scanner.testing import MemorySource
from tests.conftest import ALNUM, anthropic_key, fake_key, stripe_key


def _scan(files, registry, **engine_options):
    engine = Engine(registry, Config(), DETECTORS, **engine_options)
    return engine.run([MemorySource(files)], root="/x", source_names=["test"])


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{fake_key('', 43, seed=3)}"


# -- prefilter ---------------------------------------------------------------------------------------

def test_prefilter_picks_only_rules_whose_keyword_occurs_case_insensitively():
    prefilter = KeywordPrefilter([RuleShape(0, ["sk_live_"]), RuleShape(1, ["ghp_"]), RuleShape(2, ["Token"])])
    found = prefilter.candidates("x = 1\nSK_LIVE_abc\nno match here\n")
    assert set(found) == {0}


def test_prefilter_window_is_bounded_and_snapped_to_line_start_and_token_break():
    from scanner.prefilter import AFTER

    text = "a" * 50 + "\nkey = sk_live_123 tail\n" + "b" * 900 + " end\n"
    [window] = KeywordPrefilter([RuleShape(0, ["sk_live_"])]).candidates(text)[0]
    covered = text[window[0]:window[1]]
    assert "key = sk_live_123" in covered and (window[0] == 0 or text[window[0] - 1] == "\n")
    assert window[1] - text.index("sk_live_") >= AFTER  # reaches AFTER characters...
    assert text[window[1]] in " \n"  # ...and ends at a token break, not inside the b-run cut short
    assert "end" not in covered


def test_anchored_windows_start_at_each_keyword_hit():
    text = "x = 1; api_key = 'v'\ny = token\n"
    windows = KeywordPrefilter([RuleShape(0, ["api_key", "token"], anchored=True)]).candidates(text)[0]
    assert [text[s:s + 5] for s, _ in windows] == ["api_k", "token"]


def test_prefilter_cost_does_not_depend_on_rule_count():
    """One automaton: a thousand rules cost one pass, and each rule still gets only its own hits."""
    shapes = [RuleShape(i, [f"kw{i:04d}_"]) for i in range(1000)]
    found = KeywordPrefilter(shapes).candidates("nothing\nkw0500_x\nkw0999_y\n")
    assert set(found) == {500, 999}


def test_unicode_that_changes_length_when_lowercased_falls_back_to_whole_text(registry):
    key = stripe_key()
    text = "İ" * 5 + f' K = "{key}"\n'  # 'İ'.lower() is two characters
    result = _scan({"a.py": text}, registry)
    assert [f.rule_id for f in result.active] == ["stripe-secret-key"]


def test_secret_on_a_huge_minified_line_is_found(registry):
    key = stripe_key()
    line = "var a=1;" * 50_000 + f'k="{key}";' + "b=2;" * 50_000
    result = _scan({"bundle.min.js": line}, registry)
    assert [f.rule_id for f in result.active] == ["stripe-secret-key"]


# -- overlap resolution and generic rules ------------------------------------------------------------

def test_provider_rule_wins_over_generic_on_the_same_value(registry):
    result = _scan({"settings.py": f'STRIPE_API_KEY = "{stripe_key()}"\n'}, registry)
    assert [f.rule_id for f in result.active] == ["stripe-secret-key"]


def test_generic_rule_reports_an_unknown_provider_key(registry):
    value = fake_key("", 40, seed=11)
    result = _scan({"settings.py": f'ACME_API_KEY = "{value}"\n'}, registry)
    [finding] = result.active
    assert finding.rule_id == "generic-secret-assignment" and finding.severity.label == "medium"


def test_supabase_service_role_is_reported_and_anon_key_is_not(registry):
    service = _jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role"})
    anon = _jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon"})
    result = _scan({".env": f"SUPABASE_SERVICE_ROLE_KEY={service}\nNEXT_PUBLIC_SUPABASE_ANON_KEY={anon}\n"},
                   registry)
    secrets = [(f.rule_id, f.location.line) for f in result.active if f.rule_id != "env-file-committed"]
    assert secrets == [("supabase-service-role-jwt", 1)]  # the env-file rule also says: this .env is committed


def test_other_jwt_is_a_generic_jwt_finding(registry):
    token = _jwt({"sub": "42", "scope": "admin"})
    result = _scan({"client.py": f'AUTH = "{token}"\n'}, registry)
    assert [f.rule_id for f in result.active] == ["jwt"]


# -- decoding ----------------------------------------------------------------------------------------

def test_secret_inside_base64_is_reported_at_the_blob_and_masked(registry):
    key = anthropic_key()
    blob = base64.b64encode(f'{{"api_key": "{key}"}}'.encode()).decode()
    text = f"# config\nCONFIG_B64 = '{blob}'\n"
    result = _scan({"deploy.py": text}, registry)
    [finding] = result.active
    assert finding.rule_id == "anthropic-api-key" and "base64-encoded" in finding.message
    assert "decoded" in finding.message
    assert finding.location.line == 2 and finding.location.column == text.split("\n")[1].index(blob) + 1
    assert blob not in finding.location.snippet and key not in finding.location.snippet
    assert blob[:20] not in finding.location.snippet


def test_secret_inside_percent_encoded_url_is_found(registry):
    key = stripe_key()
    url = "https://hooks.example.org/cb?state=" + quote(f'{{"k":"{key}"}}', safe="")
    result = _scan({"notes.md": f"callback: {url}\n"}, registry)
    assert any(f.rule_id == "stripe-secret-key" and "percent-encoded" in f.message for f in result.active)


def test_binary_base64_is_not_decoded_into_findings(registry):
    blob = base64.b64encode(bytes(range(256)) * 4).decode()
    assert _scan({"img.txt": f"data = '{blob}'\n"}, registry).active == []


# -- filters are counted -----------------------------------------------------------------------------

def test_filtered_candidates_are_counted_by_filter_name(registry):
    files = {"a.py": 'api_key = "${PAYMENT_API_KEY_FROM_ENV}"\nsecret_token = "k3Xq12345678ZpL9wQ7rT2vB"\n'}
    result = _scan(files, registry)
    assert result.active == []
    assert result.stats["filtered"].get("repetitive") == 1


# -- credential pairs --------------------------------------------------------------------------------

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


def _aws_pair(seed: int = 7) -> tuple[str, str]:
    return fake_key("AK" + "IA", 16, BASE32, seed=seed), fake_key("", 40, ALNUM + "/+", seed=seed)


def _twilio_pair(seed: int = 7) -> tuple[str, str]:
    return fake_key("A" + "C", 32, HEX, seed=seed), fake_key("", 32, HEX, seed=seed + 1)


def _pair_files() -> tuple[dict[str, str], dict[str, str]]:
    """Call-argument forms of both pairs, in JS and Python; by rule id the partner value planted."""
    key_id, secret = _aws_pair()
    sid, token = _twilio_pair()
    files = {
        "src/s3.js": f'const AWS = require("aws-sdk");\nconst creds = new AWS.Credentials("{key_id}", "{secret}");\n',
        "app/sms.py": f'from twilio.rest import Client\n\nclient = Client("{sid}", "{token}")\n',
        "src/sms.js": f"const client = require('twilio')('{sid}', '{token}');\n",
    }
    return files, {"aws-secret-access-key": secret, "twilio-auth-token": token}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html"])
def test_other_half_of_a_credential_pair_is_reported_and_never_printed(registry, fmt):
    files, partners = _pair_files()
    result = _scan(files, registry)
    found = {(f.rule_id, f.location.path) for f in result.active}
    assert ("aws-access-key-id", "src/s3.js") in found
    assert ("aws-secret-access-key", "src/s3.js") in found
    assert ("twilio-auth-token", "app/sms.py") in found
    assert ("twilio-auth-token", "src/sms.js") in found
    output = get_reporter(fmt, verbose=True).render(result)
    for rule_id, value in partners.items():
        assert value not in output, (fmt, rule_id)
        assert all(value[i:i + 12] not in output for i in range(len(value) - 11)), (fmt, rule_id)
    if fmt != "html":
        assert "AWS secret access key found next to an AWS access key ID" in output


def test_pair_partner_is_masked_even_when_its_rule_reports_nothing(registry):
    key_id, _ = _aws_pair()
    low_entropy = fake_key("", 40, "aeiouAE1")  # a secret access key's format, below the rule's entropy gate
    files = {"s3.js": f'new AWS.Credentials("{key_id}", "{low_entropy}");\n'}
    result = _scan(files, registry)
    assert {f.rule_id for f in result.active} == {"aws-access-key-id"}
    assert low_entropy not in get_reporter("json", verbose=True).render(result)


def test_pair_needs_a_literal_partner_beside_a_real_identifier(registry):
    key_id, secret = _aws_pair()
    files = {
        "a.js": f'new AWS.Credentials("{key_id}", process.env.AWS_SECRET_ACCESS_KEY);\n',
        "b.py": f'session = boto3.Session("{key_id}", secret)\n',
        "c.js": f'new AWS.Credentials("AKIA{"X" * 16}", "{secret}");\n',  # placeholder id: no evidence
        "d.yml": f"storage:\n  access_key_id: {key_id}\n\n\n\n\n\n  secret_key: {secret}\n",  # beyond the window
    }
    result = _scan(files, registry, only_rules=["aws-secret-access-key"])
    assert result.active == []


def test_pair_partner_already_reported_by_its_rule_is_reported_once(registry):
    key_id, secret = _aws_pair()
    files = {"creds.ini": f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"}
    result = _scan(files, registry, only_rules=["aws-secret-access-key"])
    assert [(f.location.line, f.message) for f in result.active] == [(3, "AWS secret access key found")]


def _rule_with_pair(pair) -> dict:
    return {"id": "x-secret", "kind": "secret", "provider": "X", "title": "X", "severity": "high",
            "check": "secrets", "description": "d", "remediation": "r", "regex": "(?P<secret>x{40})",
            "keywords": ["x"], "pair": pair, "examples": {"positive": ["a"], "negative": ["b"]}}


@pytest.mark.parametrize("pair, message", [
    ("anchor", "must be a mapping"),
    ({"anchor": "A", "keywords": ["A"]}, "missing ['value']"),
    ({"anchor": "A", "keywords": ["A"], "value": "x", "colour": 1}, "unknown key(s) ['colour']"),
    ({"anchor": "(", "keywords": ["A"], "value": "x"}, "pair.anchor does not compile"),
    ({"anchor": "A", "keywords": [], "value": "x"}, "pair.keywords"),
    ({"anchor": "A", "keywords": ["A"], "value": "x", "window": 99}, "pair.window"),
    ({"anchor": "A", "keywords": ["A"], "value": "x", "arguments": False}, "needs sibling_keys"),
])
def test_pair_option_is_validated(pair, message):
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_rule(_rule_with_pair(pair), "x.yaml")


# -- parallel ----------------------------------------------------------------------------------------

@pytest.fixture
def pool_starts(monkeypatch) -> list[bool]:
    """Tiny thresholds so a test-sized scan fans out; records each time a pool is about to start."""
    started: list[bool] = []
    real = parallel.fork_available

    def recording() -> bool:
        started.append(True)
        return real()

    monkeypatch.setattr(parallel, "SERIAL_CHARS", 2_000)
    monkeypatch.setattr(parallel, "BATCH_CHARS", 5_000)
    monkeypatch.setattr(parallel, "fork_available", recording)
    return started


def _many_files() -> dict[str, str]:
    files = {}
    for i in range(60):
        body = "\n".join(f"def f{j}(token, secret): return token + secret  # {j}" for j in range(40))
        if i % 7 == 0:
            body += f'\nSTRIPE = "{stripe_key(i)}"\nCLAUDE = "{anthropic_key(i)}"\n'
        files[f"pkg/m{i:02d}.txt"] = body  # text: no code check wants it, so it goes to the pool
    return files


def test_parallel_scan_equals_single_process_scan(registry, pool_starts):
    files = _many_files()
    serial = _scan(files, registry, jobs=1)
    assert pool_starts == []
    pooled = _scan(files, registry, jobs=2)
    assert pool_starts == [True]
    assert len(serial.findings) == 18
    assert [(f.fingerprint, f.location, f.message) for f in pooled.findings] == \
           [(f.fingerprint, f.location, f.message) for f in serial.findings]
    assert pooled.stats["filtered"] == serial.stats["filtered"]


def test_small_scan_stays_in_process(registry, monkeypatch):
    started: list[bool] = []
    monkeypatch.setattr(parallel, "fork_available", lambda: started.append(True) or True)
    result = _scan({"a.py": f'K = "{stripe_key()}"\n'}, registry, jobs=4)
    assert started == [] and len(result.active) == 1


# -- confidence, evidence and the exit code ------------------------------------------------------------

def test_every_secret_finding_says_why_it_is_believed_without_the_value(registry):
    generic = fake_key("", 32, seed=11)
    result = _scan({"app/settings.py": f'STRIPE = "{stripe_key()}"\napi_key = "{generic}"\n'}, registry)
    by_rule = {f.rule_id: f for f in result.active}
    assert by_rule["stripe-secret-key"].evidence["basis"] == "Stripe key format"
    assert by_rule["generic-secret-assignment"].evidence["basis"].startswith("context: ")
    assert by_rule["generic-secret-assignment"].evidence["entropy"] > 4
    assert generic not in json.dumps([dict(f.evidence) for f in result.active])


def test_low_confidence_findings_are_reported_but_never_fail(registry):
    result = _scan({"tests/test_billing.py": f'KEY = "{stripe_key()}"\n'}, registry)
    [finding] = result.active
    assert finding.confidence.label == "low" and finding.evidence["confidence_lowered"]
    assert not result.fails("high") and not result.fails("low")
    assert _scan({"billing.py": f'KEY = "{stripe_key()}"\n'}, registry).fails("high")


def test_expired_jwts_are_reported_at_low_confidence(registry):
    expired, live = _jwt({"sub": "u1", "exp": 1600000000}), _jwt({"sub": "u1", "exp": 4100000000})
    result = _scan({"app/a.py": f'A = "{expired}"\n', "app/b.py": f'B = "{live}"\n'}, registry)
    by_path = {f.location.path: f for f in result.active if f.rule_id == "jwt"}
    assert by_path["app/a.py"].confidence.label == "low" and by_path["app/a.py"].evidence["expired"]
    assert by_path["app/b.py"].confidence.label == "medium" and "expired" not in by_path["app/b.py"].evidence


def test_a_key_configured_for_a_mock_service_is_low(registry):
    key = "-----BEGIN PRIVATE KEY-----\n" + fake_key("", 64, seed=4) + "\n-----END PRIVATE KEY-----"
    compose = "services:\n  idp:\n    image: acme/mock-saml:1.2\n    environment:\n      PRIVATE_KEY: |\n"
    real = "services:\n  idp:\n    image: acme/saml:1.2\n    environment:\n      PRIVATE_KEY: |\n"
    indented = "\n".join("        " + line for line in key.split("\n")) + "\n"
    result = _scan({"ci/compose.yml": compose + indented, "deploy/compose.yml": real + indented}, registry)
    by_path = {f.location.path: f for f in result.active}
    assert by_path["ci/compose.yml"].confidence.label == "low" and by_path["ci/compose.yml"].evidence["mock_service"]
    assert by_path["deploy/compose.yml"].confidence.label != "low"
