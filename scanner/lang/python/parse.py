"""Python parsing with libcst: one tree per artifact, positions and qualified names on demand.

A file libcst cannot parse (a syntax error, Python 2 code, syntax newer than libcst knows) is reported
through ``ctx.skip`` and code detectors move on; the secrets detector still reads the file as text.

libcst's parser recurses natively: nesting a list 1,300 deep overflows the C stack (the process dies), and
long chains (``not not ... x``, ``a if b else ...``) cost it seconds and gigabytes. So a token pass
(:func:`nesting`, Python's own tokenizer: no recursion, ~5x cheaper than the parse) measures nesting first,
and a file over :data:`MAX_NESTING` or :data:`MAX_CHAIN` is skipped for code checks (``too-deeply-nested``).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
)

from scanner.context import Span

if TYPE_CHECKING:
    from scanner.context import Context

CACHE_KEY = "python-cst"
#: Deepest bracket plus indentation nesting parsed: libcst takes 0.14 s at 100, 3.5 s and 256 MB at 500, and
#: crashes the process near 1,300; the tree's visitors hit Python's recursion limit from about 150.
MAX_NESTING = 100
#: Most chained operators in one statement (``a + b + ...``, ``not not ...``, ``x if c else ...``, ``a.b.c``),
#: each one more level of libcst's tree: 500 cost 0.1-0.35 s, 10,000 ``not`` more than a minute and 5 GB.
MAX_CHAIN = 1000


@dataclass
class PythonModule:
    """A parsed module with the metadata code detectors need."""

    path: str
    wrapper: MetadataWrapper
    _parents: dict[cst.CSTNode, cst.CSTNode] | None = field(default=None, repr=False)
    _positions: dict[cst.CSTNode, tuple[int, int, int, int]] | None = field(default=None, repr=False)

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    def span(self, node: cst.CSTNode) -> Span:
        """1-based span of ``node`` (end column exclusive), for ``ctx.finding``.

        libcst's position map covers every node, whitespace included, as ``CodeRange`` objects: kept, it
        weighs about three times the tree (39 MB for 0.76 MB of source). It is resolved once, on a throwaway
        wrapper, and only the code nodes' positions are kept as tuples (a fifth of that); a node outside them
        (whitespace, punctuation) is looked up in a fresh map."""
        if self._positions is None:
            self._positions = _code_positions(self.module)
        found = self._positions.get(node)
        if found is None:
            rng: CodeRange = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)[node]
            found = (rng.start.line, rng.start.column, rng.end.line, rng.end.column)
        line, column, end_line, end_column = found
        return Span(line, column + 1, end_line, end_column + 1)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Import-resolved dotted names of ``node`` (``login_required`` -> ``flask_login.login_required``)."""
        value = self.wrapper.resolve(QualifiedNameProvider).get(node)
        if value is None:
            return set()
        names: set[QualifiedName] = value() if callable(value) else value  # libcst resolves these lazily
        return {name.name for name in names}

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node that holds ``node`` (None for the module, and for whitespace and punctuation, which no
        check asks about). Built on first use from :func:`~scanner.lang.python.walk.child_nodes`: libcst's
        ``ParentNodeProvider`` visits (and rebuilds) every node, whitespace included, several times slower."""
        if self._parents is None:
            from scanner.lang.python.walk import child_nodes

            parents: dict[cst.CSTNode, cst.CSTNode] = {}
            stack: list[cst.CSTNode] = [self.module]
            while stack:
                current = stack.pop()
                for child in child_nodes(current):
                    parents[child] = current
                    stack.append(child)
            self._parents = parents
        return self._parents.get(node)

    def code(self, node: cst.CSTNode) -> str:
        """Source text of ``node``."""
        return self.module.code_for_node(node)


def _code_positions(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    """(line, column, end line, end column) of every code node (:func:`~scanner.lang.python.walk.walk`)."""
    from scanner.lang.python.walk import walk

    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = {}
    for node in walk(module):
        rng = ranges.get(node)
        if rng is not None:
            positions[node] = (rng.start.line, rng.start.column, rng.end.line, rng.end.column)
    return positions


def parse_python(ctx: Context) -> PythonModule | None:
    """The artifact's parsed module (cached on ``ctx``), or None after reporting why it cannot be parsed."""
    return ctx.cached(CACHE_KEY, lambda: _parse(ctx))


