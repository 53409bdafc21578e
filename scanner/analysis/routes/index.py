"""The project's routes, every language: which artifacts the extractors read, the index pass, and the
routes declared in one file.

Detectors call :func:`index_routes` from ``index()`` (idempotent per artifact) and :func:`routes_in` from
``detect()``; each language's extractor builds :class:`~scanner.analysis.routes.model.Route`s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.analysis.routes.model import Route
    from scanner.context import Context

JS_KINDS = frozenset({"javascript", "typescript"})
JS_BUCKET = "js-project"
JS_HELPERS = "js-identity-helpers"


def wants_artifact(path: str, kind: str, languages: frozenset[str]) -> bool:
    """Artifacts the route extractors of ``languages`` read."""
    from scanner.analysis.routes.python.index import wants_artifact as python_wants

    if kind in JS_KINDS:
        return "javascript" in languages
    return "python" in languages and python_wants(path, kind)


def index_routes(ctx: Context) -> None:
    """Record this artifact's routing facts (call from a detector's ``index``; idempotent per artifact)."""
    if ctx.artifact.kind in JS_KINDS:
        ctx.cached("js-routes-indexed", lambda: _index_js(ctx))
    else:
        from scanner.analysis.routes.python.index import index_routes as index_python

        index_python(ctx)


def _index_js(ctx: Context) -> bool:
    from scanner.analysis.routes.javascript.routes import (
        JsProject,
        index_express_mounts,
        index_identity_helpers,
        index_middleware,
    )
    from scanner.lang.javascript.parse import parse_js

    project = ctx.facts.bucket(JS_BUCKET, JsProject)
    tree = parse_js(ctx)
    index_middleware(tree, ctx.artifact.path, project)
    index_express_mounts(tree, ctx.artifact.path, project)
    index_identity_helpers(tree, ctx.artifact.path, ctx.facts.bucket(JS_HELPERS, dict))
    return True


def routes_in(ctx: Context) -> list[Route]:
    """Routes declared in this artifact (findings about a route are reported there)."""
    if ctx.artifact.kind in JS_KINDS:
        from scanner.analysis.routes.javascript.routes import JsProject, neutral_routes
        from scanner.lang.javascript.parse import parse_js

        return ctx.cached("js-routes", lambda: list(neutral_routes(
            parse_js(ctx), ctx.artifact.path, ctx.facts.bucket(JS_BUCKET, JsProject),
            ctx.facts.bucket(JS_HELPERS, dict))))
    from scanner.analysis.routes.python.index import routes_in as python_routes

    return python_routes(ctx.facts, ctx.artifact.path)
