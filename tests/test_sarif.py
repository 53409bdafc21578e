"""SARIF output: structure GitHub relies on, the official schema, limits, and stable fingerprints."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.model import Finding, Origin, Suppression
from scanner.reporters.sarif import SECURITY_SEVERITY, Limits, SarifReporter
from scanner.rules import default_registry
from scanner.sources.worktree import WorktreeSource
from scanner.testing import MemorySource
from tests.conftest import ROOT, anthropic_key, fake_key, run_cli, stripe_key

SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


class FingerprintBaseline:
    """The engine's baseline protocol over fingerprints of an earlier scan."""

    def __init__(self, fingerprints: set[str]):
        self.fingerprints = fingerprints

    def match(self, finding: Finding) -> Suppression | None:
        return Suppression("baseline", "accepted in baseline") if finding.fingerprint in self.fingerprints else None


def scan_dir(root: Path, baseline=None):
    source = WorktreeSource(root=root, paths=[root], exclude=(), max_file_size=10_000_000, use_gitignore=True)
    return Engine(default_registry(), Config(), DETECTORS, baseline=baseline).run(
        [source], root=str(root), source_names=["working tree"])


def sarif_of(result, limits: Limits | None = None) -> dict:
    return json.loads(SarifReporter(limits=limits).render(result))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text(f'STRIPE = "{stripe_key()}"\n')
    (tmp_path / "app" / "my llm.py").write_text(
        f'# launchready: ignore[anthropic-api-key] -- revoked test key\nKEY = "{anthropic_key()}"\n')
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    return tmp_path


def validate_schema(log: dict) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_valid_against_official_schema(project):
    validate_schema(sarif_of(scan_dir(project)))


