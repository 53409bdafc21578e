"""The Python extractor's index: HTTP routes (Flask, FastAPI, Starlette, Django, DRF, connexion) and their guards.

Built in the index pass: every code detector that needs routes calls :func:`index_routes` from its
``index()`` (it is idempotent per artifact), then reads :func:`routes_of` / :func:`route_for_function`
in ``detect()``. The model is resolved lazily on first read, across modules, and re-resolved if more
artifacts were indexed since.

Only real HTTP entry points are routes: functions behind a route decorator of a known app object (or
of a module importing a web framework), views reachable from Django ``urlpatterns`` or a DRF router,
Starlette ``Route`` entries, and OpenAPI operations of spec-first apps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.analysis.routes.model import Route

if TYPE_CHECKING:
    import libcst as cst

    from scanner.analysis.routes.python.facts import ModuleFacts
    from scanner.analysis.routes.python.openapi import SpecOperation
    from scanner.context import Context, ProjectFacts

BUCKET = "python-routes"

#: Cheap text prefilter: only Python files mentioning one of these are parsed in the index pass. A module that
#: only defines a decorator (``def login_required(f)``) is deferred like any other: the route that uses it
#: names it, and resolution parses it then (in a library every ``def decorate(fn)`` was a parse).
INDEX_MARKERS = re.compile(
    r"@[\w.]+\.(?:route|get|post|put|patch|delete|api_route|websocket)\(|urlpatterns|add_url_rule|APIRouter"
    r"|FastAPI\(|Flask\(|Quart\(|Blueprint\(|Starlette\(|before_(?:app_)?request|as_view|APIView|ViewSet"
    r"|LoginRequiredMixin|Depends\(|Security\(|REST_FRAMEWORK|MIDDLEWARE|ROOT_URLCONF|login_required"
    r"|has_permission|OAuth2|HTTPBearer|APIKey"
)
SPEC_NAME = re.compile(r"(?:openapi|swagger|api)[\w.-]*\.(?:ya?ml|json)$", re.IGNORECASE)


@dataclass
class RouteIndex:
    """Per-project store: raw facts of indexed modules and specs, and the resolved routes."""

    modules: dict[str, ModuleFacts] = field(default_factory=dict)
    specs: list[SpecOperation] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    #: Python files the prefilter skipped, by every dotted-name suffix of their module name; parsed
    #: only when resolution looks for them (views named by ``urlpatterns``, connexion handlers).
    unparsed: dict[str, list[Context]] = field(default_factory=dict)
    _routes: list[Route] | None = None

    def routes(self) -> list[Route]:
        if self._routes is None:
            from scanner.analysis.routes.python.builder import build_routes

            self._routes = build_routes(self.modules, self.specs, self.load)
        return self._routes

    def add_module(self, ctx: Context) -> ModuleFacts | None:
        from scanner.analysis.routes.python.facts import module_facts
        from scanner.lang.python.parse import parse_python

        pm = parse_python(ctx)
        if pm is None:
            return None
        facts = self.modules[ctx.artifact.path] = module_facts(pm)
        self._routes = None
        return facts

    def defer(self, ctx: Context) -> None:
        from scanner.analysis.routes.python.facts import module_name

        parts = module_name(ctx.artifact.path).split(".")
        for start in range(len(parts)):
            self.unparsed.setdefault(".".join(parts[start:]), []).append(ctx)

    def load(self, dotted_name: str) -> list[ModuleFacts]:
        """Parse and index the deferred modules named ``dotted_name`` (or ending with it)."""
        loaded = []
        for ctx in self.unparsed.pop(dotted_name, []):
            if ctx.artifact.path not in self.modules:
                facts = self.add_module(ctx)
                if facts is not None:
                    loaded.append(facts)
        return loaded


def _index(facts: ProjectFacts) -> RouteIndex:
    return facts.bucket(BUCKET, RouteIndex)


def wants_artifact(path: str, kind: str) -> bool:
    """Artifacts the route model reads: Python files and OpenAPI/Swagger specs."""
    return kind == "python" or (kind == "text" and bool(SPEC_NAME.search(PurePosixPath(path).name)))


def index_routes(ctx: Context) -> None:
    """Record this artifact's routing facts (call from a detector's ``index``; idempotent per artifact)."""
    index = _index(ctx.facts)
    art = ctx.artifact
    key = f"{art.origin.commit or ''}:{art.path}"
    if key in index.seen:
        return
    index.seen.add(key)
    if art.kind == "python":
        if INDEX_MARKERS.search(art.text):
            index.add_module(ctx)
        else:
            index.defer(ctx)
    elif wants_artifact(art.path, art.kind):
        from scanner.analysis.routes.python.openapi import spec_operations

        operations = spec_operations(ctx)
        if operations:
            index.specs.extend(operations)
            index._routes = None


def routes_of(facts: ProjectFacts) -> list[Route]:
    """Every route of the project."""
    return _index(facts).routes()


def routes_in(facts: ProjectFacts, path: str) -> list[Route]:
    """Routes declared in ``path`` (findings about a route are reported there)."""
    return [r for r in routes_of(facts) if r.file == path]


def route_for_function(facts: ProjectFacts, path: str, function: cst.FunctionDef) -> Route | None:
    """The route served by ``function`` (a node of the cached tree of ``path``, the handler's file)."""
    for route in routes_of(facts):
        if route.node is function and route.module is not None and route.module.path == path:
            return route
    return None

