"""Replay recognised statements, file by file in migration order, into the schema a project ends with.

Later statements override earlier ones: a table created in one migration and given row-level security in a
later one is protected; a dropped table, policy, function or view is gone; ``CREATE OR REPLACE FUNCTION``
keeps the privileges already revoked (as Postgres does). A ``CREATE TABLE`` of a table that already exists
(a schema snapshot next to the migrations) changes nothing.

Privileges follow Supabase's defaults: tables, views and functions in exposed schemas are granted to
``anon`` and ``authenticated``, and functions to ``PUBLIC`` too, until revoked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.analysis.data.sql.lexer import split_statements
from scanner.analysis.data.sql.statements import (
    AlterFunction,
    AlterPolicy,
    AlterTable,
    AlterView,
    CreateFunction,
    CreateTable,
    CreateView,
    Drop,
    DropPolicy,
    EnableRlsEverywhere,
    Policy,
    Privilege,
    Recognised,
    Where,
    recognise,
)

Key = tuple[str, str]
#: The roles a browser acts as through PostgREST: signed out, signed in, and every role.
BROWSER_ROLES = frozenset({"anon", "authenticated", "public"})


@dataclass
class Table:
    schema: str
    name: str
    columns: set[str]
    where: Where
    rls: bool = False
    policies: dict[str, Policy] = field(default_factory=dict)
    #: Roles whose read privilege was revoked.
    revoked: set[str] = field(default_factory=set)


@dataclass
class Function:
    schema: str
    name: str
    definer: bool
    search_path: bool
    trigger: bool
    checks_caller: bool
    effects: bool
    returns: str
    touches: bool
    calls: frozenset[str]
    where: Where
    revoked: set[str] = field(default_factory=set)
    #: Roles EXECUTE was granted to explicitly: the function is meant as an API.
    granted: set[str] = field(default_factory=set)


@dataclass
class View:
    schema: str
    name: str
    invoker: bool
    materialized: bool
    reads: frozenset[Key]
    checks_caller: bool
    where: Where
    revoked: set[str] = field(default_factory=set)


@dataclass
class Database:
    """The objects a project's SQL leaves behind, by ``(schema, name)``."""

    tables: dict[Key, Table] = field(default_factory=dict)
    functions: dict[Key, Function] = field(default_factory=dict)
    views: dict[Key, View] = field(default_factory=dict)
    #: Roles revoked by ``ALTER DEFAULT PRIVILEGES`` for objects created later, by (schema, kind).
    defaults: dict[Key, set[str]] = field(default_factory=dict)

    def apply(self, record: Recognised) -> None:
        handler = _HANDLERS.get(type(record))
        if handler is not None:
            handler(self, record)

    def _create_table(self, record: CreateTable) -> None:
        key = (record.schema, record.name)
        if key in self.tables or key in self.views:
            return
        self.tables[key] = Table(record.schema, record.name, set(record.columns), record.where,
                                 revoked=set(self.defaults.get((record.schema, "table"), ())))

    def _alter_table(self, record: AlterTable) -> None:
        table = self.tables.get((record.schema, record.name))
        if table is None:
            return
        if record.rls is not None:
            table.rls = record.rls
        table.columns |= record.added
        if record.renamed:
            del self.tables[(table.schema, table.name)]
            table.name = record.renamed
            self.tables[(table.schema, table.name)] = table

    def _enable_everywhere(self, record: EnableRlsEverywhere) -> None:
        for table in self.tables.values():
            table.rls = True

    def _drop(self, record: Drop) -> None:
        store = {"table": self.tables, "function": self.functions, "view": self.views}[record.kind]
        store.pop((record.schema, record.name), None)

    def _policy(self, record: Policy) -> None:
        table = self.tables.get((record.schema, record.table))
        if table is not None:
            table.policies[record.name] = record

    def _alter_policy(self, record: AlterPolicy) -> None:
        table = self.tables.get((record.schema, record.table))
        policy = table.policies.get(record.name) if table else None
        if table is None or policy is None:
            return
        table.policies[record.name] = Policy(
            policy.name, policy.schema, policy.table, policy.command,
            record.roles if record.roles is not None else policy.roles,
            record.using if record.using is not None else policy.using,
            record.check if record.check is not None else policy.check, policy.permissive, policy.where)

    def _drop_policy(self, record: DropPolicy) -> None:
        table = self.tables.get((record.schema, record.table))
        if table is not None:
            table.policies.pop(record.name, None)

    def _create_function(self, record: CreateFunction) -> None:
        key = (record.schema, record.name)
        earlier = self.functions.get(key)
        revoked = earlier.revoked if earlier else set(self.defaults.get((record.schema, "function"), ()))
        self.functions[key] = Function(record.schema, record.name, record.definer, record.search_path, record.trigger,
                                       record.checks_caller, record.effects, record.returns, record.touches,
                                       record.calls, record.where,
                                       revoked)

    def _alter_function(self, record: AlterFunction) -> None:
        function = self.functions.get((record.schema, record.name))
        if function is None:
            return
        if record.definer is not None:
            function.definer = record.definer
        function.search_path = function.search_path or record.search_path

    def _create_view(self, record: CreateView) -> None:
        key = (record.schema, record.name)
        earlier = self.views.get(key)
        revoked = earlier.revoked if earlier else set(self.defaults.get((record.schema, "table"), ()))
        self.views[key] = View(record.schema, record.name, record.invoker, record.materialized, record.reads,
                               record.checks_caller, record.where, revoked)

    def _alter_view(self, record: AlterView) -> None:
        view = self.views.get((record.schema, record.name))
        if view is not None and record.invoker is not None:
            view.invoker = record.invoker

    def _privilege(self, record: Privilege) -> None:
        if record.kind == "table" and not record.reads:
            return
        if record.default:
            for schema in record.schemas:
                _change(self.defaults.setdefault((schema, record.kind), set()), record)
            return
        for target in self._privilege_targets(record):
            _change(target.revoked, record)
            if record.grant and isinstance(target, Function):
                target.granted |= record.roles

    def _privilege_targets(self, record: Privilege) -> Iterable[Table | View | Function]:
        stores: list[dict[Key, Table] | dict[Key, View] | dict[Key, Function]] = (
            [self.tables, self.views] if record.kind == "table" else [self.functions])
        for store in stores:
            if record.objects:
                yield from (store[key] for key in record.objects if key in store)
            else:
                yield from (item for key, item in store.items() if key[0] in record.schemas)


