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
BUCKET = "rate-limits"
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
ON_ROUTE = re.compile(r"@\w*limiter\.limit\(|\.limit\(\s*['\"]\d+\s*(?:/|per\b)|@ratelimit\b|@rate_limit"
                      r"|RateLimiter\(|throttle_classes|@throttle|@limits\(|\brate_limit\(", re.IGNORECASE)
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
        match = APP_WIDE.search(artifact.text)
        if match:
            what = " ".join(match.group(0).split())
            what = what if len(what) <= 60 else what[:57] + "..."
            ctx.facts.bucket(BUCKET, Limiters).app_wide.append(f"{what} ({artifact.path})")
            ctx.evidence("rate-limits", f"app-wide inbound rate limit: {what} ({artifact.path})")

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        app_wide = bool(ctx.facts.bucket(BUCKET, Limiters).app_wide)
        needing = limited = routes = limited_routes = 0
        for route in self.routes(artifact, ctx):
            ctx.examined("rate-limits", route_kind(route))
            routes += 1
            limited_routes += bool(ON_ROUTE.search(route.code))
            kind = _needs_limit(route)
            if not kind:
                continue
            needing += 1
            ctx.examined("rate-limits", "chat or auth route")
            if ON_ROUTE.search(route.code):
                limited += 1
            elif not app_wide:
                yield ctx.finding(RULE, route.span, message=f"{kind} {route.label} ({route.handler}) has no rate limit",
                                  **route.evidence())
        if limited:
            ctx.evidence("rate-limits", f"inbound rate limit on the route: {limited} of {needing} chat or auth "
                                        f"route{'s' if needing != 1 else ''} in {artifact.path}")
        elif limited_routes and not needing:
            ctx.evidence("rate-limits", f"inbound rate limit on the route: {limited_routes} of {routes} "
                                        f"route{'s' if routes != 1 else ''} in {artifact.path} (none of them chat or "
                                        "auth routes)")


def _needs_limit(route: Route) -> str | None:
    if is_chat_route(route):
        return "Chat/LLM route"
    takes_input = bool(set(route.methods) & {"POST", "PUT", "PATCH"})
    if is_auth_endpoint(route) and takes_input and not route.guarded and not NO_LIMIT_NEEDED.search(
            f"{route.path} {route.name}"):
        return "Authentication route"  # an anonymous caller can guess credentials or codes here
    return None
