"""What one Python module says about HTTP routing: app objects, route decorators, URL patterns, guards.

:func:`module_facts` walks one libcst tree and records raw facts; :mod:`scanner.analysis.routes.python.index`
resolves them across modules into routes. Nothing here decides whether a route is protected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst

from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import child_nodes, dotted

__all__ = ["dotted"]  # re-exported for the modules that read facts

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
ROUTE_DECORATORS = frozenset({"route", "api_route", "websocket", *HTTP_VERBS})
#: Constructors of objects that routes hang off, by last dotted name -> (framework, role).
APP_CONSTRUCTORS = {
    "Flask": ("flask", "app"), "Quart": ("flask", "app"), "Blueprint": ("flask", "blueprint"),
    "APIBlueprint": ("flask", "blueprint"), "FastAPI": ("fastapi", "app"), "APIRouter": ("fastapi", "router"),
    "Starlette": ("starlette", "app"), "Router": ("starlette", "router"),
}
WEB_IMPORTS = re.compile(r"^(flask|quart|fastapi|starlette|django|rest_framework|connexion|apiflask)\b")


def string_value(node: cst.CSTNode | None) -> str | None:
    """The value of a plain string literal (or an implicit concatenation of them)."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    args = [a for a in call.args if a.keyword is None and not a.star]
    return args[index].value if index < len(args) else None


def elements(node: cst.CSTNode | None) -> list[cst.BaseExpression]:
    """Items of a list/tuple/set literal."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements]
    return []


def class_attribute(cls: cst.ClassDef, attribute: str) -> cst.BaseExpression | None:
    """The value assigned to ``attribute`` in a class body (``permission_classes = [...]``)."""
    for statement in cls.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(dotted(t.target) == attribute for t in small.targets):
                    return small.value
                if isinstance(small, cst.AnnAssign) and dotted(small.target) == attribute:
                    return small.value
    return None


def module_name(path: str) -> str:
    """Dotted module name of a repository path: ``src/app/views.py`` -> ``src.app.views``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass
class AppObject:
    """A Flask/Quart app or blueprint, a FastAPI app or router, a Starlette app."""

    name: str
    framework: str
    role: str
    prefix: str = ""
    dependencies: list[cst.BaseExpression] = field(default_factory=list)


@dataclass
class DecoratedRoute:
    """``@receiver.verb(path, ...)`` on a function (or ``receiver.add_url_rule``)."""

    receiver: str
    receiver_node: cst.BaseExpression
    path: str | None
    methods: tuple[str, ...]
    function: cst.FunctionDef | None
    anchor: cst.CSTNode
    dependencies: list[cst.BaseExpression] = field(default_factory=list)
    view: cst.BaseExpression | None = None  # add_url_rule's view_func


@dataclass
class Inclusion:
    """``parent.include_router(child, prefix=..., dependencies=...)`` or ``parent.register_blueprint(child)``."""

    parent: str
    child: cst.BaseExpression
    prefix: str
    dependencies: list[cst.BaseExpression]


@dataclass
class Guard:
    """A hook that runs before every route of an object: Flask ``before_request`` (``app_wide`` for a
    blueprint's ``before_app_request``), an ASGI ``@app.middleware("http")`` function or an
    ``app.add_middleware(SomeMiddleware)`` class."""

    receiver: str
    function: cst.BaseExpression | cst.FunctionDef
    app_wide: bool


@dataclass
class UrlEntry:
    """One Django ``path()``/``re_path()``/``url()`` in ``urlpatterns``."""

    pattern: str
    view: cst.BaseExpression
    include: str | None = None  # dotted module of include("app.urls")
    #: Entries of ``include([path(...), ...])``, mounted under this pattern.
    children: list[UrlEntry] = field(default_factory=list)
    wrappers: tuple[cst.BaseExpression, ...] = ()  # login_required(...) around the view


@dataclass
class Registration:
    """``router.register(prefix, ViewSet)`` (DRF routers)."""

    router: str
    prefix: str
    viewset: cst.BaseExpression
    anchor: cst.CSTNode


