"""What a route is for, judged once for every language from its path, handler name and handler code.

Keeps public-by-purpose routes (login, signup, password reset, OAuth callbacks, health checks, static
assets, HTML shells, publicly shared pages, the ``public_routes`` configuration) out of the auth findings,
tells webhooks (judged by their signature check) apart, picks routes that need a rate limit (auth and
chat/LLM routes), and rates a route's severity (does it touch user data?). A static asset route is public
by purpose, so it never gets the "touches files" severity of a data route.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from scanner.analysis.routes.model import Route

_AUTH_WORDS = (r"log_?in|sign_?in|sign_?up|register|registration|create_?account|log_?out|sign_?out|forgot"
               r"|forgot_?password|request_?password\w*|reset_?password|password_?reset|password_?recovery|recover_?password|otp|mfa|2fa|two_factor"
               r"|magic_?link|verify_?email|confirm_?email|csrf"
               r"|token|refresh_?token|token_?refresh")
#: Authentication endpoints: they exist for anonymous callers (``/login``, ``sign_up``, ``/auth/...``,
#: NextAuth's ``[...nextauth]``).
AUTH_ENDPOINT = re.compile(rf"(?:^|[/_.\-{{<\[])(?:{_AUTH_WORDS})(?:$|[/_.\-{{<>}}\]])", re.IGNORECASE)
AUTH_SEGMENTS = frozenset({"auth", "[...nextauth]", "nextauth"})
HEALTH = re.compile(r"(?:^|[/_.\-])(?:health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|ping"
                    r"|status|version|robots\.txt|sitemap\.xml)(?:$|[/_.\-])", re.IGNORECASE)
OAUTH_CALLBACK = re.compile(r"callbacks?|oauth|authorize|sso|saml|oidc", re.IGNORECASE)
WEBHOOK = re.compile(r"webhook|hooks?(?:$|[/_.\-])|stripe_events|ipn"
                     r"|(?:slack|teams|discord|telegram|twilio|whatsapp|bot)/(?:events|messages|interactions)"
                     r"|(?:slack|teams|discord|telegram|twilio|whatsapp)[/_]bot(?:$|[/_.\-])"
                     r"|^/api/messages$", re.IGNORECASE)
STATIC_PAGES = frozenset({"/", "/index", "/about", "/pricing", "/terms", "/privacy", "/contact", "/faq", "/home",
                          "/landing", "/features", "/docs", "/help"})
#: The last path segment of a legal page (``/cms/privacy-policy``, ``/legal/terms-of-service``).
LEGAL_PAGE = re.compile(r"(?:^|/)(?:terms(?:-of-(?:service|use))?|tos|privacy(?:-policy)?|cookie-policy|cookies"
                        r"|license|imprint|impressum|legal|disclaimer|acceptable-use)$")
#: Path segments of static files: built front ends, images, icons, fonts, UI strings, Open Graph images.
STATIC_SEGMENTS = frozenset({"static", "assets", "asset", "public", "favicon", "favicon.ico", "logo", "avatars",
                             "avatar", "images", "img", "icons", "fonts", "translations", "locales", "i18n", "og",
                             ".well-known", "manifest.json", "site.webmanifest", "robots.txt"})
STATIC_FILE = re.compile(r"\.(?:ico|png|svg|jpe?g|gif|webp|css|js|map|txt|xml|webmanifest|woff2?|ttf|vcf)$",
                         re.IGNORECASE)
#: A handler that renders a page (a template or an HTML file) rather than answering with data.
HTML_SHELL = re.compile(r"TemplateResponse\(|render_template\(|\brender\(\s*request\s*,|HTMLResponse\("
                        r"|['\"][\w/.-]*\.html['\"]")
#: A handler that serves files out of a folder of the front end's build or static files.
SERVES_FILES = re.compile(r"FileResponse\(|send_from_directory\(|send_file\(|StaticFiles\(|sendFile\(")
STATIC_FOLDER = re.compile(r"build|static|assets|public|dist|frontend|home_directory", re.IGNORECASE)
#: Reading a file or listing a folder, in either language.
READS_FILES = re.compile(r"\b(?:readFile|readFileSync|readdir|readdirSync|open|listdir|scandir|read_text|read_bytes"
                         r"|glob)\s*\(")
#: A path literal in the handler: something with a slash (``"client/dist/assets/i18n/"``).
PATH_LITERAL = re.compile(r"""['"`]([\w.@-]*/[\w./@-]*)['"`]""")
#: Folders of what the project ships: its built front end, static files, translations. Never a user's files.
BUNDLED_FOLDERS = frozenset({"static", "assets", "dist", "build", "public", "i18n", "locales", "translations"})
#: One file of the project named in the handler (``open("utils/qr-code.png", "rb")``).
FIXED_FILE = re.compile(r"""['"][\w./-]+\.(?:png|svg|ico|jpe?g|gif|webp|css|js|html)['"]""")
#: Path parameters that are secrets themselves: a capability URL (signed links, verification tokens, keys).
CAPABILITY_PARAM = re.compile(r"(?:^|_)(?:token|signature|signed|secret|key|hash|nonce)(?:_|$)", re.IGNORECASE)
#: Last path segments of what a front end loads before anyone signs in: its configuration and form options.
CLIENT_CONFIG = frozenset({"options", "config", "configuration", "client_config", "settings.json"})
#: A JSON Web Key Set: the public keys others verify this service's tokens with, published on purpose.
JWKS = re.compile(r"jwks?(?![a-z])", re.IGNORECASE)
#: An answer the handler lets shared caches keep and serve to anyone (``Cache-Control: public``, ``s-maxage``,
#: Django's ``@cache_control(public=True)``): by its own declaration the same for every caller.
PUBLIC_CACHE = re.compile(r"""Cache-Control['"]?\s*[:,=]\s*[`'"][^`'"]*\b(?:public|s-maxage)\b"""
                          r"|cache_control\(\s*public\s*=\s*True", re.IGNORECASE)
