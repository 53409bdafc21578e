"""The JS/TS module graph: specifier resolution and name resolution across files."""

from __future__ import annotations

import pytest

from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.lang.javascript.modules import ModuleGraph, read_jsonc
from scanner.lang.javascript.parse import parse_js
from scanner.model import Artifact


def graph_of(files: dict[str, str], configs: dict[str, str] | None = None) -> ModuleGraph:
    graph = ModuleGraph()
    facts = ProjectFacts(Config())
    for path, text in files.items():
        graph.add(parse_js(Context(Artifact(path, text, "typescript"), facts)), path)
    for path, text in (configs or {}).items():
        graph.add_config(path, text)
    return graph


FILES = {f: "export const x = 1;\n" for f in (
    "src/lib/auth.ts", "src/lib/db/index.ts", "src/app/api/route.ts", "lib/util.tsx", "server/a.js", "pkg/x.mts",
)}


@pytest.mark.parametrize(
    ("specifier", "importer", "expected"),
    [
        ("./auth", "src/lib/other.ts", "src/lib/auth.ts"),
        ("./auth.js", "src/lib/other.ts", "src/lib/auth.ts"),  # ESM-style .js naming a .ts source
        ("../lib/db", "src/app/page.ts", "src/lib/db/index.ts"),  # index file
        ("./a", "server/b.js", "server/a.js"),
        ("./x.mjs", "pkg/y.mts", "pkg/x.mts"),
        ("@/lib/auth", "src/app/api/route.ts", "src/lib/auth.ts"),  # no config: @/ is the app folder or src/
        ("~/lib/util", "app/page.tsx", "lib/util.tsx"),
        ("express", "server/a.js", None),
        ("./missing", "server/a.js", None),
    ],
)
def test_resolve_without_config(specifier, importer, expected):
    assert graph_of(FILES).resolve(specifier, importer) == expected


def test_tsconfig_paths_and_base_url_with_comments_and_extends():
    base = '{\n  // shared\n  "compilerOptions": { "baseUrl": ".", "paths": { "#auth/*": ["./src/lib/*",], }, },\n}'
    child = '{ "extends": "../../tsconfig.base", /* app */ "include": ["**/*.ts"] }'
    configs = {"tsconfig.base.json": base, "tsconfig.json": base, "apps/web/tsconfig.json": child}
    graph = graph_of(FILES, configs)
    assert graph.resolve("#auth/auth", "server/a.js") == "src/lib/auth.ts"
    assert graph.resolve("src/lib/db", "server/a.js") == "src/lib/db/index.ts"  # baseUrl bare import
    assert graph.resolve("#auth/auth", "apps/web/page.ts") == "src/lib/auth.ts"  # through extends


@pytest.mark.parametrize("text", ["", "not json", "[1, 2", '{"compilerOptions": 3}'])
def test_broken_config_is_ignored(text):
    graph = graph_of(FILES, {"tsconfig.json": text})
    assert graph.resolve("./auth", "src/lib/other.ts") == "src/lib/auth.ts"


def test_read_jsonc_keeps_comment_markers_inside_strings():
    assert read_jsonc('{"a": "http://x/*y*/", // c\n "b": [1,],}') == {"a": "http://x/*y*/", "b": [1]}


def test_definition_follows_imports_reexports_defaults_and_aliases():
    files = {
        "lib/session.ts": "export async function getUser() { return null }\n",
        "lib/index.ts": 'export * from "./session";\nexport { getUser as currentUser } from "./session";\n',
        "lib/guard.ts": 'import { currentUser } from "./index";\nexport const requireUser = currentUser;\n'
                        "export default function guard() {}\n",
        "app/route.ts": 'import { getUser } from "../lib";\nimport { requireUser } from "../lib/guard";\n'
                        'import guard from "../lib/guard";\nimport type { T } from "../lib/session";\n',
    }
    graph = graph_of(files)
    for name in ("getUser", "requireUser"):
        found = graph.function(name, "app/route.ts")
        assert (found.path, found.name, found.line) == ("lib/session.ts", "getUser", 1)
    assert graph.function("guard", "app/route.ts").path == "lib/guard.ts"
    assert graph.definition("T", "app/route.ts") is None  # type-only
    assert graph.definition("nothing", "app/route.ts") is None


def test_commonjs_require_and_namespace_members():
    files = {
        "lib/security.js": "exports.isAuthorized = () => (req, res, next) => next();\n"
                           "module.exports.denyAll = function () {};\n",
        "lib/one.js": "function handler(req, res) {}\nmodule.exports = handler;\n",
        "lib/many.js": "function a() {}\nmodule.exports = { a, b: () => 1 };\n",
        "lib/esm.ts": "export function verify() {}\n",
        "server.js": 'const security = require("./lib/security");\nconst one = require("./lib/one");\n'
                     'const { a, b: renamed } = require("./lib/many");\nimport * as esm from "./lib/esm";\n'
                     'const many = require("./lib/many");\n',
    }
    graph = graph_of(files)
    assert graph.function("security.isAuthorized", "server.js").path == "lib/security.js"
    assert graph.function("security.denyAll", "server.js") is not None
    assert graph.function("one", "server.js").name == "handler"
    assert graph.function("a", "server.js").name == "a"
    assert graph.function("renamed", "server.js") is not None
    assert graph.function("esm.verify", "server.js").path == "lib/esm.ts"
    assert graph.function("many.b", "server.js") is not None
    assert graph.definition("security", "server.js") is None  # a namespace, not a definition


