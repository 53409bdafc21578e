"""Resolve indexed routing facts into :class:`~scanner.analysis.routes.model.Route` objects.

Flask, FastAPI and Starlette routes are built here; Django/DRF in :mod:`.django_routes` and
spec-first (connexion) routes in :mod:`.openapi_routes`. An app object's protection is inherited by
its routes along every ``include_router``/``register_blueprint`` chain up to the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import libcst as cst

from scanner.analysis.routes.authorization import is_role_guard
from scanner.analysis.routes.model import Guard, Route
from scanner.analysis.routes.python.facts import (
    APP_CONSTRUCTORS,
    AppObject,
    DecoratedRoute,
    ModuleFacts,
    class_attribute,
    dotted,
    elements,
    keyword,
    positional,
    string_value,
)
from scanner.analysis.routes.python.guards import (
    DependencyJudge,
    decorators_auth,
    exemptions_of,
    handler_dependencies,
    inline_guard,
    origin,
)
from scanner.analysis.routes.python.identity import guards_identity, last_name
from scanner.analysis.routes.python.purpose import purpose_of
from scanner.lang.python.resolve import Found, Resolver
from scanner.lang.python.walk import walk

FLASK_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
BRACE_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")
WEB_FRAMEWORKS = frozenset({"flask", "quart", "fastapi", "starlette", "apiflask"})
NOT_INPUT = frozenset({"self", "cls", "request", "response", "background_tasks", "websocket"})
NOT_INPUT_TYPES = frozenset({"Request", "Response", "BackgroundTasks", "WebSocket", "Session", "AsyncSession",
                             "HTTPConnection"})
CLASS_VIEW_METHODS = ("get", "post", "put", "patch", "delete")
#: Middleware outside the project that enforces authentication, judged by name. Starlette's
#: ``AuthenticationMiddleware`` only sets ``request.user`` and ``SessionMiddleware`` only loads a session.
AUTH_MIDDLEWARE = re.compile(
    r"(?!Authentication|Session)\w*(?:Auth|JWT|Jwt|Token|Login|APIKey|ApiKey|Clerk)\w*Middleware")

AppKey = tuple[str, str]


def build_routes(modules: Mapping[str, ModuleFacts], specs: list,
                 load: Callable[[str], list[ModuleFacts]] | None = None) -> list[Route]:
    """Every route of the indexed project (``load`` parses deferred modules on demand)."""
    from scanner.analysis.routes.python.django import django_routes
    from scanner.analysis.routes.python.openapi import spec_routes

    resolver = Resolver(modules, load)
    routes = unshadowed(WebRoutes(resolver).routes())
    routes.extend(django_routes(resolver))
    routes.extend(spec_routes(resolver, specs))
    for route in routes:
        route.purpose = route.purpose or purpose_of(route)
    return routes


def unshadowed(routes: Iterator[Route]) -> list[Route]:
    """Drop a route declared again for the same methods and path later in the same file: the framework
    dispatches to the first one, the later handler never runs."""
    kept, seen = [], set()
    for route in sorted(routes, key=lambda r: (r.file, r.span.line)):
        key = (route.file, route.framework, route.path, frozenset(route.methods))
        if key not in seen:
            seen.add(key)
            kept.append(route)
    return kept


def path_params(path: str | None) -> tuple[str, ...]:
    if not path:
        return ()
    return tuple(dict.fromkeys(FLASK_PARAM.findall(path) + BRACE_PARAM.findall(path)))


def input_params(function: cst.FunctionDef, path: tuple[str, ...]) -> tuple[str, ...]:
    """FastAPI-style parameters filled from the request: not path parameters, dependencies or plumbing."""
    from scanner.analysis.routes.python.guards import parameter_dependencies

    names = []
    for param in function.params.params + function.params.kwonly_params:
        name = param.name.value
        annotation = param.annotation.annotation if param.annotation is not None else None
        if name in path or name in NOT_INPUT or parameter_dependencies(param):
            continue
        if annotation is not None and last_name(dotted(annotation)) in NOT_INPUT_TYPES:
            continue
        names.append(name)
    return tuple(names)


def join_paths(*parts: str | None) -> str:
    """Concatenate URL prefixes and a path, collapsing doubled slashes."""
    return re.sub(r"/{2,}", "/", "".join(p for p in parts if p)) or "/"


@dataclass
class Chain:
    """One way an app object is mounted: the full path prefix and what protects everything below it."""

    prefix: str = ""
    guards: list[Guard] = field(default_factory=list)


class WebRoutes:
    """Flask/Quart, FastAPI and Starlette routes."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self.judge = DependencyJudge(resolver)
        self.parents: dict[AppKey, list[tuple[AppKey, str, list[Guard]]]] = {}
        self.guards: dict[AppKey, list[Guard]] = {}
        self.app_wide: dict[AppKey, list[Guard]] = {}
        self._owners: dict[str, dict[int, str]] = {}
        self._adopt_router_subclasses()
        self._collect_mounts()

    def _adopt_router_subclasses(self) -> None:
        """Instances of project subclasses of ``APIRouter``/``Blueprint`` are app objects too, protected by
        the dependencies their ``__init__`` passes on (``super().__init__(dependencies=[Depends(...)])``)."""
        subclasses: dict[int, tuple[tuple[str, str], list[Guard]]] = {}
        for facts in self.resolver.all_facts():
            for cls in facts.classes.values():
                base = next((b for b in (last_name(dotted(b.value)) for b in cls.bases) if b in APP_CONSTRUCTORS), None)
                if base is not None:
                    deps = [d for call in walk(cls) if isinstance(call, cst.Call)
                            for d in elements(keyword(call, "dependencies"))]
                    guards = [g for d in deps if (g := self.judge.guard(facts, d))]
                    subclasses[id(cls)] = (APP_CONSTRUCTORS[base], guards)
        if not subclasses:
            return
        for facts in self.resolver.all_facts():
            for name, value in list(facts.assignments.items()):
                if name in facts.apps or not isinstance(value, cst.Call):
                    continue
                found = self.resolver.find(facts, value.func)
                if found is not None and found.kind == "class" and id(found.node) in subclasses:
                    (framework, role), guards = subclasses[id(found.node)]
                    prefix = string_value(keyword(value, "prefix")) or string_value(keyword(value, "url_prefix"))
                    facts.apps[name] = AppObject(name, framework, role, prefix or "",
                                                 elements(keyword(value, "dependencies")))
                    self.guards.setdefault((facts.path, name), []).extend(guards)

    def _app(self, facts: ModuleFacts, node: cst.CSTNode) -> Found | None:
        found = self.resolver.find(facts, node)
        return found if found is not None and found.kind == "app" else None

    def _collect_mounts(self) -> None:
        for facts in self.resolver.all_facts():
            for inclusion in facts.inclusions:
                parent = self.resolver.find_name(facts, inclusion.parent)
                child = self._app(facts, inclusion.child)
                if parent is None or parent.kind != "app" or child is None:
                    continue
                deps = [g for d in inclusion.dependencies if (g := self.judge.guard(facts, d))]
                self.parents.setdefault(_key(child), []).append((_key(parent), inclusion.prefix, deps))
            for guard in facts.guards:
                owner = self.resolver.find_name(facts, guard.receiver)
                if owner is None or owner.kind != "app":
                    continue
                evidence = self._guard(facts, guard.function)
                if evidence:
                    target = self.app_wide if guard.app_wide else self.guards
                    target.setdefault(_key(owner), []).append(evidence)

    def _guard(self, facts: ModuleFacts, hook: cst.CSTNode) -> Guard | None:
        """The guard a hook is when it checks identity (a function, or a middleware class), with the paths
        it lets through."""
        if isinstance(hook, cst.FunctionDef):
            code = facts.pm.code(hook)
            if not guards_identity(code):
                return None
            return Guard("hook", f"guard {hook.name.value}", origin(facts, hook.name), is_role_guard("", code),
                         exemptions_of(self.resolver, facts, hook))
        found = self.resolver.find(facts, hook) if isinstance(hook, (cst.Name, cst.Attribute)) else None
        if found is None:
            name = last_name(dotted(hook))
            return Guard("middleware", f"middleware {name}", origin(facts, hook), is_role_guard(name)) \
                if AUTH_MIDDLEWARE.fullmatch(name) else None
        code = found.facts.pm.code(found.node) if found.kind in ("function", "class") else ""
        if not guards_identity(code):
            return None
        kind = "hook" if found.kind == "function" else "middleware"
        return Guard(kind, f"{'guard' if kind == 'hook' else 'middleware'} {found.name}", origin(facts, hook),
                     is_role_guard("", code), exemptions_of(self.resolver, found.facts, found.node))

    def chains(self, key: AppKey, app: Found, seen: frozenset[AppKey] = frozenset()) -> list[Chain]:
        own = [g for d in app.node.dependencies if (g := self.judge.guard(app.facts, d))]
        own += self.guards.get(key, [])
        parents = [p for p in self.parents.get(key, []) if p[0] not in seen]
        if not parents:
            wide = [e for child in self._descendants(key) for e in self.app_wide.get(child, [])]
            return [Chain(app.node.prefix, own + wide + self.app_wide.get(key, []))]
        result = []
        for parent_key, prefix, deps in parents:
            parent = self.resolver.find_name(self.resolver.modules[parent_key[0]], parent_key[1])
            if parent is None:
                continue
            for chain in self.chains(parent_key, parent, seen | {key}):
                result.append(Chain(join_paths(chain.prefix, prefix, app.node.prefix), chain.guards + deps + own))
        return result or [Chain(app.node.prefix, own)]

    def _descendants(self, root: AppKey) -> set[AppKey]:
        children = {root}
        changed = True
        while changed:
            changed = False
            for child, parents in self.parents.items():
                if child not in children and any(p[0] in children for p in parents):
                    children.add(child)
                    changed = True
        return children

    def routes(self) -> Iterator[Route]:
        for facts in self.resolver.all_facts():
            for raw in [*facts.routes, *facts.starlette_routes]:
                yield from self._routes_of(facts, raw)

    def _routes_of(self, facts: ModuleFacts, raw: DecoratedRoute) -> Iterator[Route]:
        app = self._app(facts, raw.receiver_node)
        if app is None and not (facts.frameworks & WEB_FRAMEWORKS):
            return
        framework = app.node.framework if app else ("fastapi" if "fastapi" in facts.frameworks else "flask")
        chains = self.chains(_key(app), app) if app else [Chain()]
        extra = [g for d in raw.dependencies if (g := self.judge.guard(facts, d))]
        handler = self._handler(facts, raw)
        if handler is None:
            return
        for chain in chains:
            full = join_paths(chain.prefix, raw.path)
            route = self._route(framework, full, raw.methods, handler, chain.guards + extra)
            route.file, route.span = facts.path, facts.pm.span(raw.anchor)  # where the route is declared
            route.apply_exemptions()
            yield route

    def _handler(self, facts: ModuleFacts, raw: DecoratedRoute) -> Handler | None:
        if raw.function is not None:
            qualified = self._qualified(facts, raw.function)
            return Handler(facts, raw.function, None, qualified, self._class_dependencies(facts, qualified))
        view, wrappers = raw.view, []
        while isinstance(view, cst.Call) and last_name(dotted(view.func)) != "as_view":
            wrappers.append(view.func)
            view = positional(view, 0)
        if isinstance(view, cst.Call):  # SomeView.as_view("name")
            target = view.func.value if isinstance(view.func, cst.Attribute) else None
            found = self.resolver.find(facts, target) if target is not None else None
            if found is None or found.kind != "class":
                return None
            guards = decorators_auth(self.resolver, facts, wrappers, "wrapper")
            return Handler(found.facts, None, found.node, found.name, guards)
        found = self.resolver.find(facts, view) if view is not None else None
        if found is None or found.kind != "function":
            return None
        guards = decorators_auth(self.resolver, facts, wrappers, "wrapper")
        return Handler(found.facts, found.node, None, found.name, guards)

    def _qualified(self, facts: ModuleFacts, function: cst.FunctionDef) -> str:
        """``Class.method`` for a method, else the function's name."""
        owners = self._owners.get(facts.path)
        if owners is None:
            owners = self._owners[facts.path] = {id(f): name for name, f in facts.functions.items()}
        return owners.get(id(function), function.name.value)

    def _class_dependencies(self, facts: ModuleFacts, qualified: str) -> list[Guard]:
        """Guards of a class-based view's routes (fastapi-utils ``@cbv(router)`` and alike): ``Depends``
        class attributes of the method's class and of its project base classes."""
        cls = facts.classes.get(qualified.rsplit(".", 1)[0]) if "." in qualified else None
        return self._attribute_guards(Found(facts, "class", cls.name.value, cls), 0) if cls is not None else []

    def _attribute_guards(self, found: Found, depth: int) -> list[Guard]:
        guards = []
        for statement in found.node.body.body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
                if value is not None and (guard := self.judge.guard(found.facts, value)):
                    guards.append(guard)
        for base in found.node.bases if depth < 6 else ():
            parent = self.resolver.find(found.facts, base.value)
            if parent is not None and parent.kind == "class":
                guards += self._attribute_guards(parent, depth + 1)
        return guards

    def _route(self, framework: str, path: str, methods: tuple[str, ...], handler: Handler,
               inherited: list[Guard]) -> Route:
        facts, guards = handler.facts, [*inherited, *handler.wrapped]
        if handler.function is not None:
            function = handler.function
            guards += decorators_auth(self.resolver, facts, [d.decorator for d in function.decorators])
            guards += handler_dependencies(self.judge, facts, function)
            guards += inline_guard(facts, function)
            params = path_params(path)
            return Route("python", framework, path, methods, handler.name, facts.path, facts.pm.span(function.name),
                         facts.pm.code(function), guards, path_params=params,
                         input_params=input_params(function, params), node=function, module=facts.pm)
        cls = handler.class_def
        guards += decorators_auth(self.resolver, facts, elements(class_attribute(cls, "decorators")))
        verbs = tuple(m.upper() for m in CLASS_VIEW_METHODS if f"{handler.name}.{m}" in facts.functions)
        guards += inline_guard(facts, cls)
        return Route("python", framework, path, verbs or methods, handler.name, facts.path, facts.pm.span(cls.name),
                     facts.pm.code(cls), guards, path_params=path_params(path), node=cls, module=facts.pm)


@dataclass
class Handler:
    """The function or class serving a route, with auth evidence from wrappers around it."""

    facts: ModuleFacts
    function: cst.FunctionDef | None
    class_def: cst.ClassDef | None
    name: str
    wrapped: list[Guard]


def _key(found: Found) -> AppKey:
    return (found.facts.path, found.name)