@dataclass
class ModuleFacts:
    """Raw routing facts of one module."""

    path: str
    module: str
    pm: PythonModule
    frameworks: set[str] = field(default_factory=set)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    classes: dict[str, cst.ClassDef] = field(default_factory=dict)
    assignments: dict[str, cst.BaseExpression] = field(default_factory=dict)
    apps: dict[str, AppObject] = field(default_factory=dict)
    routes: list[DecoratedRoute] = field(default_factory=list)
    inclusions: list[Inclusion] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    urlpatterns: list[UrlEntry] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    starlette_routes: list[DecoratedRoute] = field(default_factory=list)
    #: Later definitions of an already defined function (``if settings.auth: def authenticated(): ...``).
    redefinitions: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    #: Modules re-exported with ``from x import *`` (names as written, relative ones with their dots).
    star_imports: list[str] = field(default_factory=list)


def module_facts(pm: PythonModule) -> ModuleFacts:
    """Collect the routing facts of one parsed module."""
    facts = ModuleFacts(pm.path, module_name(pm.path), pm)
    collector = _Collector(facts)
    stack: list[tuple[cst.CSTNode, tuple[str, ...]]] = [(pm.module, ())]
    while stack:
        node, classes = stack.pop()
        collector.class_stack = classes
        handler = getattr(collector, f"visit_{type(node).__name__}", None)
        if handler is not None:
            handler(node)
        inner = (*classes, node.name.value) if isinstance(node, cst.ClassDef) else classes
        stack.extend((child, inner) for child in reversed(child_nodes(node)))
    return facts


