"""Whose rows a route touches: the signed-in caller's, or ones the request names.

Two decisions over a route handler's queries, both about trusting the request for *who* rather than
*which*:

- :func:`user_rows_from_request`: the account table. A signed-in route that selects a row of the user
  model (``User``, ``Account``, ``KhojUser``...) by a username or id from the path or body and then
  changes it (sets an attribute, updates, deletes) acts on whichever account the request names, not on
  the caller (``PUT /users/<username>/password``). Routes that check a role (admin tools), compare the
  loaded row or the id with the caller, or only read (public profiles) are not reported.
- :func:`tenants_from_request`: a query scoped by a tenant/owner key whose value comes from the request
  (``Note.query.filter_by(workspace_id=request.json["workspace_id"])``) is scoped to whatever tenant the
  caller names. Fine only when the handler checks that id against the caller (a membership query, a
  comparison with the caller's tenant, a membership helper) or a guard checks a role or membership.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from scanner.analysis.data.python.models import TenantModel, model_index
from scanner.analysis.data.python.queries import Query, input_names, queries, request_locals
from scanner.analysis.routes.authorization import checks_role_inline
from scanner.analysis.routes.model import Route
from scanner.context import ProjectFacts
from scanner.lang.python.functions import leaf_name, names_in
from scanner.lang.python.walk import walk

#: Class names of the account table.
USER_MODEL = re.compile(r"^(?:\w*User|Users|Account|Member|Customer|Profile|UserProfile)$")
#: Code that names the signed-in caller (session, token subject, injected user).
CALLER = re.compile(r"\b(?:current_user|request\.user|g\.user|get_jwt_identity|auth\w*|identity|session|token"
                    r"|principal|me|user|resp\[['\"]sub['\"]\]|sub)\b", re.IGNORECASE)
#: Helpers that check the caller belongs to a tenant: ``is_member(user, ws_id)``, ``get_membership(...)``.
MEMBERSHIP = re.compile(r"member|access|permission|authori[sz]|allowed|can_|belongs|check_|ensure_|verify_|require_",
                        re.IGNORECASE)
#: Request values that are secrets, not references: a lookup by one is how its holder is recognised.
_SECRET = re.compile(r"(?:^|_)(?:key|token|secret|signature|sig|hash|nonce|otp|auth_code|ping_key|api_key)s?$"
                     r"|[a-z](?:Key|Token|Secret|Signature)$", re.IGNORECASE)
#: Unguessable references (``<uuid:code>``): a capability on a route nobody signs in to.
_OPAQUE = re.compile(r"(?:^|_)(?:code|uuid|guid|slug|anchor)$", re.IGNORECASE)


def by_capability(inputs: list[str] | tuple[str, ...], route: Route | None, public: bool = False) -> bool:
    """Is the lookup keyed by a secret the caller holds (an API key, a signed token), or, on a public
    route (``public``: a view class open to anyone), by an unguessable code? Holding it is the authorization
    (ping URLs, badges, unsubscribe links, published boards)."""
    names = [n for n in inputs if n != "request"]
    if any(_SECRET.search(n) for n in names):
        return True
    public = public or (route is not None and not route.authenticated)
    return bool(names) and public and all(_OPAQUE.search(n) for n in names)


#: A branch condition that admits only privileged callers: ``if account.is_admin_id:``, ``if user.is_staff``.
_PRIVILEGED_TEST = re.compile(r"admin|superuser|is_staff|\brole\b|\bis_root\b", re.IGNORECASE)


_ADMIN_GUARD = re.compile(r"(?:role|permission|require|Depends|Security)\w*\(\s*\w*\(?\s*[\[(]?\s*['\"]?\w*admin"
                          r"|admin_required|superuser_required|staff_member_required", re.IGNORECASE)


def admin_only(route: Route | None) -> bool:
    """Does a guard admit only administrators (``Depends(require_role(["admin"]))``, ``@admin_required``)?
    Their tools act across tenants by design."""
    if route is None:
        return False
    decorators = "".join(route.module.code(d) for d in getattr(route.node, "decorators", ())) if route.module else ""
    return any(g.role and _PRIVILEGED_TEST.search(g.name) for g in route.guards) or bool(
        _ADMIN_GUARD.search(decorators))


def privileged_branch(node: cst.CSTNode, module) -> bool:
    """Is ``node`` in the body of an ``if`` that tests an admin flag or role (an administrator's path)?"""
    child, parent = node, module.parent(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef):
        if isinstance(parent, cst.If) and child is parent.body and _PRIVILEGED_TEST.search(module.code(parent.test)):
            return True
        child, parent = parent, module.parent(parent)
    return False


#: Guards that check the caller's role or membership (``@allow_permission([ROLE.ADMIN])``,
#: ``permission_classes = [WorkspaceEntityPermission]``), not merely that someone signed in.
_PERMISSION_GUARD = re.compile(r"permission|role|member|access", re.IGNORECASE)
_SIGNED_IN_ONLY = frozenset({"AllowAny", "IsAuthenticated", "IsAuthenticatedOrReadOnly", "login_required",
                             "permission_classes"})


def open_view(function: cst.FunctionDef | None, module) -> bool:
    """Is ``function`` a method of a view class whose ``permission_classes`` admit anyone (``[AllowAny]``)?"""
    names = _permission_classes(function, module)
    return names is not None and set(names) <= {"AllowAny"} and bool(names)


def _permission_classes(function: cst.FunctionDef | None, module) -> list[str] | None:
    """The leaf names in the enclosing class's ``permission_classes = [...]``, or None without one."""
    owner = module.parent(function) if function is not None else None
    while owner is not None and not isinstance(owner, (cst.ClassDef, cst.Module)):
        owner = module.parent(owner)
    if not isinstance(owner, cst.ClassDef):
        return None
    for line in owner.body.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value ==
                                                     "permission_classes" for t in small.targets):
                elements = small.value.elements if isinstance(small.value, (cst.List, cst.Tuple)) else ()
                return [leaf_name(e.value) for e in elements]
    return None


