"""Routes of JavaScript/TypeScript back ends that return or change data without an identity check.

Covers Next.js route handlers and Pages Router API routes, server actions, and Express-style routers.
Severity is high when the handler touches data (database, storage, LLM, payments), medium otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.detectors.base import Context, Detector, Hit
from scanner.model import Artifact, Severity

_RULE_BY_FRAMEWORK = {
    "nextjs": "nextjs-route-without-auth",
    "server-action": "server-action-without-auth",
    "express": "express-route-without-auth",
}
WEBHOOK_RULE = "js-webhook-without-signature"


class JsRoutesAuthDetector(Detector):
    """Implements the JS/TS route authentication rules."""

    rule_ids = (*_RULE_BY_FRAMEWORK.values(), WEBHOOK_RULE)
    kinds = frozenset({"javascript", "typescript"})
    needs_index = True

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.js_routes import JsProject, index_express_mounts, index_middleware
        from scanner.parsers.javascript import parse_js

        project = ctx.facts.bucket("js-project", JsProject)
        tree = parse_js(ctx)
        index_middleware(tree, artifact.path, project)
        index_express_mounts(tree, artifact.path, project)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.js_routes import SIGNATURE_CHECK, JsProject, routes_in
        from scanner.parsers.javascript import parse_js

        tree = parse_js(ctx)
        project = ctx.facts.bucket("js-project", JsProject)
        for route in routes_in(tree, artifact.path, project):
            methods = "/".join(route.methods)
            if route.is_webhook:
                if WEBHOOK_RULE in self.rules and not SIGNATURE_CHECK.search(route.source) and not route.protection:
                    yield ctx.finding(WEBHOOK_RULE, tree.span(route.node), key=f"{route.path}:{methods}",
                                      message=f"Webhook {methods} {route.path} does not verify the sender's signature",
                                      route=route.path, methods=methods)
                continue
            rule_id = _RULE_BY_FRAMEWORK[route.framework]
            if route.protection or route.public_by_intent or route.is_dispatcher or rule_id not in self.rules:
                continue
            touches = route.touches_data
            where = route.path if route.framework == "server-action" else f"{methods} {route.path}"
            detail = " and it reads or changes data" if touches else ""
            yield ctx.finding(rule_id, tree.span(route.node), key=f"{route.path}:{methods}:{route.handler}",
                              severity=None if touches else Severity.MEDIUM,
                              message=f"{where} has no authentication check{detail}",
                              route=route.path, methods=methods, handler=route.handler)
