"""Functions of the whole project by qualified name, and dotted names of calls.

Code detectors follow calls into helpers (``scope_to_workspace(query, user)``, a tool that calls
``send_invoice_email``) across modules. The index pass records every top-level function and method
of the files a detector parses under its module's dotted name (``app/services/mail.py`` ->
``app.services.mail.send``); files the text prefilter passed over are only *deferred* and parsed on
demand, when a call names their module. :func:`resolve_function` maps a call's import-resolved name
back to its definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from scanner.analysis.routes.python.facts import module_name
from scanner.lang.python.walk import child_nodes, walk

if TYPE_CHECKING:
    from scanner.context import Context, ProjectFacts
    from scanner.lang.python.parse import PythonModule

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
    #: Unparsed modules by the last segment of their dotted name: [(module name, context)].
    deferred: dict[str, list[tuple[str, Context]]] = field(default_factory=dict)
    #: Every Python artifact seen in the index pass, parsed or not, by path.
    contexts: dict[str, Context] = field(default_factory=dict)

    def add(self, ref: FunctionRef) -> None:
        self.by_name[ref.qualified] = ref
        self.by_leaf.setdefault(ref.qualified.rsplit(".", 1)[-1], []).append(ref)


def function_index(facts: ProjectFacts) -> FunctionIndex:
    return facts.bucket(BUCKET, FunctionIndex)


def index_functions(ctx: Context, module: PythonModule) -> None:
    """Record the artifact's top-level functions and methods (once per artifact, whichever detector asks)."""
    index = function_index(ctx.facts)
    index.contexts[ctx.artifact.path] = ctx
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


def defer_functions(ctx: Context) -> None:
    """Keep a Python artifact the prefilter passed over, to parse only if a call names its module."""
    index = function_index(ctx.facts)
    index.contexts[ctx.artifact.path] = ctx
    name = module_name(ctx.artifact.path)
    if ctx.artifact.path not in index.indexed_paths:
        index.deferred.setdefault(name.rsplit(".", 1)[-1], []).append((name, ctx))


def _load_deferred(index: FunctionIndex, dotted: str) -> None:
    """Parse and index deferred modules that ``dotted`` (``app.mail.deliver``) may live in."""
    from scanner.lang.python.parse import parse_python

    parts = dotted.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        candidates = index.deferred.get(parts[end - 1], [])
        for entry in [c for c in candidates if c[0] == prefix or c[0].endswith("." + prefix)]:
            candidates.remove(entry)
            module = parse_python(entry[1])
            if module is not None:
                index_functions(entry[1], module)


def modules_containing(facts: ProjectFacts, needles: tuple[str, ...]) -> list[PythonModule]:
    """The project's modules whose text contains one of ``needles``, parsed (and indexed) on demand."""
    from scanner.lang.python.parse import parse_python

    index = function_index(facts)
    found = []
    for ctx in list(index.contexts.values()):
        if any(n in ctx.artifact.text for n in needles):
            module = parse_python(ctx)
            if module is not None:
                index_functions(ctx, module)
                found.append(module)
    return found


def import_map(module: PythonModule) -> dict[str, str]:
    """Local name -> imported dotted path for the module's top-level imports (also inside ``try``/``if``).

    ``from .mail import send as deliver`` gives ``deliver -> .mail.send``. Reading import statements is
    much cheaper than libcst's qualified-name metadata (a scope analysis of the whole module).
    """
    names: dict[str, str] = {}
    statements = list(module.module.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, (cst.Try, cst.If)):
            statements.extend(statement.body.body)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _add_import(module, small, names)
    return names


def _add_import(module: PythonModule, node: cst.CSTNode, names: dict[str, str]) -> None:
    """Record the names an ``import``/``from ... import`` statement binds (others are ignored)."""
    if isinstance(node, cst.Import):
        for alias in node.names:
            dotted = module.code(alias.name)
            names[alias.asname.name.value if alias.asname else dotted.split(".", 1)[0]] = (
                dotted if alias.asname else dotted.split(".", 1)[0])
    elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        base = "." * len(node.relative) + (module.code(node.module) if node.module else "")
        for alias in node.names:
            imported = module.code(alias.name)
            local = alias.asname.name.value if alias.asname else imported
            names[local] = f"{base}.{imported}" if not base.endswith(".") else base + imported


