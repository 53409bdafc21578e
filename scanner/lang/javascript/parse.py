"""JavaScript and TypeScript parsing with tree-sitter (grammars ship in the wheels; works offline).

One tree per artifact, cached on its Context. tree-sitter tolerates syntax errors, so a broken file
still yields the parts that parse. Positions come back as character-based spans for ``ctx.finding``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from scanner.context import Span

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.context import Context

CACHE_KEY = "tree-sitter"


@cache
def _parser(dialect: str) -> Any:
    from tree_sitter import Language, Parser

    if dialect == "javascript":
        import tree_sitter_javascript as grammar

        return Parser(Language(grammar.language()))
    import tree_sitter_typescript as grammar

    language = grammar.language_tsx() if dialect == "tsx" else grammar.language_typescript()
    return Parser(Language(language))


def dialect_of(path: str) -> str:
    """Grammar for a file: TSX for .tsx, TypeScript for .ts/.mts/.cts, JavaScript (with JSX) otherwise."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".tsx":
        return "tsx"
    if suffix in {".ts", ".mts", ".cts"}:
        return "typescript"
    return "javascript"


@dataclass
class JsTree:
    """A parsed JS/TS file with helpers for text and spans."""

    source: bytes
    root: Node
    ctx: Context

    @property
    def file_text(self) -> str:
        """The whole file's text (as scanned, without a round trip through bytes)."""
        return self.ctx.artifact.text

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def span(self, node: Node) -> Span:
        return self.ctx.span(self._char_offset(node.start_byte), self._char_offset(node.end_byte))

    def _char_offset(self, byte_offset: int) -> int:
        return len(self.source[:byte_offset].decode("utf-8", errors="replace"))

    def walk(self, node: Node | None = None) -> Iterator[Node]:
        """Every node below ``node`` (default: the whole file), in document order."""
        stack = [node or self.root]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(current.children))


def parse_js(ctx: Context) -> JsTree:
    """The artifact's tree (cached on ``ctx``)."""

    def build() -> JsTree:
        source = ctx.artifact.text.encode("utf-8", errors="surrogatepass")
        tree = _parser(dialect_of(ctx.artifact.path)).parse(source)
        return JsTree(source, tree.root_node, ctx)

    return ctx.cached(CACHE_KEY, build)


def string_value(tree: JsTree, node: Node) -> str | None:
    """The value of a string literal node (quotes stripped), or None if ``node`` is not a plain string."""
    if node.type == "string":
        return tree.text(node)[1:-1]
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children):
        return tree.text(node)[1:-1]
    return None
