"""Chat/LLM and authentication routes without a rate limit.

A limit counts when it covers the route: a per-route limiter (``@limiter.limit``, ``@ratelimit``,
``throttle_classes``, ``Depends(RateLimiter(...))``) or an app-wide one (flask-limiter or slowapi
``default_limits``, ``SlowAPIMiddleware``, DRF ``DEFAULT_THROTTLE_CLASSES``, a rate-limit middleware).
Any limiter found is recorded as positive evidence for the scorecard's ``rate-limits`` check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.analysis.python_routes import Route
from scanner.analysis.route_intent import is_auth_endpoint, is_chat_route
from scanner.detectors.base import Context, Hit
from scanner.detectors.route_detector import RouteDetector
from scanner.model import Artifact

RULE = "web-rate-limit-missing"
BUCKET = "rate-limits"
#: Limits that cover every route of an app.
APP_WIDE = re.compile(
    r"default_limits\s*=|application_limits\s*=|DEFAULT_THROTTLE_CLASSES|SlowAPIMiddleware|SlowAPIASGIMiddleware"
    r"|add_middleware\(\s*[\w.]*(?:RateLimit|Throttl|Limiter)\w*|['\"][\w.]*(?:ratelimit|RateLimit|throttl)\w*"
    r"Middleware['\"]|dependencies\s*=\s*\[[^\]]*RateLimiter",
    re.IGNORECASE,
)
#: A limit on one route (searched in the handler's code, decorators included).
ON_ROUTE = re.compile(r"@\w*limiter\.limit\(|\.limit\(\s*['\"]\d|@ratelimit\b|@rate_limit|RateLimiter\("
                      r"|throttle_classes|@throttle|@limits\(|rate_limit\(", re.IGNORECASE)
ANY_LIMITER = re.compile(r"\bLimiter\(|@ratelimit|RateLimiter\(|throttle_classes|DEFAULT_THROTTLE_CLASSES"
                         r"|rate_limit|ratelimit", re.IGNORECASE)
NO_LIMIT_NEEDED = re.compile(r"log_?out|sign_?out", re.IGNORECASE)


@dataclass
class Limiters:
    app_wide: list[str] = field(default_factory=list)


class RateLimitDetector(RouteDetector):
    """Implements web-rate-limit-missing."""

    rule_ids = (RULE,)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        super().index(artifact, ctx)
        if artifact.kind != "python":
            return
        limiters = ctx.facts.bucket(BUCKET, Limiters)
        match = APP_WIDE.search(artifact.text)
        if match:
            limiters.app_wide.append(f"{match.group(0).strip()} ({artifact.path})")
        if ANY_LIMITER.search(artifact.text):
            ctx.evidence("rate-limits", f"rate limiter configured ({artifact.path})")

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if ctx.facts.bucket(BUCKET, Limiters).app_wide:
            return
        for route in self.routes(artifact, ctx):
            kind = _needs_limit(route)
            if kind and not ON_ROUTE.search(route.code):
                yield ctx.finding(RULE, route.span, message=f"{kind} {route.label} ({route.handler}) has no rate limit",
                                  **route.evidence())


def _needs_limit(route: Route) -> str | None:
    if is_chat_route(route):
        return "Chat/LLM route"
    takes_input = bool(set(route.methods) & {"POST", "PUT", "PATCH"})
    if is_auth_endpoint(route) and takes_input and not route.guarded and not NO_LIMIT_NEEDED.search(
            f"{route.path} {route.name}"):
        return "Authentication route"  # an anonymous caller can guess credentials or codes here
    return None
