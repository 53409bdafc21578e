"""ORM queries on tenant-owned models, and whether each one is constrained to a tenant or owner.

A query starts at a *root* naming a model: SQLAlchemy ``session.get(M, id)``, ``session.query(M)``,
``select(M)``/``update(M)``/``delete(M)``, Flask-SQLAlchemy ``M.query``, Django ``M.objects`` and
``get_object_or_404(M, ...)``, peewee ``M.get_by_id(id)``, ``M.get(M.id == id)``, ``M.get_or_none(...)``,
``M.delete_by_id(id)`` and ``M.select()``/``M.update(...)``/``M.delete()``. The method calls chained on it
(``.filter(...)``, ``.where(...)``...) make the query; their arguments are its criteria.

A query is *scoped* when it constrains a tenant/owner key of the model: in its own chain
(``.filter(Note.workspace_id == user.workspace_id)``, ``filter(coach=request.user)``, a join filtered
on the tenant), through a helper that applies such a filter (``for_workspace(query, user)``, followed
across modules), or, for a query kept in a variable, by a later filter or ownership check on that
variable (``if note.coach_id != user.id: raise``). Queries reached through a relationship of an
already checked object (``workspace.notes``) have no root and are never reported; a filter on a relation
with a whole object (``Entry.objects.filter(agent=agent)``) is the same thing written as a query: the
object was loaded, and is checked, where it was loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from scanner.analysis.data.python.models import TenantModel, key_names, model_index
from scanner.context import ProjectFacts
from scanner.lang.python.functions import ScopedFinder, leaf_name, names_in, parameters, resolve_function
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import assignments, child_nodes, walk

#: Chained methods whose arguments select rows.
CRITERIA_METHODS = frozenset({"filter", "filter_by", "where", "get", "get_or_404", "exclude", "having"})
#: Chained methods that only tell whether rows exist (one bit, not the rows): not reported.
_EXISTENCE = frozenset({"exists", "aexists"})
#: Chained methods that change rows.
WRITE_METHODS = frozenset({"update", "delete"})
_SQLALCHEMY_STATEMENTS = {"select": "select", "update": "update", "delete": "delete"}
_SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
#: peewee class methods that load or delete rows directly: their arguments are the criteria.
_PEEWEE_LOOKUPS = {"get_by_id": "loads", "get": "loads", "get_or_none": "loads", "delete_by_id": "deletes"}
#: peewee class methods that start a query chained with ``.where(...)``.
_PEEWEE_STATEMENTS = {"select": "loads", "update": "updates", "delete": "deletes"}
#: Callees that, given the fetched object, check it belongs to the caller.
_CHECK_HELPER = re.compile(r"^(check|ensure|assert|authori[sz]e|verify|require|enforce)_?|has_\w*perm|has_\w*access"
                           r"|^_?(?:validate|verify|check)_\w*(?:signature|hmac)"
                           r"|^(?:user_)?can_|^is_\w*(?:owner|member|author|allowed)", re.IGNORECASE)
_ID_LIKE = re.compile(r"(?:^|_)(?:id|pk|uuid|ids|pks|slug|key)$|[a-z](?:Id|Ids|Pk)$", re.IGNORECASE)
_NOT_INPUT = frozenset({"self", "cls", "db", "session"})
#: Decorators of functions whose arguments come from our own code: tasks, signal receivers, user loaders.
_TRUSTED_DECORATORS = frozenset({"task", "shared_task", "periodic_task", "actor", "job", "receiver", "user_loader",
                                 "request_loader", "header_loader", "user_lookup_loader", "fixture", "command",
                                 "connect"})
#: Authentication plumbing that loads the signed-in identity itself (and verifies it: a signature, a key).
_TRUSTED_NAME = re.compile(r"^(?:\w*load_user\w*|user_loader|get_current_(?:user|account|member)\w*|authenticate\w*"
                           r"|\w*_user_from_(?:request|token|api_key|header|session)\w*)$")


@dataclass(frozen=True)
class Query:
    """One query on a tenant-owned model."""

    model: TenantModel
    node: cst.BaseExpression  # the outermost expression of the chain
    criteria: tuple[cst.CSTNode, ...]
    action: str  # "loads", "updates", "deletes"
    function: cst.FunctionDef | None

    def by_id(self) -> bool:
        return any(_mentions_id(c) for c in self.criteria)


def queries(module: PythonModule, facts: ProjectFacts,
            models: Callable[[str], TenantModel | None] | None = None) -> Iterator[Query]:
    """Every query in ``module`` that selects rows by some criteria, on a tenant-owned model or, with
    ``models``, on the models that function accepts (by class name)."""
    yield from _RootCollector(module, facts, models).collect()


class _RootCollector(ScopedFinder):
    def __init__(self, module: PythonModule, facts: ProjectFacts,
                 models: Callable[[str], TenantModel | None] | None = None):
        super().__init__(module)
        self.facts = facts
        self.models = models or (lambda name: model_index(facts).tenant_model(name, facts.config))

    def _model(self, expr: cst.BaseExpression | None) -> TenantModel | None:
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        return self.models(expr.value if isinstance(expr, cst.Name) else expr.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        first = positional[0] if positional else None
        leaf = leaf_name(node.func)
        receiver = self._model(node.func.value) if isinstance(node.func, cst.Attribute) else None
        if receiver is not None and leaf in _PEEWEE_LOOKUPS:
            self._add(receiver, node, tuple(a.value for a in node.args), _PEEWEE_LOOKUPS[leaf], chained=False)
            return
        if receiver is not None and leaf in _PEEWEE_STATEMENTS:
            self._add(receiver, node, (), _PEEWEE_STATEMENTS[leaf])
            return
        model = self._model(first)
        if model is None:
            return
        if isinstance(node.func, cst.Attribute) and leaf == "get" and len(positional) >= 2:
            self._add(model, node, tuple(positional[1:]), "loads", chained=False)
        elif leaf in _SHORTCUTS:
            self._add(model, node, tuple(a.value for a in node.args[1:]), "loads", chained=False)
        elif isinstance(node.func, cst.Attribute) and leaf == "query":
            self._add(model, node, (), "loads")
        elif leaf in _SQLALCHEMY_STATEMENTS and len(positional) == 1:
            action = {"select": "loads", "update": "updates", "delete": "deletes"}[leaf]
            self._add(model, node, (), action)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in ("objects", "query"):
            model = self._model(node.value)
            if model is not None:
                self._add(model, node, (), "loads")

    def _add(self, model: TenantModel, root: cst.BaseExpression, criteria: tuple[cst.CSTNode, ...], action: str,
             chained: bool = True) -> None:
        outer, chain_criteria, chain_action = (root, (), None) if not chained else _climb(self.module, root)
        criteria = criteria + chain_criteria
        if not criteria:
            return
        self.found.append(Query(model, outer, criteria, chain_action or action, self.function))


def _climb(module: PythonModule, root: cst.BaseExpression) -> tuple[cst.BaseExpression, tuple, str | None]:
    """Follow ``root.method(...).method(...)``: the outermost call, the criteria and any write."""
    current: cst.BaseExpression = root
    criteria: list[cst.CSTNode] = []
    action = None
    while True:
        attribute = module.parent(current)
        call = module.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        if not (isinstance(attribute, cst.Attribute) and attribute.value is current
                and isinstance(call, cst.Call) and call.func is attribute):
            return current, tuple(criteria), action
        method = attribute.attr.value
        if method in CRITERIA_METHODS:
            criteria.extend(arg.value for arg in call.args)
        elif method in WRITE_METHODS:
            action = "updates" if method == "update" else "deletes"
        elif method in _EXISTENCE:
            action = "checks"
        current = call


def constrained_columns(query: Query) -> frozenset[str]:
    """Columns the query's criteria constrain: keywords of its lookups (``filter_by(recipe_id=...)``,
    ``get(pk=...)``, Django's ``vehicle__owner=`` as ``vehicle_id``) and compared attributes
    (``Note.recipe_id == x``); a relation (``recipe=recipe``) stands for its foreign key."""
    methods = CRITERIA_METHODS | _SHORTCUTS | _PEEWEE_LOOKUPS.keys()
    names: set[str] = set()
    for call in (n for n in walk(query.node) if isinstance(n, cst.Call) and leaf_name(n.func) in methods):
        for arg in call.args:
            if arg.keyword is not None:
                names.add(arg.keyword.value.split("__", 1)[0])
            for node in walk(arg.value):
                if isinstance(node, cst.Comparison) and isinstance(node.left, cst.Attribute):
                    names.add(node.left.attr.value)
    return frozenset(name if name.endswith("_id") or name not in query.model.relations else f"{name}_id"
                     for name in names)


def mentions(node: cst.CSTNode, names: frozenset[str]) -> bool:
    """True when ``node`` names one of ``names`` as an attribute, keyword (or Django lookup) or string."""
    finder = _NameFinder(names)
    node.visit(finder)
    return finder.found


class _NameFinder(cst.CSTVisitor):
    def __init__(self, names: frozenset[str]):
        self.names = names
        self.found = False

    def _hit(self, name: str) -> None:
        if name in self.names or name.split("__", 1)[0] in self.names:
            self.found = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._hit(node.attr.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._hit(node.keyword.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if isinstance(value, str):
            self._hit(value)


def _mentions_id(node: cst.CSTNode) -> bool:
    names: list[str] = []

    class Names(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.append(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> None:
            names.append(n.attr.value)

        def visit_Arg(self, n: cst.Arg) -> None:
            if n.keyword is not None:
                names.append(n.keyword.value)

        def visit_SimpleString(self, n: cst.SimpleString) -> None:
            if isinstance(n.evaluated_value, str):
                names.append(n.evaluated_value)

    node.visit(Names())
    return any(n in ("id", "pk", "uuid") or n.endswith(("_id", "_pk", "_uuid")) for n in names)


def input_names(query: Query) -> list[str]:
    """Parameters of the enclosing function (or ``request``) that the query's criteria use.

    None for functions whose arguments come from trusted code rather than a caller: background tasks,
    signal receivers and the login manager's user loader (see :func:`trusted_entry_point`).
    """
    if query.function is None or trusted_entry_point(query.function):
        return []
    params = {p.name.value for p in parameters(query.function)} - _NOT_INPUT
    params.add("request")
    # Locals read out of the request count for lookups by id (report_id = request.GET["report_id"]); a
    # search term read from it selects by content, which the route's own authentication answers for.
    derived = request_locals(query.function, params) if query.by_id() else {}
    used = []
    for criterion in query.criteria:
        for name in variables_in(criterion):
            if name in params:
                used.append(name)
            elif name in derived:
                used.extend((name, derived[name]))
    return list(dict.fromkeys(used))


def variables_in(node: cst.CSTNode) -> list[str]:
    """Variables an expression reads: ``root_doc`` in ``root_doc.pk`` (not ``pk``), ``v`` in ``f(key=v)``."""
    found: list[str] = []

    def visit(item: cst.CSTNode) -> None:
        if isinstance(item, cst.Name):
            found.append(item.value)
        elif isinstance(item, cst.Attribute) and item.attr.value in _IDENTITY_ATTRIBUTES and _is_request(item.value):
            return  # request.user, request.session: the signed-in caller, not input
        elif isinstance(item, cst.Attribute) and item.attr.value == "request" and isinstance(item.value, cst.Name) \
                and item.value.value == "self":
            found.append("request")  # a class-based view's self.request
        elif isinstance(item, (cst.Attribute, cst.Arg)):
            visit(item.value)
        else:
            for child in child_nodes(item):
                visit(child)

    visit(node)
    return found


#: Attributes of a request that hold the authenticated caller rather than what the caller sent.
_IDENTITY_ATTRIBUTES = frozenset({"user", "session", "auth", "tenant", "organization", "org"})


def _is_request(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value == "request") or (
        isinstance(node, cst.Attribute) and node.attr.value == "request")


#: Calls that only read or convert what they are given (``request.args.get("id")``, ``int(x)``).
_READERS = frozenset({"get", "get_json", "json", "getlist", "int", "str", "UUID", "uuid.UUID", "dict", "strip"})


def request_locals(function: cst.FunctionDef, params: set[str]) -> dict[str, str]:
    """Locals read straight out of a parameter, in order: ``report_id = request.GET["report_id"]``,
    ``data = request.get_json()`` then ``note_id = int(data["id"])``; each mapped to the parameter.

    Values computed by other calls (``user = User.query.get(...)``) are new rows, not input.
    """
    roots: dict[str, str] = {}
    for target, value, _ in assignments(function.body):
        root = _read_from(value, params, roots)
        if root is not None and target.isidentifier():
            roots[target] = root
    return roots


def _read_from(value: cst.BaseExpression, params: set[str], roots: dict[str, str]) -> str | None:
    while True:
        if isinstance(value, cst.Await):
            value = value.expression
        elif isinstance(value, cst.Attribute) and value.attr.value == "request" and isinstance(value.value, cst.Name) \
                and value.value.value == "self":
            return "request"  # a class-based view's self.request
        elif isinstance(value, (cst.Attribute, cst.Subscript)):
            value = value.value
        elif isinstance(value, cst.Call) and leaf_name(value.func) in _READERS:
            if isinstance(value.func, cst.Attribute):
                value = value.func.value
            elif value.args:
                value = value.args[0].value
            else:
                return None
        elif isinstance(value, cst.Name):
            return value.value if value.value in params else roots.get(value.value)
        else:
            return None


def trusted_entry_point(function: cst.FunctionDef) -> bool:
    """Is ``function`` called by the framework with ids our own code chose (a task, a signal, a user loader)?"""
    if _TRUSTED_NAME.match(function.name.value):
        return True
    return any(leaf_name(d.decorator) in _TRUSTED_DECORATORS for d in function.decorators)


def is_scoped(query: Query, module: PythonModule, facts: ProjectFacts) -> bool:
    """True when the query (or the code around it) constrains one of the model's tenant/owner keys, or
    only asks whether rows exist."""
    names = query.model.filter_names
    if query.action == "checks" or any(mentions(c, names) for c in query.criteria) or mentions(query.node, names):
        return True
    if _through_relations(query.node, facts):
        return True
    if _filters_by_parent_object(query):
        return True
    if _passed_to_scoping_helper(query.node, module, facts):
        return True
    if any(isinstance(n, cst.Call) and (_given_caller(n, module) or scoping_callee(n, module, facts))
           for c in query.criteria for n in walk(c)):
        return True  # filter(owner_or_trainer_q(request)), id__in=permitted_ids(user): a helper builds the condition
    variable = _assigned_name(query.node, module)
    return variable is not None and query.function is not None and checked_later(
        variable, query.function, names, module, facts)


_CALLER_ARGUMENT = re.compile(r"^(?:(?:self\.)?request\.user|current_user|g\.user|user)$")


def _given_caller(call: cst.Call, module: PythonModule) -> bool:
    """A helper handed the signed-in caller inside a criterion computes what that caller may see."""
    return any(_CALLER_ARGUMENT.match(module.code(arg.value)) for arg in call.args)


def _through_relations(node: cst.CSTNode, facts: ProjectFacts) -> bool:
    """A Django lookup across relations that ends at a tenant or owner: ``member__user=request.user``."""
    names = key_names(facts)
    return any(isinstance(n, cst.Arg) and n.keyword is not None and "__" in n.keyword.value
               and n.keyword.value.rsplit("__", 1)[-1] in names for n in walk(node))


def _filters_by_parent_object(query: Query) -> bool:
    """``filter(agent=agent)`` or ``Entry.agent == agent``: rows of a parent object the caller already holds."""
    relations = query.model.relations
    if not relations:
        return False
    for node in walk(query.node):
        if isinstance(node, cst.Arg) and node.keyword is not None and node.keyword.value in relations \
                and _whole_object(node.value):
            return True
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and isinstance(
                node.comparisons[0].operator, cst.Equal) and isinstance(node.left, cst.Attribute) \
                and node.left.attr.value in relations and _whole_object(node.comparisons[0].comparator):
            return True
    return False


def _whole_object(value: cst.BaseExpression) -> bool:
    """A name for a loaded object (``agent``, ``self.agent``), not an id (``agent_id``) or a constant."""
    leaf = leaf_name(value) if isinstance(value, (cst.Name, cst.Attribute)) else ""
    return bool(leaf) and not _ID_LIKE.search(leaf) and leaf not in ("None", "True", "False")


def vouched(found: list[tuple[Query, list[str], bool]], module: PythonModule) -> list[bool]:
    """For each ``(query, inputs, scoped)``: is it scoped, or does every input it selects by come from an
    earlier scoped query on the same path (the parent row's owner was checked, so the id is the caller's)?"""
    result = []
    for query, inputs, scoped in found:
        earlier = [other for other, _, other_scoped in found if other_scoped and other is not query
                   and other.function is query.function and dominates(other.node, query.node, module)]
        covered = {name for other in earlier for name in input_names(other)}
        result.append(scoped or all(name in covered for name in inputs))
    return result


def dominates(first: cst.CSTNode, second: cst.CSTNode, module: PythonModule) -> bool:
    """Does ``first`` run before ``second`` on every path to it (earlier, and in a block enclosing it)?

    ``if vuln: a = load(x) else: b = scoped_load(x)``: the scoped load is in the other branch, so it
    vouches for nothing.
    """
    if module.span(first).line > module.span(second).line:
        return False
    block = module.parent(first)
    while block is not None and not isinstance(block, (cst.IndentedBlock, cst.Module)):
        block = module.parent(block)
    ancestor = module.parent(second)
    while ancestor is not None and ancestor is not block:
        ancestor = module.parent(ancestor)
    return ancestor is not None


def _passed_to_scoping_helper(node: cst.CSTNode, module: PythonModule, facts: ProjectFacts) -> bool:
    current = module.parent(node)
    while isinstance(current, (cst.Arg, cst.Call, cst.Attribute, cst.Await)):
        if isinstance(current, cst.Arg):
            call = module.parent(current)
            if isinstance(call, cst.Call) and scoping_callee(call, module, facts):
                return True
        current = module.parent(current)
    return False


def scoping_callee(call: cst.Call, module: PythonModule, facts: ProjectFacts) -> bool:
    """Is the callee a project function whose body filters on a tenant/owner key (or an ownership check)?"""
    if _CHECK_HELPER.search(leaf_name(call.func)):
        return True
    ref = resolve_function(facts, module, call.func)
    if ref is None:
        return False
    names = key_names(facts)
    return mentions(ref.node.body, names)


def _assigned_name(node: cst.CSTNode, module: PythonModule) -> str | None:
    parent = module.parent(node)
    if isinstance(parent, cst.Await):
        parent = module.parent(parent)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        return parent.targets[0].target.value
    if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)) and isinstance(parent.target, cst.Name):
        return parent.target.value
    return None


def checked_later(variable: str, function: cst.FunctionDef, names: frozenset[str], module: PythonModule,
                   facts: ProjectFacts) -> bool:
    """Does the function compare ``variable.<key>``, filter ``variable`` on a key, or hand it to a check
    (itself, or each row as a loop over it yields them: ``for mail in mails: has_perms(user, mail)``)?"""
    rows = [variable] + [n.target.value for n in walk(function.body) if isinstance(n, cst.For) and isinstance(
        n.iter, cst.Name) and n.iter.value == variable and isinstance(n.target, cst.Name)]
    for name in rows:
        checker = _LaterCheck(name, names, module, facts)
        function.body.visit(checker)
        if checker.found:
            return True
    return False


class _LaterCheck(cst.CSTVisitor):
    def __init__(self, variable: str, names: frozenset[str], module: PythonModule, facts: ProjectFacts):
        self.variable, self.names, self.module, self.facts = variable, names, module, facts
        self.found = False

    def _uses_variable(self, node: cst.CSTNode) -> bool:
        return self.variable in names_in(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self._uses_variable(node) and mentions(node, self.names):
            self.found = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        on_variable = isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and func.value.value == self.variable
        filtered = on_variable and mentions(node, self.names)
        handed_to_check = any(self._uses_variable(arg) for arg in node.args) and scoping_callee(
            node, self.module, self.facts)
        if filtered or handed_to_check:
            self.found = True
