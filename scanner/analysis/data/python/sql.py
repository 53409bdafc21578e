"""Raw SQL strings handed to a database call, and the tenant tables they read or change unscoped.

Strings passed to ``execute``/``text``/``exec_driver_sql``/``raw``/asyncpg ``fetch*`` or a project's own
``execute_query``/``execute_sql`` wrapper (directly or through a variable assigned a string in the same
function or module) are read with a small tokeniser: table names after ``FROM``/``JOIN``/``UPDATE``/
``INTO``. A statement that selects rows (``WHERE``) or changes them (``UPDATE``/``DELETE``, an upsert's
``ON CONFLICT ... DO UPDATE``) on a tenant table is unscoped when it never names one of that table's
tenant/owner key columns (for an upsert: in its conflict clause). Tenant tables are those of ORM models
and, with ``learned=True``, tables the project's own SQL shows to be owned
(:mod:`scanner.analysis.data.python.sql_tables`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from scanner.analysis.data.python.models import TenantModel, model_index
from scanner.context import ProjectFacts
from scanner.lang.python.functions import ScopedFinder, leaf_name
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import walk

SQL_CALLS = frozenset({"execute", "executemany", "text", "exec_driver_sql", "raw", "fetch", "fetchrow",
                       "fetchval", "fetch_one", "fetch_all"})
#: A project's own wrappers around the driver: ``self.execute_query(sql, params)``, ``run_sql(query=...)``.
_WRAPPER = re.compile(r"^_?(?:execute|exec|run|fetch)_?(?:query|sql|statement|raw|one|all|many|rows?)?$")
_SQL_KEYWORDS = frozenset({"query", "sql", "statement", "stmt"})
_UPSERT = re.compile(r"\bon\s+conflict\b(?P<target>.*?)\bdo\s+update\b|\bon\s+duplicate\s+key\s+update\b",
                     re.IGNORECASE | re.DOTALL)
_TABLE = re.compile(r"\b(?:from|join|update|into)\s+[`\"\[]?(?:\w+[`\"\]]?\.[`\"\[]?)?(\w+)", re.IGNORECASE)
_SELECTS_ROWS = re.compile(r"\bwhere\b|^\s*(?:update|delete)\b", re.IGNORECASE)
_STATEMENT = re.compile(r"^\s*(select|update|delete|with)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RawQuery:
    """A SQL statement on a tenant table that never names the table's tenant/owner keys."""

    node: cst.Call
    model: TenantModel
    table: str
    verb: str


def unscoped_sql(module: PythonModule, facts: ProjectFacts, learned: bool = False) -> Iterator[RawQuery]:
    """Statements on tenant tables that never name the table's keys; ``learned`` adds tables known only
    from the project's SQL (used when following routes into a data layer, not reported on their own)."""
    from scanner.analysis.data.python.sql_tables import learned_tables

    index = model_index(facts)
    tables = learned_tables(facts) if learned else None
    for call, sql in _SqlCalls(module).collect():
        upsert = _UPSERT.search(sql)
        statement = _STATEMENT.match(sql)
        if upsert is not None and re.match(r"\s*insert\b", sql, re.IGNORECASE):
            verb, scope = "update", upsert.group(0)
        elif statement is not None and _SELECTS_ROWS.search(sql):
            verb, scope = statement.group(1).lower(), sql
        else:
            continue
        words = {w.lower() for w in re.findall(r"\w+", scope)}
        for table in dict.fromkeys(m.group(1) for m in _TABLE.finditer(sql)):
            model = index.tenant_table(table, facts.config)
            if model is None and tables is not None:
                model = tables.owned(table, facts.config)
            if model is not None and not (words & {k.lower() for k in model.keys}):
                yield RawQuery(call, model, table, verb)
                break


class _SqlCalls(ScopedFinder):
    """Calls whose first argument is (or names) a SQL string."""

    def __init__(self, module: PythonModule):
        super().__init__(module)
        self.strings: list[dict[str, str]] = [{}]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.strings.append(dict(self.strings[-1]))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self.strings.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        text = _string(node.value)
        if text is not None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.strings[-1][target.target.value] = text

    def visit_Call(self, node: cst.Call) -> None:
        name = leaf_name(node.func)
        if name not in SQL_CALLS and not _WRAPPER.match(name):
            return
        first = _sql_argument(node)
        text = None if first is None else (
            self.strings[-1].get(first.value) if isinstance(first, cst.Name) else _string(first))
        if text is not None:
            self.found.append((node, text))


def _sql_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The statement a call runs: its ``query=``/``sql=`` keyword, else its first positional argument."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _SQL_KEYWORDS:
            return arg.value
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


_ANY_STATEMENT = re.compile(r"^\s*(?:select|insert|update|delete|with|create\s+table)\b", re.IGNORECASE)


def statement_strings(node: cst.CSTNode) -> Iterator[str]:
    """Every string literal under ``node`` that is a SQL statement (``CREATE TABLE`` included)."""
    for item in walk(node):
        if isinstance(item, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            text = _string(item)
            if text is not None and _ANY_STATEMENT.match(text):
                yield text


def _string(node: cst.BaseExpression) -> str | None:
    """The literal text of a string expression; f-string holes become ``?``."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string(node.left), _string(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString):
        return "".join(part.value if isinstance(part, cst.FormattedStringText) else "?" for part in node.parts)
    return None