def _callee_names(module: PythonModule, func: cst.BaseExpression) -> list[str]:
    """Candidate dotted names of a callee: through an import, or a function/class of this module."""
    parts: list[str] = []
    expr = func
    while isinstance(expr, cst.Attribute):
        parts.insert(0, expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name) or expr.value in ("self", "cls"):
        return []
    imported = import_map(module).get(expr.value)
    head = imported if imported is not None else f"{module_name(module.path)}.{expr.value}"
    return [".".join([head, *parts])]


def resolve_function(facts: ProjectFacts, module: PythonModule, func: cst.BaseExpression) -> FunctionRef | None:
    """The project function a call's callee refers to, or None (library call, unknown, ambiguous)."""
    index = function_index(facts)
    for name in _callee_names(module, func):
        if name not in index.by_name and index.deferred:
            _load_deferred(index, name.lstrip("."))
        if name in index.by_name:
            return index.by_name[name]
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
    if aliases is None:
        aliases = import_map(module)
    if isinstance(expr, cst.Name):
        return aliases.get(expr.value, expr.value)
    if isinstance(expr, cst.Attribute):
        return f"{dotted_name(module, expr.value, aliases)}.{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return dotted_name(module, expr.func, aliases) + "()"
    if isinstance(expr, cst.Subscript):
        return dotted_name(module, expr.value, aliases) + "[]"
    return "?"


def constructor_aliases(module: PythonModule, body: cst.CSTNode, outer: dict[str, str] | None = None) -> dict[str, str]:
    """``name -> dotted constructor`` for ``name = SomeClient(...)`` directly in ``body``, plus imports and
    ``with SomeClient(...) as name`` anywhere in a function body, on top of ``outer`` (the enclosing
    module's aliases). For a module, its imports (see :func:`import_map`)."""
    aliases: dict[str, str] = dict(outer) if outer is not None else (
        import_map(module) if isinstance(body, cst.Module) else {})
    nodes = [] if isinstance(body, cst.Module) else list(walk(body))
    for node in nodes:
        _add_import(module, node, aliases)
    for assign in _assignments(body):
        if isinstance(assign.value, (cst.Call, cst.Attribute)):
            for target in assign.targets:
                if isinstance(target.target, cst.Name):
                    aliases[target.target.value] = dotted_name(module, assign.value, aliases)
    for item in nodes:
        if (isinstance(item, cst.WithItem) and item.asname is not None and isinstance(item.item, cst.Call)
                and isinstance(item.asname.name, cst.Name)):
            aliases[item.asname.name.value] = dotted_name(module, item.item, aliases)
    return aliases


def _assignments(body: cst.CSTNode) -> Iterator[cst.Assign]:
    statements = body.body if isinstance(body, cst.Module) else getattr(getattr(body, "body", None), "body", ())
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    yield small


def leaf_name(expr: cst.BaseExpression) -> str:
    """The last name of a callee or type: ``db.session.get`` -> ``get``, ``Mapped[int]`` -> ``Mapped``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript):
        return leaf_name(expr.value)
    if isinstance(expr, cst.Call):
        return leaf_name(expr.func)
    return ""


def names_in(node: cst.CSTNode) -> list[str]:
    """Every plain name used in ``node``, in order."""
    return [n.value for n in walk(node) if isinstance(n, cst.Name)]


class ScopedFinder:
    """Base for visitors that collect items from a module and need the enclosing function.

    Subclasses define ``visit_<NodeType>(node)`` methods (as for ``cst.CSTVisitor``) and append to
    ``found``; :meth:`collect` walks the module with :mod:`scanner.lang.python.walk` (about three times
    faster than ``CSTNode.visit``) and returns it.
    """

    def __init__(self, module: PythonModule):
        self.module = module
        self.functions: list[cst.FunctionDef] = []
        self.found: list = []

    @property
    def function(self) -> cst.FunctionDef | None:
        return self.functions[-1] if self.functions else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def collect(self) -> list:
        self._walk(self.module.module)
        return self.found

    def _walk(self, node: cst.CSTNode) -> None:
        kind = type(node).__name__
        visit = getattr(self, f"visit_{kind}", None)
        if visit is not None:
            visit(node)
        for child in child_nodes(node):
            self._walk(child)
        leave = getattr(self, f"leave_{kind}", None)
        if leave is not None:
            leave(node)


def parameters(func: cst.FunctionDef) -> list[cst.Param]:
    """All parameters of a function, positional and keyword-only."""
    params = func.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]
