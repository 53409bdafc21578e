"""Django and DRF routes: ``urlpatterns`` (with ``include``) and DRF routers, mapped to views.

Protection comes from view decorators (``login_required``...), mixins (``LoginRequiredMixin``...),
DRF ``permission_classes`` on the view or its project base classes, else ``DEFAULT_PERMISSION_CLASSES``
in settings (DRF's own default is ``AllowAny``), and Django 5.1's ``LoginRequiredMiddleware`` unless
the view opts out with ``login_not_required``. Views outside the project (``admin.site.urls``,
``django.contrib.auth.views``) are not routes of the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from scanner.analysis.routes.authorization import is_role_guard
from scanner.analysis.routes.model import Guard, OptOut, Route
from scanner.analysis.routes.python.facts import (
    ModuleFacts,
    Registration,
    UrlEntry,
    class_attribute,
    dotted,
    elements,
    keyword,
    positional,
    string_value,
)
from scanner.analysis.routes.python.guards import callee, decorator_auth, decorators_auth, inline_guard, origin
from scanner.analysis.routes.python.identity import last_name
from scanner.context import Span
from scanner.lang.python.resolve import Found, Resolver
from scanner.paths import is_development_file

DJANGO_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
AUTH_MIXINS = frozenset({"LoginRequiredMixin", "PermissionRequiredMixin", "UserPassesTestMixin", "AccessMixin",
                         "StaffuserRequiredMixin", "SuperuserRequiredMixin", "GroupRequiredMixin"})
PUBLIC_PERMISSIONS = frozenset({"AllowAny"})
OPT_OUT = "login_not_required"
ACTION_METHODS = {"list": "GET", "retrieve": "GET", "create": "POST", "update": "PUT", "partial_update": "PATCH",
                  "destroy": "DELETE"}
VERB_WORDS = {"List": "GET", "Retrieve": "GET", "Create": "POST", "Update": "PUT", "Destroy": "DELETE"}
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: A function view that handles more than GET: it reads a body or branches on the method.
READS_BODY = re.compile(r"request\.(?:POST|FILES|body|data|method)\b")


@dataclass
class Settings:
    """What the project's (non-development) Django settings say about authentication."""

    #: ``file:line`` of ``LoginRequiredMiddleware`` in MIDDLEWARE, when it is there.
    login_middleware: str | None = None
    #: Last names of DEFAULT_PERMISSION_CLASSES; None when not configured (DRF then allows any).
    drf_default: list[str] | None = None
    drf_origin: str = ""


@dataclass
class Protection:
    guards: list[Guard] = field(default_factory=list)
    public: list[OptOut] = field(default_factory=list)
    drf: bool = False
    #: ``file:line`` of a ``login_not_required`` opt-out.
    opted_out: str | None = None


def read_settings(resolver: Resolver) -> Settings:
    settings = Settings()
    for facts in resolver.all_facts():
        if is_development_file(facts.path):
            continue
        middleware = facts.assignments.get("MIDDLEWARE")
        for entry in elements(middleware):
            if (string_value(entry) or "").endswith("LoginRequiredMiddleware"):
                settings.login_middleware = origin(facts, entry)
        framework = facts.assignments.get("REST_FRAMEWORK")
        if isinstance(framework, cst.Dict):
            for element in framework.elements:
                if isinstance(element, cst.DictElement) and string_value(element.key) == "DEFAULT_PERMISSION_CLASSES":
                    names = [last_name(string_value(e) or dotted(e)) for e in elements(element.value)]
                    settings.drf_default = [n for n in names if n]
                    settings.drf_origin = origin(facts, element)
    return settings


def django_routes(resolver: Resolver) -> Iterator[Route]:
    builder = _DjangoRoutes(resolver, read_settings(resolver))
    yield from builder.routes()


