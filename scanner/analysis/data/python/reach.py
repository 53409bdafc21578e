"""Data-access helpers followed from the routes that call them.

A data layer (``crud.get_item(db, item_id)``, ``data_layer.delete_feedback(feedback_id)``,
``ConversationAdapters.get_conversation_by_id(id)``) loads or changes rows by whatever id its caller
passes; whether that is a flaw is decided by the caller. So an unscoped query in a helper that the project
calls is not reported where it is written (unless agent or tool code calls it: only routes are followed):
each route handler's calls are followed into project
functions (by import, or for a method on an object by its name among the project's methods), up to
:data:`DEPTH` calls deep, and the route is reported when it passes a value from the request (path, body,
query, ``request``) to a parameter that reaches an unscoped query, without checking the caller owns it
first (an ownership helper called with that value, a scoped query that matched it, a check of the
returned row). A method nothing in the project calls keeps its own finding (its callers are unknown).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst

from scanner.analysis.data.python.caller import admin_only, by_capability, privileged_branch, request_inputs
from scanner.analysis.data.python.models import key_names
from scanner.analysis.data.python.queries import (
    checked_later,
    input_names,
    is_scoped,
    queries,
    scoping_callee,
    variables_in,
    vouched,
)
from scanner.analysis.data.python.sql import unscoped_sql
from scanner.analysis.routes.model import Route
from scanner.context import ProjectFacts
from scanner.lang.python.functions import (
    FunctionRef,
    function_index,
    leaf_name,
    modules_containing,
    names_in,
    parameters,
    resolve_function,
)
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import calls

BUCKET = "python-data-reach"
#: How many calls deep a route's arguments are followed (route -> service -> repository).
DEPTH = 3
#: Method names too common to find their definition by name alone (``obj.get(...)`` is not our helper).
_AMBIGUOUS = frozenset({"get", "set", "add", "all", "first", "save", "update", "delete", "create", "filter",
                        "execute", "query", "remove", "append", "extend", "pop", "items", "keys", "values",
                        "format", "join", "split", "strip", "replace", "commit", "flush", "refresh", "close",
                        "send", "run", "call", "dict", "json", "load", "dump", "dumps", "loads"})
#: At most this many same-named methods are followed for one ``obj.method(...)`` call.
_MAX_CANDIDATES = 6
#: Callees whose name says they check the caller may touch a row: ``is_thread_author``, ``check_owner``.
OWNERSHIP_CHECK = re.compile(
    r"^(?:check|ensure|assert|authori[sz]e|verify|require|enforce|validate)_|"
    r"^(?:is|has|can|user_can|user_has)_\w*(?:owner|author|member|access|permission|allowed|own)\w*$|^owns?_",
    re.IGNORECASE)
_PLUMBING = frozenset({"self", "cls", "db", "session", "conn", "connection", "cursor"})


@dataclass(frozen=True)
class Leak:
    """A parameter set of a function that reaches an unscoped data access, and the access."""

    params: frozenset[str]
    what: str  # "deletes feedbacks by id", "loads Conversation"
    where: str  # path:line of the access
    via: tuple[str, ...]  # the functions called on the way, outermost first


@dataclass
class ReachIndex:
    summaries: dict[int, list[Leak]] = field(default_factory=dict)
    by_module: dict[int, tuple[list, list]] = field(default_factory=dict)
    methods: dict[str, list[FunctionRef]] = field(default_factory=dict)
    tokens: Counter | None = None


def _index(facts: ProjectFacts) -> ReachIndex:
    return facts.bucket(BUCKET, ReachIndex)


def called_elsewhere(facts: ProjectFacts, name: str) -> bool:
    """Is ``name`` used anywhere in the project's Python besides its own definition? Generic names
    (``get``, ``update``) cannot tell, so they count as not called."""
    if name in _AMBIGUOUS:
        return False
    index = _index(facts)
    if index.tokens is None:
        index.tokens = Counter()
        for ctx in function_index(facts).contexts.values():
            index.tokens.update(re.findall(r"[A-Za-z_]\w*", ctx.artifact.text))
    return index.tokens[name] > 1


def _accesses(module: PythonModule, facts: ProjectFacts) -> tuple[list, list]:
    """The module's unscoped ORM queries ``(query, inputs)`` and unscoped raw SQL statements (cached)."""
    index = _index(facts)
    if id(module) not in index.by_module:
        found = [(q, input_names(q)) for q in queries(module, facts)]
        found = [(q, inputs, is_scoped(q, module, facts)) for q, inputs in found if inputs]
        orm = [(q, inputs) for (q, inputs, _), fine in zip(found, vouched(found, module), strict=True) if not fine]
        index.by_module[id(module)] = (orm, list(unscoped_sql(module, facts, learned=True)))
    return index.by_module[id(module)]


