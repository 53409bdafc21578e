"""The command line end to end: exit codes, formats, errors as one line, rule docs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, anthropic_key, run_cli, stripe_key

SCHEMA = json.loads((ROOT / "scanner" / "reporters" / "report.schema.json").read_text())


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    (tmp_path / "settings.py").write_text(f'STRIPE = "{stripe_key()}"\n')
    (tmp_path / "llm.py").write_text(f'KEY = "{anthropic_key()}"\n')
    return tmp_path


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and "launchready" in result.stdout


def test_findings_exit_1_and_grouped_text(leaky):
    result = run_cli("scan", str(leaky))
    assert result.returncode == 1
    assert "llm.py" in result.stdout and "settings.py" in result.stdout
    assert "2 findings (2 critical) in 2 files" in result.stdout


def test_clean_directory_exits_0(tmp_path):
    (tmp_path / "app.py").write_text("print('hello')\n")
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 0 and "no findings" in result.stdout


def test_default_path_is_current_directory(leaky):
    assert run_cli("scan", cwd=leaky).returncode == 1


def test_missing_path_is_one_line_exit_2(tmp_path):
    result = run_cli("scan", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_exits_2():
    result = run_cli("scan", "--format", "yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_invalid_config_exits_2_naming_the_key(leaky):
    (leaky / ".launchready.toml").write_text("exclud = []\n")
    result = run_cli("scan", str(leaky))
    assert result.returncode == 2 and "unknown key 'exclud'" in result.stderr


def test_config_naming_unknown_rule_exits_2(leaky):
    (leaky / ".launchready.toml").write_text('disable = ["no-such-rule"]\n')
    result = run_cli("scan", str(leaky))
    assert result.returncode == 2 and "no-such-rule" in result.stderr


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 1), ("none", 0)])
def test_fail_on_threshold(leaky, fail_on, code):
    assert run_cli("scan", str(leaky), "--fail-on", fail_on).returncode == code


def test_severity_override_changes_exit_code(leaky):
    (leaky / ".launchready.toml").write_text(
        '[severity]\n"stripe-secret-key" = "low"\n"anthropic-api-key" = "medium"\n')
    assert run_cli("scan", str(leaky)).returncode == 0
    assert run_cli("scan", str(leaky), "--fail-on", "medium").returncode == 1


def test_disabled_rule_does_not_run(leaky):
    (leaky / ".launchready.toml").write_text('disable = ["stripe-secret-key", "anthropic-api-key"]\n')
    assert run_cli("scan", str(leaky)).returncode == 0


def test_json_output_matches_schema(leaky):
    result = run_cli("scan", str(leaky), "--format", "json")
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["summary"]["by_severity"]["critical"] == 2
    finding = document["findings"][0]
    assert finding["location"]["line"] == 1 and finding["origin"]["kind"] == "worktree"


def test_json_lists_skipped_files(leaky):
    (leaky / "image.png").write_bytes(b"\x89PNG\x00")
    document = json.loads(run_cli("scan", str(leaky), "--format", "json").stdout)
    assert {"path": "image.png", "reason": "binary", "detail": "binary file type"} in document["skipped"]


def test_verbose_lists_skipped(leaky):
    (leaky / "image.png").write_bytes(b"\x89PNG\x00")
    assert "skipped image.png: binary" in run_cli("scan", str(leaky), "--verbose").stdout


def test_output_file_and_extra_report_files(leaky, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_cli("scan", str(leaky), "--output", str(out / "r.txt"), "--json", str(out / "r.json"))
    assert result.returncode == 1 and result.stdout == ""
    assert "critical" in (out / "r.txt").read_text().lower()
    assert json.loads((out / "r.json").read_text())["summary"]["total"] == 2


def test_quiet_prints_nothing(leaky):
    result = run_cli("scan", str(leaky), "--quiet")
    assert result.returncode == 1 and result.stdout == ""


def test_scan_specific_files(leaky):
    result = run_cli("scan", str(leaky / "llm.py"), "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    assert [f["location"]["path"] for f in findings] == ["llm.py"]


def test_rules_list_and_show():
    listing = run_cli("rules")
    assert listing.returncode == 0 and "openai-api-key" in listing.stdout and "critical" in listing.stdout
    shown = run_cli("rules", "stripe-secret-key")
    assert shown.returncode == 0
    for heading in ("What it does", "How to fix", "Examples that are reported", "CWE-798"):
        assert heading in shown.stdout
    missing = run_cli("rules", "no-such-rule")
    assert missing.returncode == 2 and "unknown rule" in missing.stderr


def test_demo_app_has_findings():
    result = run_cli("scan", str(ROOT / "fixtures" / "demo-app"))
    assert result.returncode == 1


def test_self_scan_is_clean():
    """The project's own tree (fixtures excluded by its config) has nothing to report."""
    result = run_cli("scan", str(ROOT), "--fail-on", "info")
    assert result.returncode == 0, result.stdout
