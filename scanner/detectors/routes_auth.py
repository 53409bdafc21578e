"""Routes of every language missing authentication, webhooks that do not verify their signature, and
privileged routes that only check that the caller is signed in.

Reads the language-neutral route model (:mod:`scanner.analysis.routes.model`). One policy for all:
- a route with a guard is authenticated and never reported as unauthenticated; if it changes roles,
  users, team membership, a team's billing, API keys or settings, or is an admin route, and no guard (nor
  the handler) checks a role, permission or membership, it is reported as ``auth-role-check-missing``;
- a route with no guard is reported unless it is public by purpose (:mod:`scanner.analysis.routes.intent`:
  login, health checks, static assets, HTML shells, the ``public_routes`` configuration...); a route that
  a global guard's allowlist lets through is reported with the allowlist entry's location;
- a webhook with no guard is judged by its signature check instead;
- routes in test code, examples and docs are not the product and are skipped (``scanner.paths``);
- severity: high when the handler touches stored data, files or a language model, medium otherwise.

The rule id of a finding depends on the route's language and framework (:data:`RULES`), so suppressions
and baselines written against the earlier per-language rules keep working.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.analysis.routes.authorization import checks_role_inline, privileged_action
from scanner.analysis.routes.intent import data_access, is_webhook, public_reason, verifies_signature
from scanner.analysis.routes.model import Route
from scanner.context import Context, Hit, Span
from scanner.detectors.route_detector import RouteDetector, route_kind
from scanner.model import Artifact, Severity

UNAUTHENTICATED = "auth-route-unauthenticated"
UNVERIFIED_WEBHOOK = "auth-webhook-unverified"
ROLE_CHECK_MISSING = "auth-role-check-missing"
#: (language, framework) -> (rule for a route without authentication, rule for an unverified webhook);
#: framework None is the language's default.
RULES = {
    ("python", None): (UNAUTHENTICATED, UNVERIFIED_WEBHOOK),
    ("javascript", "nextjs"): ("nextjs-route-without-auth", "js-webhook-without-signature"),
    ("javascript", "server-action"): ("server-action-without-auth", "js-webhook-without-signature"),
    ("javascript", "remix"): ("remix-route-without-auth", "js-webhook-without-signature"),
    ("javascript", "sveltekit"): ("sveltekit-route-without-auth", "js-webhook-without-signature"),
    ("javascript", None): ("express-route-without-auth", "js-webhook-without-signature"),
}


def rules_for(route: Route) -> tuple[str, str]:
    return RULES.get((route.language, route.framework)) or RULES[(route.language, None)]


def describe(route: Route) -> str:
    """``Route GET /notes (list_notes)`` or ``Server action deleteChat`` for messages."""
    if route.framework == "server-action":  # ``server action x``, ``wasp operation x``, ``tRPC mutation a.b``
        label = route.path or f"server action {route.handler}"
        return label if label.startswith("tRPC") else label[:1].upper() + label[1:]
    return f"Route {route.label} ({route.handler})"


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
    """Implements the route authentication rules of every language, and auth-role-check-missing."""

    rule_ids = (*dict.fromkeys(r for pair in RULES.values() for r in pair), ROLE_CHECK_MISSING)
    languages = frozenset({"python", "javascript"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        tally = AuthTally()
        for route in self.routes(artifact, ctx):
            ctx.examined("auth", route_kind(route))
            unauthenticated, webhook = rules_for(route)
            if route.authenticated:
                tally.protect(route.guards[0].name)
                yield from self._role(ctx, route)
                continue
            reason = public_reason(route, self.config.public_routes)
            if reason is not None:
                tally.public += 1
            elif is_webhook(route):
                if verifies_signature(route):
                    tally.verified += 1
                    continue
                tally.open += 1
                if webhook in self.rules:
                    yield self._hit(ctx, route, webhook, f"Webhook {route.label} ({route.handler}) accepts "
                                                         "requests without verifying their signature")
            elif route.dispatcher:
                tally.dispatching += 1
            else:
                tally.open += 1
                if unauthenticated in self.rules:
                    yield self._unauthenticated(ctx, route, unauthenticated)
        tally.record(ctx)

    def _role(self, ctx: Context, route: Route) -> Iterator[Hit]:
        if ROLE_CHECK_MISSING not in self.rules or route.role_checked or checks_role_inline(route.code):
            return
        action = privileged_action(route.path, route.handler, route.methods, route.code)
        if action is None:
            return
        guard = route.guards[0]
        yield self._hit(ctx, route, ROLE_CHECK_MISSING,
                        f"{describe(route)} {action} but only checks that the caller is signed in "
                        f"({guard.name}, {guard.origin}): no role, permission or membership check")

    def _unauthenticated(self, ctx: Context, route: Route, rule_id: str) -> Hit:
        access = data_access(route)
        opt_outs = "; ".join(map(str, route.public))
        why = f"is explicitly public ({opt_outs})" if opt_outs else "has no authentication"
        data = f" and {access}" if access else ""
        return self._hit(ctx, route, rule_id, f"{describe(route)} {why}{data}",
                         Severity.HIGH if access else Severity.MEDIUM, route.guard_site)

    def _hit(self, ctx: Context, route: Route, rule_id: str, message: str, severity: Severity | None = None,
             span: Span | None = None) -> Hit:
        return ctx.finding(rule_id, span or route.span, message=message, severity=severity, **route.evidence())