#: Documentation and help pages.
DOC_SEGMENTS = frozenset({"docs", "doc", "help", "documentation", "guide", "guides", "openapi.json", "openapi.yaml",
                          "swagger.json", "swagger.yaml"})
#: Routes that serve what users shared publicly (read-only share links).
SHARED_SEGMENTS = frozenset({"share", "shared"})
#: Handlers that serve anonymous callers on purpose: identity is optional (``user if authenticated else None``).
OPTIONAL_AUTH = re.compile(r"\bis_authenticated\s+else\b|\bif\s+not\s+\w+\.user\.is_authenticated\s*:\s*\n?\s*"
                           r"\w+\s*=\s*None")
#: Verifying a webhook's signature: provider SDK helpers, an HMAC comparison, bot frameworks' verifiers.
SIGNATURE_CHECK = re.compile(
    r"construct_event\(|compare_digest\(|\.verify\(|verify_signature|verify_webhook|validate_signature"
    r"|RequestValidator|X-Hub-Signature|Stripe-Signature|svix|standardwebhooks|WebhookSignature"
    r"|\bverify_\w*signature\w*\(|constructEvent|verifyWebhook|verifySignature|validateSignature"
    r"|timingSafeEqual|\bWebhook\s*\(|createHmac|\bslack\w*handler\.handle\(|SlackRequestHandler"
    r"|\.process_activity\(|Bot-Api-Secret-Token",
    re.IGNORECASE,
)
#: Handler code that reads or changes stored data, files, or calls a payment provider, in either language.
USER_DATA = re.compile(
    r"\.query\b|\.objects\b|\bsession\.(?:get|execute|scalars?|add|delete|commit|query)\(|\bdb\.\w+\(|\bselect\("
    r"|\.execute\(|\bopen\(|send_file\(|send_from_directory\(|FileResponse\(|\.read_text\(|\.read_bytes\("
    r"|\.get_object_or_404\(|get_object_or_404\(|\.filter\(|\.find_one\(|\.find\(|\.insert_one\("
    r"|\.save\(\)|\.delete\(\)|\bcursor\(|\b(?:session|db)\s*=\s*(?:session|db)\b|Depends\(\s*get_(?:db|session)\b"
    r"|\bSessionDep\b|\bDbSession\b|Depends\(\s*(?:get|generate|create)_\w*(?:db|session)\b|\bdb\.\w+\.\w+\(",
)
#: The same in JavaScript/TypeScript: database clients and ORMs, storage, payments, the file system.
JS_DATA = re.compile(
    r"\b(?:prisma|db|supabase|knex|pool|sql|mongoose|drizzle|redis|kv|stripe|fs|s3)\s*[.(`]"
    r"|\.(?:findMany|findUnique|findFirst|findOne|findById|create|update|delete|upsert|insert|query|from)\s*\(",
)
DATA = {"python": USER_DATA, "javascript": JS_DATA}
LLM_CALL = re.compile(
    r"\.chat\.completions\.create\(|\.completions\.create\(|\.responses\.create\(|\.messages\.create\("
    r"|\.messages\.stream\(|\bgenerate_content\(|\.invoke\(|\.ainvoke\(|\.astream\w*\(|\.stream\(|\bcompletion\("
    r"|\bllm\w*\.\w+\(|\b(?:openai|anthropic)\.\w+|\b\w*chat_model\w*\.\w+\(|\bsend_message_to_model\w*\("
    r"|\bconverse\w*\(|\b(?:generateText|streamText|generateObject)\s*\("
    r"|\b\w*(?:agent|assistant|chatbot)\w*\.a?(?:chat|run|ask|respond|reply|generate)\w*\(",  # an agent object asked
    re.IGNORECASE,
)
#: In JavaScript/TypeScript only calls count (provider and model names are everywhere in config and UI code).
JS_LLM_CALL = re.compile(
    r"\.chat\.completions\.create\(|\.completions\.create\(|\.responses\.create\(|\.messages\.(?:create|stream)\("
    r"|\b(?:generateText|streamText|generateObject|streamObject|streamUI)\s*\(|\bnew\s+Chat(?:OpenAI|Anthropic|Google"
    r"\w*|Groq|Mistral\w*|Ollama)\b|\.generateContent(?:Stream)?\("
    r"|\b(?:fetch|call|get|run|invoke|create|stream)\w*(?:Completion|ChatResponse|LLMResponse)\s*\("
    r"|\b\w*[cC]hain\w*\.(?:call|invoke|stream)\(|\.invoke\(\s*[{\[]")
