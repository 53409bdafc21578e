"""The project's routes, every language: which artifacts the extractors read, the index pass, and the
routes declared in one file.

Detectors call :func:`index_routes` from ``index()`` (idempotent per artifact) and :func:`routes_in` from
``detect()``; each language's extractor builds :class:`~scanner.analysis.routes.model.Route`s.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.analysis.routes.javascript.routes import JsProject
    from scanner.analysis.routes.model import Route
    from scanner.context import Context, ProjectFacts

JS_KINDS = frozenset({"javascript", "typescript"})
JS_BUCKET = "js-project"


def wants_artifact(path: str, kind: str, languages: frozenset[str]) -> bool:
    """Artifacts the route extractors of ``languages`` read (for JS/TS, tsconfig/jsconfig files too: the
    module graph resolves path aliases with them)."""
    from scanner.analysis.routes.python.index import wants_artifact as python_wants
    from scanner.lang.javascript.modules import CONFIG_NAME
    from scanner.paths import is_build_output

    if kind in JS_KINDS or CONFIG_NAME.fullmatch(PurePosixPath(path).name):
        return "javascript" in languages and not is_build_output(path)
    return "python" in languages and python_wants(path, kind)


def js_project(facts: ProjectFacts) -> JsProject:
    """The project's JS/TS routing facts, over the scan's one module graph."""
    from scanner.analysis.routes.javascript.routes import JsProject
    from scanner.lang.javascript.modules import module_graph

    return facts.bucket(JS_BUCKET, lambda: JsProject(graph=module_graph(facts)))


def index_routes(ctx: Context) -> None:
    """Record this artifact's routing facts (call from a detector's ``index``; idempotent per artifact)."""
    from scanner.lang.javascript.modules import CONFIG_NAME

    if CONFIG_NAME.fullmatch(PurePosixPath(ctx.artifact.path).name):
        from scanner.lang.javascript.modules import index_module

        index_module(ctx)
    elif ctx.artifact.kind in JS_KINDS:
        ctx.cached("js-routes-indexed", lambda: _index_js(ctx))
    else:
        from scanner.analysis.routes.python.index import index_routes as index_python

        index_python(ctx)


def _index_js(ctx: Context) -> bool:
    from scanner.analysis.routes.javascript.routes import index_file
    from scanner.lang.javascript.modules import index_module

    module = index_module(ctx)
    if module is not None:
        index_file(module.tree, ctx.artifact.path, js_project(ctx.facts))
    return True


def routes_in(ctx: Context) -> list[Route]:
    """Routes declared in this artifact (findings about a route are reported there)."""
    if ctx.artifact.kind in JS_KINDS:
        from scanner.analysis.routes.javascript.routes import neutral_routes
        from scanner.lang.javascript.parse import parse_js

        # transient: a route's nodes would keep the file's tree alive after the pass (the module graph frees it)
        return ctx.cached("js-routes", lambda: list(neutral_routes(parse_js(ctx), ctx.artifact.path,
                                                                   js_project(ctx.facts))), transient=True)
    from scanner.analysis.routes.python.index import routes_in as python_routes

    return python_routes(ctx.facts, ctx.artifact.path)
