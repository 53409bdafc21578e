"""Routes of JavaScript/TypeScript back ends that return or change data without an identity check.

Covers Next.js route handlers and Pages Router API routes, server actions, and Express-style routers.
Severity is high when the handler touches data (database, storage, LLM, payments), medium otherwise.
Paths or handler names listed in the ``public_routes`` configuration are public by intent.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.detectors.routes_auth import AuthTally
from scanner.model import Artifact, Severity

_RULE_BY_FRAMEWORK = {
    "nextjs": "nextjs-route-without-auth",
    "server-action": "server-action-without-auth",
    "express": "express-route-without-auth",
}
WEBHOOK_RULE = "js-webhook-without-signature"
#: What each kind of route counts as on the scorecard.
_ROUTE_KIND = {"nextjs": "Next.js route handler", "server-action": "server action", "express": "Express route"}


class JsRoutesAuthDetector(Detector):
    """Implements the JS/TS route authentication rules."""

    rule_ids = (*_RULE_BY_FRAMEWORK.values(), WEBHOOK_RULE)
    kinds = frozenset({"javascript", "typescript"})
    needs_index = True

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.routes.javascript.routes import JsProject, index_express_mounts, index_middleware
        from scanner.lang.javascript.parse import parse_js

        project = ctx.facts.bucket("js-project", JsProject)
        tree = parse_js(ctx)
        index_middleware(tree, artifact.path, project)
        index_express_mounts(tree, artifact.path, project)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.routes.javascript.routes import SIGNATURE_CHECK, JsProject, routes_in
        from scanner.lang.javascript.parse import parse_js

        tree = parse_js(ctx)
        project = ctx.facts.bucket("js-project", JsProject)
        allowlist = self.config.public_routes
        tally = AuthTally()
        for route in routes_in(tree, artifact.path, project):
            ctx.examined("auth", _ROUTE_KIND[route.framework])
            if any(fnmatchcase(route.path, p) or fnmatchcase(route.handler, p) for p in allowlist):
                tally.public += 1
                continue
            methods = "/".join(route.methods)
            if route.protection:
                tally.protect(route.protection[0])
                continue
            if route.is_webhook:
                if SIGNATURE_CHECK.search(route.source):
                    tally.verified += 1
                    continue
                tally.open += 1
                if WEBHOOK_RULE in self.rules:
                    yield ctx.finding(WEBHOOK_RULE, tree.span(route.node), key=f"{route.path}:{methods}",
                                      message=f"Webhook {methods} {route.path} does not verify the sender's signature",
                                      route=route.path, methods=methods)
                continue
            rule_id = _RULE_BY_FRAMEWORK[route.framework]
            if route.public_by_intent:
                tally.public += 1
                continue
            if route.is_dispatcher:
                tally.dispatching += 1
                continue
            tally.open += 1
            if rule_id not in self.rules:
                continue
            touches = route.touches_data
            where = route.path if route.framework == "server-action" else f"{methods} {route.path}"
            detail = " and it reads or changes data" if touches else ""
            yield ctx.finding(rule_id, tree.span(route.node), key=f"{route.path}:{methods}:{route.handler}",
                              severity=None if touches else Severity.MEDIUM,
                              message=f"{where} has no authentication check{detail}",
                              route=route.path, methods=methods, handler=route.handler)
        tally.record(ctx)