LLM_CALLS = {"python": LLM_CALL, "javascript": JS_LLM_CALL}
CHAT_PATH = re.compile(r"chat|completion|prompt|ask|assistant|agent|generate|llm|message|conversation|coach",
                       re.IGNORECASE)
READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})
#: A controller class or module the project itself names public (``PublicRecipesController``, ``public.py``).
DECLARED_PUBLIC = re.compile(r"(?:^|_)(?:public|anonymous|unauthenticated)(?:_|$)")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _subjects(route: Route) -> tuple[str, str]:
    """The route's path and handler name in snake case (``reset-password``, ``PasswordResetView``)."""
    return (route.path or "").replace("-", "_"), _snake(route.name)


def _segments(route: Route) -> set[str]:
    return {s.lower() for s in (route.path or "").split("/") if s}


def _read_only(route: Route) -> bool:
    return bool(route.methods) and not set(route.methods) - READ_ONLY


def is_auth_endpoint(route: Route) -> bool:
    """Login, signup, password reset, OTP, token and similar endpoints (where credentials are guessed)."""
    path, name = _subjects(route)
    return bool(AUTH_ENDPOINT.search(path) or AUTH_ENDPOINT.search(f"_{name}_"))


def is_webhook(route: Route) -> bool:
    path, name = _subjects(route)
    return bool(WEBHOOK.search(path) or WEBHOOK.search(f"_{name}_"))


def verifies_signature(route: Route) -> bool:
    """The handler, or a project helper it hands the request to, checks the sender's signature."""
    return bool(SIGNATURE_CHECK.search(route.code) or SIGNATURE_CHECK.search(route.delegate_code))


def touches_user_data(route: Route) -> bool:
    """The handler queries stored data, reads files or calls a language model."""
    return data_access(route) is not None


def data_access(route: Route) -> str | None:
    """How the handler touches user data, for messages: ``"touches stored data or files"``..."""
    if DATA.get(route.language, USER_DATA).search(route.code):
        return "touches stored data or files"
    if LLM_CALLS.get(route.language, LLM_CALL).search(route.code):
        return "calls a language model"
    return None


def is_chat_route(route: Route) -> bool:
    """A route that calls a language model (or is named like a chat endpoint and does)."""
    return bool(LLM_CALLS.get(route.language, LLM_CALL).search(route.code)) and bool(
        CHAT_PATH.search(f"{route.path or ''} {route.name}"))


def is_static_page(route: Route) -> bool:
    """A GET page with no parameters and no data access (a landing or legal page)."""
    if not _read_only(route) or route.path_params:
        return False
    path = (route.path or "").rstrip("/")
    return (path in STATIC_PAGES | {""} or bool(LEGAL_PAGE.search(path))) and not touches_user_data(route)


