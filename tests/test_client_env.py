"""Which client-exposed variable names count as secrets, and client exposure end to end over the browser reach."""

from __future__ import annotations

import pytest

from scanner.analysis.env.names import is_secret_name
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters import REPORTERS, get_reporter
from scanner.testing import MemorySource
from tests.conftest import fake_key


@pytest.mark.parametrize(
    "suffix",
    ["OPENAI_API_KEY", "ANTHROPIC_KEY", "HF_TOKEN", "JWT_SECRET", "STRIPE_SECRET_KEY", "DB_PASSWORD",
     "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL", "PRIVATE_KEY", "CLIENT_SECRET", "RESEND_API_KEY"],
)
def test_secret_names(suffix):
    assert is_secret_name(suffix)


@pytest.mark.parametrize(
    "suffix",
    ["API_BASE_URL", "SUPABASE_ANON_KEY", "STRIPE_PUBLISHABLE_KEY", "FIREBASE_API_KEY", "GITHUB_CLIENT_ID",
     "RECAPTCHA_SITE_KEY", "PASSWORD_MIN_LENGTH", "ADMIN_EMAIL", "MAPBOX_TOKEN", "AWS_REGION", "POSTHOG_KEY",
     "FIREBASE_DATABASE_URL", "SECRET_SANTA_ENABLED"],
)
def test_public_names(suffix):
    assert not is_secret_name(suffix)


# -- end to end over the browser reach --------------------------------------------------------------------------

_APP = {
    "app/chat/panel.tsx": "'use client'\nimport { client } from '@/lib/ai'\nexport const P = () => client\n",
    "lib/ai.ts": "export const client = makeClient(process.env.NEXT_PUBLIC_OPENAI_API_KEY)\n",
    "app/api/chat/route.ts": "export const k = process.env.NEXT_PUBLIC_JWT_SECRET\n",
}


def _scan(files, registry, config=None):
    return Engine(registry, config or Config(), DETECTORS).run([MemorySource(files)], root="/x", source_names=["t"])


def _client_findings(result):
    return sorted((f.rule_id, f.location.path, f.location.line, f.severity.label) for f in result.findings
                  if f.rule_id.startswith(("client-env", "browser-")))


def test_exposed_where_browser_code_reads_it_misnamed_where_only_server_code_does(registry):
    assert _client_findings(_scan(_APP, registry)) == [
        ("client-env-secret-exposed", "lib/ai.ts", 1, "critical"),
        ("client-env-secret-name", "app/api/chat/route.ts", 1, "medium"),
    ]


def test_public_env_configuration_extends_the_public_by_design_list(registry):
    config = Config(public_env=("NEXT_PUBLIC_OPENAI_*",))
    assert [f[1] for f in _client_findings(_scan(_APP, registry, config))] == ["app/api/chat/route.ts"]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_a_hard_coded_browser_key_never_leaks(registry, fmt):
    key = fake_key("sk-" + "proj-", 40, seed=5)
    code = f"'use client'\nconst c = new OpenAI({{ apiKey: \"{key}\", dangerouslyAllowBrowser: true }})\n"
    files = {"app/chat.tsx": code}
    result = _scan(files, registry)
    assert ("browser-secret-literal", "app/chat.tsx", 2, "critical") in _client_findings(result)
    output = get_reporter(fmt, verbose=True).render(result)
    assert key not in output and key[-16:] not in output
