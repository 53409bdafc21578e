"""Chat/LLM and authentication routes without a rate limit.

A limit counts when it covers the route: a per-route limiter (``@limiter.limit``, ``@ratelimit``,
``throttle_classes``, ``Depends(RateLimiter(...))``) or an app-wide one (flask-limiter or slowapi
``default_limits``, ``SlowAPIMiddleware``, DRF ``DEFAULT_THROTTLE_CLASSES``, a rate-limit middleware).
Only such inbound limiters are positive evidence for the scorecard's ``rate-limits`` check: an app-wide
limit, or per-route limits on the chat and auth routes (saying how many of how many); a setting or
variable named like a rate limit (``RATE_LIMIT_DELAY = 2``, an outbound scraper's ``time.sleep``) is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.analysis.routes.intent import is_auth_endpoint, is_chat_route
from scanner.analysis.routes.model import Route
from scanner.context import Context, Hit
from scanner.detectors.route_detector import RouteDetector, route_kind
from scanner.model import Artifact

RULE = "web-rate-limit-missing"
SPOOFABLE = "web-rate-limit-spoofable-key"
BUCKET = "rate-limits"
#: A limiter's key function (express-rate-limit/rate-limiter-flexible ``keyGenerator``, flask-limiter/slowapi
#: ``key_func``, or a lambda as the first argument of ``Limiter(...)``) reading an IP header as the client
#: sent it: the header (rare in code) is found first, then the key function within 300 characters before
#: it in the same statement, so the search stays linear whatever the text.
IP_HEADER = re.compile(r"""['"](x-forwarded-for|x-real-ip|true-client-ip|x-client-ip)['"]""", re.IGNORECASE)
KEY_FUNCTION = re.compile(r"\bkeyGenerator\s*(?::|\()|\bkey_func\s*=|\bLimiter\(\s*lambda\b")
_KEY_REACH = 300
_KEY_WORDS = ("keyGenerator", "key_func", "Limiter(")
#: Inbound limits that cover every route of an app: flask-limiter/slowapi ``Limiter(..., default_limits=...)``
#: or ``application_limits``, slowapi middleware, DRF default throttles, a rate-limit middleware class, or
#: fastapi-limiter as an app dependency. A variable or setting merely named like a rate limit is not one.
APP_WIDE = re.compile(
    r"\bLimiter\((?:[^()]|\([^()]*\))*\b(?:default_limits|application_limits)\s*="
    r"|DEFAULT_THROTTLE_CLASSES|SlowAPIMiddleware|SlowAPIASGIMiddleware"
    r"|add_middleware\(\s*[\w.]*(?:RateLimit|Throttl|Limiter)\w*|['\"][\w.]*(?:ratelimit|RateLimit|throttl)\w*"
    r"Middleware['\"]|dependencies\s*=\s*\[[^\]]*RateLimiter",
    re.IGNORECASE,
)
#: A limit on one route (searched in the handler's code, decorators included): a limiter's decorator
#: (``@limiter.limit("5/minute")``, django-ratelimit ``@ratelimit``, ``@limits``), DRF ``throttle_classes``,
#: fastapi-limiter ``Depends(RateLimiter(...))``, or a call that enforces a limit on the request.
#: A per-caller quota the handler enforces itself: it refuses with 429 or a rate-limit error
#: (``if (count > maxMessagesPerDay) return new ChatSDKError("rate_limit:chat")``).
QUOTA = (r"\bstatus(?:_code)?\s*[:=]\s*429\b|HTTP_429_TOO_MANY_REQUESTS"
         r"|[\"'](?:rate[_-]?limit(?:ed)?|too[_ -]many[_ -]requests)\b")
ON_ROUTE = re.compile(QUOTA + r"|@\w*limiter\.limit\(|\.limit\(\s*['\"]\d+\s*(?:/|per\b)|@ratelimit\b|@rate_limit"
                      r"|RateLimiter\(|throttle_classes|@throttle|@limits\(|\brate_limit\(", re.IGNORECASE)
