"""Fastify's own shapes: lifecycle hooks that run before a handler, and route options that carry them.

Routes, plugins and prefixes share the Express-style model in ``express``; this module knows which hooks
run before the handler (``onRequest``, ``preParsing``, ``preValidation``, ``preHandler``) and reads them
from route options (``fastify.get(path, { preHandler: [fastify.authenticate] }, handler)``,
``fastify.route({ ..., onRequest: auth })``) and from ``addHook`` calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.identity import Guard

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.analysis.routes.javascript.base import JsProject
    from scanner.lang.javascript.modules import Module

#: Hooks that run before the route handler, in order.
HOOK_NAMES = frozenset({"onRequest", "preParsing", "preValidation", "preHandler"})


def route_options(project: JsProject, module: Module, options: Node) -> tuple[Guard, ...]:
    """Guards in a route's options object: each hook value, or each element of a hook array."""
    guards: list[Guard] = []
    for pair in options.named_children:
        if pair.type != "pair":
            continue
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is None or value is None or module.tree.text(key).strip("'\"") not in HOOK_NAMES:
            continue
        values = value.named_children if value.type == "array" else [value]
        for hook in values:
            guard = project.resolver.guard_of(module, hook, "hook")
            if guard is None and hook.type == "call_expression":  # fastify.auth([fastify.verifyJWT, ...])
                function = hook.child_by_field_name("function")
                arguments = hook.child_by_field_name("arguments")
                if function is not None and module.tree.text(function).endswith(".auth") and arguments is not None:
                    guard = Guard("hook", module.tree.text(hook)[:60], module.path, hook.start_point[0] + 1)
            if guard is not None:
                guards.append(guard)
    return tuple(guards)
