"""Wasp operations: queries and actions are RPC entry points; ``context.user`` is who is calling.

An operation is an exported function typed with an operation type imported from ``wasp/server/operations``
(``export const getX: GetX<In, Out> = async (args, context) => ...``; older apps import the types from
``@wasp/queries/types`` or ``@wasp/actions/types``), or an exported function of such a module taking
``(args, context)``. Anyone can call it unless it checks ``context.user`` and rejects
(``if (!context.user) throw new HttpError(401)``), directly or in a helper. Jobs and APIs are not operations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.analysis.routes.javascript.base import JsProject, JsRoute, handler_guards
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module

_OPERATION_TYPES = re.compile(r"^(?:wasp/server/operations|@wasp/(?:queries|actions)/types)$")


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    types = {i.local for i in module.imports.values() if _OPERATION_TYPES.match(i.specifier)}
    if not types:
        return
    tree = module.tree
    for name in module.exports:
        found = project.graph.exported_by(module, name)
        if found is None or found.module is not module or found.node.type not in FUNCTION_TYPES:
            continue
        declarator = found.node.parent
        annotation = declarator.child_by_field_name("type") if declarator is not None and \
            declarator.type == "variable_declarator" else None
        typed = annotation is not None and bool(set(re.findall(r"\w+", tree.text(annotation))) & types)
        params = found.node.child_by_field_name("parameters")
        names = [tree.text(p) for p in params.named_children] if params is not None else []
        takes_context = len(names) >= 2 and names[1].split(":")[0].strip().lstrip("_").startswith(("context", "ctx"))
        if not typed and not takes_context:
            continue
        guards, _, _ = handler_guards(project, module, found.node)
        yield JsRoute("server-action", f"wasp operation {name}", ("POST",), name, found.node, tree.text(found.node),
                      guards, stack="wasp")
