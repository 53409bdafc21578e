"""Remix and React Router (framework mode) route modules: ``loader`` answers GET, ``action`` answers POST.

A route module is a file under ``app/routes/`` that exports ``loader`` or ``action``; its URL follows the
file-name conventions of Remix v2 flat routes, remix-flat-routes folders and Remix v1 nested folders:
``notes.$noteId.tsx`` is ``/notes/:noteId``, ``$.tsx`` a splat, ``_auth.login.tsx`` (pathless layout) is
``/login``, ``[.]`` escapes a dot, ``_index``/``index``/``route``/``_layout`` name the folder itself.
Server-only helpers (``*.server.ts``), tests and colocated ``+folders`` are not route modules.

Parent layouts do not protect child loaders and actions (they run in parallel, and every loader and action
is its own HTTP endpoint), so each export is judged by its own identity check (``requireUserId(request)``,
``authenticator.isAuthenticated``, ``getAuth(args)``...), followed through project helpers. A page whose
component reads an optional user (``useOptionalUser()``) shows its loader's data to anonymous visitors by
design. A loader that only calls into the server adapter's load context (``context.loaders.x(args)``) is
left to the server's handler, like a tRPC adapter to its procedures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import JsProject, JsRoute, capability_guard, handler_guards
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module
from scanner.lang.javascript.parse import JsTree

if TYPE_CHECKING:
    from tree_sitter import Node

#: The export that answers each HTTP method (``clientLoader``/``clientAction`` run in the browser).
EXPORTS = {"loader": ("GET",), "action": ("POST",)}
_ROUTES_FOLDER = re.compile(r"(?:^|/)app/routes/")
_NOT_A_ROUTE_MODULE = re.compile(r"\.(?:server|client|test|spec|stories)\.[jt]sx?$|\.d\.ts$")
#: The page renders for anonymous visitors by design (the Remix stacks' ``useOptionalUser()`` hook).
_OPTIONAL_USER = re.compile(r"\buseOptionalUser\s*\(")
#: A method reached through the load context: ``context.actions.x``, ``(args.context as Ctx).loaders.y``.
_LOAD_CONTEXT_CALL = re.compile(r"^\(?\s*(?:\w+\.)?context\b(?:\s+as\s+\w+\s*\))?\s*\.\s*\w+\s*\.\s*\w+$")
#: File or folder names that stand for their parent's URL.
_INDEX = {"_index", "index", "route", "_layout", "layout"}


def is_route_module(path: str) -> bool:
    match = _ROUTES_FOLDER.search(path)
    if match is None or _NOT_A_ROUTE_MODULE.search(path):
        return False
    return not any(part.startswith("+") for part in PurePosixPath(path[match.end():]).parts[:-1])


def remix_url(path: str) -> str:
    """The URL a route module answers: ``app/routes/users.$id_.edit.tsx`` -> ``/users/:id/edit``."""
    relative = PurePosixPath(path[_ROUTES_FOLDER.search(path).end():])
    names = [*relative.parts[:-1], _stem(relative.name)]
    segments: list[str] = []
    for name in names:
        for segment in re.split(r"\.(?![^\[]*\])", name):
            segment = segment.replace("[.]", ".").replace("[", "").replace("]", "")
            if not segment or segment in _INDEX or (segment.startswith("_") and len(segment) > 1):
                continue  # an index, or a pathless layout (``_auth``)
            segment = segment.rstrip("_").lstrip("(").rstrip(")")  # ``$id_`` escapes nesting; ``(lang)`` optional
            if segment == "$":
                segment = "*"
            elif segment.startswith("$"):
                segment = ":" + segment[1:]
            segments.append(segment)
    return "/" + "/".join(segments)


def _stem(name: str) -> str:
    """The file name without its extension (``sitemap[.]xml.ts`` -> ``sitemap[.]xml``)."""
    return re.sub(r"\.[jt]sx?$", "", name)


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    if not is_route_module(module.path):
        return
    url = remix_url(module.path)
    optional_user = bool(_OPTIONAL_USER.search(module.tree.file_text))
    for name, methods in EXPORTS.items():
        if name not in module.exports:
            continue
        found = project.graph.exported_by(module, name)
        if found is None or found.module is not module or found.node.type not in FUNCTION_TYPES | {"call_expression"}:
            continue
        guards, inner_module, inner = handler_guards(project, module, found.node)
        source = inner_module.tree.text(inner)
        yield JsRoute("remix", url, methods, name, found.node, source,
                      guards + capability_guard(url, module, found.node), stack="remix",
                      declared_public=name == "loader" and optional_user,
                      delegates=_delegates_to_load_context(module.tree, found.node))


def _delegates_to_load_context(tree: JsTree, node: Node) -> bool:
    """``export const loader = (args) => (args.context as AppContext).loaders.todoList(args)``: the body is
    one call into the server adapter's load context, whose handlers (not visible here) do the work."""
    body = node.child_by_field_name("body")
    if body is not None and body.type == "statement_block":
        statements = [c for c in body.named_children if c.type != "comment"]
        body = statements[0].named_children[0] if len(statements) == 1 and statements[0].type in {
            "return_statement", "expression_statement"} and statements[0].named_children else None
    while body is not None and body.type in {"await_expression", "parenthesized_expression"} and body.named_children:
        body = body.named_children[0]
    if body is None or body.type != "call_expression":
        return False
    callee = body.child_by_field_name("function")
    return callee is not None and _LOAD_CONTEXT_CALL.match(tree.text(callee)) is not None
