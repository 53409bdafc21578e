"""Routes missing authentication, and webhooks that do not verify their signature.

Reads the project route model (:mod:`scanner.analysis.routes.python.model`): a route with no auth evidence
is reported unless it is public by intent (login, signup, health checks, OAuth callbacks, static
pages, the ``public_routes`` configuration). Severity is raised to high when the handler touches user
data (queries, files, language-model calls). Webhook routes are judged by their signature check instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.analysis.routes.intent import data_access, is_webhook, public_reason, verifies_signature
from scanner.analysis.routes.python.model import Route
from scanner.context import Context, Hit
from scanner.detectors.route_detector import RouteDetector, route_kind
from scanner.model import Artifact, Severity

UNAUTHENTICATED = "auth-route-unauthenticated"
UNVERIFIED_WEBHOOK = "auth-webhook-unverified"


@dataclass
class AuthTally:
    """How the routes of one file are protected, for the auth check's evidence."""

    protected: int = 0
    public: int = 0  # public by intent: login, health checks, allowlisted paths...
    verified: int = 0  # webhooks that verify their sender's signature
    dispatching: int = 0  # tRPC/GraphQL adapters: their procedures carry the checks
    open: int = 0  # neither: each one is a finding
    guards: list[str] = field(default_factory=list)

    def protect(self, guard: str) -> None:
        self.protected += 1
        if guard not in self.guards:
            self.guards.append(guard)

    def record(self, ctx: Context) -> None:
        """``authentication required (@login_required): 3 of 4 routes in app.py; 1 public by intent``:
        only when a route is protected, and saying how many of how many."""
        total = self.protected + self.public + self.verified + self.dispatching + self.open
        if not self.protected:
            return
        guards = ", ".join(self.guards[:3]) + (", ..." if len(self.guards) > 3 else "")
        text = f"authentication required ({guards}): {self.protected} of {total} " \
               f"route{'s' if total != 1 else ''} in {ctx.artifact.path}"
        webhooks = "signature-verified webhook" + ("s" if self.verified != 1 else "")
        others = [f"{n} {what}" for n, what in ((self.public, "public by intent"), (self.verified, webhooks),
                                               (self.dispatching, "dispatching to procedures"),
                                               (self.open, "unprotected")) if n]
        ctx.evidence("auth", text + ("; " + ", ".join(others) if others else ""))


class RoutesAuthDetector(RouteDetector):
    """Implements auth-route-unauthenticated and auth-webhook-unverified."""

    rule_ids = (UNAUTHENTICATED, UNVERIFIED_WEBHOOK)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        tally = AuthTally()
        for route in self.routes(artifact, ctx):
            ctx.examined("auth", route_kind(route))
            if route.auth:
                tally.protect(route.auth[0])
                continue
            if is_webhook(route) and public_reason(route, self.config.public_routes) is None:
                if verifies_signature(route):
                    tally.verified += 1
                else:
                    tally.open += 1
                    if UNVERIFIED_WEBHOOK in self.rules:
                        yield self._hit(ctx, route, UNVERIFIED_WEBHOOK,
                                        f"Webhook {route.label} ({route.handler}) accepts requests without "
                                        "verifying their signature")
            elif public_reason(route, self.config.public_routes) is None:
                tally.open += 1
                if UNAUTHENTICATED in self.rules:
                    yield self._unauthenticated(ctx, route)
            else:
                tally.public += 1
        tally.record(ctx)

    def _unauthenticated(self, ctx: Context, route: Route) -> Hit:
        access = data_access(route)
        why = f"is explicitly public ({'; '.join(route.public)})" if route.public else "has no authentication"
        data = f" and {access}" if access else ""
        message = f"Route {route.label} ({route.handler}) {why}{data}"
        return self._hit(ctx, route, UNAUTHENTICATED, message, Severity.HIGH if access else None)

    def _hit(self, ctx: Context, route: Route, rule_id: str, message: str, severity: Severity | None = None) -> Hit:
        return ctx.finding(rule_id, route.span, message=message, severity=severity, **route.evidence())