def permission_guarded(function: cst.FunctionDef | None, module) -> bool:
    """Is ``function`` guarded by a role or membership check: a decorator named for permissions or roles, or
    its view class's ``permission_classes`` naming a class other than the signed-in-only ones? Such guards
    check the caller's access to the tenant the URL names (its workspace, its project)."""
    if function is None:
        return False
    if any(_PERMISSION_GUARD.search(leaf_name(d.decorator)) and leaf_name(d.decorator) not in _SIGNED_IN_ONLY
           for d in function.decorators):
        return True
    names = _permission_classes(function, module)
    return names is not None and any(name not in _SIGNED_IN_ONLY for name in names)


_PATH_PARAM = re.compile(r"[{<](?:\w+:)?(\w+)[}>]")


@dataclass(frozen=True)
class Trusted:
    """A query that trusts the request for whose rows it touches, and which request values it trusts."""

    query: Query
    inputs: tuple[str, ...]
    key: str  # the user model's lookup column, or the tenant key


def request_inputs(route: Route) -> set[str]:
    """Names in the handler that hold request input: path and body parameters, ``request``, and locals
    read out of them."""
    names = set(route.path_params) | set(route.input_params) | {"request"}
    names |= set(_PATH_PARAM.findall(route.path or ""))  # spec-first routes (connexion) carry no path_params
    if isinstance(route.node, cst.FunctionDef):
        names |= set(request_locals(route.node, names))
    return names


def user_rows_from_request(route: Route, facts: ProjectFacts) -> Iterator[Trusted]:
    """Account rows a signed-in route changes, selected by an id or name the request supplies."""
    function, module = route.node, route.module
    if not isinstance(function, cst.FunctionDef) or module is None or not route.authenticated \
            or route.role_checked or checks_role_inline(route.code):
        return
    index = model_index(facts)

    def account(name: str) -> TenantModel | None:
        declared = index.classes.get(name)
        if not USER_MODEL.match(name) or not declared or not any(m.columns or m.table for m in declared):
            return None
        return TenantModel(name, declared[0].path, ("id",), declared[0].table)

    inputs = request_inputs(route) - {"request"}
    for query in queries(module, facts, account):
        if query.function is not function:
            continue
        used = tuple(n for n in input_names(query) if n in inputs)
        if used and _changes(query, function, module) and not _compared(used, query, function, module):
            yield Trusted(query, used, _lookup_key(query))