def test_reexport_cycles_terminate():
    files = {"a.ts": 'export * from "./b";\n', "b.ts": 'export * from "./a";\n', "c.ts": 'import { x } from "./a";\n'}
    assert graph_of(files).definition("x", "c.ts") is None


def test_workspace_packages_of_a_monorepo_resolve_to_their_sources():
    files = {
        "packages/auth/src/index.ts": "export const x = 1;\n",
        "packages/db/src/schema/index.ts": "export const y = 1;\n",
        "packages/ui/index.tsx": "export const z = 1;\n",
        "apps/web/app/page.tsx": "export default function P() {}\n",
    }
    graph = graph_of(files)
    assert graph.resolve("@acme/auth", "apps/web/app/page.tsx") == "packages/auth/src/index.ts"
    assert graph.resolve("@acme/db/schema", "apps/web/app/page.tsx") == "packages/db/src/schema/index.ts"
    assert graph.resolve("ui", "apps/web/app/page.tsx") == "packages/ui/index.tsx"
    assert graph.resolve("react", "apps/web/app/page.tsx") is None


def test_package_json_subpath_imports_and_sveltekit_lib_alias():
    files = {**FILES, **{f: "export const a = 1;\n" for f in (
        "app/utils/auth.server.ts", "web/src/lib/server/auth.ts", "web/src/routes/+page.server.ts")}}
    package = '{"imports": {"#app/*": "./app/*", "#cfg": {"import": "./lib/util.tsx", "default": "./x.js"}}}'
    graph = graph_of(files, {"package.json": package})
    assert graph.resolve("#app/utils/auth.server.ts", "app/routes/x.tsx") == "app/utils/auth.server.ts"
    assert graph.resolve("#cfg", "server/a.js") == "lib/util.tsx"  # a conditional target: its import condition
    assert graph.resolve("#app/missing", "app/routes/x.tsx") is None
    assert graph.resolve("$lib/server/auth", "web/src/routes/+page.server.ts") == "web/src/lib/server/auth.ts"


def test_declarations_are_found_again_after_the_tree_is_freed():
    graph = graph_of({
        "lib/auth.ts": "export function requireUser() { return 1 }\nexport const admin = { check() {} };\n"
                       "class Session {}\nexport default Session;\n",
        "app/route.ts": 'import { requireUser, admin } from "../lib/auth";\nimport Session from "../lib/auth";\n',
    })
    module = graph.modules["lib/auth.ts"]
    before = {name: (node.type, node.start_byte, node.end_byte) for name, node in module.declarations.items()}
    assert set(before) == {"requireUser", "admin", "Session"}
    module.declarations.forget()
    module.tree.drop()
    assert "admin" in module.declarations and not module.tree.parsed  # asking what is declared parses nothing
    found = graph.function("requireUser", "app/route.ts")
    assert module.tree.parsed
    assert (found.path, found.node.type, found.line) == ("lib/auth.ts", "function_declaration", 1)
    assert found.node == module.tree.root.children[0].child_by_field_name("declaration")  # of the new parse
    assert {name: (node.type, node.start_byte, node.end_byte)
            for name, node in module.declarations.items()} == before
    assert graph.exported("lib/auth.ts", "default").node.type == "class_declaration"


def test_the_graph_keeps_at_most_its_budget_of_trees_parsed(monkeypatch):
    from scanner.lang.javascript import modules

    files = {"app.ts": "".join(f'import {{ f{index} }} from "./lib/m{index}";\n' for index in range(6))}
    files.update({f"lib/m{index}.ts": f"export function f{index}() {{ return {index} }}\n" for index in range(6)})
    graph = graph_of(files)
    size = len(files["lib/m0.ts"])
    monkeypatch.setattr(modules, "TREE_BUDGET", 2 * size)
    graph.trim()
    assert [p for p, m in graph.modules.items() if m.tree.parsed] == ["lib/m4.ts", "lib/m5.ts"]  # the latest used
    assert graph.function("f1", "app.ts").node.type == "function_declaration"  # parsed again when used
    graph.trim()
    assert sorted(p for p, m in graph.modules.items() if m.tree.parsed) == ["lib/m1.ts", "lib/m5.ts"]


def test_a_shorthand_member_of_a_default_exported_object_is_its_function():
    graph = graph_of({
        "services/notes.ts": "async function getNote(id) {}\nexport default { getNote, other: () => 1 };\n",
        "routes/notes.ts": 'import notes from "../services/notes";\n',
    })
    assert graph.function("notes.getNote", "routes/notes.ts").name == "getNote"
    assert graph.function("notes.missing", "routes/notes.ts") is None
