"""Queries on tenant-owned models that select or change rows without a tenant/owner filter.

Index pass: learn tenant-owned models (:mod:`scanner.analysis.python_models`) and project functions
(for helpers that add the filter). Detect pass: every ORM query and raw SQL statement on such a model
that selects rows by user-supplied criteria and is not scoped (:mod:`scanner.analysis.python_queries`).
libcst is imported only when a Python file mentions an ORM or SQL marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.detectors.base import Context, Detector, Hit
from scanner.model import Artifact

#: Cheap text prefilter: only files that may declare models or run queries are parsed.
ORM_MARKERS = re.compile(
    r"Column\(|mapped_column|Mapped\[|SQLModel|models\.Model|ForeignKey|\.query\b|\.objects\b|select\(|"
    r"update\(|delete\(|session|\bdb\b|execute\(|get_object_or_404|\.filter")


class TenantFilterDetector(Detector):
    """Reports unscoped queries (ORM and raw SQL) on tenant-owned models."""

    rule_ids = ("tenant-query-unscoped", "tenant-sql-unscoped")
    kinds = frozenset({"python"})
    needs_index = True

    def wants(self, artifact: Artifact) -> bool:
        return super().wants(artifact) and ORM_MARKERS.search(artifact.text) is not None

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.python_functions import index_functions
        from scanner.analysis.python_models import index_models
        from scanner.parsers.python_cst import parse_python

        module = parse_python(ctx)
        if module is not None:
            index_models(module, ctx.facts)
            index_functions(ctx, module)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.parsers.python_cst import parse_python

        module = parse_python(ctx)
        if module is None:
            return
        if "tenant-query-unscoped" in self.rules:
            yield from self._orm(module, ctx)
        if "tenant-sql-unscoped" in self.rules:
            yield from self._sql(module, ctx)

    def _orm(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.python_queries import input_names, is_scoped, queries

        for query in queries(module, ctx.facts):
            inputs = input_names(query)
            if not inputs or is_scoped(query, module, ctx.facts):
                continue
            how = "by id" if query.by_id() else "by user-supplied filters"
            where = f" in {query.function.name.value}()" if query.function else ""
            keys = "/".join(query.model.keys) or "tenant key"
            yield ctx.finding(
                "tenant-query-unscoped", module.span(query.node),
                message=f"Query{where} {query.action} {query.model.name} {how} ({', '.join(inputs)}) "
                        f"without a {keys} filter",
                key=f"{query.model.name}:{module.code(query.node)}",
                model=query.model.name, inputs=inputs)

    def _sql(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.python_sql import unscoped_sql

        for raw in unscoped_sql(module, ctx.facts):
            keys = "/".join(raw.model.keys) or "tenant key"
            yield ctx.finding(
                "tenant-sql-unscoped", module.span(raw.node),
                message=f"Raw SQL {raw.verb.upper()} on tenant table {raw.table} without a {keys} condition",
                key=f"{raw.table}:{module.code(raw.node)}", model=raw.model.name, table=raw.table)
