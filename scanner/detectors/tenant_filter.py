"""Queries on tenant-owned tables that select or change rows without a tenant/owner filter.

Python: the index pass learns tenant-owned models (:mod:`scanner.analysis.data.python.models`, from an
``ast`` outline of files that declare ORM columns) and keeps every file deferred for the function index (parsed
only when a call leads there). The detect pass parses only files that mention a tenant-owned model; their ORM
queries and raw SQL statements become neutral data accesses (:mod:`scanner.analysis.data.python.access`),
judged by :meth:`TenantFilterDetector.judge` like JS/TS ones; route handlers are followed into helpers
(:mod:`scanner.analysis.data.python.reach`).

JavaScript/TypeScript: the index pass learns tenant tables from schemas and models
(:mod:`scanner.analysis.data.javascript.schema`: Prisma, Drizzle, TypeORM, Sequelize, Mongoose, SQL
migrations) and registers files in the module graph and route model; the detect pass reads each file's data
accesses (:mod:`scanner.analysis.data.javascript.access`) as the language-neutral
:class:`~scanner.analysis.data.model.DataAccess` and :meth:`TenantFilterDetector.judge` decides over those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.config import Config
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Rule

if TYPE_CHECKING:
    from scanner.analysis.data.model import DataAccess, TenantTable

#: Cheap text prefilter for the index pass: only files that may declare ORM models are parsed.
MODEL_MARKERS = re.compile(r"Column\(|mapped_column|Mapped\[|SQLModel|\bmodels\.|ForeignKey|__tablename__"
                           r"|\b[A-Z]\w*Field\(")
#: Code no tenant's request reaches: migrations (Django, Alembic), management and CLI commands, tests, and the
#: staff-only Django admin.
NOT_REQUEST_CODE = re.compile(r"(?:^|/)(?:migrations|alembic|management/commands|cli|tests?|admin)/|"
                              r"(?:^|/)(?:test_[^/]*|[^/]*_test|conftest|admin)\.py$")
#: Raw SQL is only reported when it selects rows, so a file without WHERE (or UPDATE/DELETE) has none.
SQL_MARKERS = re.compile(r"\b(?:where|update|delete)\s", re.IGNORECASE)
JS_KINDS = frozenset({"javascript", "typescript"})
#: JS/TS code no tenant's request reaches: seeds, migrations, scripts, tests, mocks and stories, and admin
#: consoles (staff reach every tenant by design).
JS_NOT_REQUEST_CODE = re.compile(r"(?:^|/)(?:migrations?|seeds?|seeders|scripts|tests?|__tests__|__mocks__|e2e|cypress|"
                                 r"mocks?|fixtures)/|(?:^|/)admin[\w+-]*/|\.(?:test|spec|stories|e2e)\.[cm]?[jt]sx?$|(?:^|/)seed\.[cm]?[jt]s$")
#: A file with one of these may use a client that bypasses row-level security.
RLS_BYPASS_MARKERS = re.compile(r"[sS]ervice[_-]?[rR]ole|SERVICE_ROLE|SERVICE_KEY|supabaseAdmin|adminClient")
SERVICE_ROLE_RULE = "tenant-service-role-unscoped"
#: Tables (and files serving reads) that are public by purpose: avatars, logos and branding are served to anyone.
PUBLIC_RESOURCE = re.compile(r"[aA]vatar|[lL]ogo|[bB]randing|[iI]con|[fF]avicon")
#: Functions for the operator's staff (an instance admin key, an admin console) reach every tenant by design.
STAFF_FUNCTION = re.compile(r"[aA]dmin|ADMIN|[sS]uperuser|[sS]taff")


class TenantFilterDetector(Detector):
    """Reports unscoped queries (ORM and raw SQL) on tenant-owned models."""

    rule_ids = ("tenant-query-unscoped", "tenant-idor-route", "tenant-sql-unscoped", "tenant-id-from-request",
                SERVICE_ROLE_RULE)
    kinds = frozenset({"python", *JS_KINDS, "text"})
    needs_index = True

    def __init__(self, rules: list[Rule], config: Config):
        from scanner.analysis.data.model import KeyPolicy

        super().__init__(rules, config)
        self.policy = KeyPolicy.of(config)

    def wants(self, artifact: Artifact) -> bool:
        """Python and JS/TS code (not build output), Prisma schemas, SQL migrations and tsconfig/jsconfig."""
        from scanner.lang.javascript.modules import CONFIG_NAME
        from scanner.paths import is_build_output

        if artifact.kind == "python":
            return True
        if artifact.kind in JS_KINDS:
            return not is_build_output(artifact.path)
        return artifact.path.endswith((".prisma", ".sql")) or bool(CONFIG_NAME.fullmatch(
            PurePosixPath(artifact.path).name))

    def index(self, artifact: Artifact, ctx: Context) -> None:
        if artifact.kind != "python":
            self._index_js(artifact, ctx)
            return
        from scanner.analysis.data.python.models import index_models
        from scanner.lang.python.functions import defer_functions
        from scanner.paths import is_test_file

        if "tenant-idor-route" in self.rules or "tenant-id-from-request" in self.rules:
            from scanner.analysis.routes.python.index import index_routes

            index_routes(ctx)
        if MODEL_MARKERS.search(artifact.text) is not None and not is_test_file(artifact.path):
            index_models(artifact.path, artifact.text, ctx.facts)  # a test's models are fixtures, not the schema
        defer_functions(ctx)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.models import model_index
        from scanner.lang.python.parse import parse_python

        if artifact.kind != "python":
            if artifact.kind in JS_KINDS:
                yield from self._js(artifact, ctx)
            return
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
        from scanner.analysis.data.model import SCOPED_ROW
        from scanner.analysis.data.python.access import orm_accesses

        found = list(orm_accesses(module, ctx.facts, routes="tenant-idor-route" in self.rules))
        ctx.examined("tenant-isolation", "tenant-owned model query", len(found))
        ok = sum(1 for access, table in found if access.scoped_to(table) or all(
            i.origin == SCOPED_ROW for i in access.inputs))
        if ok:
            ctx.evidence("tenant-isolation", f"scoped to the tenant or owner: {ok} of {len(found)} quer"
                         f"{'ies' if len(found) != 1 else 'y'} on tenant-owned models selecting by user input in "
                         f"{ctx.artifact.path}")
        for access, table in found:
            yield from self.judge(ctx, access, table, access.route)

    def _sql(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.python.access import sql_accesses

        for access, table in sql_accesses(module, ctx.facts):
            yield from self.judge(ctx, access, table, None)

    # -- JavaScript / TypeScript over the neutral data-access model ------------------------------------------------
    def _index_js(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.data.javascript.schema import MARKERS, learn_tables
        from scanner.analysis.data.model import table_index

        if artifact.kind in JS_KINDS or (artifact.kind == "text" and not artifact.path.endswith((".prisma", ".sql"))):
            from scanner.analysis.routes.index import index_routes

            index_routes(ctx)
        if MARKERS.search(artifact.text) and not (artifact.kind in JS_KINDS and JS_NOT_REQUEST_CODE.search(
                artifact.path)):
            learn_tables(artifact.path, artifact.text, self.policy, table_index(ctx.facts))

    def _js(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.data.javascript.access import accesses
        from scanner.analysis.data.javascript.helpers import REQUEST_MARKERS, helper_accesses
        from scanner.analysis.data.model import table_index
        from scanner.lang.javascript.modules import module_graph
        from scanner.lang.javascript.parse import parse_js

        index = table_index(ctx.facts)
        mentions = index.mention_pattern()
        text = artifact.text
        if JS_NOT_REQUEST_CODE.search(artifact.path) or (mentions is None and not RLS_BYPASS_MARKERS.search(text)):
            return
        direct = (mentions is not None and mentions.search(text)) or RLS_BYPASS_MARKERS.search(text)
        tree = parse_js(ctx)
        found = list(accesses(tree, index, self.policy)) if direct else []
        if REQUEST_MARKERS.search(text):
            found += helper_accesses(tree, artifact.path, module_graph(ctx.facts), index, self.policy,
                                     ctx.facts.bucket("tenant-helper-accesses", dict))
        ctx.examined("tenant-isolation", "tenant table query", len(found))
        tables = [index.find(access.table) for access in found]
        scoped = sum(1 for access, table in zip(found, tables, strict=True)
                     if table is not None and access.scoped_to(table))
        if scoped:
            ctx.evidence("tenant-isolation", f"scoped to the tenant or owner: {scoped} of {len(found)} quer"
                         f"{'ies' if len(found) != 1 else 'y'} on tenant tables in {artifact.path}")
        # An id that a scoped query of the same function matched (the row's tenant was checked) is the caller's.
        verified = {(access.scope, i.name) for access, table in zip(found, tables, strict=True)
                    if table is not None and access.scoped_to(table) for i in access.inputs}
        for access, table in zip(found, tables, strict=True):
            if not all((access.scope, i.name) in verified for i in access.client_chosen()):
                yield from self.judge(ctx, access, table, self._js_route(ctx, access))

    def judge(self, ctx: Context, access: DataAccess, table: TenantTable | None, route) -> Iterator[Hit]:
        """One decision per data access, whatever its language: an access that selects rows by an id the
        client chose, on a tenant table (or through a client that bypasses row-level security), without
        constraining the tenant/owner key and without an ownership check afterwards. ``route`` is the route
        whose handler holds the access, if known. An access whose ids are only arguments of a function nothing
        in the project calls is reported as an unscoped query (the caller is unknown, so is the id's origin)."""
        from scanner.analysis.data.model import AUTHOR_KEYS, READ, REQUEST, TOOL_ARGUMENT, VERBS, table_name
        from scanner.analysis.routes.intent import public_reason

        chosen = access.client_chosen()
        if access.operation == READ and table is not None and table.keys and set(table.keys) <= set(AUTHOR_KEYS):
            return  # authored content (reviews, articles, comments) is read by everyone; its author owns changes
        if not (chosen or access.entry_arguments()) or access.existence_only or access.scoped_to(table) or \
                access.privileged or STAFF_FUNCTION.search(f"{access.function} {access.via}") or \
                PUBLIC_RESOURCE.search(access.table or "") or (
                access.operation == READ and PUBLIC_RESOURCE.search(ctx.artifact.path)):
            return
        model_chosen = any(i.origin == TOOL_ARGUMENT for i in chosen)  # no route, no guard checked the parent
        parents = access.parents()
        if parents and not model_chosen and (route is None or _guard_checks_parent(route, parents)):
            return  # selected through a parent that a guard checks (or may check: the route is not known)
        if route is not None and table is not None and _guard_checks_parent(route, {table_name(table.name)}):
            return  # the guard checks the caller's access to this very row (protectedProjectProcedure, Project)
        if not any(i.origin == REQUEST for i in chosen):
            yield from self._unscoped(ctx, access, table)
            return
        ids = ", ".join(i.name if i.detail in ("", i.name) else f"{i.name} ({i.detail})" for i in chosen)
        by = f"by {ids}" if access.by_id else f"by filters on {ids}"
        verb = VERBS[access.operation]
        where = f" in {access.function}()" if access.function else ""
        target = f"{table.name if table is not None else access.table}" if access.table else "a stored procedure"
        key = f"{access.table}:{access.call}:{','.join(i.name for i in chosen)}"
        if access.bypasses_rls:
            if SERVICE_ROLE_RULE in self.rules:
                yield ctx.finding(
                    SERVICE_ROLE_RULE, access.span,
                    message=f"Service-role client{where} {verb} {target} ({access.call}) by ids from the request "
                            f"({ids}) with no ownership check: row-level security is bypassed, so any user reaches "
                            f"every tenant's rows", key=key, table=access.table, inputs=[i.name for i in chosen])
            return
        if table is None or "tenant-idor-route" not in self.rules:
            return
        if route is not None and access.operation == READ and public_reason(route, ctx.config.public_routes):
            return  # an Open Graph image, a shared page, an OAuth callback: public reads by purpose
        who = f"Route {route.label}" if route is not None else f"Request handler{where}"
        via = f" through {access.via}" if access.via else ""
        keys = "/".join(table.keys) or "tenant key"
        yield ctx.finding(
            "tenant-idor-route", access.span,
            message=f"{who} {verb} {table.name}{via} {by} from the request without a filter on {keys} or an "
                    f"ownership check ({access.call}): any signed-in user can reach other tenants' rows",
            key=key, model=table.name, inputs=[i.name for i in chosen], learned_from=table.origin,
            **({"route": route.label, "handler": route.handler} if route is not None else {}))

    def _unscoped(self, ctx: Context, access: DataAccess, table: TenantTable | None) -> Iterator[Hit]:
        """An access selecting rows by the arguments of a function nothing in the project calls, or that only
        agent or tool code calls (the model chose them)."""
        from scanner.analysis.data.model import ENTRY_ARGUMENT, TOOL_ARGUMENT, VERBS

        rule = "tenant-sql-unscoped" if access.raw_sql else "tenant-query-unscoped"
        if table is None or rule not in self.rules:
            return
        where = f" in {access.function}()" if access.function else ""
        keys = "/".join(table.keys) or "tenant key"
        unknown_caller = [i for i in access.inputs if i.origin in (ENTRY_ARGUMENT, TOOL_ARGUMENT)]
        names = ", ".join(i.name for i in unknown_caller)
        what, target = ("Raw SQL", access.table) if access.raw_sql else ("Query", table.name)
        by = f"by {names}" if access.by_id else f"by filters on {names}"
        yield ctx.finding(
            rule, access.span, message=f"{what}{where} {VERBS[access.operation]} {target} {by} without a filter "
                                       f"on {keys} ({access.call})",
            key=f"{access.table}:{access.call}", model=table.name, inputs=[i.name for i in unknown_caller])

    @staticmethod
    def _js_route(ctx: Context, access: DataAccess):
        """The route of this file whose handler holds the access, if the route model knows it."""
        from scanner.analysis.routes.index import routes_in

        for route in routes_in(ctx):
            if route.node is not None and route.module is not None:
                span = route.module.span(route.node)
                if (span.line, span.column) <= (access.span.line, access.span.column) <= (span.end_line,
                                                                                          span.end_column):
                    return route
        return None


def _guard_checks_parent(route, parents: set[str]) -> bool:
    """A guard of the route checks the caller's access to the parent the rows are selected through
    (``protectedProjectProcedure`` for rows selected by ``project_id``, ``requireWorkspaceMember`` for
    ``workspace_id``): the parent's name is a word (or two adjacent words) of a guard's name."""
    words: set[str] = set()
    for guard in route.guards:
        parts = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", guard.name)
        words.update(p.lower() for p in parts)
        words.update((a + b).lower() for a, b in pairwise(parts))
    return any(parent.removesuffix("_id").replace("_", "") in words for parent in parents)
