"""Python data access as the language-neutral model: every ORM query and raw SQL statement on a tenant-owned
model becomes a :class:`~scanner.analysis.data.model.DataAccess` on its
:class:`~scanner.analysis.data.model.TenantTable`, which the tenant detector judges like any other language's.

What the Python leaves know goes into the record rather than into a second policy:

- whether the query is scoped (its chain, a helper or a later check names a key: ``mentions_key``);
- where each id comes from: the request when the function is a route handler that reads it (``REQUEST``),
  an earlier scoped query of the same path (``SCOPED_ROW``), a secret the caller holds (``CAPABILITY``), a
  helper's caller when the project calls the function (``UNKNOWN``: judged at the route instead, see
  :mod:`scanner.analysis.data.python.reach`), the model when agent or tool code calls it
  (``TOOL_ARGUMENT``), else an argument of a function nobody in the project calls (``ENTRY_ARGUMENT``: a
  view the route model does not know, a handler registered at run time);
- whether the loaded row is checked: a tenant row (``Workspace``, ``Project``) loaded by a URL parameter in
  a function whose decorator or view class checks the caller's role or membership (the guard resolves the
  URL's tenant; an id read from the body is not covered);
  by every caller of a function that reads the request itself, before the
  call or on the returned row (:func:`~scanner.analysis.data.python.reach.checked_by_callers`);
- whether it only answers yes or no: an existence test, or a load inside a permission check itself;
- whether only administrators reach it (an ``if`` on an admin flag, an admin-only route guard).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from scanner.analysis.data.model import (
    CAPABILITY,
    DELETE,
    ENTRY_ARGUMENT,
    READ,
    REQUEST,
    SCOPED_ROW,
    TOOL_ARGUMENT,
    UNKNOWN,
    UPDATE,
    DataAccess,
    IdInput,
    TenantTable,
    snake,
    table_name,
)
from scanner.analysis.data.python.caller import (
    admin_only,
    by_capability,
    open_view,
    permission_guarded,
    privileged_branch,
    request_inputs,
)
from scanner.analysis.data.python.models import TENANT_TABLES, TenantModel, key_names
from scanner.analysis.data.python.queries import constrained_columns, input_names, is_scoped, queries, vouched
from scanner.analysis.data.python.reach import (
    OWNERSHIP_CHECK,
    called_from_agent_code,
    checked_by_callers,
    enclosing_function,
    left_to_callers,
)
from scanner.analysis.data.python.sql import unscoped_sql
from scanner.context import ProjectFacts
from scanner.lang.python.parse import PythonModule

#: Query actions (``loads``, ``checks``: an existence test) and SQL verbs -> operations.
_OPERATIONS = {"loads": READ, "checks": READ, "updates": UPDATE, "deletes": DELETE, "select": READ, "with": READ,
               "update": UPDATE, "delete": DELETE}


def tenant_table(model: TenantModel) -> TenantTable:
    """The neutral record of a tenant-owned Python model."""
    return TenantTable(model.name, model.keys, model.path, "python orm")


def orm_accesses(module: PythonModule, facts: ProjectFacts, routes: bool) -> Iterator[tuple[DataAccess, TenantTable]]:
    """The module's ORM queries on tenant-owned models that select rows by some input (``routes``: look up the
    route a handler serves, for request origins)."""
    found = [(query, input_names(query)) for query in queries(module, facts)]
    found = [(query, inputs, is_scoped(query, module, facts)) for query, inputs in found if inputs]
    for (query, inputs, scoped), fine in zip(found, vouched(found, module), strict=True):
        route = _route(module, query.function, inputs, facts) if routes and not fine else None
        if scoped:
            origin = UNKNOWN
        elif fine:
            origin = SCOPED_ROW  # every id was matched first by a scoped query on the same path
        elif by_capability(inputs, route, public=open_view(query.function, module)):
            origin = CAPABILITY
        elif route is not None:
            origin = REQUEST
        elif left_to_callers(query.function, inputs, facts, module):
            origin = UNKNOWN
        elif query.function is not None and called_from_agent_code(facts, query.function.name.value):
            origin = TOOL_ARGUMENT  # a helper agent or tool code calls: the model chose its ids
        else:
            origin = ENTRY_ARGUMENT
        checked = origin in (REQUEST, ENTRY_ARGUMENT, TOOL_ARGUMENT) and (
            (_is_tenant(query.model, facts) and "request" not in inputs and permission_guarded(query.function, module))
            or (_OPERATIONS[query.action] == READ and checked_by_callers(query.function, module, facts)))
        yield DataAccess(
            table=query.model.name, operation=_OPERATIONS[query.action], call=_short(module.code(query.node)),
            constrained=constrained_columns(query), inputs=tuple(IdInput(name, origin) for name in inputs),
            span=module.span(query.node), function=query.function.name.value if query.function else "",
            mentions_key=scoped, owner_checked=checked,
            privileged=privileged_branch(query.node, module) or admin_only(route),
            route=route, by_id=query.by_id(),
            existence_only=query.action == "checks" or _in_check(query.function)), tenant_table(query.model)


def sql_accesses(module: PythonModule, facts: ProjectFacts) -> Iterator[tuple[DataAccess, TenantTable]]:
    """Raw SQL statements on tenant tables that never name the table's keys. Their ids are bound parameters
    the reader does not trace: an entry point's own statement is judged, a helper's is left to its callers."""
    for raw in unscoped_sql(module, facts):
        function = enclosing_function(raw.node, module)
        origin = UNKNOWN if left_to_callers(function, [], facts, module) else ENTRY_ARGUMENT
        yield DataAccess(
            table=raw.table, operation=_OPERATIONS[raw.verb], call=_short(module.code(raw.node)),
            constrained=frozenset(), inputs=(IdInput("its parameters", origin),), span=module.span(raw.node),
            function=function.name.value if function else "", raw_sql=True), tenant_table(raw.model)


def _route(module: PythonModule, function: cst.FunctionDef | None, inputs: list[str], facts: ProjectFacts):
    """The route whose handler is ``function`` when the query's inputs come from its path or body."""
    if function is None:
        return None
    from scanner.analysis.routes.python.index import route_for_function

    route = route_for_function(facts, module.path, function)
    return route if route is not None and request_inputs(route) & set(inputs) else None


def _in_check(function: cst.FunctionDef | None) -> bool:
    """Is the query inside a permission or ownership check itself (DRF's ``has_permission``,
    ``check_project_access``)? What it loads feeds a yes or no, and the check is what guards the route."""
    return function is not None and bool(OWNERSHIP_CHECK.match(function.name.value))


def _is_tenant(model: TenantModel, facts: ProjectFacts) -> bool:
    """Is the model a tenant itself (``Workspace``, ``Project``: a tenant-like name, or the table a key names)?"""
    name = table_name(model.name)
    return name in TENANT_TABLES or f"{snake(model.name)}_id" in key_names(facts)


def _short(code: str, limit: int = 80) -> str:
    """A call as written, on one line and cut to ``limit`` characters."""
    text = re.sub(r"\s+", " ", code).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
