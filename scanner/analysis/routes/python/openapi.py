"""Spec-first apps (connexion and the like): operations declared in an OpenAPI/Swagger file.

Each operation's ``operationId`` (prefixed by ``x-openapi-router-controller`` when present) names
its Python handler. An operation is protected by its own ``security`` list, else the spec's global
one; ``security: []`` on an operation makes it public explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from scanner.analysis.routes.model import Guard, OptOut, Route
from scanner.analysis.routes.python.guards import inline_guard
from scanner.context import Context, Span
from scanner.lang.python.resolve import Resolver

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class SpecOperation:
    spec: str
    path: str
    method: str
    handler: str
    #: Names of the security schemes that apply; empty when none does.
    security: tuple[str, ...]
    explicit_public: bool
    span: Span


def spec_operations(ctx: Context) -> list[SpecOperation]:
    """Operations of an OpenAPI/Swagger artifact; [] (with a skip notice if it is broken) otherwise."""
    text = ctx.artifact.text
    if "paths" not in text or ("openapi" not in text and "swagger" not in text):
        return []
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        ctx.skip("invalid-openapi", f"not valid YAML/JSON: {str(exc).splitlines()[0]}")
        return []
    except RecursionError:  # PyYAML's composer recurses once per level of nesting
        ctx.skip("too-deeply-nested", "spec nested too deeply to read; its routes are not examined")
        return []
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        return []
    if "openapi" not in spec and "swagger" not in spec:
        return []
    global_security = _schemes(spec.get("security"))
    operations = []
    for path, item in spec["paths"].items():
        if not isinstance(item, dict):
            continue
        controller = item.get("x-openapi-router-controller")
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or not isinstance(operation.get("operationId"), str):
                continue
            handler = operation["operationId"]
            owner = operation.get("x-openapi-router-controller", controller)
            if isinstance(owner, str):
                handler = f"{owner}.{handler}"
            own = operation.get("security")
            security = _schemes(own) if own is not None else global_security
            operations.append(SpecOperation(ctx.artifact.path, str(path), method.upper(), handler, security,
                                            own == [], _span(ctx, operation["operationId"])))
    return operations


def _schemes(requirements: object) -> tuple[str, ...]:
    if not isinstance(requirements, list):
        return ()
    return tuple(str(name) for item in requirements if isinstance(item, dict) for name in item)


def _span(ctx: Context, operation_id: str) -> Span:
    index = ctx.artifact.text.find(operation_id)
    return ctx.span(index, index + len(operation_id)) if index >= 0 else Span(1, 1, 1, 1)


def spec_routes(resolver: Resolver, operations: list[SpecOperation]) -> Iterator[Route]:
    """Routes of spec operations whose Python handler is in the project, reported at the handler (a spec
    without its handlers documents an API served by something else, e.g. another language)."""
    for op in operations:
        found = resolver.find_absolute(op.handler)
        where = f"{op.spec}:{op.span.line}"
        guards = [Guard("permission", f"OpenAPI security {', '.join(op.security)}", where)] if op.security else []
        public = [OptOut("OpenAPI security: []", where)] if op.explicit_public else []
        if found is not None and found.kind == "function":
            facts, function = found.facts, found.node
            guards += inline_guard(facts, function)
            yield Route("python", "connexion", op.path, (op.method,), found.name, facts.path,
                        facts.pm.span(function.name), facts.pm.code(function), guards, public, node=function,
                        module=facts.pm)
