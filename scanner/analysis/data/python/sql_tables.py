"""Which tables are owned, learned from the SQL a project writes itself (no ORM model declares them).

A data layer written in raw SQL (``INSERT INTO threads ("id", "userId") ...``, ``SELECT ... FROM steps s
JOIN threads t ON s."threadId" = t.id WHERE t."userId" = :uid``) declares its schema only in its
statements. From every SQL string in the project's Python (including test set-up, which often holds the
``CREATE TABLE``), this module learns per table its id-like columns (``userId``, ``thread_id``) and what
they reference: ``REFERENCES t``, a join ``ON s."id" = f."forId"``, or the name (``threadId`` -> a table
``thread``/``threads``). A table is owned when it has a tenant/owner key column (``userId`` reads as
``user_id``) or, up to three hops, an id column referencing an owned table (``Feedback.stepId -> Step
.threadId -> Thread.userId``); those columns are its keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.analysis.data.python.models import TenantModel

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.context import ProjectFacts

BUCKET = "python-sql-tables"
_HOPS = 3
#: Files worth parsing for SQL: they hold a statement shape that names tables and columns.
_SQL_HINT = re.compile(r"\b(?:INSERT\s+INTO|CREATE\s+TABLE|JOIN\s+\"?\w+|FROM\s+\"?\w+\"?\s+(?:\w+\s+)?WHERE)\b",
                       re.IGNORECASE)
_NAME = r"[`\"\[]?(\w+)[`\"\]]?"
_TABLE_REF = re.compile(rf"\b(?:from|join|update|into|table(?:\s+if\s+not\s+exists)?)\s+(?:\w+\.)?{_NAME}"
                        r"(?:\s+(?:as\s+)?(\w+))?", re.IGNORECASE)
_NOT_ALIAS = frozenset({"where", "on", "set", "left", "right", "inner", "outer", "full", "cross", "join", "values",
                        "using", "group", "order", "limit", "returning", "select", "as", "natural", "default"})
#: Bound parameters (``:thread_id``, ``%(user_id)s``, ``$1``): values, not columns.
_BIND = re.compile(r"(?<![:\w]):\w+|%\(\w+\)s|\$\d+")
_QUALIFIED = re.compile(r"\b(\w+)\s*\.\s*[`\"]?(\w+)[`\"]?")
_ID_COLUMN = re.compile(r"^(?:\w+_id|[a-z]\w*Id|\w+ID)$")
_JOIN_ON = re.compile(r"\b(\w+)\s*\.\s*[`\"]?(\w+)[`\"]?\s*=\s*(\w+)\s*\.\s*[`\"]?(\w+)[`\"]?")
_COLUMN_WORD = re.compile(r"[`\"]?\b(\w+)\b[`\"]?")
_REFERENCES = re.compile(rf"{_NAME}[^,()]*?\breferences\s+(?:\w+\.)?{_NAME}", re.IGNORECASE)
_FOREIGN_KEY = re.compile(rf"foreign\s+key\s*\(\s*{_NAME}\s*\)\s*references\s+(?:\w+\.)?{_NAME}", re.IGNORECASE)


def snake(name: str) -> str:
    """``userId`` -> ``user_id``, ``ThreadID`` -> ``thread_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("__", "_")


@dataclass
class SqlTables:
    """Id-like columns and references per table (lower-case table names), from the project's SQL."""

    columns: dict[str, set[str]] = field(default_factory=dict)
    references: dict[str, dict[str, str]] = field(default_factory=dict)
    built: bool = False
    _owned: dict[str, TenantModel | None] = field(default_factory=dict)

    def learn(self, sql: str) -> None:
        sql = _BIND.sub(" ? ", sql)
        tables, aliases = [], {}
        for match in _TABLE_REF.finditer(sql):
            table = match.group(1).lower()
            if table in _NOT_ALIAS:
                continue
            tables.append(table)
            self.columns.setdefault(table, set())
            alias = match.group(2)
            if alias and alias.lower() not in _NOT_ALIAS:
                aliases[alias] = table
            aliases[match.group(1)] = table
        if not tables:
            return
        for match in _FOREIGN_KEY.finditer(sql):
            self._reference(tables[0], match.group(1), match.group(2).lower())
        for match in _REFERENCES.finditer(sql):
            self._reference(tables[0], match.group(1), match.group(2).lower())
        for match in _JOIN_ON.finditer(sql):
            left, right = aliases.get(match.group(1)), aliases.get(match.group(3))
            if left and right and match.group(2).lower() == "id":
                self._reference(right, match.group(4), left)
            elif left and right and match.group(4).lower() == "id":
                self._reference(left, match.group(2), right)
        for match in _QUALIFIED.finditer(sql):
            if match.group(1) in aliases and _ID_COLUMN.match(match.group(2)):
                self.columns[aliases[match.group(1)]].add(match.group(2))
        if len(set(tables)) == 1:
            unqualified = re.sub(r"\b\w+\s*\.\s*[`\"]?\w+[`\"]?", " ", sql)
            self.columns[tables[0]].update(w for w in _COLUMN_WORD.findall(unqualified) if _ID_COLUMN.match(w))

    def _reference(self, table: str, column: str, target: str) -> None:
        if _ID_COLUMN.match(column) or column.lower() != "id":
            self.columns.setdefault(table, set()).add(column)
            self.references.setdefault(table, {})[column] = target

    def owned(self, table: str, config: Config, hops: int = _HOPS) -> TenantModel | None:
        """The table as a tenant-owned model (its key columns), or None."""
        wanted = table.lower()
        if hops == _HOPS and wanted in self._owned:
            return self._owned[wanted]
        keys_wanted = set(config.tenant_keys) | set(config.owner_keys)
        columns = self.columns.get(wanted, set())
        keys = sorted(c for c in columns if snake(c) in keys_wanted)
        if not keys and hops > 0:
            for column in sorted(columns):
                target = self.references.get(wanted, {}).get(column) or self._named_table(column)
                if target and target != wanted and self.owned(target, config, hops - 1) is not None:
                    keys.append(column)
        model = TenantModel(table, "", tuple(keys), table) if keys else None
        if hops == _HOPS:
            self._owned[wanted] = model
        return model

    def _named_table(self, column: str) -> str | None:
        """``threadId`` -> the known table ``thread``, ``threads`` or ``thread_s``; None when unknown."""
        base = re.sub(r"_?id$", "", snake(column))
        return next((t for t in (base, f"{base}s", f"{base}es") if t in self.columns), None)


def learned_tables(facts: ProjectFacts) -> SqlTables:
    """The project's SQL-learned tables, built on first use from every Python file the index pass saw."""
    from scanner.analysis.data.python.sql import statement_strings
    from scanner.lang.python.functions import function_index
    from scanner.lang.python.parse import parse_python

    tables = facts.bucket(BUCKET, SqlTables)
    if not tables.built:
        tables.built = True
        for ctx in list(function_index(facts).contexts.values()):
            if _SQL_HINT.search(ctx.artifact.text):
                module = parse_python(ctx)
                if module is not None:
                    for sql in statement_strings(module.module):
                        tables.learn(sql)
    return tables

