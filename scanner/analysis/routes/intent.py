"""What a route is for, judged from its path, handler name and handler code.

Used to keep public-by-intent routes (login, signup, health checks, OAuth callbacks, signed webhooks,
static pages) out of the auth findings, to pick routes that need a rate limit (auth and chat/LLM
routes), and to rate a route's severity (does it touch user data?).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from scanner.analysis.routes.python.model import Route

_AUTH_WORDS = (r"log_?in|sign_?in|sign_?up|register|registration|log_?out|sign_?out|forgot|forgot_?password"
               r"|reset_?password|password_?reset|password_?recovery|recover_?password|otp|mfa|2fa|two_factor"
               r"|magic_?link|verify_?email|confirm_?email"
               r"|token|refresh_?token|token_?refresh")
#: Authentication endpoints: they exist for anonymous callers.
AUTH_ENDPOINT = re.compile(rf"(?:^|[/_.\-{{<])(?:{_AUTH_WORDS})(?:$|[/_.\-{{<>}}])", re.IGNORECASE)
HEALTH = re.compile(r"(?:^|[/_.\-])(?:health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|ping"
                    r"|status|version|metrics|robots\.txt|favicon\.ico|sitemap\.xml)(?:$|[/_.\-])", re.IGNORECASE)
OAUTH_CALLBACK = re.compile(r"callback|oauth|authorize|sso|saml|oidc", re.IGNORECASE)
WEBHOOK = re.compile(r"webhook|hooks?(?:$|[/_.\-])|stripe_events|ipn", re.IGNORECASE)
STATIC_PAGES = frozenset({"/", "/index", "/about", "/pricing", "/terms", "/privacy", "/contact", "/faq", "/home",
                          "/landing", "/features", "/docs", "/help"})
#: Verifying a webhook's signature: provider SDK helpers or an HMAC comparison.
SIGNATURE_CHECK = re.compile(
    r"construct_event\(|compare_digest\(|\.verify\(|verify_signature|verify_webhook|validate_signature"
    r"|RequestValidator|X-Hub-Signature|Stripe-Signature|svix|standardwebhooks|WebhookSignature"
    r"|\bverify_\w*signature\w*\(",
    re.IGNORECASE,
)
#: Handler code that reads or changes stored data, files, or calls a model provider.
USER_DATA = re.compile(
    r"\.query\b|\.objects\b|\bsession\.(?:get|execute|scalars?|add|delete|commit|query)\(|\bdb\.\w+\(|\bselect\("
    r"|\.execute\(|\bopen\(|send_file\(|send_from_directory\(|FileResponse\(|\.read_text\(|\.read_bytes\("
    r"|\.get_object_or_404\(|get_object_or_404\(|\.filter\(|\.find_one\(|\.find\(|\.insert_one\("
    r"|\.save\(\)|\.delete\(\)|\bcursor\(|\b(?:session|db)\s*=\s*(?:session|db)\b|Depends\(\s*get_(?:db|session)\b"
    r"|\bSessionDep\b|\bDbSession\b",
)
LLM_CALL = re.compile(
    r"\.chat\.completions\.create\(|\.completions\.create\(|\.responses\.create\(|\.messages\.create\("
    r"|\.messages\.stream\(|\bgenerate_content\(|\.invoke\(|\.ainvoke\(|\.stream\(|\bllm\b|\bcompletion\("
    r"|\bopenai\b|\banthropic\b|\bchat_model\b",
    re.IGNORECASE,
)
CHAT_PATH = re.compile(r"chat|completion|prompt|ask|assistant|agent|generate|llm|message|conversation|coach",
                       re.IGNORECASE)


def _subjects(route: Route) -> tuple[str, str]:
    """The route's path and handler name in snake case (``reset-password``, ``PasswordResetView``)."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", route.name).lower()
    return (route.path or "").replace("-", "_"), name


def is_auth_endpoint(route: Route) -> bool:
    """Login, signup, password reset, OTP, token and similar endpoints."""
    path, name = _subjects(route)
    return bool(AUTH_ENDPOINT.search(path) or AUTH_ENDPOINT.search(f"_{name}_"))


def is_webhook(route: Route) -> bool:
    path, name = _subjects(route)
    return bool(WEBHOOK.search(path) or WEBHOOK.search(f"_{name}_"))


def verifies_signature(route: Route) -> bool:
    return bool(SIGNATURE_CHECK.search(route.code))


def touches_user_data(route: Route) -> bool:
    """The handler queries stored data, reads files or calls a language model."""
    return data_access(route) is not None


def data_access(route: Route) -> str | None:
    """How the handler touches user data, for messages: ``"touches stored data or files"``..."""
    if USER_DATA.search(route.code):
        return "touches stored data or files"
    if LLM_CALL.search(route.code):
        return "calls a language model"
    return None


def is_chat_route(route: Route) -> bool:
    """A route that calls a language model (or is named like a chat endpoint and does)."""
    return bool(LLM_CALL.search(route.code)) and bool(CHAT_PATH.search(f"{route.path or ''} {route.name}"))


def is_static_page(route: Route) -> bool:
    """A GET page with no parameters and no data access (a landing or legal page)."""
    if set(route.methods) - {"GET", "HEAD"} or route.path_params:
        return False
    return route.path in STATIC_PAGES and not touches_user_data(route)


def public_reason(route: Route, allowlist: tuple[str, ...]) -> str | None:
    """Why a route is public by intent (so not an auth finding), or None."""
    path, name = _subjects(route)
    if any(fnmatchcase(path, pattern) or fnmatchcase(name, pattern) for pattern in allowlist):
        return "listed in public_routes"
    if is_webhook(route):
        return None  # judged by its signature check instead
    if is_auth_endpoint(route):
        return "authentication endpoint"
    if (HEALTH.search(path) or HEALTH.search(f"_{name}_")) and not route.path_params and not touches_user_data(
            route):
        return "health or status check"
    if OAUTH_CALLBACK.search(path) or OAUTH_CALLBACK.search(name):
        return "OAuth/SSO callback"
    if is_static_page(route):
        return "static page"
    return None
