"""Queries on tenant-owned models that select or change rows without a tenant/owner filter.

Index pass: learn tenant-owned models (:mod:`scanner.analysis.data.python.models`) from files that declare
ORM columns, and project functions (for helpers that add the filter; other files are deferred and parsed
only when a call leads there). Detect pass: only files that mention a tenant-owned model or table are
parsed; every ORM query and raw SQL statement on such a model that selects rows by user-supplied
criteria and is not scoped is reported (:mod:`scanner.analysis.data.python.queries`,
:mod:`scanner.analysis.data.python.sql`). libcst is imported only when a file passes these text prefilters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.config import Config
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Rule

#: Cheap text prefilter for the index pass: only files that may declare ORM models are parsed.
MODEL_MARKERS = re.compile(r"Column\(|mapped_column|Mapped\[|SQLModel|\bmodels\.|ForeignKey|__tablename__"
                           r"|\b[A-Z]\w*Field\(")
#: Code no tenant's request reaches: migrations (Django, Alembic), management and CLI commands, tests, and the
#: staff-only Django admin.
NOT_REQUEST_CODE = re.compile(r"(?:^|/)(?:migrations|alembic|management/commands|cli|tests?|admin)/|"
                              r"(?:^|/)(?:test_[^/]*|[^/]*_test|conftest|admin)\.py$")
#: Raw SQL is only reported when it selects rows, so a file without WHERE (or UPDATE/DELETE) has none.
SQL_MARKERS = re.compile(r"\b(?:where|update|delete)\s", re.IGNORECASE)


class TenantFilterDetector(Detector):
    """Reports unscoped queries (ORM and raw SQL) on tenant-owned models."""

    rule_ids = ("tenant-query-unscoped", "tenant-idor-route", "tenant-sql-unscoped", "tenant-id-from-request")
    kinds = frozenset({"python"})
    needs_index = True

    def __init__(self, rules: list[Rule], config: Config):
        from scanner.analysis.data.python.models import key_markers

        super().__init__(rules, config)
        self.key_markers = key_markers(config)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.data.python.models import index_model_outlines, index_models
        from scanner.lang.python.functions import defer_functions, index_functions
        from scanner.lang.python.parse import parse_python

        if "tenant-idor-route" in self.rules or "tenant-id-from-request" in self.rules:
            from scanner.analysis.routes.python.index import index_routes

            index_routes(ctx)
        if MODEL_MARKERS.search(artifact.text) is None:
            defer_functions(ctx)
            return
        if self.key_markers.search(artifact.text) is None:
            index_model_outlines(artifact.path, artifact.text, ctx.facts)
            defer_functions(ctx)
            return
        module = parse_python(ctx)
        if module is not None:
            index_models(module, ctx.facts)
            index_functions(ctx, module)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.models import model_index
        from scanner.lang.python.parse import parse_python

        if NOT_REQUEST_CODE.search(artifact.path):
            return
        mentions = model_index(ctx.facts).mention_pattern(ctx.config)
        mentioned = mentions is not None and mentions.search(artifact.text) is not None
        handlers = self._handlers(ctx)
        if not mentioned and not handlers:
            return
        module = parse_python(ctx)
        if module is None:
            return
        if mentioned and ("tenant-query-unscoped" in self.rules or "tenant-idor-route" in self.rules):
            yield from self._orm(module, ctx)
        if mentioned and "tenant-sql-unscoped" in self.rules and SQL_MARKERS.search(artifact.text):
            yield from self._sql(module, ctx)
        yield from self._reached(handlers, ctx)
        yield from self._trusted(handlers, module, ctx)

    def _handlers(self, ctx: Context) -> list:
        """Routes whose handler function is in this file (their calls are followed into the data layer)."""
        if "tenant-idor-route" not in self.rules and "tenant-id-from-request" not in self.rules:
            return []
        from scanner.analysis.routes.python.index import routes_of

        return [r for r in routes_of(ctx.facts) if r.module is not None and r.module.path == ctx.artifact.path]

    def _reached(self, handlers: list, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.reach import route_leaks

        for route in handlers:
            reached = list(route_leaks(route, ctx.facts))
            if not reached:
                continue
            call, callee, leak, inputs = reached[0]
            chain = " -> ".join(f"{name.rsplit('.', 1)[-1]}()" for name in (callee.qualified, *leak.via))
            places = list(dict.fromkeys(found[2].where for found in reached))
            more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
            span = route.span if route.file == ctx.artifact.path else route.module.span(call)
            yield ctx.finding(
                "tenant-idor-route", span,
                message=f"Route {route.label} passes {', '.join(inputs)} from the request to {chain}, which "
                        f"{leak.what} without a tenant or owner condition ({leak.where}{more}), and checks no "
                        f"ownership first: any signed-in user can reach other tenants' rows",
                key=f"{route.handler}:reaches", route=route.label, handler=route.handler, inputs=inputs,
                reaches=places)

    def _trusted(self, handlers: list, module, ctx: Context) -> Iterator[Hit]:
        """Routes that let the request say whose rows they touch: an account row, or the tenant to scope to."""
        from scanner.analysis.data.python.caller import tenants_from_request, user_rows_from_request
        from scanner.analysis.data.python.queries import is_scoped, queries

        scoped = None
        for route in handlers:
            if "tenant-idor-route" in self.rules:
                for found in user_rows_from_request(route, ctx.facts):
                    yield ctx.finding(
                        "tenant-idor-route", module.span(found.query.node),
                        message=f"Route {route.label} {found.query.action.replace('loads', 'changes')} the "
                                f"{found.query.model.name} row named by {', '.join(found.inputs)} from the "
                                f"request, not the signed-in caller: any user can change another account",
                        key=f"{route.handler}:account:{module.code(found.query.node)}", route=route.label,
                        handler=route.handler, model=found.query.model.name, inputs=list(found.inputs))
            if "tenant-id-from-request" in self.rules:
                if scoped is None:
                    scoped = [q for q in queries(module, ctx.facts) if is_scoped(q, module, ctx.facts)]
                for found in tenants_from_request(route, scoped, ctx.facts):
                    yield ctx.finding(
                        "tenant-id-from-request", module.span(found.query.node),
                        message=f"Route {route.label} scopes {found.query.model.name} by {found.key} taken from the "
                                f"request ({', '.join(found.inputs)}) and never checks the caller belongs to it: "
                                f"any signed-in user can name another tenant",
                        key=f"{route.handler}:{found.key}:{module.code(found.query.node)}", route=route.label,
                        handler=route.handler, model=found.query.model.name, inputs=list(found.inputs))

    def _orm(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.caller import admin_only, by_capability, privileged_branch
        from scanner.analysis.data.python.queries import input_names, is_scoped, queries, vouched
        from scanner.analysis.data.python.reach import left_to_callers

        found = [(query, input_names(query)) for query in queries(module, ctx.facts)]
        ctx.examined("tenant-isolation", "tenant-owned model query", len(found))
        found = [(query, inputs, is_scoped(query, module, ctx.facts)) for query, inputs in found if inputs]
        settled = vouched(found, module)
        ok = sum(settled)
        if ok:
            ctx.evidence("tenant-isolation", f"scoped to the tenant or owner: {ok} of {len(found)} quer"
                         f"{'ies' if len(found) != 1 else 'y'} on tenant-owned models selecting by user input in "
                         f"{ctx.artifact.path}")
        for (query, inputs, _), fine in zip(found, settled, strict=True):
            if fine:
                continue
            how = "by id" if query.by_id() else "by user-supplied filters"
            keys = "/".join(query.model.keys) or "tenant key"
            key = f"{query.model.name}:{module.code(query.node)}"
            route = self._route(ctx, query.function, inputs)
            if route is None and left_to_callers(query.function, inputs, ctx.facts, module):
                continue
            if by_capability(inputs, route) or privileged_branch(query.node, module) or admin_only(route):
                continue  # looked up by a secret (an API key, a signed token) or a public code; an admin's path
            if route is not None:
                yield ctx.finding(
                    "tenant-idor-route", module.span(query.node),
                    message=f"Route {route.label} {query.action} {query.model.name} {how} ({', '.join(inputs)}) "
                            f"from the request without a {keys} filter: any signed-in user can reach other "
                            f"tenants' rows", key=key, model=query.model.name, inputs=inputs, route=route.label,
                    handler=route.handler)
            elif "tenant-query-unscoped" in self.rules:
                where = f" in {query.function.name.value}()" if query.function else ""
                yield ctx.finding(
                    "tenant-query-unscoped", module.span(query.node),
                    message=f"Query{where} {query.action} {query.model.name} {how} ({', '.join(inputs)}) "
                            f"without a {keys} filter", key=key, model=query.model.name, inputs=inputs)

    def _route(self, ctx: Context, function, inputs: list[str]):
        """The route whose handler is ``function`` when the query's inputs come from its path or body."""
        if function is None or "tenant-idor-route" not in self.rules:
            return None
        from scanner.analysis.routes.python.index import route_for_function

        route = route_for_function(ctx.facts, ctx.artifact.path, function)
        if route is None:
            return None
        from scanner.analysis.data.python.caller import request_inputs

        return route if request_inputs(route) & set(inputs) else None

    def _sql(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.reach import enclosing_function, left_to_callers
        from scanner.analysis.data.python.sql import unscoped_sql

        for raw in unscoped_sql(module, ctx.facts):
            if left_to_callers(enclosing_function(raw.node, module), [], ctx.facts, module):
                continue
            keys = "/".join(raw.model.keys) or "tenant key"
            yield ctx.finding(
                "tenant-sql-unscoped", module.span(raw.node),
                message=f"Raw SQL {raw.verb.upper()} on tenant table {raw.table} without a {keys} condition",
                key=f"{raw.table}:{module.code(raw.node)}", model=raw.model.name, table=raw.table)
