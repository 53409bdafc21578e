"""JavaScript and TypeScript parsing with tree-sitter (grammars ship in the wheels; works offline).

One tree per artifact, cached on its Context. tree-sitter tolerates syntax errors, so a broken file
still yields the parts that parse. Positions come back as character-based spans for ``ctx.finding``.

Memory: a tree costs about 18 bytes per byte of source, and the Python node objects of a walk about 26 more,
so trees are bounded four ways. The tree is built on first use of :attr:`JsTree.root` (checks that only read
the text parse nothing), and no node object is kept on it (a new root per access); it is cached as
*transient*, so the engine drops it when a pass over the file ends; the module graph keeps the trees of its
modules within a budget (``modules.TREE_BUDGET``, :meth:`JsTree.drop`); and files over
:data:`MAX_PARSE_BYTES`, minified files and build output are not parsed for code checks (an empty tree and a
``not-parsed`` notice; the secret rules still read all of their text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from scanner.context import Span

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from scanner.context import Context

CACHE_KEY = "tree-sitter"
#: Largest file parsed for code checks (hand-written modules are far smaller; bigger ones are generated).
MAX_PARSE_BYTES = 2 * 1024 * 1024


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
    """A JS/TS file with helpers for text and spans; parsed on first use of :attr:`root`."""

    source: bytes
    ctx: Context
    _tree: Tree | None = None
    #: How many times the source was parsed: nodes of different parses are different nodes.
    parses: int = 0
    #: Called with the tree on each use of :attr:`root` (the module graph's record of recently used trees).
    on_use: Callable[[JsTree], None] | None = None

    @property
    def root(self) -> Node:
        """The root node, a new Python object on every access: py-tree-sitter caches each node's ``children`` on
        the node object, so a root kept here would pin a Python object for every node ever walked (about 26
        bytes per byte of source, more than the tree itself). Nodes of one tree compare equal however reached."""
        if self._tree is None:
            self._tree = _parser(dialect_of(self.ctx.artifact.path)).parse(self.source)
            self.parses += 1
        if self.on_use is not None:
            self.on_use(self)
        return self._tree.root_node

    @property
    def parsed(self) -> bool:
        return self._tree is not None

    def drop(self) -> None:
        """Free the parsed tree (about 18 bytes per byte of source); the next use of :attr:`root` parses again.
        Only for trees whose holders keep no nodes across the drop (the module graph, see ``trim``)."""
        self._tree = None

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
    """The artifact's tree (cached on ``ctx`` until the current pass over it ends); an empty one for a file
    not parsed for code checks (:func:`unparsed_reason`), with a notice saying why."""

    def build() -> JsTree:
        reason = unparsed_reason(ctx.artifact.path, ctx.artifact.text)
        if reason:
            ctx.skip("not-parsed", f"{reason}: JavaScript/TypeScript code checks skipped (secrets still scanned)")
            return JsTree(b"", ctx)
        return JsTree(ctx.artifact.text.encode("utf-8", errors="surrogatepass"), ctx)

    return ctx.cached(CACHE_KEY, build, transient=True)


def unparsed_reason(path: str, text: str) -> str:
    """Why a file is not parsed for code checks (too large, build output, minified), or ""."""
    from scanner.paths import is_build_output, looks_minified

    if len(text) > MAX_PARSE_BYTES:
        return f"{len(text)} characters, over the {MAX_PARSE_BYTES}-byte parse budget"
    if is_build_output(path):
        return "build output"
    if looks_minified(text):
        return "minified"
    return ""


def string_value(tree: JsTree, node: Node) -> str | None:
    """The value of a string literal node (quotes stripped), or None if ``node`` is not a plain string."""
    if node.type == "string":
        return tree.text(node)[1:-1]
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children):
        return tree.text(node)[1:-1]
    return None


def last_name(tree: JsTree, node: Node | None) -> str | None:
    """The name an expression ends with: ``send`` for ``resend.emails.send``, ``x-api-key`` for
    ``headers["x-api-key"]``, ``cors`` for ``cors``; None for anything else."""
    if node is None:
        return None
    if node.type == "identifier":
        return tree.text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return tree.text(prop) if prop is not None else None
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return string_value(tree, index) if index is not None else None
    return None


#: Nodes that are functions: a scope of their own, and what a name finally resolves to when it names code.
FUNCTION_TYPES = frozenset({"function_declaration", "generator_function_declaration", "arrow_function",
                            "function_expression", "function", "generator_function", "method_definition"})


def enclosing_function(node: Node) -> Node:
    """The innermost function holding ``node`` (``node`` itself when it is one), or the file's root."""
    scope = node
    while scope.parent is not None and scope.type not in FUNCTION_TYPES:
        scope = scope.parent
    return scope


def declarations(tree: JsTree, scope: Node) -> Iterator[tuple[Node, Node]]:
    """(target, value) of every ``const/let/var target = value`` below ``scope``, in document order
    (declarators without a value are left out)."""
    for node in tree.walk(scope):
        if node.type == "variable_declarator":
            target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if target is not None and value is not None:
                yield target, value


def call_arguments(call: Node) -> list[Node]:
    """The argument expressions of a call or ``new`` expression (comments left out)."""
    args = call.child_by_field_name("arguments")
    return [] if args is None else [a for a in args.named_children if a.type != "comment"]


def property_key(tree: JsTree, pair: Node) -> str | None:
    """The key of an object literal's ``pair``: ``origin`` for ``origin: x`` and ``"origin": x``."""
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    return string_value(tree, key) if key.type == "string" else tree.text(key)


def object_member(tree: JsTree, obj: Node | None, name: str) -> Node | None:
    """Property ``name`` of an object literal: a pair's value, a method ``name() {...}`` or a shorthand
    ``{ name }`` (the identifier); None when ``obj`` is not an object literal or has no such property."""
    if obj is None or obj.type != "object":
        return None
    for member in obj.named_children:
        if member.type == "pair" and property_key(tree, member) == name:
            return member.child_by_field_name("value")
        if member.type == "method_definition" and tree.text(member.child_by_field_name("name")) == name:
            return member
        if member.type == "shorthand_property_identifier" and tree.text(member) == name:
            return member
    return None
