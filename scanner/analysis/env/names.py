"""One policy for environment variable *names*: client prefixes, secret-looking names, public-by-design names.

Front-end toolchains copy variables with certain prefixes (``NEXT_PUBLIC_``, ``VITE_``, ``REACT_APP_``...)
into the JavaScript every visitor downloads. Whether such a variable *holds a secret* is judged by its name
here (:func:`is_secret_name`, strict: a public-prefixed ``MAPBOX_TOKEN`` is meant to be public) and, for the
inventory of every variable, by :func:`looks_secret` (broad: any unprefixed ``*_API_KEY`` is a secret
to rotate). Values designed to be public (Stripe publishable keys, Supabase anon keys, Firebase web
config, Sentry DSNs, analytics ids, Clerk publishable keys) are never reported as exposed; users extend
that list with the ``public_env`` configuration key (glob patterns of variable names).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

#: Prefixes that front-end build tools inline into client bundles.
CLIENT_PREFIXES = ("NEXT_PUBLIC_", "VITE_", "REACT_APP_", "EXPO_PUBLIC_", "NUXT_PUBLIC_", "GATSBY_", "VUE_APP_",
                   "PUBLIC_")

#: Words that mean "secret" when nothing but a value-kind word follows them (``DB_PASSWORD``,
#: ``STRIPE_SECRET_KEY``; not ``PASSWORD_MIN_LENGTH``).
_SECRET_WORDS = {"SECRET", "PRIVATE", "PASSWORD", "PASSWD", "CREDENTIALS"}
_VALUE_WORDS = {"KEY", "TOKEN", "VALUE", "B64", "BASE64", "PEM", "STRING", "URL", "URI"}
_SECRET_PHRASES = ("SERVICE_ROLE", "SERVICE_KEY", "ADMIN_KEY", "ADMIN_TOKEN", "DATABASE_URL", "DB_URL",
                   "CONNECTION_STRING", "SIGNING_KEY")
#: Providers whose keys are server-only: any KEY/TOKEN of theirs in a client name is a leak.
_SERVER_ONLY_PROVIDERS = {
    "OPENAI", "ANTHROPIC", "CLAUDE", "GROQ", "MISTRAL", "COHERE", "REPLICATE", "HUGGINGFACE", "HF", "ELEVENLABS",
    "PINECONE", "PERPLEXITY", "XAI", "OPENROUTER", "DEEPSEEK", "TOGETHER", "FIREWORKS", "GEMINI", "RESEND",
    "SENDGRID", "MAILGUN", "POSTMARK", "BREVO", "TWILIO", "GITHUB", "AWS", "LANGCHAIN", "LANGSMITH", "TAVUS",
    "TAVILY", "SERPAPI", "DEEPGRAM", "ASSEMBLYAI", "VOYAGE", "JINA", "FIRECRAWL",
}
#: Words (or word runs) of a name that mark a value designed to be public: publishable and anon keys,
#: OAuth client ids, Firebase web config, Sentry DSNs, analytics and tag-manager ids, captcha site keys.
_PUBLIC_MARKERS = ("PUBLISHABLE", "PUBLIC_KEY", "ANON", "SITE_KEY", "CLIENT_ID", "MEASUREMENT_ID", "APP_ID",
                   "FIREBASE", "DSN", "POSTHOG", "GA", "GTAG", "GTM", "GOOGLE_ANALYTICS", "SEGMENT", "MIXPANEL",
                   "AMPLITUDE", "PLAUSIBLE", "UMAMI", "RECAPTCHA", "HCAPTCHA", "TURNSTILE", "MAPBOX", "ALGOLIA_SEARCH",
                   "MAPS", "GOOGLE_MAPS", "PLACES")
#: Words that make a name secret whatever public-looking word it also holds (``FIREBASE_PRIVATE_KEY``).
_NEVER_PUBLIC = ("SECRET", "PRIVATE", "SERVICE_ROLE", "SERVICE_ACCOUNT", "ADMIN", "PASSWORD")
#: Words that mark a secret in the broad sense used by the inventory.
_BROAD_SECRET_ENDINGS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "PWD", "APIKEY", "CREDENTIALS",
                         "DSN_SECRET")
#: Services whose connection URL carries a password (``POSTGRES_URL``, ``REDIS_URL``, ``MONGODB_URI``).
_STORES = {"POSTGRES", "POSTGRESQL", "PG", "DATABASE", "DB", "REDIS", "MONGO", "MONGODB", "MYSQL", "AMQP", "RABBITMQ",
           "KV", "UPSTASH", "NEON", "CLICKHOUSE", "ELASTICSEARCH"}
_NOT_SECRET_ENDINGS = ("_KEY_ID", "_KEY_NAME", "_KEY_PATH", "_KEY_FILE", "_TOKEN_URL", "_TOKEN_EXPIRY",
                       "_TOKEN_TTL", "_KEY_PREFIX")


def client_prefix(name: str) -> str | None:
    """The client-exposing prefix of ``name`` (``NEXT_PUBLIC_``...), or None."""
    return next((p for p in CLIENT_PREFIXES if name.startswith(p)), None)


def strip_prefix(name: str) -> str:
    prefix = client_prefix(name)
    return name[len(prefix):] if prefix else name


def public_by_design(name: str, extra: Iterable[str] = ()) -> bool:
    """A variable whose value is meant to be public (publishable keys, anon keys, DSNs, analytics ids),
    or that matches one of the user's ``public_env`` patterns."""
    if any(fnmatchcase(name, p) for p in extra):
        return True
    words = f"_{name.upper()}_"
    if any(f"_{w}_" in words for w in _NEVER_PUBLIC):
        return False
    return any(f"_{marker}_" in words for marker in _PUBLIC_MARKERS)


def is_secret_name(suffix: str) -> bool:
    """Does a variable name (without its client prefix) say it holds a server-side secret? (strict)"""
    if public_by_design(suffix):
        return False
    if any(phrase in suffix for phrase in _SECRET_PHRASES):
        return True
    words = suffix.split("_")
    for index, word in enumerate(words):
        if word in _SECRET_WORDS and set(words[index + 1:]) <= _VALUE_WORDS:
            return True
    if words[-1] not in {"KEY", "TOKEN", "APIKEY"}:
        return False
    compact = suffix.replace("_", "")  # ELEVEN_LABS_API_KEY names ElevenLabs
    return bool(set(words) & _SERVER_ONLY_PROVIDERS) or any(
        len(p) >= 6 and p in compact for p in _SERVER_ONLY_PROVIDERS)


def looks_secret(name: str) -> bool:
    """Does a variable's name say it holds something a new owner must rotate? (broad, for the inventory)

    Client-prefixed names use the strict test (their public keys are the common case); others are secret
    when they end in a credential word (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``) or name a
    connection string.
    """
    upper = name.upper()
    if client_prefix(upper):
        return is_secret_name(strip_prefix(upper))
    if public_by_design(upper) or upper.endswith(_NOT_SECRET_ENDINGS):
        return False
    words = upper.split("_")
    connection = words[-1] in {"URL", "URI", "DSN"} and bool(set(words[:-1]) & _STORES)
    return connection or is_secret_name(upper) or upper.endswith(_BROAD_SECRET_ENDINGS)
