"""Build output as a source (origin ``bundle``): the path policy, source maps, minified files, folding."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import SNIPPET_WIDTH, Engine
from scanner.paths import is_build_cache, is_build_output, is_generated_code, is_served_build_output
from scanner.sourcemap import embedded_sources, inline_map, original_path, parse_map
from scanner.sources.bundles import BundleSource
from tests.conftest import fake_key, run_cli, stripe_key


def scan_json(root: Path, *args: str) -> dict:
    result = run_cli("scan", str(root), "--format", "json", "--fail-on", "none", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("path", "expected"), [
    ("public/js/app.js", True), ("assets/index-4f2a.css", True), ("static/app.js.map", True),
    ("public/robots.txt", False), ("assets/logo.svg", False), ("src/assets/theme.ts", False),
])
def test_scripts_served_from_public_folders_are_build_output(path, expected):
    assert is_build_output(path) is expected


@pytest.mark.parametrize(("path", "served"), [
    (".next/static/chunks/main.js.map", True), ("dist/assets/index.js.map", True), ("public/app.js", True),
    (".next/server/app/page.js.map", False), (".output/server/index.mjs.map", False),
    ("src/types.d.ts.map", False), (".next/cache/webpack/client.js.map", False),
])
def test_served_build_output(path, served):
    assert is_served_build_output(path) is served


def test_build_caches_and_vendored_code():
    assert is_build_cache(".next/cache") and is_build_cache(".parcel-cache") and not is_build_cache("src/cache")
    assert is_generated_code("node_modules/react-dom/cjs/react-dom.production.min.js")
    assert is_generated_code("vendor/lib.js") and not is_generated_code("src/lib.ts")


@pytest.mark.parametrize(("map_path", "source", "root", "expected"), [
    ("apps/web/.next/static/chunks/app/page-1.js.map", "webpack://_N_E/./app/page.tsx", "", "apps/web/app/page.tsx"),
    (".next/static/chunks/main.js.map", "webpack:///./src/index.js", "", "src/index.js"),
    ("dist/assets/index.js.map", "../../src/main.ts", "", "src/main.ts"),
    ("dist/index.js.map", "main.ts", "../src/", "src/main.ts"),
    ("dist/index.js.map", "../../../../etc/passwd", "", "etc/passwd"),
    ("dist/index.js.map", "/home/ci/app/src/a.ts", "", "home/ci/app/src/a.ts"),
])
def test_original_paths_stay_inside_the_scan_root(map_path, source, root, expected):
    assert original_path(map_path, source, root) == expected


def test_source_maps_with_sections_and_inline_maps():
    inner = {"version": 3, "sources": ["a.ts"], "sourcesContent": ["const a = 1;\n"], "mappings": ""}
    document = parse_map(json.dumps({"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": inner}]}))
    assert [s.path for s in embedded_sources("dist/x.js.map", document)] == ["dist/a.ts"]
    assert parse_map("[1, 2]") is None and parse_map("{not json") is None
    data = base64.b64encode(json.dumps(inner).encode()).decode()
    offset, found = inline_map(f"var a=1;\n//# sourceMappingURL=data:application/json;base64,{data}\n")
    assert found == inner and offset == len("var a=1;\n//# sourceMappingURL=data:application/json;base64,")


def test_ignored_build_output_is_scanned_as_bundle_and_once(tmp_path):
    key = stripe_key(11)
    write(tmp_path / ".gitignore", "dist/\n")
    write(tmp_path / "dist" / "app.min.js", f'var k="{key}";')
    write(tmp_path / "build" / "static" / "main.js", f'var k="{key}";')  # not ignored: still a bundle, once
    document = scan_json(tmp_path)
    (finding,) = [f for f in document["findings"] if f["rule_id"] == "stripe-secret-key"]
    assert finding["origin"]["kind"] == "bundle"
    assert finding["evidence"]["locations"] == ["build/static/main.js:1:8", "dist/app.min.js:1:8"]
    assert document["scan"]["sources"][:2] == ["working tree", "build output (bundles, source maps)"]
    without = scan_json(tmp_path, "--no-bundles")
    assert [(f["location"]["path"], f["origin"]["kind"]) for f in without["findings"]
            if f["rule_id"] == "stripe-secret-key"] == [("build/static/main.js", "worktree")]


def test_build_caches_are_not_read(tmp_path):
    write(tmp_path / ".next" / "cache" / "webpack" / "x.js", f'var k="{stripe_key(12)}";')
    document = scan_json(tmp_path, "--verbose")
    assert document["findings"] == []
    assert any(n["path"] == ".next/cache" and n["reason"] == "cache" for n in document["skipped"])


def test_code_checks_do_not_read_build_output(tmp_path):
    route = "const express = require('express');\nconst app = express();\n" \
            "app.delete('/api/users/:id', async (req, res) => { await db.user.delete(req.params.id); res.end(); });\n"
    write(tmp_path / "dist" / "server.js", route)
    write(tmp_path / "src" / "server.js", route)
    paths = {f["location"]["path"] for f in scan_json(tmp_path)["findings"]}
    assert "dist/server.js" not in paths and "src/server.js" in paths


def test_generic_rules_do_not_fire_in_generated_code_but_provider_rules_do(tmp_path):
    secret_like = fake_key("", 32, seed=3)
    vendored = f'var c={{password:e.password.value,apiKey:"{secret_like}"}};var s="{stripe_key(13)}";'
    write(tmp_path / "public" / "vendor.js", vendored)
    write(tmp_path / "src" / "config.js", f'const config = {{ apiKey: "{secret_like}" }};\n')
    findings = scan_json(tmp_path)["findings"]
    assert sorted((f["location"]["path"], f["rule_id"]) for f in findings) == [
        ("public/vendor.js", "stripe-secret-key"), ("src/config.js", "generic-secret-assignment")]


def test_a_multi_megabyte_minified_line_gives_exact_positions_and_a_short_excerpt(tmp_path, registry):
    key = stripe_key(14)
    filler = "function a(b){return b+1}" * 120_000  # ~3 MB on one line
    text = "/*! lib */\n" + filler + f'var k="{key}";' + filler + "\n"
    write(tmp_path / "dist" / "bundle.js", text)
    source = BundleSource(tmp_path, [tmp_path])
    result = Engine(registry, Config(), DETECTORS).run([source], str(tmp_path), ["bundles"])
    (finding,) = [f for f in result.findings if f.rule_id == "stripe-secret-key"]
    assert (finding.location.line, finding.location.column) == (2, len(filler) + len('var k="') + 1)
    assert len(finding.location.snippet) <= SNIPPET_WIDTH + 2 and key not in finding.location.snippet
    assert all(len(line) <= SNIPPET_WIDTH + 2 for _, line in finding.location.excerpt)


def test_an_invalid_source_map_is_scanned_as_text_with_a_warning(tmp_path):
    write(tmp_path / "dist" / "app.js.map", '{"version": 3, "sources": [' + f'"{stripe_key(15)}"')
    document = scan_json(tmp_path)
    assert [f["rule_id"] for f in document["findings"]] == ["stripe-secret-key"]
    assert [(w["path"], w["reason"]) for w in document["warnings"]] == [("dist/app.js.map", "invalid-source-map")]

