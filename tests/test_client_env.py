"""Which client-exposed variable names count as secrets."""

from __future__ import annotations

import pytest

from scanner.analysis.env.names import is_secret_name


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
