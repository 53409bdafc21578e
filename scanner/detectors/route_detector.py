"""Base class of detectors that check routes of the project route model."""

from __future__ import annotations

from scanner.analysis.routes.python.model import Route, index_routes, routes_in, wants_artifact
from scanner.context import Context
from scanner.detectors.base import Detector
from scanner.model import Artifact
from scanner.paths import is_test_file

#: How a route of each framework is named on the scorecard ("14 Flask routes in 3 files").
FRAMEWORK_NAMES = {"flask": "Flask", "fastapi": "FastAPI", "starlette": "Starlette", "django": "Django",
                   "drf": "Django REST framework", "connexion": "OpenAPI"}


def route_kind(route: Route) -> str:
    """``Flask route``, ``FastAPI route``...: what a route counts as among the examined items."""
    return f"{FRAMEWORK_NAMES.get(route.framework, route.framework)} route"


class RouteDetector(Detector):
    """Indexes every Python file and OpenAPI spec for the route model; subclasses read it in ``detect``."""

    needs_index = True

    def wants(self, artifact: Artifact) -> bool:
        return wants_artifact(artifact.path, artifact.kind)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        index_routes(ctx)

    def routes(self, artifact: Artifact, ctx: Context) -> list[Route]:
        """Routes declared in this artifact; none in test code (apps built by tests are not entry points)."""
        return [] if is_test_file(artifact.path) else routes_in(ctx.facts, artifact.path)
