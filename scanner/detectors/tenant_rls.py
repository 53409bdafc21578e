"""Row-level security and what bypasses it, read from SQL migrations, in projects whose database browsers
reach through PostgREST (Supabase).

With the anon key in every browser, Postgres privileges and row-level security are all that stands between
one user and every other user's rows. The index pass collects the project's SQL files (test code aside) and
the signals that the database is exposed (``scanner.analysis.data.sql.exposure``); the first detect call
replays each database's migrations in file order (``scanner.analysis.data.sql.database``), and every SQL
file then gets the findings about the objects it created. Projects whose database no browser reaches (only
``POSTGRES_URL`` on a server) get nothing: there, RLS is defence in depth, not the access control.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from scanner.analysis.data.sql.database import (
    BROWSER_ROLES,
    Database,
    Function,
    Table,
    View,
    browsers_read,
    executable,
    read,
    replay,
)
from scanner.analysis.data.sql.exposure import Exposure, database_root, signals
from scanner.analysis.data.sql.statements import Policy, Recognised, Where
from scanner.config import Config
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Rule, Severity
from scanner.paths import is_test_file

BUCKET = "tenant-rls"
CHECK = "tenant-isolation"
#: A policy expression that lets every row through.
_ALWAYS_TRUE = frozenset({"true", "1=1", "'t'", "'true'", "true::boolean"})
#: A policy name that says every row is meant to be readable.
_MEANT_PUBLIC = re.compile(r"\bpublic\b|everyone|anyone|all\s+users|\bviewable\b|\breadable\b|\bvisible\b",
                           re.IGNORECASE)
#: Policies that end users can edit their way through: Supabase Auth user metadata.
_USER_METADATA = re.compile(r"user_metadata|raw_user_meta_data", re.IGNORECASE)
#: SQL that does not build the deployed schema: local seed data (``supabase db reset`` only), down migrations.
_NOT_SCHEMA = re.compile(r"^seed|(?:^|[._-])(?:down|rollback|revert|uninstall|teardown)(?:[._-]|$)", re.IGNORECASE)
_LOWER = {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW,
          Severity.LOW: Severity.LOW, Severity.INFO: Severity.INFO}


@dataclass
class RlsFacts:
    exposure: Exposure = field(default_factory=Exposure)
    #: What each SQL file says, by database root: (path, records), read in the index pass (the file's time).
    sql: dict[str, list[tuple[str, list[Recognised]]]] = field(default_factory=dict)
    #: Hits per SQL path, computed once all files are indexed.
    hits: dict[str, list[_Problem]] | None = None
    #: Scorecard notes per SQL path: ("examined", what) or ("evidence", text).
    coverage: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Problem:
    rule_id: str
    where: Where
    message: str
    key: str
    severity: Severity | None = None


class TenantRlsDetector(Detector):
    """Tables without row-level security, permissive or orphaned policies, and SECURITY DEFINER functions and
    views that bypass it, in exposed schemas of databases browsers reach."""

    rule_ids = ("tenant-table-without-rls", "db-table-without-rls", "db-policy-rls-disabled", "db-rls-without-policy",
                "db-policy-always-true", "db-policy-user-metadata", "db-definer-function-exposed",
                "db-definer-function-search-path", "db-definer-view", "db-auth-users-exposed")
    needs_index = True
    #: Whole migrations only: a history or staged artifact holds added lines, not the schema they build.
    origins = frozenset({"worktree"})

    def __init__(self, rules: list[Rule], config: Config):
        super().__init__(rules, config)
        self.keys = frozenset(_spelling(k) for k in (*config.tenant_keys, *config.owner_keys))

    def wants(self, artifact: Artifact) -> bool:
        """SQL files that build the deployed schema (not tests, local seed data or down migrations), and the few
        other files that tell whether browsers reach the database."""
        if artifact.path.endswith(".sql"):
            return not is_test_file(artifact.path) and not _NOT_SCHEMA.search(PurePosixPath(artifact.path).name)
        return signals(artifact.path, artifact.kind, artifact.text)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        facts = ctx.facts.bucket(BUCKET, RlsFacts)
        facts.exposure.read(artifact.path, artifact.text)
        if artifact.path.endswith(".sql"):
            records = read(artifact.path, artifact.text)
            facts.sql.setdefault(database_root(artifact.path), []).append((artifact.path, records))

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        facts = ctx.facts.bucket(BUCKET, RlsFacts)
        if not artifact.path.endswith(".sql"):
            return
        if facts.hits is None:
            hits: dict[str, list[_Problem]] = {}
            coverage: dict[str, list[tuple[str, str]]] = {}
            for root, files in facts.sql.items():
                schemas = facts.exposure.exposed(root)
                if schemas:
                    self._review(replay(files), schemas, hits, coverage)
            facts.hits, facts.coverage = hits, coverage  # only once complete: a pass cut short is redone
        for kind, text in facts.coverage.get(artifact.path, []):
            if kind == "evidence":
                ctx.evidence(CHECK, text)
            else:
                ctx.examined(CHECK, text)
        for problem in facts.hits.get(artifact.path, []):
            start = problem.where.offset
            end = artifact.text.find("\n", start)
            yield ctx.finding(problem.rule_id, ctx.span(start, len(artifact.text) if end == -1 else end),
                              message=problem.message, key=problem.key, severity=problem.severity)

    def _review(self, database: Database, schemas: frozenset[str], hits: dict[str, list[_Problem]],
                coverage: dict[str, list[tuple[str, str]]]) -> None:
        def report(problem: _Problem) -> None:
            hits.setdefault(problem.where.path, []).append(problem)

        def note(where: Where, kind: str, text: str) -> None:
            coverage.setdefault(where.path, []).append((kind, text))

        for table in database.tables.values():
            if table.schema in schemas and browsers_read(table.revoked):
                note(table.where, "examined", "table in an exposed schema")
                for problem in self._table(table):
                    report(problem)
                if table.rls and table.policies and self._tenant(table):
                    note(table.where, "evidence", f"row-level security enabled on {table.name} with "
                                                  f"{len(table.policies)} policies ({table.where.path})")
        for function in database.functions.values():
            if function.definer and function.schema in schemas:
                note(function.where, "examined", "SECURITY DEFINER function")
                for problem in _function(function):
                    report(problem)
        for view in database.views.values():
            if view.schema in schemas and browsers_read(view.revoked):
                note(view.where, "examined", "view in an exposed schema")
                problem = self._view(view, database)
                if problem:
                    report(problem)

    def _tenant(self, table: Table) -> str | None:
        """The table's tenant or owner key column, if it has one."""
        return next((column for column in sorted(table.columns) if _spelling(column) in self.keys), None)

    def _table(self, table: Table) -> Iterator[_Problem]:
        key, name = self._tenant(table), f"{table.schema}.{table.name}"
        if not table.rls:
            if table.policies:
                yield _Problem("db-policy-rls-disabled", table.where,
                               f"Table {name} has policies but row-level security is never enabled, so they do not "
                               f"apply: every browser can read and write every row",
                               f"policy-rls-disabled:{name}", None if key else Severity.MEDIUM)
            elif key:
                yield _Problem("tenant-table-without-rls", table.where,
                               f"Table {table.name} holds per-tenant rows ({key}) but row-level security is never "
                               f"enabled, and browsers reach the database through the Supabase/PostgREST API",
                               f"rls:{table.name}")
            else:
                yield _Problem("db-table-without-rls", table.where,
                               f"Table {name} is in an exposed schema without row-level security: anyone with the "
                               f"anon key can read, change and delete its rows", f"table-without-rls:{name}")
            return
        if not table.policies:
            yield _Problem("db-rls-without-policy", table.where,
                           f"Row-level security is enabled on {name} but no policy exists: browsers get no rows "
                           f"(only the service role does); add policies or revoke the table from anon and "
                           f"authenticated to say it is server-only", f"rls-without-policy:{name}")
        for policy in table.policies.values():
            yield from _policy(policy, name, key)

    def _view(self, view: View, database: Database) -> _Problem | None:
        name = f"{view.schema}.{view.name}"
        if ("auth", "users") in view.reads:
            return _Problem("db-auth-users-exposed", view.where,
                            f"View {name} reads auth.users and browsers can query it: user emails and metadata of "
                            f"every account are exposed", f"auth-users-exposed:{name}")
        if view.invoker and not view.materialized:
            return None
        tables = [database.tables[key] for key in sorted(view.reads) if key in database.tables]
        tables = [table for table in tables if _hidden(table)]
        if not tables:
            return None  # it reads only what browsers may read anyway (or nothing the migrations create)
        tenant = next((t for t in tables if self._tenant(t)), None)
        severity = Severity.LOW if view.checks_caller else Severity.HIGH if tenant else None
        kind = "Materialized view" if view.materialized else "View"
        reads = f"per-tenant table {tenant.name}" if tenant else ", ".join(t.name for t in tables[:3])
        return _Problem("db-definer-view", view.where,
                        f"{kind} {name} runs with its owner's rights, bypassing row-level security on {reads}, and "
                        f"browsers can query it (create it WITH (security_invoker = true) or revoke it from anon "
                        f"and authenticated)", f"definer-view:{name}", severity)