#: Auth routes nobody can brute-force: signing out, and refreshing a session (the refresh token is a long random
#: value, not something guessed).
NO_LIMIT_NEEDED = re.compile(r"log[_-]?out|sign[_-]?out|refresh", re.IGNORECASE)
#: A login route that only sends the caller to an OAuth provider checks no credential itself.
OAUTH_REDIRECT = re.compile(r"authorize_redirect|authorization_url|create_authorization_url"
                            r"|signIn\(\s*['\"](?:google|github|gitlab|azure-ad|apple|discord)['\"]")
#: JavaScript/TypeScript limiter packages; a file must import one for its ``use(...)`` calls to count.
JS_LIMITER_PACKAGES = re.compile(
    r"""['"](?:express-rate-limit|express-slow-down|rate-limiter-flexible|@fastify/rate-limit|fastify-rate-limit"""
    r"""|hono-rate-limiter|@upstash/ratelimit|@nestjs/throttler|koa-ratelimit|koa2-ratelimit"""
    r"""|@hono-rate-limiter/\w+)['"]""")
#: A limiter mounted as middleware: ``app.use(limiter)``, ``app.use("/api/", apiLimiter)``,
#: ``app.use(rateLimit({...}))``, Fastify ``register(rateLimit, ...)`` (global by default), a NestJS
#: ``ThrottlerGuard`` as a global guard, or a limiter called as middleware from an inline one
#: (``app.use((req, res, next) => strictLimit(req, res, next))``: it picks a limit per request).
JS_LIMITER_USE = re.compile(
    r"""\.(?:use|register)\(\s*(?:['"`](?P<prefix>[^'"`]*)['"`]\s*,\s*)?(?:\w+\.)*\w*(?:[lL]imit|[tT]hrottl)\w*"""
    r"""|provide:\s*APP_GUARD\s*,\s*useClass:\s*ThrottlerGuard|useGlobalGuards\([^)]*ThrottlerGuard"""
    r"""|\b\w*(?:[lL]imit|[tT]hrottl)\w*\(\s*req\s*,\s*res\s*,\s*next\s*\)""")
#: A limit enforced in a JS/TS handler or its registration: ``await ratelimit.limit(ip)``,
#: ``limiter.consume(key)``, ``checkRateLimit(req)``, a limiter middleware argument, NestJS ``@Throttle``.
JS_ON_ROUTE = re.compile(r"\b\w*(?:[rR]ate_?[lL]imit|ratelimit|[lL]imiter|[tT]hrottl)\w*\s*"
                         r"(?:\.\s*(?:limit|consume|check|hit|penalty)\s*\(|\(|,)|@Throttle\(|" + QUOTA)


@dataclass
class Limiters:
    app_wide: list[str] = field(default_factory=list)
    #: JS limiters mounted on a path prefix only: (prefix, where).
    prefixed: list[tuple[str, str]] = field(default_factory=list)

    def covers(self, route: Route) -> bool:
        """An app-wide limiter, or one mounted on a prefix of the route's path."""
        path = route.path or ""
        return bool(self.app_wide) or any(path.startswith(prefix) for prefix, _ in self.prefixed)


