"""Fast walks over libcst trees, and small helpers on names and literals (imported lazily by detectors).

``CSTNode.visit`` and ``CSTNode.children`` rebuild nodes as they go; reading the dataclass fields
directly is about three times faster, and skipping whitespace and punctuation fields helps further.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

#: Fields that only hold whitespace, comments or punctuation: never needed by our checks.
_SKIPPED_FIELDS = frozenset({"leading_lines", "lines_after_decorators", "header", "footer", "comma", "semicolon",
                             "lpar", "rpar", "colon", "equal", "dot", "walrus", "star", "whitespace",
                             "lbracket", "rbracket", "lbrace", "rbrace", "asynchronous"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                     if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name)
    return names


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The direct children of ``node`` that can hold code, in source order."""
    children: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            children.append(value)
        elif isinstance(value, (list, tuple)):
            children.extend(v for v in value if isinstance(v, cst.CSTNode))
    return children


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` (itself included), depth first in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(child_nodes(current)))


def dotted(node: cst.CSTNode | None) -> str:
    """``a.b.c`` for a Name/Attribute chain; ``""`` for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    return (n for n in walk(node) if isinstance(n, cst.Call))


def call_name(call: cst.Call) -> str:
    """Last dotted part of the callee: ``info`` for ``logger.info(...)``."""
    return dotted(call.func).rsplit(".", 1)[-1]


def assignments(node: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """``(target, value, statement)`` of plain, annotated and subscript assignments.

    The target is dotted (``DEBUG``, ``app.debug``) or, for subscripts with a string key, written
    like ``app.config[DEBUG]``.
    """
    for n in walk(node):
        if isinstance(n, cst.Assign):
            for target in n.targets:
                yield _target(target.target), n.value, n
        elif isinstance(n, cst.AnnAssign) and n.value is not None:
            yield _target(n.target), n.value, n


def _target(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = node.slice[0].slice.value
        if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
            return f"{dotted(node.value)}[{key.evaluated_value}]"
    return dotted(node)


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def literal_strings(node: cst.BaseExpression | None) -> list[str] | None:
    """Strings of a literal string or list/tuple/set of strings; None when it is anything else."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return [value] if isinstance(value, str) else None
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        values = [literal_strings(e.value) for e in node.elements]
        if all(v is not None for v in values):
            return [s for v in values for s in v]
    return None
