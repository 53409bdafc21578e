"""tRPC procedures: each ``name: someProcedure...query/mutation(...)`` in a router is an entry point.

A procedure is guarded when its builder chain (``protectedProcedure`` = ``t.procedure.use(isAuthed)``,
followed across files) applies a middleware that establishes identity and rejects
(``if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED" })``), or when the resolver itself checks.
Queries built on a procedure named public (``publicProcedure``) are public on purpose; mutations on it are
reported when unguarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import JsProject, JsRoute, handler_guards
from scanner.analysis.routes.javascript.identity import Guard
from scanner.lang.javascript.modules import Module

if TYPE_CHECKING:
    from tree_sitter import Node

_KINDS = {"query": "GET", "mutation": "POST", "subscription": "GET"}
_MAX_DEPTH = 5


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    if not any(i.specifier.startswith("@trpc/") or "trpc" in i.specifier for i in module.imports.values()):
        return
    tree = module.tree
    for node in tree.walk():
        if node.type != "pair":
            continue
        key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key is None or value is None or value.type != "call_expression":
            continue
        function = value.child_by_field_name("function")
        prop = function.child_by_field_name("property") if function is not None and \
            function.type == "member_expression" else None
        if prop is None or tree.text(prop) not in _KINDS:
            continue
        arguments = value.child_by_field_name("arguments")
        resolver_fn = arguments.named_children[-1] if arguments is not None and arguments.named_children else None
        if resolver_fn is None:
            continue
        chain_guards, base = procedure_guards(project, module, function.child_by_field_name("object"), 0)
        own, _, _ = handler_guards(project, module, resolver_fn)
        kind = tree.text(prop)
        name = tree.text(key).strip("'\"")
        public = not chain_guards and kind == "query" and bool(re.search(r"public", base, re.IGNORECASE))
        yield JsRoute("server-action", f"tRPC {kind} {_router_name(module, node)}{name}", (_KINDS[kind],), name,
                      value, tree.text(resolver_fn), chain_guards + own, stack="trpc", declared_public=public)


def procedure_guards(project: JsProject, module: Module, node: Node | None,
                     depth: int) -> tuple[tuple[Guard, ...], str]:
    """Guards applied along a procedure builder chain (``.use(mw)``), and the chain's base name."""
    guards: list[Guard] = []
    current = node
    while current is not None and depth <= _MAX_DEPTH:
        if current.type == "call_expression":
            function = current.child_by_field_name("function")
            if function is None or function.type != "member_expression":  # withPermission("x", "read")
                inner, base = _built_by(project, module, function, depth)
                return (*guards, *inner), base
            prop = function.child_by_field_name("property")
            arguments = current.child_by_field_name("arguments")
            if prop is not None and module.tree.text(prop) == "use" and arguments is not None:
                for arg in arguments.named_children:
                    guard = project.resolver.guard_of(module, arg, "procedure middleware")
                    if guard is not None:
                        guards.append(guard)
            current = function.child_by_field_name("object")
        elif current.type == "member_expression":
            current = current.child_by_field_name("object")
        elif current.type == "identifier":
            name = module.tree.text(current)
            found = project.graph.definition(name, module.path)
            if found is None or found.node.type not in {"call_expression", "member_expression"}:
                return tuple(guards), name
            inner, _ = procedure_guards(project, found.module, found.node, depth + 1)
            return tuple(guards) + inner, name
        else:
            break
    return tuple(guards), ""


def _built_by(project: JsProject, module: Module, function: Node | None, depth: int) -> tuple[tuple[Guard, ...], str]:
    """A procedure from a factory (``withPermission("x", "read")``): the chain the factory returns."""
    if function is None or function.type != "identifier":
        return (), ""
    found = project.graph.function(module.tree.text(function), module.path)
    body = found.node.child_by_field_name("body") if found is not None else None
    if body is not None and body.type == "statement_block":
        returns = [c for c in body.named_children if c.type == "return_statement" and c.named_children]
        body = returns[-1].named_children[0] if returns else None
    if found is None or body is None:
        return (), module.tree.text(function)
    return procedure_guards(project, found.module, body, depth + 1)


def _router_name(module: Module, pair: Node) -> str:
    """``postRouter`` for pairs of ``export const postRouter = createTRPCRouter({...})`` -> ``post.``."""
    node = pair.parent
    while node is not None and node.type != "variable_declarator":
        node = node.parent
    name = node.child_by_field_name("name") if node is not None else None
    if name is None:
        return ""
    return re.sub(r"Router$", "", module.tree.text(name)) + "."
