"""Evidence that a route is protected: auth decorators, identity-resolving dependencies, guard hooks.

Each function returns a short description of what protects the route (``"@login_required"``,
``"Depends(get_current_user)"``) or None. Project code is followed across modules through the
:class:`~scanner.lang.python.resolve.Resolver`; code outside the project is judged by its name.
"""

from __future__ import annotations

import libcst as cst

from scanner.analysis.routes.python.facts import ModuleFacts, dotted, positional
from scanner.analysis.routes.python.identity import (
    AUTH_DECORATORS,
    AUTH_DEPENDENCY_NAME,
    SECURITY_SCHEMES,
    guards_identity,
    last_name,
)
from scanner.lang.python.resolve import Found, Resolver

MAX_DEPTH = 6
DEPENDENCY_CALLS = frozenset({"Depends", "Security"})


def callee(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The called expression of a decorator: ``x`` for ``@x`` and ``@x(...)``."""
    return expr.func if isinstance(expr, cst.Call) else expr


def decorator_auth(resolver: Resolver, facts: ModuleFacts, expr: cst.BaseExpression) -> str | None:
    """A decorator (``login_required``, ``auth.login_required``, a project decorator checking identity)."""
    target = callee(expr)
    names = resolver.qualified(facts, target)
    if any(last_name(n) in AUTH_DECORATORS for n in names):
        return f"@{dotted(target) or last_name(names[0])}"
    found = resolver.find(facts, target)
    if found is not None and found.kind == "function" and guards_identity(found.facts.pm.code(found.node)):
        return f"@{found.name} (checks identity)"
    if isinstance(expr, cst.Call) and last_name(dotted(target)) == "method_decorator":
        inner = positional(expr, 0)
        if inner is not None:
            for item in inner.elements if isinstance(inner, (cst.List, cst.Tuple)) else [inner]:
                value = item.value if isinstance(item, cst.Element) else item
                evidence = decorator_auth(resolver, facts, value)
                if evidence:
                    return evidence
    return None


def decorators_auth(resolver: Resolver, facts: ModuleFacts, exprs: list[cst.BaseExpression]) -> list[str]:
    """Auth evidence of each decorator (or wrapper) expression that is an auth decorator."""
    return [e for expr in exprs if (e := decorator_auth(resolver, facts, expr))]


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
                return constructor in SECURITY_SCHEMES or bool(AUTH_DEPENDENCY_NAME.search(found.name)) or bool(
                    AUTH_DEPENDENCY_NAME.search(constructor))
            return any(self.of_call(found.facts, d, depth + 1) for d in annotated_dependencies(node))
        if found.kind == "class":
            call = found.facts.functions.get(f"{found.name}.__call__")
            return guards_identity(found.facts.pm.code(node)) or (
                call is not None and self._function(found.facts, call, depth))
        if found.kind == "function":
            return self._function(found.facts, node, depth)
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


def handler_dependencies(judge: DependencyJudge, facts: ModuleFacts, function: cst.FunctionDef) -> list[str]:
    """Auth evidence from a FastAPI handler's own parameters (``user = Depends(get_current_user)``...)."""
    evidence = []
    for param in function.params.params + function.params.kwonly_params:
        for dep in parameter_dependencies(param):
            found = judge.of_call(facts, dep)
            if found:
                evidence.append(found)
        annotation = param.annotation.annotation if param.annotation is not None else None
        if isinstance(annotation, (cst.Name, cst.Attribute)):
            alias = judge.resolver.find(facts, annotation)
            if alias is not None and alias.kind == "value":
                for dep in annotated_dependencies(alias.node):
                    found = judge.of_call(alias.facts, dep)
                    if found:
                        evidence.append(found)
    return evidence