def test_rules_carry_help_tags_precision_and_security_severity(project):
    run = sarif_of(scan_dir(project))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "launchready" and driver["semanticVersion"] and driver["informationUri"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(scan_dir(project).rules_run)
    stripe = rules["stripe-secret-key"]
    assert stripe["help"]["text"] and "### How to fix" in stripe["help"]["markdown"]
    assert stripe["properties"]["security-severity"] == "9.5"
    assert {"security", "external/cwe/cwe-798", "launchready/check/secrets"} <= set(stripe["properties"]["tags"])
    assert stripe["properties"]["precision"] in {"high", "medium", "low"}
    for rule in driver["rules"]:
        assert len(rule["shortDescription"]["text"]) <= 1024 and len(rule["fullDescription"]["text"]) <= 1024
        assert len(rule["properties"]["tags"]) <= 20
    assert SECURITY_SEVERITY.keys() and all(0 < float(v) <= 10 for v in SECURITY_SEVERITY.values())


def test_results_locations_fingerprints_and_suppressions(project):
    log = sarif_of(scan_dir(project))
    run = log["runs"][0]
    assert run["automationDetails"]["id"].startswith("launchready/")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    results = {r["ruleId"]: r for r in run["results"]}
    stripe = results["stripe-secret-key"]
    assert run["tool"]["driver"]["rules"][stripe["ruleIndex"]]["id"] == "stripe-secret-key"
    assert stripe["level"] == "error"
    physical = stripe["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "app/settings.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 1 and physical["region"]["startColumn"] == 11
    assert physical["region"]["endColumn"] > physical["region"]["startColumn"]
    context = physical["contextRegion"]
    assert context["startLine"] == 1 and "sk_liv…[" in context["snippet"]["text"]
    assert len(stripe["partialFingerprints"]["launchready/v1"]) == 64
    assert "suppressions" not in stripe
    anthropic = results["anthropic-api-key"]
    assert anthropic["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/my%20llm.py"
    assert anthropic["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                          "justification": "revoked test key"}]


def test_no_secret_value_anywhere(project):
    text = SarifReporter().render(scan_dir(project))
    assert stripe_key() not in text and anthropic_key() not in text
    assert stripe_key()[:12] not in text  # not even a long prefix


def test_baseline_suppression_is_external_and_kept(project):
    first = scan_dir(project)
    known = {f.fingerprint for f in first.findings if f.rule_id == "stripe-secret-key"}
    results = sarif_of(scan_dir(project, FingerprintBaseline(known)))["runs"][0]["results"]
    stripe = next(r for r in results if r["ruleId"] == "stripe-secret-key")
    assert stripe["suppressions"][0]["kind"] == "external"


def test_skipped_files_become_tool_execution_notifications(project):
    invocation = sarif_of(scan_dir(project))["runs"][0]["invocations"][0]
    notes = invocation["toolExecutionNotifications"]
    png = [n for n in notes if n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "logo.png"]
    assert png and png[0]["level"] == "note" and png[0]["descriptor"]["id"]


def test_fingerprints_stable_when_unrelated_lines_move(project):
    before = sarif_of(scan_dir(project))["runs"][0]["results"]
    settings = project / "app" / "settings.py"
    settings.write_text("import os\n\n\n" + settings.read_text())
    after = sarif_of(scan_dir(project))["runs"][0]["results"]

    def by_rule(results):
        return {r["ruleId"]: (r["partialFingerprints"]["launchready/v1"],
                              r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}

    old, new = by_rule(before), by_rule(after)
    assert old["stripe-secret-key"][0] == new["stripe-secret-key"][0]
    assert (old["stripe-secret-key"][1], new["stripe-secret-key"][1]) == (1, 4)


def test_history_findings_carry_their_commit(tmp_path):
    origin = Origin(kind="history", commit="a" * 40, author="dev", date="2026-01-01T00:00:00+00:00",
                    present_at_head=False, commit_count=2)
    result = Engine(default_registry(), Config(), DETECTORS).run(
        [MemorySource({"old.py": f'K = "{stripe_key()}"\n'}, origin=origin)], root=str(tmp_path),
        source_names=["history"])
    log = sarif_of(result)
    validate_schema(log)
    props = log["runs"][0]["results"][0]["properties"]
    assert props["commit"] == "a" * 40 and props["origin"] == "history" and props["presentAtHead"] is False


def test_result_limit_keeps_most_severe_and_says_so(tmp_path):
    files = {f"s{i}.py": f'K = "{stripe_key(seed=i)}"\n' for i in range(2)}
    files["aws.py"] = f'aws_access_key_id = {fake_key("AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}\n'  # high
    result = Engine(default_registry(), Config(), DETECTORS).run(
        [MemorySource(files)], root=str(tmp_path), source_names=["working tree"])
    log = sarif_of(result, Limits(results=2))
    run = log["runs"][0]
    assert sorted(r["ruleId"] for r in run["results"]) == ["stripe-secret-key", "stripe-secret-key"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["descriptor"]["id"] == "truncated" and "kept the 2 most severe of 3" in n["message"]["text"]
               for n in notes)
    validate_schema(log)


def test_gzip_limit_shrinks_the_log(tmp_path):
    files = {f"s{i}.py": f'K = "{stripe_key(seed=i)}"\n' for i in range(40)}
    result = Engine(default_registry(), Config(), DETECTORS).run(
        [MemorySource(files)], root=str(tmp_path), source_names=["working tree"])
    def gzipped(limits: Limits) -> int:
        return len(gzip.compress(SarifReporter(limits=limits).render(result).encode()))

    full, one = gzipped(Limits()), gzipped(Limits(results=1))
    limited = json.loads(SarifReporter(limits=Limits(gzipped_bytes=(full + one) // 2)).render(result))
    kept = len(limited["runs"][0]["results"])
    assert 0 < kept < 40
    assert any("gzipped size" in n["message"]["text"]
               for n in limited["runs"][0]["invocations"][0]["toolExecutionNotifications"])


def test_cli_writes_several_formats_in_one_scan(project, tmp_path):
    out = tmp_path / "out"
    result = run_cli("scan", str(project), "--sarif", str(out / "r.sarif"), "--json", str(out / "r.json"),
                     "--html", str(out / "r.html"), "--quiet")
    assert result.returncode == 1, result.stderr
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((out / "r.json").read_text())["schema_version"] == "1.3"
    assert (out / "r.html").read_text().startswith("<!doctype html>")
    assert run_cli("scan", str(project), "--format", "sarif").stdout.lstrip().startswith("{")


def test_uris_are_relative_to_the_repository_when_scanning_a_subfolder(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    service = tmp_path / "services" / "api"
    service.mkdir(parents=True)
    (service / "settings.py").write_text(f'STRIPE = "{stripe_key()}"\n')
    run = sarif_of(scan_dir(service))["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "services/api/settings.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