def _spelling(column: str) -> str:
    """A column name as Prisma and Drizzle spell it too: ``user_id``, ``userId`` and ``"UserId"`` are one key."""
    return column.replace("_", "").lower()


def _hidden(table: Table) -> bool:
    """Whether row-level security hides some of the table's rows from browsers: enabled, and no permissive
    policy lets browser roles read every row."""
    return table.rls and not any(
        p.permissive and p.roles & BROWSER_ROLES and p.command in ("select", "all") and _always_true(p.using)
        for p in table.policies.values())


def _policy(policy: Policy, table: str, key: str | None) -> Iterator[_Problem]:
    if not (policy.roles & BROWSER_ROLES):
        return
    where = policy.where or Where("", 0)
    texts = " ".join(t for t in (policy.using, policy.check) if t)
    if _USER_METADATA.search(texts):
        yield _Problem("db-policy-user-metadata", where,
                       f"Policy \"{policy.name}\" on {table} trusts user metadata, which every user can change "
                       f"for themselves (supabase.auth.updateUser)", f"policy-user-metadata:{table}:{policy.name}")
    if not policy.permissive:
        return
    open_rows = _always_true(policy.using)
    open_writes = _always_true(policy.check) or (policy.check is None and open_rows)
    command = policy.command
    reads = command in ("select", "all") and open_rows
    writes = (command in ("update", "delete", "all") and open_rows) or \
        (command in ("insert", "update", "all") and open_writes)
    if not (reads or writes):
        return
    roles = ", ".join(sorted(policy.roles & BROWSER_ROLES))
    changes = writes and (command != "insert" or open_rows)
    if key:
        severity = Severity.HIGH if changes else Severity.MEDIUM
        if not writes and _MEANT_PUBLIC.search(policy.name):
            severity = Severity.LOW  # "Public profiles are viewable by everyone": the read is the design
        what = "change every row" if changes else "insert rows for any owner" if writes else "read every row"
    elif changes:
        severity, what = Severity.MEDIUM, "change every row"
    else:
        return  # public reads and open inserts (a contact form) of tables without owners: usually intended
    yield _Problem("db-policy-always-true", where,
                   f"Policy \"{policy.name}\" on {table} lets {roles} {what} ({command.upper()} "
                   f"always true)" + (f", though rows belong to an owner ({key})" if key else ""),
                   f"policy-always-true:{table}:{policy.name}", severity)