def tenants_from_request(route: Route, scoped: list[Query], facts: ProjectFacts) -> Iterator[Trusted]:
    """Scoped queries of the handler whose tenant/owner key is compared with a value from the request."""
    function, module = route.node, route.module
    if not isinstance(function, cst.FunctionDef) or module is None or route.role_checked \
            or checks_role_inline(route.code):
        return
    inputs = request_inputs(route) - {"request"}
    for query in scoped:
        if query.function is not function:
            continue
        compared = list(_key_values(query))
        if any(CALLER.search(module.code(value)) for _, value in compared):
            continue  # the key is (also) compared with the caller's own: scoped to the session
        for key, value in compared:
            used = tuple(n for n in names_in(value) if n in inputs)
            if used and not by_capability(used, route) and not _membership_checked(used, query, function, module):
                yield Trusted(query, used, key)
                break


def _key_values(query: Query) -> Iterator[tuple[str, cst.BaseExpression]]:
    """``(key, value)`` for each tenant/owner key the query compares: ``workspace_id=v``, ``M.org_id == v``."""
    names = query.model.filter_names
    for node in walk(query.node):
        if isinstance(node, cst.Arg) and node.keyword is not None and node.keyword.value.split("__", 1)[0] in names:
            yield node.keyword.value, node.value
        elif isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and isinstance(
                node.comparisons[0].operator, (cst.Equal, cst.In)) and isinstance(node.left, cst.Attribute) \
                and node.left.attr.value in names:
            yield node.left.attr.value, node.comparisons[0].comparator


def _membership_checked(used: tuple[str, ...], query: Query, function: cst.FunctionDef, module) -> bool:
    """Does the handler, outside this query, relate one of ``used`` to the caller (compare it, look up a
    membership with it, hand it to a membership helper)?"""
    inside = {id(n) for n in walk(query.node)}
    for node in walk(function.body):
        if id(node) in inside or not isinstance(node, (cst.Comparison, cst.Call)):
            continue
        if not set(names_in(node)) & set(used):
            continue
        code = module.code(node)
        if isinstance(node, cst.Comparison) and CALLER.search(code):
            return True
        if isinstance(node, cst.Call) and (MEMBERSHIP.search(leaf_name(node.func)) or CALLER.search(code)):
            return True
    return False


def _changes(query: Query, function: cst.FunctionDef, module) -> bool:
    """Does the handler write the selected row: an update/delete query, or an attribute set, ``save()`` or
    ``delete()`` on the variable holding it?"""
    if query.action != "loads":
        return True
    parent = module.parent(query.node)
    if isinstance(parent, cst.Await):
        parent = module.parent(parent)
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target,
                                                                                        cst.Name)):
        return False
    variable = parent.targets[0].target.value
    for node in walk(function.body):
        if isinstance(node, cst.Assign) and any(
                isinstance(t.target, cst.Attribute) and isinstance(t.target.value, cst.Name)
                and t.target.value.value == variable for t in node.targets):
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and (
                (isinstance(node.func.value, cst.Name) and node.func.value.value == variable
                 and node.func.attr.value in ("save", "delete", "update", "set_password"))
                or (node.func.attr.value == "delete" and variable in names_in(node))):
            return True
    return False


def _compared(used: tuple[str, ...], query: Query, function: cst.FunctionDef, module) -> bool:
    """Is the id, or the loaded row, compared with the caller anywhere in the handler?"""
    parent = module.parent(query.node)
    variable = parent.targets[0].target.value if isinstance(parent, cst.Assign) and isinstance(
        parent.targets[0].target, cst.Name) else None
    watched = set(used) | ({variable} if variable else set())
    for node in walk(function.body):
        code = re.sub(rf"\b{re.escape(variable)}\b", "", module.code(node)) if variable else module.code(node)
        if isinstance(node, cst.Comparison) and set(names_in(node)) & watched and CALLER.search(code):
            return True
    return False


def _lookup_key(query: Query) -> str:
    for node in query.criteria:
        for item in walk(node):
            if isinstance(item, cst.Attribute):
                return item.attr.value
    parent_args = [n for n in walk(query.node) if isinstance(n, cst.Arg) and n.keyword is not None]
    return parent_args[0].keyword.value if parent_args else "id"
