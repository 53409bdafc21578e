"""Auditor mode end to end: a real git repository whose own configuration disables every secret rule,
excludes everything, lowers every severity and sets ``fail_on = "none"``, with inline ignores on every
finding and a baseline. ``scan`` hides everything but says so in its header; ``audit`` reports everything,
marks what the repository would have hidden (counted per mechanism) and exits 1."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from scanner.rules import default_registry
from tests.conftest import ROOT, anthropic_key, run_cli, stripe_key
from tests.gitrepo import Repo
from tests.test_sarif import SARIF_SCHEMA

SCHEMA = jsonschema.Draft202012Validator(json.loads((ROOT / "scanner/reporters/report.schema.json").read_text()))
STRIPE, ANTHROPIC, REMOVED, ACCEPTED = stripe_key(), anthropic_key(), anthropic_key(seed=9), stripe_key(seed=8)
ROUTE = '''from flask import Flask
app = Flask(__name__)

# launchready: ignore -- reviewed
@app.route("/api/users/<uid>", methods=["DELETE"])
def delete_user(uid):
    return db.delete(uid)
'''


def hostile_config() -> str:
    """Every secret rule disabled, every path excluded, every rule lowered to info, never fail."""
    registry = default_registry()
    secret_ids = [rule.id for rule in registry if rule.kind == "secret"]
    lines = ["disable = [" + ", ".join(f'"{rule_id}"' for rule_id in secret_ids) + "]",
             'exclude = ["**"]', 'fail_on = "none"', "[severity]"]
    lines += [f'"{rule.id}" = "info"' for rule in registry]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("audit") / "hostile")
    repo.commit("a key, later removed", {"old.py": f'KEY = "{REMOVED}"\n'})
    repo.commit("remove it", {"old.py": "KEY = None\n"})
    repo.commit("app", {
        "settings.py": f'STRIPE = "{STRIPE}"  # launchready: ignore -- test key\n',
        "llm.py": f'# launchready: ignore\nKEY = "{ANTHROPIC}"\n',
        "app.py": ROUTE,
        "keys.py": f'ACCEPTED = "{ACCEPTED}"\n',  # no comment: the baseline accepts it
    })
    baseline = run_cli("baseline", str(repo.path))  # the owner's baseline, recorded before the config
    assert baseline.returncode == 0, baseline.stderr
    repo.commit("silence the scanner", {".launchready.toml": hostile_config()})
    return repo


@pytest.fixture(scope="module")
def audited(hostile, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("out") / "audit"
    return run_cli("audit", str(hostile.path), "--out", str(out)), out


def audit_json(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    SCHEMA.validate(report)
    return report


def test_scan_hides_everything_but_its_header_says_so(hostile):
    result = run_cli("scan", str(hostile.path), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    SCHEMA.validate(report)
    assert report["findings"] == [] and report["audit"] is None
    configuration = report["scan"]["configuration"]
    assert configuration["provenance"] == "repository"
    assert configuration["source"].endswith(".launchready.toml")
    assert "stripe-secret-key" in configuration["disable"] and configuration["exclude"] == ["**"]
    assert configuration["severity"]["auth-route-unauthenticated"] == "info"
    assert configuration["fail_on"] == "none"
    text = run_cli("scan", str(hostile.path)).stdout
    assert "configuration from the scanned repository" in text.splitlines()[0]
    assert "excludes 1 path pattern(s) (**)" in text and "fail_on = none" in text


def test_scan_header_in_sarif_and_html(hostile, tmp_path):
    run_cli("scan", str(hostile.path), "--sarif", str(tmp_path / "r.sarif"), "--html", str(tmp_path / "r.html"))
    properties = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["properties"]
    assert properties["configuration"]["provenance"] == "repository" and "audit" not in properties
    html = (tmp_path / "r.html").read_text()
    assert "from the scanned repository" in html and ".launchready.toml" in html


def test_audit_reports_everything_and_exits_1(audited):
    result, out = audited
    assert result.returncode == 1, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.sarif", "report.txt"]
    report = audit_json(out)
    rules = sorted((f["location"]["path"], f["rule_id"]) for f in report["findings"])
    for expected in [("app.py", "auth-route-unauthenticated"), ("llm.py", "anthropic-api-key"),
                     ("old.py", "anthropic-api-key"), ("settings.py", "stripe-secret-key")]:
        assert expected in rules
    assert all(f["suppression"] is None for f in report["findings"])
    assert report["summary"]["total"] == len(report["findings"]) and report["summary"]["suppressed"] == 0
    assert report["scan"]["configuration"]["provenance"] == "default"


def test_the_same_secret_in_worktree_and_history_is_one_finding_with_its_commit(audited, hostile):
    report = audit_json(audited[1])
    stripe = [f for f in report["findings"] if f["location"]["path"] == "settings.py"]
    assert len(stripe) == 1
    origin = stripe[0]["origin"]
    assert origin["kind"] == "worktree" and origin["commit"] and origin["commit_count"] == 1
    [removed] = [f for f in report["findings"] if f["location"]["path"] == "old.py"]
    assert removed["origin"]["kind"] == "history" and removed["origin"]["present_at_head"] is False


def test_every_repository_suppression_is_marked_and_counted(audited, hostile):
    report = audit_json(audited[1])
    kinds = {(f["location"]["path"], f["rule_id"]): {s["kind"] for s in f["repository_suppressions"]}
             for f in report["findings"]}
    assert kinds[("settings.py", "stripe-secret-key")] == {
        "inline", "config-disable", "config-exclude", "config-severity"}
    assert kinds[("keys.py", "stripe-secret-key")] == {
        "baseline", "config-disable", "config-exclude", "config-severity"}
    assert kinds[("llm.py", "anthropic-api-key")] == {"inline", "config-disable", "config-exclude", "config-severity"}
    assert kinds[("app.py", "auth-route-unauthenticated")] == {"inline", "config-exclude", "config-severity"}
    assert kinds[("old.py", "anthropic-api-key")] == {"config-disable", "config-exclude", "config-severity"}
    # every finding is hidden by the exclude pattern, and the counts add up per mechanism
    assert all("config-exclude" in marks for marks in kinds.values())
    header = report["audit"]
    counted = {}
    for marks in kinds.values():
        for kind in marks:
            counted[kind] = counted.get(kind, 0) + 1
    assert header["suppressed_by_repository"] == {"findings": len(kinds), "by_mechanism": dict(sorted(counted.items()))}
    baseline = json.loads((hostile.path / ".launchready-baseline.json").read_text())["findings"]
    assert counted["inline"] == 3 and counted["baseline"] == len(baseline) >= 1
    assert header["baselines"] == [".launchready-baseline.json"]
    assert header["repository_config"].endswith(".launchready.toml")
    assert header["repository_settings"]["exclude"] == ["**"]


def test_audit_header_says_what_was_and_was_not_scanned(audited, hostile):
    header = audit_json(audited[1])["audit"]
    scanned = header["scanned"]
    assert scanned["commits"] == 4 and scanned["files"] >= 4 and scanned["rules"] > 300
    assert any(s.startswith("working tree") for s in scanned["sources"])
    assert any(s.startswith("git history") for s in scanned["sources"])
    assert header["not_scanned"]["skipped_by_reason"].get("vcs-metadata") == 1
    assert "email-auth" in header["not_scanned"]["checks_not_examined"]


def test_audit_marks_in_text_sarif_and_html(audited):
    out = audited[1]
    text = (out / "report.txt").read_text()
    assert text.startswith("AUDIT of ") and "suppressed by the repository: inline (test key)" in text
    assert "would have been hidden or lowered by the repository" in text
    log = json.loads((out / "report.sarif").read_text())
    if SARIF_SCHEMA.is_file():  # the official schema (tests/test_sarif.py skips without it)
        schema = json.loads(SARIF_SCHEMA.read_text())
        assert not list(jsonschema.Draft4Validator(schema).iter_errors(log))
    run = log["runs"][0]
    assert run["properties"]["audit"]["suppressed_by_repository"]["findings"] == len(run["results"])
    assert all("suppressions" not in r for r in run["results"])  # counted, so GitHub must not hide them
    assert all(r["properties"]["suppressedByRepository"] for r in run["results"])
    html = (out / "report.html").read_text()
    assert 'id="audit"' in html and "suppressed by the repository (config-disable" in html


def test_audit_leaks_no_secret(audited):
    out = audited[1]
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in (STRIPE, ANTHROPIC, REMOVED, ACCEPTED):
            random_part = secret[-24:]  # the prefixes are in the rules' own descriptions
            assert not any(random_part[i:i + 12] in text for i in range(len(random_part) - 11)), path.name


def test_scan_audit_flag_writes_the_default_folder(hostile, tmp_path):
    result = run_cli("scan", "--audit", str(hostile.path), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["audit"]["suppressed_by_repository"]["findings"] >= 4
    assert (tmp_path / "launchready-audit" / "report.html").is_file()
    refused = run_cli("scan", "--audit", "--history", str(hostile.path), cwd=tmp_path)
    assert refused.returncode == 2 and "drop --history" in refused.stderr


def test_audit_refuses_a_config_from_inside_the_tree(hostile, tmp_path):
    result = run_cli("audit", str(hostile.path), "--config", str(hostile.path / ".launchready.toml"),
                     "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "inside the audited tree" in result.stderr


def test_external_config_is_reported_as_external(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("print(1)\n")
    config = tmp_path / "ci.toml"
    config.write_text('disable = ["stripe-secret-key"]\n')
    report = json.loads(run_cli("scan", str(project), "--config", str(config), "--format", "json").stdout)
    assert report["scan"]["configuration"]["provenance"] == "external"
    assert report["scan"]["configuration"]["disable"] == ["stripe-secret-key"]
    text = run_cli("scan", str(project), "--config", str(config)).stdout
    assert text.startswith("configuration from outside the scanned tree")
    assert "configuration" not in run_cli("scan", str(project)).stdout  # defaults: no header line
    inside = project / "ci.toml"
    inside.write_text(config.read_text())
    report = json.loads(run_cli("scan", str(project), "--config", str(inside), "--format", "json").stdout)
    assert report["scan"]["configuration"]["provenance"] == "repository"  # --config from the tree: still the tree's


def test_audit_of_a_folder_that_is_not_a_repository_says_history_was_not_scanned(tmp_path):
    project = tmp_path / "plain"
    project.mkdir()
    (project / "settings.py").write_text(f'STRIPE = "{STRIPE}"\n')
    (project / ".launchready.toml").write_text("exclud = 1\n")  # unreadable config: recorded, not fatal
    result = run_cli("audit", str(project), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    header = audit_json(tmp_path / "out")["audit"]
    assert header["not_scanned"]["sources"] == ["git history (all refs): not a git repository"]
    assert header["scanned"]["commits"] is None
    assert "unknown key 'exclud'" in header["repository_config_error"]
    assert run_cli("scan", str(project)).returncode == 2  # an ordinary scan still refuses the invalid config


def test_audit_of_a_shallow_clone_says_so(hostile, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{hostile.path}", str(clone)], check=True,
                   capture_output=True)
    result = run_cli("audit", str(clone), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    header = audit_json(tmp_path / "out")["audit"]
    assert any("shallow" in s for s in header["not_scanned"]["sources"])
    assert header["scanned"]["commits"] == 1


def test_clean_repository_audit_exits_0(tmp_path):
    repo = Repo(tmp_path / "clean")
    repo.commit("init", {"README.md": "hello\n"})
    result = run_cli("audit", str(repo.path), "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    header = audit_json(tmp_path / "out")["audit"]
    assert header["suppressed_by_repository"] == {"findings": 0, "by_mechanism": {}}


def test_report_folder_inside_the_tree_is_not_read_back(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("init", {"settings.py": f'STRIPE = "{STRIPE}"\n'})
    first = run_cli("audit", str(repo.path), "--out", str(repo.path / "launchready-audit"))
    second = run_cli("audit", str(repo.path), "--out", str(repo.path / "launchready-audit"))
    assert first.returncode == second.returncode == 1
    report = audit_json(repo.path / "launchready-audit")
    assert not [f for f in report["findings"] if f["location"]["path"].startswith("launchready-audit/")]
    assert report["audit"]["not_scanned"]["skipped_by_reason"].get("ignored") == 1


def test_audit_html_renders_in_chromium_without_console_messages(audited, tmp_path):
    from tests.test_html_browser import browse, console_lines, find_chromium

    chromium = find_chromium()
    run = browse(chromium, (audited[1] / "report.html").as_uri(), tmp_path, "--dump-dom")
    assert console_lines(run.stderr) == []
    assert 'id="audit"' in run.stdout and "showing " in run.stdout  # the page's script ran


def test_audit_sarif_has_no_multitool_errors(audited, tmp_path):
    from tests.test_sarif_multitool import install_multitool, multitool_errors

    sarif = (audited[1] / "report.sarif").read_text(encoding="utf-8")
    assert multitool_errors(install_multitool(), sarif, tmp_path) == []


def test_an_allowlist_in_the_repository_config_is_attributed_by_a_scan_under_it(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("app", {"app.py": ROUTE.replace("# launchready: ignore -- reviewed\n", ""),
                        ".launchready.toml": 'public_routes = ["*"]\n'})
    assert "auth-route-unauthenticated" not in run_cli("scan", str(repo.path), "--format", "json").stdout
    result = run_cli("audit", str(repo.path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    report = audit_json(tmp_path / "out")
    marks = {f["rule_id"]: [s["kind"] for s in f["repository_suppressions"]] for f in report["findings"]}
    assert marks["auth-route-unauthenticated"] == ["config-other"]
    assert all(kinds == [] for rule, kinds in marks.items() if rule != "auth-route-unauthenticated")
    [route] = [f for f in report["findings"] if f["rule_id"] == "auth-route-unauthenticated"]
    assert "public_routes" in route["repository_suppressions"][0]["reason"]
    assert report["audit"]["suppressed_by_repository"] == {"findings": 1, "by_mechanism": {"config-other": 1}}


def test_audit_is_the_same_with_one_or_two_workers(hostile, audited, tmp_path):
    run_cli("audit", str(hostile.path), "--out", str(tmp_path / "one"), "--jobs", "1", "--quiet")
    one, two = audit_json(tmp_path / "one"), audit_json(audited[1])  # the fixture ran with one per core
    for report in (one, two):
        for key in ("started_at", "duration_seconds"):
            report["scan"].pop(key)
    assert one == two


def test_a_baseline_the_pre_commit_hook_passes_is_read(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.write("settings.py", f'STRIPE = "{STRIPE}"\n')
    assert run_cli("baseline", str(repo.path), "--output", str(repo.path / ".ci" / "accepted.json")).returncode == 0
    hook = ("repos:\n  - repo: local\n    hooks:\n      - id: launchready\n        name: launchready\n"
            "        entry: launchready scan --staged\n        language: system\n"
            "        args: [--baseline, .ci/accepted.json, '--baseline=../outside.json']\n")
    repo.commit("hook", {".pre-commit-config.yaml": hook})
    result = run_cli("audit", str(repo.path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    report = audit_json(tmp_path / "out")
    assert report["audit"]["baselines"] == [".ci/accepted.json"]  # the one outside the tree is not read
    [stripe] = [f for f in report["findings"] if f["rule_id"] == "stripe-secret-key"]
    assert [s["kind"] for s in stripe["repository_suppressions"]] == ["baseline"]
