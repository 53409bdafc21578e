"""Each named false-positive filter: what it drops and, as important, what it keeps."""

from __future__ import annotations

import base64
import json

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.filters import (
    Candidate,
    false_positive_reason,
    is_generic,
    looks_machine_generated,
    path_confidence,
    string_block_lines,
)
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
    ("xoxp-1234-1234-1234-" + RANDOM, "repetitive"),  # typed ids around a random part
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


def _generic_reason(registry, rule_id: str, line: str, value: str, path: str = "app.py") -> str | None:
    """The filter verdict for ``value`` as a hit of ``rule_id`` found on ``line``."""
    return false_positive_reason(value, path, registry.get(rule_id), line, line.index(value))


@pytest.mark.parametrize("path, line, value", [
    ("app/config.py", "    password_auth_callback: Optional[Callable[[str, str], User]] = None",
     "Optional[Callable[[str,"),
    ("lib/db.ts", "  return db.insert(user).values({ email, password: hashedPassword });", "hashedPassword"),
    ("src/s3.ts", "  secretAccessKey: env.STORAGE_SECRET_KEY,", "env.STORAGE_SECRET_KEY"),
    ("app/db.py", "    user = User(password=settings.FIRST_SUPERUSER_PASSWORD)", "settings.FIRST_SUPERUSER_PASSWORD"),
    ("src/Login.vue", "      password: this.password1,", "this.password1"),
    ("auth.ts.diff", "+const emailAndPasswordMethod: AuthMethodConfig = {", "AuthMethodConfig"),
])
def test_generic_values_must_be_literals_in_source_code(registry, path, line, value):
    rule = "generic-secret-assignment" if "secret" in line.lower() else "generic-password-assignment"
    assert _generic_reason(registry, rule, line, value, path) == "expression"


def test_literals_and_config_values_are_not_expressions(registry):
    assert _generic_reason(registry, "generic-password-assignment", f'db_password = "{RANDOM}"', RANDOM) is None
    assert _generic_reason(registry, "generic-password-assignment", f"DB_PASSWORD={RANDOM}", RANDOM, ".env") is None
    assert _generic_reason(registry, "authorization-header-credential", f'h = {{"Authorization": "Bearer {RANDOM}"}}',
                           RANDOM) is None
    # provider rules are never judged by their surroundings
    assert false_positive_reason(stripe_key(), "app.py", registry.get("stripe-secret-key"), f"k = {stripe_key()}",
                                 4) is None


def test_ui_strings_and_translations_are_not_passwords(registry):
    assert _generic_reason(registry, "generic-password-assignment", '  "password": "パスワードを入力してください",',
                           "パスワードを入力してください", "app/i18n.json") == "natural-language"
    assert _generic_reason(registry, "generic-password-assignment", '  "password": "Wachtwoord1",', "Wachtwoord1",
                           "frontend/translations/nl.json") == "natural-language"


@pytest.mark.parametrize("url", [
    "postgres://scott:{p}@localhost/test", "postgresql://app:{p}@127.0.0.1:5432/app",
    "https://deploy:{p}@sentry.example.com/1", "mongodb://app:{p}@db.local:27017",
])
def test_urls_to_local_and_example_hosts_are_placeholders(registry, url):
    line = f'DATABASE_URL = "{url.format(p=RANDOM)}"'
    rule = "url-basic-auth" if url.startswith("https") else "database-url-password"
    assert _generic_reason(registry, rule, line, RANDOM) == "placeholder-host"
    real = line.replace("@", "@x").replace("localhost", "db.acme.internal").replace("127.0.0.1", "10.0.0.5")
    assert _generic_reason(registry, "database-url-password", real.replace("example.com", "acme.io").replace(
        "db.local", "db.acme.io").replace("xx", "x"), RANDOM) is None


def test_cloud_resource_identifiers_are_not_secrets(registry):
    line = 'default = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app-Ab12Cd34Ef56Gh"'
    assert _generic_reason(registry, "generic-secret-assignment", line, "prod/app-Ab12Cd34Ef56Gh",
                           "infra/variables.tf") == "resource-id"