def is_static_asset(route: Route) -> bool:
    """A GET route serving static files: icons, images, fonts, built front-end assets, UI strings,
    ``.well-known`` documents, a folder of the build served by file name, or what a handler reads out of
    the project's own bundled files."""
    if not _read_only(route):
        return False
    path, name = _subjects(route)
    if _segments(route) & STATIC_SEGMENTS or STATIC_FILE.search(path.rstrip("/")):
        return True
    if re.search(r"(?:^|_)(?:favicon|logo|avatar|static|assets?|translations)(?:_|$)", name):
        return True
    if _db(route):
        return False
    if SERVES_FILES.search(route.code) and (STATIC_FOLDER.search(route.code) or (
            not route.path_params and FIXED_FILE.search(route.code))):
        return True
    return reads_bundled_files(route)


def reads_bundled_files(route: Route) -> bool:
    """A handler without path parameters that reads files, every one of them by a fixed path into the
    folders the project ships (``readdir("client/dist/assets/i18n/")``: the list of UI languages): what it
    answers is the same for every caller and holds no user's data."""
    if route.path_params or not READS_FILES.search(route.code):
        return False
    paths = [p for p in PATH_LITERAL.findall(route.code) if not (route.path or "").endswith(p)]  # not its URL
    return bool(paths) and all(set(p.lower().split("/")) & BUNDLED_FOLDERS for p in paths)


def is_html_shell(route: Route) -> bool:
    """A GET page that renders a template or HTML file without reading stored data: the data APIs
    behind it carry the checks."""
    return _read_only(route) and bool(HTML_SHELL.search(route.code)) and not _db(route)


def _db(route: Route) -> bool:
    """Reads stored data (files and templates aside)."""
    code = re.sub(r"\bopen\(|FileResponse\(|send_file\(|send_from_directory\(|\bfs\s*\.", "", route.code)
    return bool(DATA.get(route.language, USER_DATA).search(code))


def public_reason(route: Route, allowlist: tuple[str, ...]) -> str | None:
    """Why a route is public by purpose (so not an auth finding), or None. Webhooks are None: they are
    judged by their signature check instead."""
    path, name = _subjects(route)
    if any(fnmatchcase(route.path or "", p) or fnmatchcase(path, p) or fnmatchcase(route.handler, p)
           or fnmatchcase(name, p) for p in allowlist):
        return "listed in public_routes"
    if is_webhook(route):
        return None
    if route.purpose:
        return route.purpose
    if is_auth_endpoint(route) or _segments(route) & AUTH_SEGMENTS:
        return "authentication endpoint"
    if (HEALTH.search(path) or HEALTH.search(f"_{name}_")) and not route.path_params and not touches_user_data(
            route):
        return "health or status check"
    if OAUTH_CALLBACK.search(path) or OAUTH_CALLBACK.search(name):
        return "OAuth/SSO callback"
    if is_static_asset(route):
        return "static asset"
    if is_static_page(route) or is_html_shell(route):
        return "static page or HTML shell"
    if _read_only(route) and _segments(route) & SHARED_SEGMENTS:
        return "publicly shared content"
    if _read_only(route) and "about" in _segments(route):
        return "application information"
    if _read_only(route) and _segments(route) & DOC_SEGMENTS and not _db(route):
        return "documentation page"
    if any(CAPABILITY_PARAM.search(p) and not re.search(r"(?:^|_)ids?$", p) for p in route.path_params):
        return "capability URL (a secret token or signature in the path authenticates it)"
    if DECLARED_PUBLIC.search(_snake(route.handler.rsplit(".", 1)[0] if "." in route.handler else "")) or \
            DECLARED_PUBLIC.search(_snake(PurePosixPath(route.file).stem)):
        return "declared public by its controller or module name"
    if _read_only(route) and not _db(route) and any(JWKS.search(t) for t in (path, name, route.code)):
        return "publishes public keys (JWKS)"
    if _read_only(route) and PUBLIC_CACHE.search(route.code):
        return "declares its answer publicly cacheable (the same for every caller)"
    if _read_only(route) and path.rstrip("/").rsplit("/", 1)[-1] in CLIENT_CONFIG and not _db(route):
        return "client configuration or UI options"
    if OPTIONAL_AUTH.search(route.code):
        return "serves anonymous callers on purpose (identity is optional)"
    return None