def leaks(ref: FunctionRef, facts: ProjectFacts, depth: int = DEPTH, active: frozenset[int] = frozenset()
          ) -> list[Leak]:
    """Parameters of ``ref`` that reach an unscoped query in it or in the project functions it calls."""
    index = _index(facts)
    key = id(ref.node)
    if key in index.summaries:
        return index.summaries[key]
    if depth <= 0 or key in active:
        return []
    module, function = ref.module, ref.node
    params = {p.name.value for p in parameters(function)} - _PLUMBING
    found: list[Leak] = []
    orm, sql = _accesses(module, facts)
    for query, inputs in orm:
        if query.function is function and params & set(inputs):
            how = "by id" if query.by_id() else "by its filters"
            found.append(Leak(frozenset(params & set(inputs)), f"{query.action} {query.model.name} {how}",
                              _where(module, query.node), ()))
    for raw in sql:
        if _inside(raw.node, function, module) and params:
            found.append(Leak(frozenset(params), f"{raw.verb}s {raw.table} by id", _where(module, raw.node), ()))
    for call in _followed_calls(function):
        for callee in callees(call, module, facts):
            for leak in leaks(callee, facts, depth - 1, active | {key}):
                passed = _passed(call, callee.node, leak.params) & params
                if passed and not _checked(call, passed, function, module, facts):
                    found.append(Leak(frozenset(passed), leak.what, leak.where, (callee.qualified, *leak.via)))
    if depth == DEPTH:
        index.summaries[key] = found
    return found


def route_leaks(route: Route, facts: ProjectFacts) -> Iterator[tuple[cst.Call, FunctionRef, Leak, list[str]]]:
    """Calls in a route handler passing request input to a helper parameter that reaches an unscoped query."""
    function, module = route.node, route.module
    if not isinstance(function, cst.FunctionDef) or module is None or admin_only(route):
        return
    request = request_inputs(route)
    for call in _followed_calls(function):
        for callee in callees(call, module, facts):
            for leak in leaks(callee, facts):
                passed = _passed(call, callee.node, leak.params)
                inputs = sorted(passed & request)
                if inputs and not by_capability(inputs, route) and not privileged_branch(call, module) \
                        and not _checked(call, set(inputs), function, module, facts):
                    yield call, callee, leak, inputs


def _followed_calls(function: cst.FunctionDef) -> Iterator[cst.Call]:
    """Calls worth following: not the ownership checks themselves (``is_thread_author(user, id)``)."""
    return (call for call in calls(function.body) if not OWNERSHIP_CHECK.match(leaf_name(
        call.func.args[0].value if isinstance(call.func, cst.Call) and call.func.args else call.func)))


def callees(call: cst.Call, module: PythonModule, facts: ProjectFacts) -> list[FunctionRef]:
    """Project functions a call may run: the import-resolved function, or same-named project methods."""
    func = call.func
    if isinstance(func, cst.Call) and func.args:  # sync_to_async(Adapters.get_by_id)(...)
        func = func.args[0].value
    ref = resolve_function(facts, module, func)
    if ref is not None:
        return [ref]
    name = leaf_name(func)
    if not isinstance(func, cst.Attribute) or "_" not in name.strip("_") or name in _AMBIGUOUS:
        return []
    index = _index(facts)
    if name not in index.methods:
        modules_containing(facts, (f"def {name}(",))
        refs = [r for r in function_index(facts).by_leaf.get(name, ()) if r.qualified.count(".") >= 2
                and not _abstract(r.node)]
        index.methods[name] = refs if len(refs) <= _MAX_CANDIDATES else []
    return index.methods[name]


def _abstract(function: cst.FunctionDef) -> bool:
    """``...``, ``pass``, a docstring or ``raise NotImplementedError``: an interface, not an implementation."""
    body = [s for s in function.body.body if not (isinstance(s, cst.SimpleStatementLine) and isinstance(
        s.body[0], cst.Expr) and isinstance(s.body[0].value, (cst.SimpleString, cst.Ellipsis)))]
    return all(isinstance(s, cst.SimpleStatementLine) and all(
        isinstance(x, cst.Pass) or (isinstance(x, cst.Raise) and x.exc is not None and leaf_name(
            x.exc.func if isinstance(x.exc, cst.Call) else x.exc).startswith("NotImplemented")) for x in s.body)
        for s in body)