def test_generic_rules_skip_generated_code_provider_rules_do_not(registry):
    minified = "var a={" + "x:1," * 1000 + f'password:"{RANDOM}"' + "};"
    assert _generic_reason(registry, "generic-password-assignment", minified, RANDOM, "static/app.js") == \
        "generated-code"
    for path in ("assets/js/main.09a17aff.js", "node_modules/pkg/index.js", "public/org.min.js"):
        assert _generic_reason(registry, "generic-password-assignment", f'password = "{RANDOM}"', RANDOM, path) == \
            "generated-code"
    assert false_positive_reason(stripe_key(), "node_modules/pkg/index.js", registry.get("stripe-secret-key"),
                                 minified, 10) is None


@pytest.mark.parametrize("value", ["lsv2_your_langsmith_api_key_here", "changethis", "your_openai_key_here"])
def test_documented_placeholders(value):
    assert false_positive_reason(value) == "placeholder"


@pytest.mark.parametrize("value, generated", [
    ("refresh_token_123", False), ("github_token_123&token_type=bearer", False), ("testpassword123", False),
    (RANDOM, True), ("sk_live_" + RANDOM, True),
])
def test_typed_fixture_values_are_told_from_generated_keys(value, generated):
    assert looks_machine_generated(value) is generated


def test_typed_values_in_tests_are_fixtures_generated_ones_stay(registry):
    rule = "generic-password-assignment"
    assert _generic_reason(registry, rule, 'password: "domain@123",', "domain@123", "tests/e2e/members.spec.ts") == \
        "fixture-value"
    assert _generic_reason(registry, rule, f'password: "{RANDOM}",', RANDOM, "tests/e2e/members.spec.ts") is None
    assert _generic_reason(registry, rule, 'password: "domain@123",', "domain@123", "app/seed.ts") is None


def test_tokens_in_urls_to_local_hosts_are_placeholders(registry):
    token = fake_key("", 48, seed=9).lower()
    for url in (f"http://localhost:8888/?token={token}", f"http://(9f3a2b1c or 127.0.0.1):8888/?token={token}"):
        assert _generic_reason(registry, "generic-secret-assignment", f"open {url}", token, "NOTES.txt") == \
            "in-placeholder-url"
    assert _generic_reason(registry, "generic-secret-assignment", f"open https://api.acme.io/?token={token}", token,
                           "NOTES.txt") is None


def test_expired_jwts_in_tests_are_fixtures(registry):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    expired = f"{part({'alg': 'HS256'})}.{part({'sub': 'u1', 'exp': 1600000000})}.{RANDOM}"
    assert _generic_reason(registry, "jwt", f'token: "{expired}"', expired, "cypress/e2e/chat.cy.ts") == \
        "fixture-value"
    assert _generic_reason(registry, "jwt", f'token: "{expired}"', expired, "src/chat.ts") is None


def test_a_line_inside_a_multiline_string_is_text_not_code(registry):
    text = f'CONFIG = """\nSMTP_PASSWORD={RANDOM}\n"""\nuser = User(password=hashedPassword)\n'
    rule = registry.get("smtp-password")
    line = f"SMTP_PASSWORD={RANDOM}"
    assert string_block_lines(text) == [(1, 3, False)]
    assert false_positive_reason(RANDOM, "app/settings.py", rule, line, 14, "", in_string_block=True) is None
    expression = "hashedPassword"
    assert false_positive_reason(expression, "app/settings.py", registry.get("generic-password-assignment"),
                                 "user = User(password=hashedPassword)", 21, "") == "expression"
    prose = "    (``password: hashedPassword``) is a variable, not a value"
    assert false_positive_reason(expression, "app/settings.py", registry.get("generic-password-assignment"),
                                 prose, prose.index(expression), "", in_string_block=True) == "expression"


def test_typed_examples_in_docstrings_are_examples_generated_values_stay(registry):
    rule = registry.get("generic-password-assignment")
    typed = "pass;LANGUAGE=us_english"
    text = f'def connect():\n    """Connect with\n\n        dsn=mydsn;UID=user;PWD={typed}\n    """\n'
    line = f"        dsn=mydsn;UID=user;PWD={typed}"
    assert string_block_lines(text) == [(2, 5, True)]
    assert false_positive_reason(typed, "db/odbc.py", rule, line, line.index(typed), "",
                                 in_string_block=True, in_docstring=True) == "fixture-value"
    line = line.replace(typed, RANDOM)
    assert false_positive_reason(RANDOM, "db/odbc.py", rule, line, line.index(RANDOM), "",
                                 in_string_block=True, in_docstring=True) is None
    # without the whole file (a diff hunk), an unquoted value in source code is an expression
    assert false_positive_reason(RANDOM, "db/odbc.py", rule, line, line.index(RANDOM)) == "expression"
