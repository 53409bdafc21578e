"""Python parsing with libcst: one tree per artifact, positions and qualified names on demand.

A file libcst cannot parse (a syntax error, Python 2 code) is reported through ``ctx.skip`` and code
detectors move on; the secrets detector still reads the file as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
)

from scanner.context import Span

if TYPE_CHECKING:
    from scanner.context import Context

CACHE_KEY = "python-cst"


@dataclass
class PythonModule:
    """A parsed module with the metadata code detectors need."""

    path: str
    wrapper: MetadataWrapper

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    def span(self, node: cst.CSTNode) -> Span:
        """1-based span of ``node`` (end column exclusive), for ``ctx.finding``."""
        rng: CodeRange = self.wrapper.resolve(PositionProvider)[node]
        return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Import-resolved dotted names of ``node`` (``login_required`` -> ``flask_login.login_required``)."""
        value = self.wrapper.resolve(QualifiedNameProvider).get(node)
        if value is None:
            return set()
        names: set[QualifiedName] = value() if callable(value) else value  # libcst resolves these lazily
        return {name.name for name in names}

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.wrapper.resolve(ParentNodeProvider).get(node)

    def code(self, node: cst.CSTNode) -> str:
        """Source text of ``node``."""
        return self.module.code_for_node(node)


def parse_python(ctx: Context) -> PythonModule | None:
    """The artifact's parsed module (cached on ``ctx``), or None after reporting why it cannot be parsed."""
    return ctx.cached(CACHE_KEY, lambda: _parse(ctx))


def _parse(ctx: Context) -> PythonModule | None:
    try:
        module = cst.parse_module(ctx.artifact.text)
    except cst.ParserSyntaxError as exc:
        ctx.skip("syntax-error", f"not parseable as Python 3 (line {exc.raw_line}): {exc.message}")
        return None
    except (RecursionError, MemoryError):
        ctx.skip("too-complex", "too deeply nested to parse")
        return None
    return PythonModule(ctx.artifact.path, MetadataWrapper(module, unsafe_skip_copy=True))
