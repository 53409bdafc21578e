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


def routes_of(files: dict[str, str]) -> dict[str, list]:
    """Every route of every file, after an index pass over all of them (as the engine runs it)."""
    from scanner.analysis.routes.javascript.routes import JsProject, index_file, routes_in
    from scanner.context import Context, ProjectFacts
    from scanner.lang.javascript.parse import parse_js
    from scanner.model import Artifact

    facts, project = ProjectFacts(Config()), JsProject()
    trees = {}
    for path, text in files.items():
        trees[path] = parse_js(Context(Artifact(path, text, "typescript"), facts))
        index_file(trees[path], path, project)
    return {path: list(routes_in(tree, path, project)) for path, tree in trees.items()}


def test_guard_origin_names_the_helper_and_where_it_is_defined():
    files = {
        "lib/server/helpers.ts": "export async function profileOf() {\n"
                                 "  const { data } = await supabase.auth.getUser();\n"
                                 '  if (!data.user) throw new Error("no user");\n  return data.user;\n}\n',
        "app/api/chat/route.ts": 'import { profileOf } from "@/lib/server/helpers";\n'
                                 "export async function POST() {\n"
                                 "  return Response.json(await profileOf());\n}\n",
    }
    (route,) = routes_of(files)["app/api/chat/route.ts"]
    (guard,) = route.guards
    assert (guard.kind, guard.path, guard.line) == ("handler", "app/api/chat/route.ts", 2)
    assert guard.name == "profileOf -> supabase.auth.getUser"
    assert route.protection == ("handler profileOf -> supabase.auth.getUser (app/api/chat/route.ts:2)",)


def test_helper_that_reads_identity_but_never_rejects_does_not_guard_a_data_route():
    files = {
        "lib/user.ts": "export async function maybeUser() { return (await auth())?.user ?? null; }\n",
        "app/api/a/route.ts": 'import { maybeUser } from "@/lib/user";\n'
                              "export async function POST() { await maybeUser(); await prisma.a.deleteMany(); }\n",
        "app/api/me/route.ts": 'import { maybeUser } from "@/lib/user";\n'
                               "export async function GET() { return Response.json(await maybeUser()); }\n",
    }
    found = routes_of(files)
    assert found["app/api/a/route.ts"][0].guards == ()
    assert found["app/api/me/route.ts"][0].guards  # identity only, no data: a "who am I" route


def test_express_router_mounts_across_files_carry_prefix_and_guards_in_order():
    files = {
        "src/routes/items.ts": 'import { Router } from "express";\nconst router = Router();\n'
                               'router.get("/:id", async (req, res) => res.json(await db.item(req.params.id)));\n'
                               "export default router;\n",
        "src/app.ts": 'import express from "express";\nimport items from "./routes/items";\n'
                      'import { requireAuth } from "./auth";\nconst app = express();\n'
                      'app.use("/public", items);\napp.use(requireAuth);\napp.use("/api/items", items);\n',
        "src/auth.ts": "export function requireAuth(req, res, next) {\n"
                       "  if (!req.headers.authorization) return res.status(401).end();\n  next();\n}\n",
    }
    (route,) = routes_of(files)["src/routes/items.ts"]
    assert route.path == "/public/:id"  # the first mount; requireAuth is registered after it
    assert route.guards == ()
    files["src/app.ts"] = files["src/app.ts"].replace('app.use("/public", items);\n', "")
    (route,) = routes_of(files)["src/routes/items.ts"]
    assert route.path == "/api/items/:id"
    assert [(g.kind, g.path, g.line) for g in route.guards] == [("app middleware", "src/auth.ts", 1)]


def test_helpers_calling_each_other_in_a_cycle_terminate():
    files = {
        "lib/a.ts": 'import { b } from "./b";\nexport function a() { return b(); }\n',
        "lib/b.ts": 'import { a } from "./a";\nexport function b() { return a(); }\n',
        "app/api/x/route.ts": 'import { a } from "@/lib/a";\nexport async function GET() { return a(); }\n',
    }
    (route,) = routes_of(files)["app/api/x/route.ts"]
    assert route.guards == ()


def test_stack_names_the_framework_and_family_stays_a_rule_family():
    files = {
        "server.ts": 'import Fastify from "fastify";\nconst app = Fastify();\napp.get("/a", async () => 1);\n',
        "api.ts": 'import { Hono } from "hono";\nconst app = new Hono();\napp.get("/b", (c) => c.text("x"));\n',
    }
    found = routes_of(files)
    assert [(r.framework, r.stack) for r in found["server.ts"]] == [("express", "fastify")]
    assert [(r.framework, r.stack) for r in found["api.ts"]] == [("express", "hono")]


def test_a_route_file_scanned_again_from_history_uses_its_own_tree(registry):
    from scanner.analysis.routes.javascript.routes import JsProject, index_file, routes_in
    from scanner.context import Context, ProjectFacts
    from scanner.lang.javascript.parse import parse_js
    from scanner.model import Artifact

    facts, project = ProjectFacts(Config()), JsProject()
    now = parse_js(Context(Artifact("app/api/x/route.ts", "export function GET() {}\n", "typescript"), facts))
    index_file(now, "app/api/x/route.ts", project)
    old_text = "\n\nexport async function POST() { return Response.json(await db.a.findMany()) }\n"
    old = parse_js(Context(Artifact("app/api/x/route.ts", old_text, "typescript"), facts))
    (route,) = routes_in(old, "app/api/x/route.ts", project)
    assert (route.methods, route.node.start_point[0]) == (("POST",), 2)
