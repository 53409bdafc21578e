"""Next.js entry points: App Router route handlers, Pages Router API routes, server actions, middleware.

- ``app/**/route.ts`` exporting GET/POST/... (also ``export { handler as GET }``, re-exports, wrappers);
- ``pages/api/**`` default exports;
- server actions: exported functions of ``"use server"`` modules, and inline functions whose body starts
  with ``"use server"`` (in any component file);
- ``middleware.ts``/``proxy.ts`` at an app root (or its ``src/``): does it authenticate, and on which paths.
Guards: an authenticating middleware whose matcher covers the URL (not for server actions, which are
POSTs to the page's own URL), auth wrappers around the handler, and the handler's own identity check with
project helpers followed across files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import (
    HTTP_METHODS,
    JsProject,
    JsRoute,
    Middleware,
    capability_guard,
    handler_guards,
)
from scanner.analysis.routes.javascript.identity import Guard
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module
from scanner.lang.javascript.parse import JsTree, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

_MATCHER = re.compile(r"matcher\s*:\s*(\[[^\]]*\]|'[^']*'|\"[^\"]*\")")
_STRING = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_MIDDLEWARE_AUTH = re.compile(
    r"clerkMiddleware|authMiddleware|withAuth|NextAuth|\bauth\s*\(|\bauth\s+as\s+(?:middleware|proxy|default)"
    r"|export\s+default\s+auth\b|getToken|jwtVerify|updateSession|\.auth\.getUser|redirect\([^)]*(?:login|sign-?in)"
    r"|kindeMiddleware|withMiddlewareAuthRequired|auth0\.middleware|getSessionCookie|betterFetch|verifyToken",
    re.IGNORECASE,
)


def app_root(path: str) -> str | None:
    """The Next.js project folder of a file under ``app/``, ``src/app``, ``pages/`` or ``src/pages``."""
    parts = PurePosixPath(path).parts
    for index, part in enumerate(parts[:-1]):
        if part in {"app", "pages"}:
            base = parts[:index - 1] if index and parts[index - 1] == "src" else parts[:index]
            return "/".join(base)
    return None


def index_middleware(tree: JsTree, path: str, project: JsProject) -> None:
    """Record a Next.js ``middleware``/``proxy`` file at an app root (or its ``src/``)."""
    posix = PurePosixPath(path)
    if posix.stem not in {"middleware", "proxy"}:
        return
    parent = posix.parent.as_posix()
    parent = "" if parent == "." else parent
    root = parent[:-len("src")].rstrip("/") if parent == "src" or parent.endswith("/src") else parent
    text = tree.file_text
    matcher = _MATCHER.search(text)
    matchers = None
    if matcher is not None:  # undo JS string escaping: "\\." in source is the regex \.
        matchers = [(a or b).replace("\\\\", "\\") for a, b in _STRING.findall(matcher.group(1))]
    project.middleware[root] = Middleware(bool(_MIDDLEWARE_AUTH.search(text)), matchers, path)


def nextjs_url(path: str) -> str:
    parts = list(PurePosixPath(path).parts)
    start = max(i for i, p in enumerate(parts) if p in {"app", "pages"}) + 1
    segments = [p for p in parts[start:-1] if not (p.startswith("(") and p.endswith(")")) and not p.startswith("@")]
    stem = PurePosixPath(path).stem
    if parts[start - 1] == "pages" and stem != "index":
        segments.append(stem)
    return "/" + "/".join(segments)


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    """Route handlers, API routes and server actions defined in one file."""
    path = module.path
    posix = PurePosixPath(path)
    root = app_root(path)
    in_app_router = root is not None and posix.stem == "route" and "app" in posix.parts
    in_pages_api = root is not None and "pages" in posix.parts and "api" in posix.parts
    if in_app_router or in_pages_api:
        url = nextjs_url(path)
        middleware = project.middleware.get(root or "")
        covering = (Guard("nextjs middleware", "middleware", middleware.path, middleware.line),) \
            if middleware and middleware.authenticates and middleware.covers(url) else ()
        names = [m for m in HTTP_METHODS if m in module.exports] if in_app_router else ["default"]
        for name in names:
            found = project.graph.exported_by(module, name)
            if found is None or found.module is not module or _not_a_handler(module, found.node):
                continue
            methods = (name,) if in_app_router else ("ANY",)
            yield _route(project, module, "nextjs", url, methods, name if in_app_router else "default export",
                         found.node, covering)
    elif has_directive(module.tree, module.tree.root):
        for name in module.exports:
            found = project.graph.exported_by(module, name)
            if found is not None and found.module is module and found.node.type in FUNCTION_TYPES | {"call_expression"}:
                yield _route(project, module, "server-action", f"server action {name}", ("POST",), name, found.node, ())
    else:
        for name, node in _inline_actions(module):
            yield _route(project, module, "server-action", f"server action {name}", ("POST",), name, node, ())


def _route(project: JsProject, module: Module, framework: str, url: str, methods: tuple[str, ...], handler: str,
           node: Node, covering: tuple[Guard, ...]) -> JsRoute:
    guards, inner_module, inner = handler_guards(project, module, node)
    source = module.tree.text(node) if inner_module is module else inner_module.tree.text(inner)
    guards = covering + guards + capability_guard(url, module, node)
    return JsRoute(framework, url, methods, handler, node, source, guards, stack="nextjs")


def _not_a_handler(module: Module, node: Node) -> bool:
    """A helper that ended up as a default export under ``pages/api`` (``findThing(id: string)``)."""
    params = node.child_by_field_name("parameters") if node.type in FUNCTION_TYPES else None
    first = params.named_children[0] if params is not None and params.named_children else None
    annotation = first.child_by_field_name("type") if first is not None else None
    return annotation is not None and module.tree.text(annotation).lstrip(": ").strip() in {"string", "number"}


def has_directive(tree: JsTree, body: Node, directive: str = "use server") -> bool:
    """True when the first statement of ``body`` (a program or a statement block) is the ``directive``."""
    for node in body.named_children:
        if node.type == "comment":
            continue
        if node.type == "expression_statement" and node.named_children:
            return string_value(tree, node.named_children[0]) == directive
        return False
    return False


def _inline_actions(module: Module) -> Iterator[tuple[str, Node]]:
    """Functions whose body starts with ``"use server"`` (inline server actions in components)."""
    tree = module.tree
    if "use server" not in tree.file_text:
        return
    for node in tree.walk():
        if node.type not in FUNCTION_TYPES:
            continue
        body = node.child_by_field_name("body")
        if body is None or body.type != "statement_block" or not has_directive(tree, body):
            continue
        name = node.child_by_field_name("name")
        if name is None and node.parent is not None and node.parent.type == "variable_declarator":
            name = node.parent.child_by_field_name("name")
        yield (tree.text(name) if name is not None else f"inline@{node.start_point[0] + 1}"), node
