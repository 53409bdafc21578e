"""Routes missing authentication, and webhooks that do not verify their signature.

Reads the project route model (:mod:`scanner.analysis.python_routes`): a route with no auth evidence
is reported unless it is public by intent (login, signup, health checks, OAuth callbacks, static
pages, the ``public_routes`` configuration). Severity is raised to high when the handler touches user
data (queries, files, language-model calls). Webhook routes are judged by their signature check instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.analysis.python_routes import Route
from scanner.analysis.route_intent import data_access, is_webhook, public_reason, verifies_signature
from scanner.detectors.base import Context, Hit
from scanner.detectors.route_detector import RouteDetector
from scanner.model import Artifact, Severity

UNAUTHENTICATED = "auth-route-unauthenticated"
UNVERIFIED_WEBHOOK = "auth-webhook-unverified"


class RoutesAuthDetector(RouteDetector):
    """Implements auth-route-unauthenticated and auth-webhook-unverified."""

    rule_ids = (UNAUTHENTICATED, UNVERIFIED_WEBHOOK)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        for route in self.routes(artifact, ctx):
            if route.auth:
                ctx.evidence("auth", f"routes protected by {route.auth[0]}")
                continue
            if is_webhook(route) and public_reason(route, self.config.public_routes) is None:
                if UNVERIFIED_WEBHOOK in self.rules and not verifies_signature(route):
                    yield self._hit(ctx, route, UNVERIFIED_WEBHOOK,
                                    f"Webhook {route.label} ({route.handler}) accepts requests without verifying "
                                    "their signature")
            elif UNAUTHENTICATED in self.rules and public_reason(route, self.config.public_routes) is None:
                yield self._unauthenticated(ctx, route)

    def _unauthenticated(self, ctx: Context, route: Route) -> Hit:
        access = data_access(route)
        why = f"is explicitly public ({'; '.join(route.public)})" if route.public else "has no authentication"
        data = f" and {access}" if access else ""
        message = f"Route {route.label} ({route.handler}) {why}{data}"
        return self._hit(ctx, route, UNAUTHENTICATED, message, Severity.HIGH if access else None)

    def _hit(self, ctx: Context, route: Route, rule_id: str, message: str, severity: Severity | None = None) -> Hit:
        return ctx.finding(rule_id, route.span, message=message, severity=severity, **route.evidence())
