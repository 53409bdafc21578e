"""Base class of detectors that check routes of the project route model."""

from __future__ import annotations

from typing import ClassVar

from scanner.analysis.routes.index import index_routes, routes_in, wants_artifact
from scanner.analysis.routes.model import Route
from scanner.context import Context
from scanner.detectors.base import Detector
from scanner.model import Artifact
from scanner.paths import is_non_production

#: How a route of each framework is named on the scorecard ("14 Flask routes in 3 files").
FRAMEWORK_NAMES = {"flask": "Flask", "fastapi": "FastAPI", "starlette": "Starlette", "django": "Django",
                   "drf": "Django REST framework", "connexion": "OpenAPI", "nextjs": "Next.js",
                   "express": "Express", "remix": "Remix", "sveltekit": "SvelteKit"}
#: Entry points that are not called routes on the scorecard.
ENTRY_KINDS = {"server-action": "server action", "nextjs": "Next.js route handler",
               "remix": "Remix loader or action", "sveltekit": "SvelteKit endpoint, load or action"}


def route_kind(route: Route) -> str:
    """``Flask route``, ``Next.js route handler``, ``server action``...: what a route counts as among the
    examined items."""
    return ENTRY_KINDS.get(route.framework) or f"{FRAMEWORK_NAMES.get(route.framework, route.framework)} route"


class RouteDetector(Detector):
    """Indexes the files the route extractors of ``languages`` read; subclasses read routes in ``detect``."""

    needs_index = True
    #: Languages whose routes the detector checks.
    languages: ClassVar[frozenset[str]] = frozenset({"python"})

    def wants(self, artifact: Artifact) -> bool:
        return wants_artifact(artifact.path, artifact.kind, self.languages)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        index_routes(ctx)

    def routes(self, artifact: Artifact, ctx: Context) -> list[Route]:
        """Routes declared in this artifact; none in tests, examples or docs (apps built there are not the
        product's entry points)."""
        return [] if is_non_production(artifact.path) else routes_in(ctx)
