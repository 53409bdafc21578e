"""Raw SQL strings handed to a database call, and the tenant tables they read or change unscoped.

Strings passed to ``execute``/``text``/``exec_driver_sql``/``raw``/asyncpg ``fetch*`` (directly or
through a variable assigned a string in the same function or module) are read with a small
tokeniser: table names after ``FROM``/``JOIN``/``UPDATE``/``INTO``. A statement that selects rows
(``WHERE``) or changes them (``UPDATE``/``DELETE``) on a tenant table is unscoped when it never names
one of that table's tenant/owner key columns.
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

SQL_CALLS = frozenset({"execute", "executemany", "text", "exec_driver_sql", "raw", "fetch", "fetchrow",
                       "fetchval", "fetch_one", "fetch_all"})
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


def unscoped_sql(module: PythonModule, facts: ProjectFacts) -> Iterator[RawQuery]:
    index = model_index(facts)
    for call, sql in _SqlCalls(module).collect():
        statement = _STATEMENT.match(sql)
        if statement is None or not _SELECTS_ROWS.search(sql):
            continue
        words = {w.lower() for w in re.findall(r"\w+", sql)}
        for table in dict.fromkeys(m.group(1) for m in _TABLE.finditer(sql)):
            model = index.tenant_table(table, facts.config)
            if model is not None and not (words & {k.lower() for k in model.keys}):
                yield RawQuery(call, model, table, statement.group(1).lower())
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
        if leaf_name(node.func) not in SQL_CALLS or not node.args or node.args[0].keyword is not None:
            return
        first = node.args[0].value
        text = self.strings[-1].get(first.value) if isinstance(first, cst.Name) else _string(first)
        if text is not None:
            self.found.append((node, text))


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