class RateLimitDetector(RouteDetector):
    """Implements web-rate-limit-missing and web-rate-limit-spoofable-key."""

    rule_ids = (RULE, SPOOFABLE)
    languages = frozenset({"python", "javascript"})

    def index(self, artifact: Artifact, ctx: Context) -> None:
        super().index(artifact, ctx)
        limiters = ctx.facts.bucket(BUCKET, Limiters)
        if artifact.kind == "python":
            match = APP_WIDE.search(artifact.text)
            if match:
                self._app_wide(ctx, limiters, match.group(0))
        elif JS_LIMITER_PACKAGES.search(artifact.text):
            for match in JS_LIMITER_USE.finditer(artifact.text):
                prefix = match.group("prefix")
                if prefix and prefix.rstrip("/*") not in ("", "/"):
                    limiters.prefixed.append((prefix.rstrip("*"), artifact.path))
                    ctx.evidence("rate-limits", f"inbound rate limit on {prefix} ({artifact.path})")
                else:
                    self._app_wide(ctx, limiters, match.group(0))

    def _app_wide(self, ctx: Context, limiters: Limiters, code: str) -> None:
        what = " ".join(code.split())
        what = what if len(what) <= 60 else what[:57] + "..."
        limiters.app_wide.append(f"{what} ({ctx.artifact.path})")
        ctx.evidence("rate-limits", f"app-wide inbound rate limit: {what} ({ctx.artifact.path})")

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if SPOOFABLE in self.rules:
            yield from _spoofable_keys(artifact, ctx)
        limiters = ctx.facts.bucket(BUCKET, Limiters)
        lines = artifact.text.split("\n")
        needing = limited = routes = limited_routes = 0
        for route in self.routes(artifact, ctx):
            ctx.examined("rate-limits", route_kind(route))
            routes += 1
            on_route = _limited_on_route(route, lines)
            limited_routes += on_route
            kind = _needs_limit(route)
            if not kind:
                continue
            needing += 1
            ctx.examined("rate-limits", "chat or auth route")
            if on_route:
                limited += 1
            elif not limiters.covers(route):
                yield ctx.finding(RULE, route.span, message=f"{kind} {route.label} ({route.handler}) has no rate limit",
                                  **route.evidence())
        if limited:
            ctx.evidence("rate-limits", f"inbound rate limit on the route: {limited} of {needing} chat or auth "
                                        f"route{'s' if needing != 1 else ''} in {artifact.path}")
        elif limited_routes and not needing:
            ctx.evidence("rate-limits", f"inbound rate limit on the route: {limited_routes} of {routes} "
                                        f"route{'s' if routes != 1 else ''} in {artifact.path} (none of them chat or "
                                        "auth routes)")


def _spoofable_keys(artifact: Artifact, ctx: Context) -> Iterator[Hit]:
    """Limiters of servers keyed on a client-written IP header (not Next.js: Vercel overwrites the header)."""
    if artifact.kind == "python":
        if "key_func" not in artifact.text and "Limiter(" not in artifact.text:
            return
    elif not JS_LIMITER_PACKAGES.search(artifact.text) or "keyGenerator" not in artifact.text:
        return
    text = artifact.text
    for match in IP_HEADER.finditer(text):
        before = text[max(0, match.start() - _KEY_REACH):match.start()]
        before = before[before.rfind(";") + 1:]
        if not any(word in before for word in _KEY_WORDS) or KEY_FUNCTION.search(before) is None:
            continue
        header = match.group(1)
        yield ctx.finding(SPOOFABLE, ctx.span(match.start(), match.end()),
                          message=f"Rate limiter keyed on the client-supplied {_title(header)} header: a client "
                                  f"that sends a new value with each request is never limited",
                          header=header.lower())


def _title(header: str) -> str:
    return "-".join(part.upper() if part.lower() == "ip" else part.capitalize() for part in header.split("-"))


def _limited_on_route(route: Route, lines: list[str]) -> bool:
    """A limit in the handler's code or, for JS/TS, in the route's registration (a limiter middleware
    argument, a ``@Throttle`` decorator on the lines above the handler)."""
    if route.language == "python":
        return bool(ON_ROUTE.search(route.code))
    declared = "\n".join(lines[max(0, route.span.line - 3):route.span.end_line])
    return bool(JS_ON_ROUTE.search(route.code) or JS_ON_ROUTE.search(declared))


def _needs_limit(route: Route) -> str | None:
    if is_chat_route(route):
        return "Chat/LLM route"
    takes_input = bool(set(route.methods) & {"POST", "PUT", "PATCH"})
    if is_auth_endpoint(route) and takes_input and not route.guarded and not NO_LIMIT_NEEDED.search(
            f"{route.path} {route.name}") and not OAUTH_REDIRECT.search(route.code):
        return "Authentication route"  # an anonymous caller can guess credentials or codes here
    return None
