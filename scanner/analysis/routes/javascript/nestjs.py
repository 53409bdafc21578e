"""NestJS controllers: ``@Controller(prefix)`` classes whose ``@Get``/``@Post``... methods are routes.

Guards: ``@UseGuards(...)`` on the class or the method, and global guards (an ``APP_GUARD`` provider or
``app.useGlobalGuards(...)`` anywhere in the project). A guard class counts when its code establishes the
caller's identity (``canActivate`` reading ``request.user``, verifying a token, extending
``AuthGuard('jwt')``), or, from a package, when its name says so. ``@Public()``-style metadata
(``@Public()``, ``@SkipAuth()``, ``@AllowAnonymous()``, ``@SetMetadata('isPublic', true)``) marks a route
public on purpose. ``app.setGlobalPrefix("api")`` prefixes every path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import JsProject, JsRoute, handler_guards
from scanner.analysis.routes.javascript.identity import Guard
from scanner.lang.javascript.modules import Module
from scanner.lang.javascript.parse import string_value

if TYPE_CHECKING:
    from tree_sitter import Node

_HTTP = {"Get": "GET", "Post": "POST", "Put": "PUT", "Patch": "PATCH", "Delete": "DELETE", "All": "ANY",
         "Head": "HEAD", "Options": "OPTIONS"}
_PUBLIC = re.compile(r"^(?:Public|IsPublic|SkipAuth|AllowAnonymous|NoAuth|Anonymous|PublicRoute|Unprotected)$"
                     r"|^SetMetadata$", re.IGNORECASE)
_PUBLIC_METADATA = re.compile(r"public|skip.?auth|anonymous", re.IGNORECASE)
_GLOBAL = re.compile(r"provide\s*:\s*APP_GUARD\s*,\s*useClass\s*:\s*(\w+)|useClass\s*:\s*(\w+)\s*,\s*provide\s*:\s*"
                     r"APP_GUARD|useGlobalGuards\s*\(([^)]*)\)|setGlobalPrefix\s*\(\s*['\"]([^'\"]*)['\"]")


_CONSUMER = re.compile(r"\.apply\(([^)]*)\)\s*(?:\.exclude\((?:[^()]|\([^()]*\))*\)\s*)?"
                       r"\.forRoutes\(((?:[^()]|\([^()]*\))*)\)")
_FOR_ROUTE = re.compile(r"path\s*:\s*['\"]([^'\"]*)['\"]\s*,\s*method\s*:\s*RequestMethod\.(\w+)"
                        r"|['\"]([^'\"]*)['\"]|(\w+Controller)")


@dataclass(frozen=True)
class ConsumerRule:
    """``consumer.apply(AuthMiddleware).forRoutes(...)``: a middleware guard for some paths or controllers."""

    guard: Guard
    paths: tuple[tuple[str, str], ...]  # (path pattern, method or "ALL")
    controllers: frozenset[str]

    def covers(self, path: str, method: str, controller: str) -> bool:
        if controller in self.controllers:
            return True
        for pattern, verb in self.paths:
            regex = re.sub(r":\w+", "[^/]+", re.escape("/" + pattern.strip("/")).replace("\\*", ".*"))
            if verb in {"ALL", method} and re.fullmatch(regex.replace("\\:", ":"), path.rstrip("/") or "/"):
                return True
        return False


@dataclass
class NestFacts:
    global_guards: list[Guard] = field(default_factory=list)
    prefix: str = ""
    consumers: list[ConsumerRule] = field(default_factory=list)


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    if not any(i.specifier.startswith("@nestjs/") for i in module.imports.values()) or "Controller" not in \
            module.tree.file_text:
        return
    facts = _facts(project)
    tree = module.tree
    for node in tree.walk():
        if node.type not in {"class_declaration", "class"}:
            continue
        class_decorators = _decorators_of_class(node)
        controller = next((d for d in class_decorators if _decorator_name(module, d) == "Controller"), None)
        if controller is None:
            continue
        prefix = _first_string(module, controller)
        class_guards = _use_guards(project, module, class_decorators)
        class_public = any(_is_public(module, d) for d in class_decorators)
        body = node.child_by_field_name("body")
        pending: list[Node] = []
        for member in body.named_children if body is not None else []:
            if member.type == "decorator":
                pending.append(member)
                continue
            if member.type == "method_definition":
                yield from _method_routes(project, module, facts, member, pending, prefix, class_guards, class_public,
                                          _class_name(module, node))
            pending = []


def _method_routes(project: JsProject, module: Module, facts: NestFacts, method: Node, decorators: list[Node],
                   prefix: str, class_guards: tuple[Guard, ...], class_public: bool,
                   controller: str) -> Iterator[JsRoute]:
    for decorator in decorators:
        verb = _HTTP.get(_decorator_name(module, decorator) or "")
        if verb is None:
            continue
        path = "/" + "/".join(p.strip("/") for p in (facts.prefix, prefix, _first_string(module, decorator)) if p)
        local = "/" + "/".join(p.strip("/") for p in (prefix, _first_string(module, decorator)) if p)
        consumed = tuple(rule.guard for rule in facts.consumers if rule.covers(local, verb, controller))
        guards = consumed + tuple(facts.global_guards) + class_guards + _use_guards(project, module, decorators)
        own, _, _ = handler_guards(project, module, method)
        name = method.child_by_field_name("name")
        public = class_public or any(_is_public(module, d) for d in decorators)
        yield JsRoute("express", path, (verb,), module.tree.text(name) if name is not None else "handler", method,
                      module.tree.text(method), guards + own, stack="nestjs", declared_public=public)


def _facts(project: JsProject) -> NestFacts:
    facts = project.frameworks.get("nestjs")
    if facts is not None:
        return facts
    facts = NestFacts()
    for module in list(project.graph.modules.values()):
        text = module.tree.file_text
        for match in _CONSUMER.finditer(text) if "forRoutes" in text else ():
            _read_consumer(project, module, match, facts)
        if "APP_GUARD" not in text and "useGlobalGuards" not in text and "setGlobalPrefix" not in text:
            continue
        for match in _GLOBAL.finditer(text):
            if match.group(4) is not None:
                facts.prefix = match.group(4)
                continue
            names = match.group(1) or match.group(2) or ""
            names += "," + (match.group(3) or "")
            for name in re.findall(r"(?:new\s+)?(\w+)\s*(?:\(|,|$)", names):
                guard = _guard_class(project, module, name, "global guard")
                if guard is not None:
                    facts.global_guards.append(guard)
    project.frameworks["nestjs"] = facts
    return facts


def _read_consumer(project: JsProject, module: Module, match: re.Match, facts: NestFacts) -> None:
    paths: list[tuple[str, str]] = []
    controllers: set[str] = set()
    for route in _FOR_ROUTE.finditer(match.group(2)):
        if route.group(1) is not None:
            paths.append((route.group(1), route.group(2).upper()))
        elif route.group(3) is not None:
            paths.append((route.group(3), "ALL"))
        elif route.group(4):
            controllers.add(route.group(4))
    for name in re.findall(r"\w+", match.group(1)):
        guard = _guard_class(project, module, name, "middleware")
        if guard is not None:
            facts.consumers.append(ConsumerRule(guard, tuple(paths), frozenset(controllers)))


def _use_guards(project: JsProject, module: Module, decorators: list[Node]) -> tuple[Guard, ...]:
    guards: list[Guard] = []
    for decorator in decorators:
        if _decorator_name(module, decorator) not in {"UseGuards", "Auth", "Authenticated", "Roles"}:
            continue
        if _decorator_name(module, decorator) != "UseGuards":  # a composed auth decorator (applyDecorators)
            guards.append(Guard("decorator", module.tree.text(decorator)[:60], module.path,
                                decorator.start_point[0] + 1))
            continue
        call = decorator.named_children[0]
        arguments = call.child_by_field_name("arguments")
        for arg in arguments.named_children if arguments is not None else []:
            if arg.type == "identifier":
                guard = _guard_class(project, module, module.tree.text(arg), "guard")
            else:
                guard = project.resolver.guard_of(module, arg, "guard")
            if guard is not None:
                guards.append(guard)
    return tuple(guards)


def _guard_class(project: JsProject, module: Module, name: str, kind: str) -> Guard | None:
    """A guard class authenticates when its code establishes identity (``canActivate`` returning false is
    its rejection), or, outside the project, when its name says so."""
    found = project.graph.definition(name, module.path)
    if found is not None and found.node.type in {"class_declaration", "class"}:
        identity = project.resolver.of_function(found.module, found.node)
        if identity.evidence is not None:
            return Guard(kind, f"{name} -> {identity.evidence}", found.path, found.line)
        return None
    return Guard(kind, name, module.path, 1) if found is None and re.search(r"auth|jwt|session", name, re.I) else None


def _class_name(module: Module, node: Node) -> str:
    name = node.child_by_field_name("name")
    return module.tree.text(name) if name is not None else ""


def _decorators_of_class(node: Node) -> list[Node]:
    decorators = [c for c in node.children if c.type == "decorator"]
    parent = node.parent
    if parent is not None and parent.type == "export_statement":
        decorators += [c for c in parent.children if c.type == "decorator"]
    return decorators


def _decorator_name(module: Module, decorator: Node) -> str | None:
    inner = decorator.named_children[0] if decorator.named_children else None
    if inner is None:
        return None
    if inner.type == "call_expression":
        inner = inner.child_by_field_name("function")
    return module.tree.text(inner) if inner is not None else None


def _first_string(module: Module, decorator: Node) -> str:
    call = decorator.named_children[0] if decorator.named_children else None
    arguments = call.child_by_field_name("arguments") if call is not None and call.type == "call_expression" else None
    for arg in arguments.named_children if arguments is not None else []:
        value = string_value(module.tree, arg)
        if value is not None:
            return value
        if arg.type == "object":
            for pair in arg.named_children:
                key = pair.child_by_field_name("key") if pair.type == "pair" else None
                if key is not None and module.tree.text(key) == "path":
                    return string_value(module.tree, pair.child_by_field_name("value")) or ""
    return ""


def _is_public(module: Module, decorator: Node) -> bool:
    name = _decorator_name(module, decorator)
    if name is None or not _PUBLIC.search(name):
        return False
    return name != "SetMetadata" or bool(_PUBLIC_METADATA.search(module.tree.text(decorator)))