def _change(revoked: set[str], record: Privilege) -> None:
    if record.grant:
        revoked.difference_update(record.roles)
    else:
        revoked.update(record.roles)


_HANDLERS = {
    CreateTable: Database._create_table, AlterTable: Database._alter_table, Drop: Database._drop,
    EnableRlsEverywhere: Database._enable_everywhere,
    Policy: Database._policy, AlterPolicy: Database._alter_policy, DropPolicy: Database._drop_policy,
    CreateFunction: Database._create_function, AlterFunction: Database._alter_function,
    CreateView: Database._create_view, AlterView: Database._alter_view, Privilege: Database._privilege,
}


def follow_calls(database: Database) -> None:
    """A function that calls one with effects has effects; one that calls a function reading the caller's identity
    (``current_user_account_role(...)`` using ``auth.uid()``) checks the caller: to a fixed point."""
    by_name: dict[str, list[Function]] = {}
    for function in database.functions.values():
        by_name.setdefault(function.name, []).append(function)
    changed = True
    while changed:
        changed = False
        for function in database.functions.values():
            callees = [callee for name in function.calls for callee in by_name.get(name, ())]
            if not function.effects and any(callee.effects for callee in callees):
                function.effects = function.touches = changed = True
            if not function.touches and any(callee.touches for callee in callees):
                function.touches = changed = True
            if not function.checks_caller and any(callee.checks_caller for callee in callees):
                function.checks_caller = changed = True


def executable(function: Function, role: str) -> bool:
    """Whether ``role`` may still call ``function``: EXECUTE goes to it and to ``PUBLIC`` by default, so both
    must be revoked."""
    return not {role, "public"} <= function.revoked


def browsers_read(revoked: set[str]) -> bool:
    """Whether anon or authenticated may still read a table or view with these revoked roles."""
    return not {"anon", "authenticated"} <= revoked


def read(path: str, text: str) -> list[Recognised]:
    """What one SQL file says, in order."""
    return [record for statement in split_statements(text) for record in recognise(statement, path)]


def replay(files: Iterable[tuple[str, list[Recognised]]]) -> Database:
    """The database that the files' records (path, records from :func:`read`), applied in path order, leave."""
    database = Database()
    for _path, records in sorted(files, key=lambda item: item[0]):
        for record in records:
            database.apply(record)
    follow_calls(database)
    return database


def build(files: Iterable[tuple[str, str]]) -> Database:
    """The database that ``files`` (path, SQL text), applied in path order, leave behind."""
    return replay((path, read(path, text)) for path, text in files)
