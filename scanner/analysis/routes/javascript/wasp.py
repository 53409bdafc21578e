"""Wasp operations: queries and actions are RPC entry points; ``context.user`` is who is calling.

An operation module imports its types from ``wasp/server/operations`` (or the older ``@wasp/...`` paths);
each exported function taking ``(args, context)`` is an operation, callable by anyone unless it checks
``context.user`` and rejects (``if (!context.user) throw new HttpError(401)``), directly or in a helper.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.analysis.routes.javascript.base import JsProject, JsRoute, handler_guards
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    if not any(i.specifier.startswith(("wasp/server", "@wasp/")) for i in module.imports.values()):
        return
    tree = module.tree
    for name in module.exports:
        found = project.graph.exported(module.path, name)
        if found is None or found.module is not module or found.node.type not in FUNCTION_TYPES:
            continue
        params = found.node.child_by_field_name("parameters")
        names = [tree.text(p) for p in params.named_children] if params is not None else []
        if len(names) < 2 or not names[1].split(":")[0].strip().startswith(("context", "ctx", "_context")):
            continue
        guards, _, _ = handler_guards(project, module, found.node)
        yield JsRoute("server-action", f"wasp operation {name}", ("POST",), name, found.node, tree.text(found.node),
                      guards, stack="wasp")