def _always_true(expression: str | None) -> bool:
    if expression is None:
        return False
    normal = re.sub(r"\s+", "", expression.lower())
    while normal.startswith("(") and normal.endswith(")"):
        normal = normal[1:-1]
    return normal in _ALWAYS_TRUE


def _function(function: Function) -> Iterator[_Problem]:
    """One finding per function: callable from the browser (with a missing search_path said in its message),
    else a missing search_path alone."""
    name = f"{function.schema}.{function.name}"
    exposed = None if function.trigger else _callable(function, name)  # triggers cannot be called through the API
    if exposed:
        yield exposed
    elif not function.search_path:
        yield _Problem("db-definer-function-search-path", function.where,
                       f"SECURITY DEFINER function {name} has no fixed search_path (add SET search_path = '')",
                       f"definer-search-path:{name}")


def _callable(function: Function, name: str) -> _Problem | None:
    anon, signed_in = executable(function, "anon"), executable(function, "authenticated")
    deliberate = function.granted & BROWSER_ROLES and (function.checks_caller or not function.effects)
    if not (anon or signed_in) or deliberate or not function.touches:
        return None  # revoked, granted on purpose as an API that checks who calls or only reads, or pure computation
    answers = not function.effects and function.returns in ("boolean", "bool")
    severity = Severity.HIGH if function.effects else Severity.MEDIUM
    if function.checks_caller or answers:
        severity = Severity.LOW
    elif not anon:
        severity = _LOWER[severity]
    who = "anyone with the anon key" if anon else "any signed-in user"
    caller = " (it reads the caller's identity)" if function.checks_caller else \
        " (it only answers yes or no)" if answers else ""
    path = "" if function.search_path else " and set its search_path"
    return _Problem("db-definer-function-exposed", function.where,
                    f"SECURITY DEFINER function {name} bypasses row-level security and {who} can call it through "
                    f"the API (rpc){caller}; revoke EXECUTE from public, anon and authenticated (or move it to an "
                    f"unexposed schema){path}", f"definer-function:{name}", severity)