class _DjangoRoutes:
    def __init__(self, resolver: Resolver, settings: Settings):
        self.resolver = resolver
        self.settings = settings
        self.done: set[int] = set()

    def routes(self) -> Iterator[Route]:
        url_modules = [f for f in self.resolver.all_facts() if f.urlpatterns]
        included = {id(m) for f in url_modules for e in _flatten(f.urlpatterns) if e.include
                    for m in self.resolver.module(e.include)}
        for facts in url_modules:
            if id(facts) not in included:
                yield from self._walk(facts, "/", (), 0)
        for facts in self.resolver.all_facts():  # routers whose urls were mounted in a way we did not follow
            for registration in facts.registrations:
                if id(registration) not in self.done:
                    yield from self._viewset(facts, registration, "/")

    def _walk(self, facts: ModuleFacts, prefix: str, wrappers: tuple, depth: int,
              entries: list[UrlEntry] | None = None) -> Iterator[Route]:
        if depth > 8:
            return
        for entry in facts.urlpatterns if entries is None else entries:
            path = _join(prefix, entry.pattern)
            outer = wrappers + tuple((facts, w) for w in entry.wrappers)
            if entry.children:
                yield from self._walk(facts, path, outer, depth + 1, entry.children)
            elif entry.include is not None:
                if entry.include.endswith(".urls") and not self.resolver.module(entry.include):
                    router = entry.include[: -len(".urls")]
                    for registration in facts.registrations:
                        if registration.router == router:
                            yield from self._viewset(facts, registration, path)
                for module in self.resolver.module(entry.include):
                    yield from self._walk(module, path, outer, depth + 1)
                continue
            yield from self._view(facts, entry.view, path, outer)

    def _view(self, facts: ModuleFacts, view: cst.BaseExpression, path: str, wrappers: tuple) -> Iterator[Route]:
        wrapped = [e for f, w in wrappers if (e := self._wrapper(f, w))]
        if isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute) and view.func.attr.value == "as_view":
            found = self.resolver.find(facts, view.func.value)
            if found is not None and found.kind == "class":
                actions = keyword(view, "actions") or positional(view, 0)
                methods = _action_methods(actions) if isinstance(actions, cst.Dict) else None
                yield from self._class_routes(found, path, wrapped, methods)
            return
        found = self.resolver.find(facts, view) if isinstance(view, (cst.Name, cst.Attribute)) else None
        if found is not None and found.kind == "function":
            yield self._function_route(found, path, wrapped)

    def _wrapper(self, facts: ModuleFacts, node: cst.BaseExpression) -> Guard | None:
        return decorator_auth(self.resolver, facts, node, "wrapper") if last_name(dotted(node)) != OPT_OUT else None

    def _viewset(self, facts: ModuleFacts, registration: Registration, prefix: str) -> Iterator[Route]:
        self.done.add(id(registration))
        found = self.resolver.find(facts, registration.viewset)
        if found is not None and found.kind == "class":
            yield from self._class_routes(found, _join(prefix, registration.prefix), [], None)

    def _function_route(self, found: Found, path: str, wrapped: list[Guard]) -> Route:
        function, facts = found.node, found.facts
        protection = Protection(guards=list(wrapped))
        methods: tuple[str, ...] = ()
        for decorator in function.decorators:
            expr, name = decorator.decorator, last_name(dotted(callee(decorator.decorator)))
            if name == OPT_OUT:
                protection.opted_out = origin(facts, decorator)
            elif name == "api_view":
                protection.drf = True
                methods = _strings(positional(expr, 0)) if isinstance(expr, cst.Call) else ("GET",)
            elif name == "permission_classes" and isinstance(expr, cst.Call):
                self._permissions(facts, positional(expr, 0), protection, "@permission_classes")
            elif name == "require_http_methods" and isinstance(expr, cst.Call):
                methods = _strings(positional(expr, 0))
            elif name in ("require_POST", "require_GET", "require_safe"):
                methods = ("POST",) if name == "require_POST" else ("GET",)
            elif guard := decorator_auth(self.resolver, facts, expr):
                protection.guards.append(guard)
        protection.guards += inline_guard(facts, function)
        methods = methods or (("GET", "POST") if READS_BODY.search(facts.pm.code(function)) else ("GET",))
        return self._finish(Route("python", "drf" if protection.drf else "django", path, methods,
                                  found.name, facts.path, _declaration(facts, function), facts.pm.code(function),
                                  path_params=_params(path), node=function, module=facts.pm), protection)

    def _class_routes(self, found: Found, path: str, wrapped: list[Guard],
                      methods: tuple[str, ...] | None) -> Iterator[Route]:
        """One route per HTTP method the view defines itself (each with its own decorators), else one for
        the class (methods inherited from generic views and viewsets)."""
        protection = Protection(guards=list(wrapped))
        verbs: list[str] = []
        self._class_protection(found, protection, verbs, 0)
        facts, cls = found.facts, found.node
        framework = "drf" if protection.drf else "django"
        own = [(verb, facts.functions[f"{found.name}.{name}"]) for name, verb in _VIEW_METHODS
               if f"{found.name}.{name}" in facts.functions and (methods is None or verb in methods)]
        if not own:
            methods = methods or tuple(dict.fromkeys(verbs)) or ("GET",)
            protection.guards += inline_guard(facts, cls)
            yield self._finish(Route("python", framework, path, methods, found.name, facts.path,
                                     _declaration(facts, cls), facts.pm.code(cls), path_params=_params(path),
                                     node=cls, module=facts.pm), self._drf_default(protection))
            return
        routes = []
        for verb, function in own:
            method = Protection(list(protection.guards), list(protection.public), protection.drf, protection.opted_out)
            method.guards += decorators_auth(self.resolver, facts, [d.decorator for d in function.decorators])
            method.guards += inline_guard(facts, function)
            routes.append(self._finish(Route("python", framework, path, (verb,), f"{found.name}.{function.name.value}",
                                             facts.path, _declaration(facts, function), facts.pm.code(function),
                                             path_params=_params(path), node=function, module=facts.pm),
                                       self._drf_default(method)))
        if not any(route.authenticated for route in routes):  # the class decides nothing: the fix goes there
            for route in routes:
                route.guard_site = _declaration(facts, cls)
        yield from routes

    def _drf_default(self, protection: Protection) -> Protection:
        """A DRF view that decides nothing itself gets ``DEFAULT_PERMISSION_CLASSES`` (DRF's own: AllowAny,
        which is not an opt-out: nothing protects the view)."""
        default = self.settings.drf_default
        if not protection.drf or protection.guards or protection.public or default is None:
            return protection
        if all(n in PUBLIC_PERMISSIONS for n in default):
            protection.public.append(OptOut("DEFAULT_PERMISSION_CLASSES AllowAny", self.settings.drf_origin))
        else:
            names = ", ".join(default)
            protection.guards.append(Guard("permission", f"DEFAULT_PERMISSION_CLASSES {names}",
                                           self.settings.drf_origin, is_role_guard(names)))
        return protection

    def _class_protection(self, found: Found, protection: Protection, verbs: list[str], depth: int) -> None:
        facts, cls = found.facts, found.node
        for method, verb in (*((m, m.upper()) for m in ("get", "post", "put", "patch", "delete")),
                             *ACTION_METHODS.items()):
            if f"{found.name}.{method}" in facts.functions:
                verbs.append(verb)
        for decorator in cls.decorators:
            if last_name(dotted(callee(decorator.decorator))) == "method_decorator" and OPT_OUT in facts.pm.code(
                    decorator):
                protection.opted_out = origin(facts, decorator)
            elif guard := decorator_auth(self.resolver, facts, decorator.decorator):
                protection.guards.append(guard)
        dispatch = facts.functions.get(f"{found.name}.dispatch")
        if dispatch is not None:
            protection.guards += decorators_auth(self.resolver, facts, [d.decorator for d in dispatch.decorators])
            protection.guards += inline_guard(facts, dispatch)
        if not protection.guards and not protection.public:
            permissions = class_attribute(cls, "permission_classes")
            if permissions is not None:
                protection.drf = True
                self._permissions(facts, permissions, protection, "permission_classes")
            elif f"{found.name}.get_permissions" in facts.functions:
                get_permissions = facts.functions[f"{found.name}.get_permissions"]
                protection.guards.append(Guard("permission", "get_permissions()", origin(facts, get_permissions.name),
                                               is_role_guard("", facts.pm.code(get_permissions))))
        for base in cls.bases:
            self._base(facts, base.value, protection, verbs, depth)

    def _base(self, facts: ModuleFacts, base: cst.BaseExpression, protection: Protection, verbs: list[str],
              depth: int) -> None:
        name = last_name(dotted(base))
        if name in AUTH_MIXINS:
            protection.guards.append(Guard("permission", name, origin(facts, base), is_role_guard(name)))
            return
        if name.endswith(("APIView", "ViewSet")) or name in ("ViewSetMixin", "GenericAPIView"):
            protection.drf = True
            if name in ("ModelViewSet",):
                verbs.extend(ALL_METHODS)
            elif name == "ReadOnlyModelViewSet":
                verbs.append("GET")
            verbs.extend(v for word, v in VERB_WORDS.items() if word in name)
            if name.endswith("ModelMixin"):
                verbs.extend(v for word, v in VERB_WORDS.items() if name.startswith(word))
        elif name.endswith("ModelMixin"):
            verbs.extend(v for word, v in VERB_WORDS.items() if name.startswith(word))
        found = self.resolver.find(facts, base) if depth < 6 else None
        if found is not None and found.kind == "class":
            self._class_protection(found, protection, verbs, depth + 1)

    def _permissions(self, facts: ModuleFacts, node: cst.BaseExpression | None, protection: Protection,
                     where: str) -> None:
        names = [last_name(dotted(e)) or facts.pm.code(e) for e in elements(node)]
        where_at = origin(facts, node) if node is not None else facts.path
        if isinstance(node, (cst.List, cst.Tuple)) and not names:
            protection.public.append(OptOut(f"{where} empty", where_at))
        elif names and all(n in PUBLIC_PERMISSIONS for n in names):
            protection.public.append(OptOut(f"{where} AllowAny", where_at))
        elif names:
            protection.guards.append(Guard("permission", f"{where} {', '.join(names)}", where_at,
                                           any(is_role_guard(n) for n in names)))

    def _finish(self, route: Route, protection: Protection) -> Route:
        route.guards = protection.guards
        route.public = protection.public
        if protection.opted_out:
            route.public.append(OptOut("login_not_required", protection.opted_out))
        elif self.settings.login_middleware:
            route.guards.append(Guard("middleware", "LoginRequiredMiddleware", self.settings.login_middleware))
        return route


_VIEW_METHODS = (*((m, m.upper()) for m in ("get", "post", "put", "patch", "delete")), *ACTION_METHODS.items())


def _declaration(facts: ModuleFacts, node: cst.FunctionDef | cst.ClassDef) -> Span:
    """The span of a view's first decorator, else of its name: where a reader sees the view begin."""
    return facts.pm.span(node.decorators[0] if node.decorators else node.name)


def _flatten(entries: list[UrlEntry]) -> Iterator[UrlEntry]:
    for entry in entries:
        yield entry
        yield from _flatten(entry.children)


def _strings(node: cst.BaseExpression | None) -> tuple[str, ...]:
    return tuple(v.upper() for v in map(string_value, elements(node)) if v)


def _action_methods(actions: cst.Dict) -> tuple[str, ...]:
    return tuple(m.upper() for e in actions.elements if isinstance(e, cst.DictElement)
                 and (m := string_value(e.key)))


def _params(path: str) -> tuple[str, ...]:
    return tuple(a or b for a, b in DJANGO_PARAM.findall(path))


def _join(prefix: str, pattern: str) -> str:
    pattern = pattern.lstrip("^").rstrip("$")
    return re.sub(r"/{2,}", "/", f"{prefix.rstrip('/')}/{pattern}")
