"""Guards of Python routes: auth decorators, identity-resolving dependencies, guard hooks.

Each function returns :class:`~scanner.analysis.routes.model.Guard`s (``@login_required`` at
``views.py:12``, ``Depends(get_current_user)``...) or None. Project code is followed across modules through
the :class:`~scanner.lang.python.resolve.Resolver`; code outside the project is judged by its name.
"""

from __future__ import annotations

import re

import libcst as cst

from scanner.analysis.routes.authorization import checks_role_inline, is_role_guard
from scanner.analysis.routes.model import Exemption, Guard
from scanner.analysis.routes.python.facts import ModuleFacts, dotted, keyword, positional
from scanner.analysis.routes.python.identity import (
    AUTH_DECORATORS,
    AUTH_DEPENDENCY_NAME,
    SECURITY_SCHEMES,
    guards_identity,
    last_name,
    refuses_anonymous,
)
from scanner.lang.python.resolve import Found, Resolver
from scanner.lang.python.walk import literal_strings, walk

MAX_DEPTH = 6
DEPENDENCY_CALLS = frozenset({"Depends", "Security"})


def callee(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The called expression of a decorator: ``x`` for ``@x`` and ``@x(...)``."""
    return expr.func if isinstance(expr, cst.Call) else expr


def origin(facts: ModuleFacts, node: cst.CSTNode) -> str:
    """``file:line`` of a node of ``facts``' tree."""
    return f"{facts.path}:{facts.pm.span(node).line}"


def decorator_auth(resolver: Resolver, facts: ModuleFacts, expr: cst.BaseExpression,
                   kind: str = "decorator") -> Guard | None:
    """A decorator (``login_required``, ``auth.login_required``, a project decorator checking identity), or
    a wrapper around a view (``login_required(view)``, ``kind="wrapper"``)."""
    target = callee(expr)
    names = resolver.qualified(facts, target)
    if any(last_name(n) in AUTH_DECORATORS for n in names):
        name = dotted(target) or last_name(names[0])
        return Guard(kind, f"@{name}", origin(facts, expr), is_role_guard(name))
    found = resolver.find(facts, target)
    if found is not None and found.kind == "function":
        code = found.facts.pm.code(found.node)
        if guards_identity(code):
            return Guard(kind, f"@{found.name} (checks identity)", origin(facts, expr),
                         is_role_guard(found.name, code))
    if isinstance(expr, cst.Call) and last_name(dotted(target)) == "method_decorator":
        inner = positional(expr, 0)
        if inner is not None:
            for item in inner.elements if isinstance(inner, (cst.List, cst.Tuple)) else [inner]:
                value = item.value if isinstance(item, cst.Element) else item
                guard = decorator_auth(resolver, facts, value, kind)
                if guard:
                    return guard
    return None


def inline_guard(facts: ModuleFacts, node: cst.FunctionDef | cst.ClassDef) -> list[Guard]:
    """The handler's own refusal of anonymous callers (``if not current_user.is_authenticated: abort(401)``)."""
    code = facts.pm.code(node.body)
    if not refuses_anonymous(code):
        return []
    return [Guard("inline", "inline check in handler", origin(facts, node.name), checks_role_inline(code))]


def decorators_auth(resolver: Resolver, facts: ModuleFacts, exprs: list[cst.BaseExpression],
                    kind: str = "decorator") -> list[Guard]:
    """The guard of each decorator (or wrapper) expression that is an auth decorator."""
    return [g for expr in exprs if (g := decorator_auth(resolver, facts, expr, kind))]


def dependency_target(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` of ``Depends(x)``/``Security(x)``; None for anything else."""
    if isinstance(expr, cst.Call) and last_name(dotted(expr.func)) in DEPENDENCY_CALLS:
        return positional(expr, 0) or next((a.value for a in expr.args if a.keyword and
                                            a.keyword.value == "dependency"), None)
    return None


def parameter_dependencies(param: cst.Param) -> list[cst.BaseExpression]:
    """Depends/Security calls of a parameter: its default and ``Annotated[..., Depends(x)]`` metadata."""
    found = []
    if param.default is not None and dependency_target(param.default) is not None:
        found.append(param.default)
    if param.annotation is not None:
        found.extend(annotated_dependencies(param.annotation.annotation))
    return found


def annotated_dependencies(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Subscript) and last_name(dotted(node.value)) == "Annotated":
        return [e.slice.value for e in node.slice[1:]
                if isinstance(e.slice, cst.Index) and dependency_target(e.slice.value) is not None]
    return []


class DependencyJudge:
    """Decides whether a FastAPI dependency resolves the caller's identity, following chains."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self._cache: dict[int, str | None] = {}

    def guard(self, facts: ModuleFacts, call: cst.BaseExpression) -> Guard | None:
        """The guard a ``Depends(x)``/``Security(x)`` call is, when ``x`` resolves the caller's identity."""
        label = self.of_call(facts, call)
        if label is None:
            return None
        scopes = keyword(call, "scopes") if isinstance(call, cst.Call) else None
        target = dependency_target(call)
        found = self.resolver.find(facts, target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        code = found.facts.pm.code(found.node) if found is not None and found.kind in ("function", "class") else ""
        return Guard("dependency", label, origin(facts, call), scopes is not None or is_role_guard(label, code))

    def of_call(self, facts: ModuleFacts, call: cst.BaseExpression, depth: int = 0) -> str | None:
        target = dependency_target(call)
        if target is None:
            return None
        return self.of_target(facts, target, depth)

    def of_target(self, facts: ModuleFacts, target: cst.BaseExpression, depth: int = 0) -> str | None:
        label = dotted(target) or facts.pm.code(target)
        if isinstance(target, cst.Call):  # Depends(RoleChecker(["admin"])), Depends(HTTPBearer())
            inner = self.of_target(facts, target.func, depth + 1)
            return f"Depends({label})" if inner else None
        names = self.resolver.qualified(facts, target)
        if any(last_name(n) in SECURITY_SCHEMES for n in names):
            return f"Depends({label})"
        found = self.resolver.find(facts, target)
        if found is None:
            return f"Depends({label})" if any(AUTH_DEPENDENCY_NAME.search(last_name(n)) for n in names) else None
        key = id(found.node)
        if key not in self._cache:
            self._cache[key] = None  # cycle guard
            self._cache[key] = self._judge(found, depth) if depth < MAX_DEPTH else None
        return f"Depends({label})" if self._cache[key] else None

    def _judge(self, found: Found, depth: int) -> bool:
        node = found.node
        if found.kind == "value":
            if isinstance(node, cst.Call):
                constructor = last_name(dotted(node.func))
                if constructor in SECURITY_SCHEMES or AUTH_DEPENDENCY_NAME.search(found.name) or \
                        AUTH_DEPENDENCY_NAME.search(constructor):
                    return True
                cls = self.resolver.find(found.facts, node.func)  # a project subclass of a security scheme
                return cls is not None and cls.kind == "class" and depth < MAX_DEPTH and self._judge(cls, depth + 1)
            return any(self.of_call(found.facts, d, depth + 1) for d in annotated_dependencies(node))
        if found.kind == "class":
            if any(last_name(dotted(base.value)) in SECURITY_SCHEMES for base in node.bases):
                return True
            call = found.facts.functions.get(f"{found.name}.__call__")
            return guards_identity(found.facts.pm.code(node)) or (
                call is not None and self._function(found.facts, call, depth))
        if found.kind == "function":  # any definition: one may be chosen by configuration at startup
            definitions = [node, *found.facts.redefinitions.get(found.name, [])]
            return any(self._function(found.facts, d, depth) for d in definitions)
        return False

    def _function(self, facts: ModuleFacts, function: cst.FunctionDef, depth: int) -> bool:
        for param in function.params.params + function.params.kwonly_params:
            for dep in parameter_dependencies(param):
                if self.of_call(facts, dep, depth + 1):
                    return True
            if param.annotation is not None:
                alias = self.resolver.find(facts, param.annotation.annotation) if isinstance(
                    param.annotation.annotation, (cst.Name, cst.Attribute)) else None
                if alias is not None and alias.kind == "value" and self._judge(alias, depth + 1):
                    return True
        return guards_identity(facts.pm.code(function.body))


def handler_dependencies(judge: DependencyJudge, facts: ModuleFacts, function: cst.FunctionDef) -> list[Guard]:
    """Guards among a FastAPI handler's own parameters: ``user = Depends(get_current_user)``,
    ``Annotated[User, Depends(...)]`` and aliases of it (``CurrentUser = Annotated[User, Depends(...)]``)."""
    guards = []
    for param in function.params.params + function.params.kwonly_params:
        for dep in parameter_dependencies(param):
            guard = judge.guard(facts, dep)
            if guard:
                guards.append(guard)
        annotation = param.annotation.annotation if param.annotation is not None else None
        if isinstance(annotation, (cst.Name, cst.Attribute)):
            alias = judge.resolver.find(facts, annotation)
            if alias is not None and alias.kind == "value":
                for dep in annotated_dependencies(alias.node):
                    guard = judge.guard(alias.facts, dep)
                    if guard:
                        guards.append(guard)
    return guards


#: Names of collections an auth hook may consult for paths to let through (constants, ``public_paths``...).
_LIST_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$|(?i:paths|public|exempt|allow|skip|white|excluded|unprotected)")


def exemptions_of(resolver: Resolver, facts: ModuleFacts, guard: cst.CSTNode) -> tuple[Exemption, ...]:
    """Paths an auth hook or middleware lets through: path literals it compares the request path with,
    inline (``if request.url.path in ("/login", "/health")``), as class attributes (``exempt = [...]``) or
    in a module-level collection it names, in this module or another (``PUBLIC_PATHS``, ``re.compile``)."""
    code = facts.pm.code(guard)
    found: list[Exemption] = []
    for node in walk(guard):
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            found += _entries(facts, node, code, "")
        elif isinstance(node, cst.Name) and _LIST_NAME.search(node.value):
            value = resolver.find(facts, node)
            if value is not None and value.kind == "value":
                found += _entries(value.facts, value.node, code, node.value)
    return tuple(dict.fromkeys(found))


def _entries(facts: ModuleFacts, node: cst.BaseExpression, code: str, name: str) -> list[Exemption]:
    if isinstance(node, cst.Call) and dotted(node.func) in ("re.compile", "compile", "frozenset", "set", "tuple"):
        inner = positional(node, 0)
        if inner is None:
            return []
        if dotted(node.func).endswith("compile"):
            pattern = literal_strings(inner)
            return [Exemption(pattern[0], "regex", origin(facts, inner))] if pattern else []
        return _entries(facts, inner, code, name)
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return []
    items = [(e.value, literal_strings(e.value)) for e in node.elements]
    paths = [(n, v[0]) for n, v in items if v and len(v) == 1 and v[0].startswith(("/", "^/"))]
    if not paths or len(paths) != len(items):
        return []
    prefix = "startswith" in code and (not name or re.search(rf"startswith\(\s*(?:tuple\()?\s*{name}\b", code))
    result = []
    for item, pattern in paths:
        match = "regex" if pattern.startswith("^") else "glob" if "*" in pattern else "prefix" if prefix else "exact"
        result.append(Exemption(pattern, match, origin(facts, item)))
    return result
