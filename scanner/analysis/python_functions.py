"""Functions of the whole project by qualified name, and dotted names of calls.

Code detectors follow calls into helpers (``scope_to_workspace(query, user)``, a tool that calls
``send_invoice_email``) across modules. The index pass records every top-level function and method
under its module's dotted name (``app/services/mail.py`` -> ``app.services.mail.send``);
:func:`resolve_function` maps a call's import-resolved name back to that definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from scanner.detectors.base import Context, ProjectFacts
    from scanner.parsers.python_cst import PythonModule

BUCKET = "python-functions"


@dataclass(frozen=True)
class FunctionRef:
    """A function definition and the parsed module it lives in."""

    qualified: str
    node: cst.FunctionDef
    module: PythonModule


@dataclass
class FunctionIndex:
    """Every indexed function by dotted name, and by its last segment for suffix matching."""

    by_name: dict[str, FunctionRef] = field(default_factory=dict)
    by_leaf: dict[str, list[FunctionRef]] = field(default_factory=dict)
    indexed_paths: set[str] = field(default_factory=set)

    def add(self, ref: FunctionRef) -> None:
        self.by_name[ref.qualified] = ref
        self.by_leaf.setdefault(ref.qualified.rsplit(".", 1)[-1], []).append(ref)


def module_name(path: str) -> str:
    """Dotted module name of a repository path: ``src/app/mail.py`` -> ``src.app.mail``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def function_index(facts: ProjectFacts) -> FunctionIndex:
    return facts.bucket(BUCKET, FunctionIndex)


def index_functions(ctx: Context, module: PythonModule) -> None:
    """Record the artifact's top-level functions and methods (once per artifact, whichever detector asks)."""
    index = function_index(ctx.facts)
    if module.path in index.indexed_paths:
        return
    index.indexed_paths.add(module.path)
    prefix = module_name(module.path)
    for statement in module.module.body:
        if isinstance(statement, cst.FunctionDef):
            index.add(FunctionRef(f"{prefix}.{statement.name.value}", statement, module))
        elif isinstance(statement, cst.ClassDef):
            for item in statement.body.body:
                if isinstance(item, cst.FunctionDef):
                    qualified = f"{prefix}.{statement.name.value}.{item.name.value}"
                    index.add(FunctionRef(qualified, item, module))


def resolve_function(facts: ProjectFacts, module: PythonModule, func: cst.BaseExpression) -> FunctionRef | None:
    """The project function a call's callee refers to, or None (library call, unknown, ambiguous)."""
    index = function_index(facts)
    local = module_name(module.path)
    names = module.qualified_names(func)
    if isinstance(func, cst.Name):
        names = names | {f"{local}.{func.value}"}
    for name in sorted(names):
        if name in index.by_name:
            return index.by_name[name]
        if "<locals>" in name:
            continue
        dotted = name.lstrip(".")
        leaf = dotted.rsplit(".", 1)[-1]
        matches = [ref for ref in index.by_leaf.get(leaf, ()) if ref.qualified.endswith("." + dotted)
                   or ref.qualified == dotted]
        if len(matches) == 1:
            return matches[0]
    return None


def dotted_name(module: PythonModule, expr: cst.BaseExpression, aliases: dict[str, str] | None = None) -> str:
    """A readable dotted name for a callee, import-resolved where possible.

    ``stripe.Refund.create`` stays as is; ``client.messages.create`` after ``client = Client()`` (Twilio)
    becomes ``twilio.rest.Client().messages.create``; calls in the chain show as ``()``.
    """
    if isinstance(expr, cst.Name):
        if aliases and expr.value in aliases:
            return aliases[expr.value]
        imported = [n for n in module.qualified_names(expr) if "<locals>" not in n and n != expr.value]
        return min(imported) if imported else expr.value
    if isinstance(expr, cst.Attribute):
        return f"{dotted_name(module, expr.value, aliases)}.{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return dotted_name(module, expr.func, aliases) + "()"
    if isinstance(expr, cst.Subscript):
        return dotted_name(module, expr.value, aliases) + "[]"
    return "?"


def constructor_aliases(module: PythonModule, body: cst.CSTNode) -> dict[str, str]:
    """``name -> dotted constructor`` for ``name = SomeClient(...)`` directly in ``body`` and for
    ``with SomeClient(...) as name`` anywhere in it."""
    aliases: dict[str, str] = {}
    for assign in _assignments(body):
        if isinstance(assign.value, (cst.Call, cst.Attribute)):
            for target in assign.targets:
                if isinstance(target.target, cst.Name):
                    aliases[target.target.value] = dotted_name(module, assign.value, aliases)
    if not isinstance(body, cst.Module):
        items = _WithItems()
        body.visit(items)
        for item in items.found:
            if isinstance(item.asname.name, cst.Name):
                aliases[item.asname.name.value] = dotted_name(module, item.item, aliases)
    return aliases


class _WithItems(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.WithItem] = []

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.item, cst.Call):
            self.found.append(node)


def _assignments(body: cst.CSTNode) -> Iterator[cst.Assign]:
    statements = body.body if isinstance(body, cst.Module) else getattr(getattr(body, "body", None), "body", ())
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    yield small


def parameters(func: cst.FunctionDef) -> list[cst.Param]:
    """All parameters of a function, positional and keyword-only."""
    params = func.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]