class _Collector:
    """Handlers per node type, called by :func:`module_facts` with the enclosing class names."""

    def __init__(self, facts: ModuleFacts):
        self.facts = facts
        self.class_stack: tuple[str, ...] = ()

    # imports tell which frameworks the module uses
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._framework(dotted(alias.name))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            self._framework(dotted(node.module))
        if isinstance(node.names, cst.ImportStar) and not self.class_stack:
            self.facts.star_imports.append("." * len(node.relative) + dotted(node.module))

    def _framework(self, name: str) -> None:
        match = WEB_IMPORTS.match(name)
        if match:
            self.facts.frameworks.add(match.group(1))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.facts.classes.setdefault(node.name.value, node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = ".".join([*self.class_stack, node.name.value])
        if self.facts.functions.setdefault(name, node) is not node:
            self.facts.redefinitions.setdefault(name, []).append(node)
        for decorator in node.decorators:
            self._decorator(decorator, node)

    def _decorator(self, decorator: cst.Decorator, function: cst.FunctionDef) -> None:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        target = call.func if call else expr
        if not isinstance(target, cst.Attribute):
            return
        receiver, verb = dotted(target.value), target.attr.value
        if not receiver:
            return
        if verb in ("before_request", "before_app_request") and call is None:
            self.facts.guards.append(Guard(receiver, function, verb == "before_app_request"))
        elif verb == "middleware" and call is not None:
            self.facts.guards.append(Guard(receiver, function, False))
        elif verb in ROUTE_DECORATORS and call is not None:
            path = string_value(positional(call, 0)) or string_value(keyword(call, "path"))
            if path is None and string_value(keyword(call, "rule")) is None:
                return
            path = path if path is not None else string_value(keyword(call, "rule"))
            self.facts.routes.append(DecoratedRoute(
                receiver, target.value, path, _methods(call, verb), function, decorator,
                self._dependencies(call)))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            name = dotted(target.target)
            if name:
                self._assigned(name, node.value, augmented=False)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = dotted(node.target)
        if name and node.value is not None:
            self._assigned(name, node.value, augmented=False)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        name = dotted(node.target)
        if name:
            self._assigned(name, node.value, augmented=True)

    def _assigned(self, name: str, value: cst.BaseExpression, augmented: bool) -> None:
        if not self.class_stack and not augmented:
            self.facts.assignments.setdefault(name, value)
        if name == "urlpatterns" and not self.class_stack:
            self.facts.urlpatterns.extend(_url_entries(value))
        if isinstance(value, cst.Call):
            constructor = dotted(value.func).rsplit(".", 1)[-1]
            if constructor in APP_CONSTRUCTORS and not self.class_stack:
                framework, role = APP_CONSTRUCTORS[constructor]
                prefix = self._prefix(value)
                deps = self._dependencies(value)
                self.facts.apps[name] = AppObject(name, framework, role, prefix, deps)
                if framework == "starlette":
                    self._starlette_routes(name, keyword(value, "routes"))

    def _prefix(self, call: cst.Call) -> str:
        """``prefix="/api"`` or ``url_prefix=...``, also through a module-level name (``prefix=PREFIX``)."""
        for name in ("prefix", "url_prefix"):
            value = keyword(call, name)
            if isinstance(value, cst.Name):
                value = self.facts.assignments.get(value.value)
            if (text := string_value(value)) is not None:
                return text
        return ""

    def _dependencies(self, call: cst.Call) -> list[cst.BaseExpression]:
        """``dependencies=[Depends(a), ...]``, also through a module-level name (``dependencies=ADMIN_CHECKS``)."""
        value = keyword(call, "dependencies")
        if isinstance(value, cst.Name):
            value = self.facts.assignments.get(value.value)
        return elements(value)

    def _starlette_routes(self, app: str, routes: cst.BaseExpression | None) -> None:
        for item in elements(routes):
            if isinstance(item, cst.Call) and dotted(item.func).rsplit(".", 1)[-1] in ("Route", "WebSocketRoute"):
                path, endpoint = string_value(positional(item, 0)), positional(item, 1) or keyword(item, "endpoint")
                if path is not None and endpoint is not None:
                    methods = tuple(m.upper() for m in map(string_value, elements(keyword(item, "methods"))) if m)
                    self.facts.starlette_routes.append(DecoratedRoute(
                        app, item.func, path, methods or ("GET",), None, item, view=endpoint))

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        receiver, verb = dotted(node.func.value), node.func.attr.value
        if not receiver:
            return
        first = positional(node, 0)
        if verb in ("include_router", "register_blueprint") and first is not None:
            prefix = self._prefix(node)
            self.facts.inclusions.append(Inclusion(receiver, first, prefix, self._dependencies(node)))
        elif verb in ("before_request", "before_app_request", "add_middleware") and first is not None:
            self.facts.guards.append(Guard(receiver, first, verb == "before_app_request"))
        elif verb == "add_url_rule" and first is not None:
            path = string_value(first)
            view = keyword(node, "view_func") or positional(node, 2)
            if path is not None and view is not None:
                self.facts.routes.append(DecoratedRoute(
                    receiver, node.func.value, path, _methods(node, "route"), None, node, view=view))
        elif verb == "register" and first is not None:
            viewset = positional(node, 1) or keyword(node, "viewset")
            prefix = string_value(first)
            if prefix is not None and viewset is not None:
                self.facts.registrations.append(Registration(receiver, prefix, viewset, node))


def _methods(call: cst.Call, verb: str) -> tuple[str, ...]:
    if verb in HTTP_VERBS:
        return (verb.upper(),)
    if verb == "websocket":
        return ("WEBSOCKET",)
    listed = [string_value(e) for e in elements(keyword(call, "methods"))]
    methods = tuple(m.upper() for m in listed if m)
    return methods or ("GET",)


_URL_FUNCTIONS = frozenset({"path", "re_path", "url"})


def _url_entries(value: cst.BaseExpression) -> list[UrlEntry]:
    entries: list[UrlEntry] = []
    for item in elements(value):
        if not isinstance(item, cst.Call) or dotted(item.func).rsplit(".", 1)[-1] not in _URL_FUNCTIONS:
            continue
        pattern, view = string_value(positional(item, 0)), positional(item, 1)
        if pattern is None or view is None:
            continue
        wrappers: list[cst.BaseExpression] = []
        while isinstance(view, cst.Call) and dotted(view.func).rsplit(".", 1)[-1] not in ("include", "as_view"):
            inner = positional(view, 0)
            if not dotted(view.func) or inner is None:
                break
            wrappers.append(view.func)
            view = inner
        include, children = None, []
        if isinstance(view, cst.Call) and dotted(view.func).rsplit(".", 1)[-1] == "include":
            target = positional(view, 0)
            if isinstance(target, cst.Tuple):
                target = elements(target)[0] if elements(target) else None
            if isinstance(target, cst.List):
                children = _url_entries(target)
            else:
                include = string_value(target) or dotted(target) or "?"
        entries.append(UrlEntry(pattern, view, include, children, tuple(wrappers)))
    return entries
