"""JS/TS route discovery: matchers, module keys, app roots, and tolerance of broken files."""

from __future__ import annotations

import pytest

from scanner.analysis.routes.javascript.routes import Middleware, app_root
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.testing import MemorySource


@pytest.mark.parametrize(
    ("matchers", "url", "covered"),
    [
        (None, "/api/x", True),
        (["/dashboard/:path*"], "/api/x", False),
        (["/dashboard/:path*"], "/dashboard", True),
        (["/dashboard/:path*"], "/dashboard/a/b", True),
        (["/api/:path+"], "/api", False),
        (["/((?!_next/static|favicon.ico).*)"], "/api/clients", True),
        (["/((?!api|_next/static).*)"], "/api/clients", False),
        (["/(unclosed"], "/anything", True),
    ],
)
def test_middleware_matchers(matchers, url, covered):
    assert Middleware(True, matchers).covers(url) is covered


@pytest.mark.parametrize(
    ("path", "root"),
    [("app/api/x/route.ts", ""), ("src/app/api/x/route.ts", ""), ("apps/web/src/pages/api/a.ts", "apps/web"),
     ("lib/util.ts", None)],
)
def test_app_root(path, root):
    assert app_root(path) == root


def test_broken_typescript_does_not_crash(registry):
    files = {"app/api/x/route.ts": "export async function GET( {{{ \n const = ;\n",
             "app/api/y/route.ts": "export async function GET() { return Response.json(await prisma.a.findMany()) }\n"}
    result = Engine(registry, Config(), DETECTORS).run([MemorySource(files)], root="/x", source_names=["t"])
    paths = {f.location.path for f in result.findings}
    assert "app/api/y/route.ts" in paths


def test_monorepo_middleware_applies_to_its_own_app_only(registry):
    guard = 'import { auth } from "./auth";\nexport default auth;\n'
    handler = "export async function GET() { return Response.json(await prisma.a.findMany()) }\n"
    files = {"apps/admin/middleware.ts": guard, "apps/admin/app/api/a/route.ts": handler,
             "apps/web/app/api/a/route.ts": handler}
    result = Engine(registry, Config(), DETECTORS).run([MemorySource(files)], root="/x", source_names=["t"])
    assert {f.location.path for f in result.findings} == {"apps/web/app/api/a/route.ts"}


def test_public_routes_configuration_applies_to_js_routes(registry):
    handler = "export async function GET() { return Response.json(await prisma.a.findMany()) }\n"
    files = {"app/api/catalog/route.ts": handler, "app/api/orders/route.ts": handler}
    config = Config(public_routes=("/api/catalog*",))
    result = Engine(registry, config, DETECTORS).run([MemorySource(files)], root="/x", source_names=["t"])
    assert {f.location.path for f in result.findings} == {"app/api/orders/route.ts"}