def _passed(call: cst.Call, callee: cst.FunctionDef, wanted: frozenset[str]) -> set[str]:
    """Names of the caller used in the arguments the call gives to the callee's ``wanted`` parameters."""
    names = [p.name.value for p in parameters(callee)]
    if names and names[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        names = names[1:]
    used: set[str] = set()
    for position, arg in enumerate(a for a in call.args if a.keyword is None and not a.star):
        if position < len(names) and names[position] in wanted:
            used.update(variables_in(arg.value))
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in wanted:
            used.update(variables_in(arg.value))
    return used


def _checked(call: cst.Call, names: set[str], function: cst.FunctionDef, module: PythonModule,
             facts: ProjectFacts) -> bool:
    """Did the caller check it owns ``names`` before the call, or does it check the returned row after?"""
    line = module.span(call).line
    for other in calls(function.body):
        if other is call or module.span(other).line > line:
            continue
        if set(names_in(other)) & names and (OWNERSHIP_CHECK.match(leaf_name(other.func))
                                             or scoping_callee(other, module, facts)):
            return True
    variable = _assigned(call, module)
    return variable is not None and checked_later(variable, function, key_names(facts), module, facts)


def checked_by_callers(function: cst.FunctionDef | None, module: PythonModule, facts: ProjectFacts) -> bool:
    """Is ``function`` called somewhere in the project, and does every caller check ownership, before the call
    of the ids it passes (``check_access(user, project_id)``) or after it of the returned row
    (``project = self._get_project(request)`` then ``self._validate_signature(project, request)``)? The
    function's own loads are then checked, as a route's would be; one unchecked caller keeps them unchecked."""
    if function is None or function.name.value in _AMBIGUOUS:
        return False
    name = function.name.value
    sites = 0
    for other in modules_containing(facts, (f"{name}(",)):
        for call in calls(other.module):
            if leaf_name(call.func) != name or call.func is function.name:
                continue
            caller = enclosing_function(call, other)
            if caller is None or caller is function:
                return False
            passed = {v for arg in call.args for v in variables_in(arg.value)} - _PLUMBING - {"request"}
            if not _checked(call, passed, caller, other, facts):
                return False
            sites += 1
    return sites > 0


def _assigned(call: cst.Call, module: PythonModule) -> str | None:
    parent = module.parent(call)
    while isinstance(parent, (cst.Await, cst.Call, cst.Arg)):
        parent = module.parent(parent)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        return parent.targets[0].target.value
    return None


def _inside(node: cst.CSTNode, function: cst.FunctionDef, module: PythonModule) -> bool:
    return enclosing_function(node, module) is function


def enclosing_function(node: cst.CSTNode, module: PythonModule) -> cst.FunctionDef | None:
    current = module.parent(node)
    while current is not None and not isinstance(current, cst.FunctionDef):
        current = module.parent(current)
    return current


def left_to_callers(function: cst.FunctionDef | None, inputs: list[str], facts: ProjectFacts,
                    module: PythonModule | None = None) -> bool:
    """Is this access in a helper the project calls (a data-access class's method, or a plain function no
    agent or tool code calls)? Its ids come from its callers, which are followed from the routes instead."""
    if function is None or module is None or "request" in inputs:
        return False
    owner = module.parent(function)
    while owner is not None and not isinstance(owner, (cst.ClassDef, cst.Module)):
        owner = module.parent(owner)
    name = function.name.value
    if not isinstance(owner, cst.ClassDef):
        # a generic name (split, merge) counts only when used through its module (``bulk_edit.split``)
        used = _mentioned(facts, f"{PurePosixPath(module.path).stem}.{name}") if name in _AMBIGUOUS \
            else called_elsewhere(facts, name)
        return used and not called_from_agent_code(facts, name)
    if name in _AMBIGUOUS:
        return _mentioned(facts, f"{owner.name.value}.{name}(")
    return called_elsewhere(facts, name)


#: Modules of LLM agent code: their calls pass ids the model chose, which no route check covers.
_AGENT_PATH = re.compile(r"(?:^|/)[^/]*(?:agent|tool)[^/]*(?:/|\.py$)", re.IGNORECASE)


def called_from_agent_code(facts: ProjectFacts, name: str) -> bool:
    """Is the plain function ``name`` called from an agent or tool module (``agent/tools.py``)?"""
    call = re.compile(rf"(?<!def )\b{re.escape(name)}\(")
    return any(_AGENT_PATH.search(path) and call.search(ctx.artifact.text)
               for path, ctx in function_index(facts).contexts.items())


def _mentioned(facts: ProjectFacts, text: str) -> bool:
    """Does the project's Python contain ``text`` (``AlertSubscription.all(``: a generic method by its class)?"""
    return any(text in ctx.artifact.text for ctx in function_index(facts).contexts.values())


def _where(module: PythonModule, node: cst.CSTNode) -> str:
    return f"{module.path}:{module.span(node).line}"

