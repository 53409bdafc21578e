"""fixtures/nextjs-bundle: a real (esbuild) minified build, source maps and CI logs with keys planted at test time.

Each planted key is expanded once from ``planted.json`` and written wherever its placeholder stands, so
the same key sits in the client chunk, the server bundle and a source map. Expectations are computed
from the expanded files (where the key really is), never copied from a scan.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from scanner.testing import expand
from tests.conftest import ROOT, run_cli

FIXTURE = ROOT / "fixtures" / "nextjs-bundle"
#: Files that describe the fixture rather than belong to the app.
NOT_APP = {"README.md", "planted.json"}


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the fixture with every ``__PLANTED_<NAME>__`` replaced by its expanded key."""
    target = tmp_path_factory.mktemp("nextjs-bundle") / "app"
    shutil.copytree(FIXTURE, target)
    templates = json.loads((FIXTURE / "planted.json").read_text())
    planted = {name: expand(template, name) for name, template in templates.items() if not name.startswith("_")}
    for path in target.rglob("*"):
        if path.is_file() and path.name not in NOT_APP:
            text = path.read_text(encoding="utf-8")
            for name, value in planted.items():
                text = text.replace(f"__PLANTED_{name}__", value)
            path.write_text(text, encoding="utf-8")
    return target, planted


def where(root: Path, relative: str, value: str) -> str:
    """``path:line:column`` of ``value`` in a file (1-based), as the scanner reports it."""
    text = (root / relative).read_text(encoding="utf-8")
    offset = text.index(value)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{relative}:{line}:{column}"


def scan(root: Path, *args: str) -> list[dict]:
    result = run_cli("scan", str(root), "--format", "json", "--fail-on", "none", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["findings"]


def located(finding: dict) -> str:
    location = finding["location"]
    return f"{location['path']}:{location['line']}:{location['column']}"


def chunk(root: Path, pattern: str) -> str:
    (match,) = sorted(root.glob(pattern))
    return match.relative_to(root).as_posix()


def test_a_key_inlined_into_several_bundles_is_one_finding_listing_every_place(app):
    root, planted = app
    findings = [f for f in scan(root) if f["rule_id"] == "openai-api-key"]
    assert len(findings) == 1, [located(f) for f in findings]
    (finding,) = findings
    client = chunk(root, ".next/static/chunks/chunk-*.js")
    places = [where(root, ".next/server/app/page.js", planted["OPENAI"]), where(root, client, planted["OPENAI"])]
    assert finding["origin"]["kind"] == "bundle"
    assert located(finding) == places[0]  # .next/server sorts before .next/static
    assert finding["evidence"]["locations"] == sorted(places)
    assert client in finding["message"]


def test_a_key_in_a_source_map_is_reported_at_the_original_file_and_in_the_map(app):
    root, planted = app
    (finding,) = [f for f in scan(root) if f["rule_id"] == "stripe-secret-key"]
    page_map = chunk(root, ".next/static/chunks/app/page-*.js.map")
    assert finding["origin"]["kind"] == "bundle"
    assert located(finding) == "lib/billing.ts:5:35"  # the line the key held in the file the map embeds
    assert finding["evidence"]["source_maps"] == [page_map]
    assert where(root, page_map, planted["STRIPE"]) in finding["evidence"]["locations"]
    assert planted["STRIPE"][:12] not in json.dumps(finding)


def test_served_source_maps_are_findings_and_server_output_is_not(app):
    root, _ = app
    paths = sorted(f["location"]["path"] for f in scan(root) if f["rule_id"] == "bundle-source-map-public")
    maps = sorted(p.relative_to(root).as_posix() for p in (root / ".next" / "static").rglob("*.map"))
    assert paths == sorted([*maps, "public/widget.js"])


def test_ci_log_issues_at_their_original_line_and_column(app):
    root, planted = app
    findings = {f["rule_id"]: f for f in scan(root) if f["origin"]["kind"] == "ci-log"}
    assert sorted(findings) == ["ci-log-authorization-header", "github-token", "npm-access-token"]
    assert located(findings["github-token"]) == where(root, "logs/ci.log", planted["GITHUB"])
    assert findings["github-token"]["evidence"]["also"] == ["ci-log-env-dump"]
    assert located(findings["npm-access-token"]) == where(root, "logs/ci.log", planted["NPM"])
    assert located(findings["ci-log-authorization-header"]) == where(root, "logs/ci.log", planted["DEPLOY"])


def test_clean_counterparts_stay_quiet(app):
    """Minified ``password:e.password.value``, masked ``***`` values and MAX_TOKENS are not findings; the
    code checks do not read build output."""
    root, _ = app
    findings = scan(root)
    bundle_rules = {f["rule_id"] for f in findings if f["origin"]["kind"] == "bundle"}
    assert bundle_rules == {"openai-api-key", "stripe-secret-key", "bundle-source-map-public"}
    ci_lines = {f["location"]["line"] for f in findings if f["origin"]["kind"] == "ci-log"}
    assert ci_lines == {10, 15, 18}  # not 5 or 12 (***), 11 (MAX_TOKENS) or 19 (Bearer ***)


def test_no_bundles_leaves_ignored_build_output_out(app):
    root, _ = app
    kinds = {f["origin"]["kind"] for f in scan(root, "--no-bundles")}
    assert "bundle" not in kinds and "ci-log" in kinds


def test_ci_logs_option_reads_a_run_log_folder_and_its_zip(app, tmp_path):
    root, planted = app
    run = root / "logs" / "run-1234"
    archive = tmp_path / "logs_1234.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(run.rglob("*.txt")):
            bundle.write(path, path.relative_to(run).as_posix())
    step = "build/3_Run npm test.txt"
    for target, prefix in ((run, ""), (archive, "logs_1234.zip/")):
        result = run_cli("scan", "--ci-logs", str(target), "--format", "json", "--fail-on", "high")
        assert result.returncode == 1, result.stderr
        (finding,) = json.loads(result.stdout)["findings"]
        assert finding["rule_id"] == "github-token" and finding["origin"]["kind"] == "ci-log"
        assert located(finding) == prefix + where(run, step, planted["GITHUB"])
        assert finding["evidence"]["job"] == "build" and finding["evidence"]["step"] == "Run npm test"
        assert finding["evidence"]["locations"] == sorted([prefix + where(run, "0_build.txt", planted["GITHUB"]),
                                                           located(finding)])