def _parse(ctx: Context) -> PythonModule | None:
    depth = nesting(ctx.artifact.text)
    if depth.brackets > MAX_NESTING or depth.chain > MAX_CHAIN:
        what = (f"nested {depth.brackets} deep (limit {MAX_NESTING})" if depth.brackets > MAX_NESTING
                else f"{depth.chain} operators chained in one expression (limit {MAX_CHAIN})")
        ctx.skip("too-deeply-nested", f"{what} at line {depth.line}: code checks skipped")
        return None
    try:
        module = cst.parse_module(ctx.artifact.text)
    except cst.ParserSyntaxError as exc:
        ctx.skip("syntax-error", f"not parseable as Python 3 (line {exc.raw_line}): {exc.message}")
        return None
    except (RecursionError, MemoryError):
        ctx.skip("too-complex", "too deeply nested to parse")
        return None
    except Exception as exc:  # libcst's own errors (e.g. CSTLogicError on syntax it does not know): skip the file
        ctx.skip("parse-error", f"libcst could not parse it: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    return PythonModule(ctx.artifact.path, MetadataWrapper(module, unsafe_skip_copy=True))


class Nesting(NamedTuple):
    """The worst nesting of a file: brackets plus indentation, operator chain, and the line of the worst."""

    brackets: int
    chain: int
    line: int


_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
#: Tokens that may chain into one more level of the tree: operators, attribute dots, boolean and
#: conditional keywords. Commas, colons and ``=`` never nest.
_CHAINING = frozenset("+ - * / // % ** @ | & ^ << >> ~ < > <= >= == != . not and or else lambda await is in".split())
_SIGNS = frozenset("+-~")
#: A sign right after one of these (or at the start) is a lone unary sign (``x = -1``, ``[-1, -2]``), no chain.
_NOT_AFTER = frozenset(["", ",", ";", "(", "[", "{", ":", "=", "return",
                        *"+= -= *= /= //= %= **= @= |= &= ^= <<= >>=".split()])
_FSTRING_PREFIX = re.compile(r"[A-Za-z]*[fFtT][A-Za-z]*['\"]")


def nesting(text: str) -> Nesting:
    """Measure ``text``'s nesting with the tokenizer, without parsing.

    ``brackets``: open brackets plus indentation levels (an f-string adds the deepest nesting inside it:
    its expressions are parsed too). ``chain``: operators chained into one expression, summed over the
    enclosing brackets (a comma starts a sibling, so a long data list of ``-1, -2`` or ``a.b, a.c`` is
    not a chain; a unary sign counts only after another operator). A tokenizer error ends the count: what
    was measured up to it stands (libcst then reports the syntax error itself).
    """
    depth = indent = chain = enclosing = 0
    chains: list[int] = []  # the chain of each enclosing bracket level
    worst = Nesting(0, 0, 1)
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, value = tok.type, tok.string
            extra = 0
            if kind == tokenize.OP and value in _OPENING:
                depth += 1
                chains.append(chain)
                enclosing += chain
                chain = 0
            elif kind == tokenize.OP and value in _CLOSING:
                depth = max(0, depth - 1)
                chain = chains.pop() if chains else 0
                enclosing -= chain
            elif kind == tokenize.OP and value in ",;":
                chain = 0
            elif kind == tokenize.INDENT:
                indent += 1
            elif kind == tokenize.DEDENT:
                indent = max(0, indent - 1)
            elif kind == tokenize.NEWLINE:
                depth = chain = enclosing = 0
                chains.clear()
            elif kind in (tokenize.OP, tokenize.NAME) and value in _CHAINING:
                chain += value not in _SIGNS or previous not in _NOT_AFTER
            elif kind == tokenize.STRING:
                chain += previous == "string"  # implicit concatenation nests too
                if _FSTRING_PREFIX.match(value):
                    extra = _bracket_depth(value)
            if kind not in (tokenize.NL, tokenize.COMMENT):
                previous = "string" if kind == tokenize.STRING else value
            if depth + indent + extra > worst.brackets or enclosing + chain > worst.chain:
                worst = Nesting(max(worst.brackets, depth + indent + extra), max(worst.chain, enclosing + chain),
                                tok.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    return worst


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSING:
            depth = max(0, depth - 1)
    return deepest
