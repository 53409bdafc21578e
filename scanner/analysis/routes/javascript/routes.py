"""HTTP and RPC entry points of JavaScript/TypeScript back ends, and what protects them.

The index pass registers every JS/TS file in the project's module graph (``index_file``) and records
Next.js middleware and SvelteKit ``handle`` hooks. The detect pass asks ``routes_in`` for one file's
routes; each framework's extractor (``nextjs``, ``express`` for Express/Koa/Hono/Fastify, ``nestjs``,
``trpc``, ``wasp``, ``remix`` for Remix and React Router, ``sveltekit``) finds its entry points and their
guards, resolving helpers, wrappers, middleware and mounts across files through the module graph and the
shared identity resolver (``identity``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript import express, nestjs, nextjs, remix, sveltekit, trpc, wasp
from scanner.analysis.routes.javascript.base import SIGNATURE_CHECK, JsProject, JsRoute, Middleware
from scanner.analysis.routes.javascript.nextjs import app_root
from scanner.lang.javascript.modules import Module
from scanner.lang.javascript.parse import JsTree

if TYPE_CHECKING:
    from scanner.analysis.routes.model import Route

__all__ = ["SIGNATURE_CHECK", "JsProject", "JsRoute", "Middleware", "app_root", "index_file", "neutral_routes",
           "routes_in"]
_EXTRACTORS = (nextjs.routes, express.routes, nestjs.routes, trpc.routes, wasp.routes, remix.routes, sveltekit.routes)


def index_file(tree: JsTree, path: str, project: JsProject) -> None:
    """Index pass: register the file in the module graph; record it if it is a Next.js middleware."""
    module = project.graph.add(tree, path)
    nextjs.index_middleware(tree, path, project)
    sveltekit.index_hooks(module, project)


def routes_in(tree: JsTree, path: str, project: JsProject) -> Iterator[JsRoute]:
    """Every entry point defined in one file, with the guards that run before it."""
    module = project.graph.current(tree, path)
    for extract in _EXTRACTORS:
        yield from extract(module, project)


#: ``case "GET":`` / ``req.method === "POST"``: the methods a Pages Router handler dispatches on.
_METHOD_TEST = re.compile(r"""(?:\bcase\s*|\bmethod\s*(?:===?|!==?)\s*)['"](GET|POST|PUT|PATCH|DELETE)['"]""")


def neutral_routes(tree: JsTree, path: str, project: JsProject) -> Iterator[Route]:
    """The file's routes as language-neutral :class:`~scanner.analysis.routes.model.Route`s: the boundary
    between these extractors and the shared intent policy and detectors. Each extractor's guards (with their
    kind and ``file:line`` origin) become the model's guards; a guard checks a role when its name or, for a
    check in the handler, the handler's code says so."""
    from scanner.analysis.routes.authorization import checks_role_inline, is_role_guard
    from scanner.analysis.routes.model import Guard, Route

    module = project.graph.modules.get(path)
    for js in routes_in(tree, path, project):
        code = "\n".join([js.source, *_called_helpers(module, tree, js)])
        guards = [Guard(g.kind, g.name, g.origin, g.role or is_role_guard(g.name) or (
            g.kind == "inline" and checks_role_inline(code))) for g in js.guards]
        methods = js.methods
        if methods == ("ANY",):  # a Pages Router handler that dispatches on req.method
            methods = tuple(dict.fromkeys(_METHOD_TEST.findall(code))) or methods
        yield Route("javascript", js.framework, js.path, methods, js.handler, path, tree.span(js.node), code, guards,
                    dispatcher=js.is_dispatcher, purpose=js.public_purpose, node=js.node, module=tree,
                    delegate_code="\n".join(_delegates(project, path, js)))


def _delegates(project: JsProject, path: str, js: JsRoute) -> list[str]:
    """Source of the project functions in other files that the handler calls directly (one level)."""
    found = []
    for name in dict.fromkeys(re.findall(r"(?<![\w.$])([A-Za-z_$][\w$]*)\s*\(", js.source)):
        definition = project.graph.function(name, path)
        if definition is not None and definition.path != path:
            found.append(definition.module.tree.text(definition.node))
    return found


def _called_helpers(module: Module | None, tree: JsTree, js: JsRoute) -> list[str]:
    """Source of the same-file functions the handler calls (``handleDELETE``, ``requireAdmin``): one level,
    so a role check in a dispatch helper counts for the route."""
    if module is None or module.tree.source != tree.source:
        return []
    return [module.tree.text(node) for name, node in module.declarations.items()
            if node.start_byte != js.node.start_byte and re.search(rf"\b{re.escape(name)}\s*\(", js.source)]
