"""Does a piece of code establish who the caller is? Heuristics on source text, shared by the route model.

Two strengths: a *guard* (a decorator, a ``before_request`` hook, a middleware, a dependency) must
read or verify the caller's identity and be able to stop the request (``abort``, ``raise``,
``redirect``, a 401/403, a verifier that raises): a hook that only loads ``g.user`` protects nothing.
An *inline* check in a handler body must refuse unauthenticated callers explicitly.
"""

from __future__ import annotations

import re

#: Reading or verifying the caller's identity: enough for code whose only job is guarding.
IDENTITY_SIGNALS = re.compile(
    r"""\bcurrent_user\b|\bg\.user\b|\bg\.current_user\b|\brequest\.user\b|\bsession\s*\[\s*['"]|\bsession\.get\(\s*['"]
    |['"]authorization['"]|\bget_jwt_identity\b|\bverify_jwt_in_request\b|\bjwt\.decode\(|\bverify_\w*token\w*\(
    |\bdecode_\w*token\w*\(|\bis_authenticated\b|\bHTTP_401_UNAUTHORIZED\b|\bHTTP_403_FORBIDDEN\b
    |\bstatus_code\s*=\s*40[13]\b|\babort\(\s*40[13]\b|\bUnauthorized\b|\bPermissionDenied\b|\bNotAuthenticated\b
    |\bauthenticate\(|\bcheck_password\(|\bverify_password\(|\bx[-_]api[-_]key\b|\bhas_perm\(
    |\bapi_keys?\b\s*(?:!=|==|not\s+in\b|in\b)
    |\bget_current_user\w*\(|\bauth\.verify|\bauthorization\b|\bnot_authenticated\b""",
    re.IGNORECASE | re.VERBOSE,
)

#: Stopping the request: what turns code that reads identity into a guard.
STOPS_REQUEST = re.compile(
    r"\babort\(|\braise\b|\bredirect\(|\b40[13]\b|HTTP_40[13]_|\bverify\w*\(|\bjwt\.decode\("
    r"|\bdecode_\w*token\w*\(|\bPermissionDenied\b"
)

#: An inline check inside a handler that refuses unauthenticated callers.
INLINE_REFUSAL = re.compile(
    r"""\babort\(\s*40[13]\b|\bstatus(?:_code)?\s*=\s*40[13]\b|\bHTTP_40[13]_\w+|HTTPException\(\s*40[13]\b
    |\breturn\b[^\n]*,\s*40[13]\s*$|\bredirect\([^)\n]*login|\braise\s+(?:Unauthorized|PermissionDenied
    |NotAuthenticated|AuthenticationFailed)\b|\bnot\s+(?:current_user|request\.user)\.is_authenticated\b
    |\bverify_jwt_in_request\(|\bverify_\w*token\w*\(""",
    re.VERBOSE | re.MULTILINE,
)

#: Names of well-known auth decorators and permission helpers (the last dotted part is compared).
AUTH_DECORATORS = frozenset({
    "login_required", "jwt_required", "fresh_jwt_required", "jwt_refresh_token_required", "roles_required",
    "roles_accepted", "permission_required", "permissions_required", "auth_required", "auth_token_required",
    "http_auth_required", "token_required", "user_passes_test", "staff_member_required", "superuser_required",
    "requires_auth", "require_auth", "requires_login", "require_login", "admin_required", "requires",
    "verify_jwt_in_request", "oidc_auth", "accept_roles",
})

#: Dependency callables or classes whose presence means identity is resolved (FastAPI security schemes).
SECURITY_SCHEMES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect", "HTTPBearer", "HTTPBasic",
    "HTTPDigest", "APIKeyHeader", "APIKeyCookie", "APIKeyQuery", "SecurityScopes",
})

#: Name shapes of dependencies that resolve the caller, used only when their body is not in the project.
AUTH_DEPENDENCY_NAME = re.compile(
    r"current_(?:active_)?(?:user|account|member|principal|superuser)|authenticat|require_(?:user|auth|login|admin)"
    r"|(?:verify|validate|require|check)_(?:token|api_?key|jwt|auth)|get_(?:user_from_token|token_user|authenticated)"
    r"|oauth2_scheme|api_key_auth|authoriz"
    r"|auth_required|login_required",
    re.IGNORECASE,
)


def guards_identity(code: str) -> bool:
    """True when guard code (decorator, hook, middleware, dependency) checks identity and can refuse."""
    return bool(IDENTITY_SIGNALS.search(code)) and bool(STOPS_REQUEST.search(code))


def refuses_anonymous(code: str) -> bool:
    """True when a handler body refuses unauthenticated callers itself."""
    return bool(INLINE_REFUSAL.search(code))


def last_name(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]
