"""The composite GitHub Action: its structure, and its scan step run for real with bash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from scanner.config import FAIL_ON_CHOICES
from tests.conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {step["name"]: step for step in ACTION["runs"]["steps"]}


def test_composite_action_with_documented_inputs():
    assert ACTION["runs"]["using"] == "composite"
    assert {"path", "fail-on", "args", "python-version"} <= set(ACTION["inputs"])
    assert all(spec.get("description") for spec in ACTION["inputs"].values())
    assert ACTION["inputs"]["fail-on"]["default"] in FAIL_ON_CHOICES
    assert all(step.get("shell") == "bash" for step in ACTION["runs"]["steps"] if "run" in step)


def test_sarif_is_uploaded_even_when_the_scan_fails():
    upload = STEPS["Upload SARIF to code scanning"]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


def test_inputs_never_interpolated_into_scripts():
    """Inputs reach scripts through env variables only, so a crafted input cannot inject shell code."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_installs_launchready_from_the_action_path():
    install = STEPS["Install launchready"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}" and '"$ACTION_PATH"' in install["run"]


def test_scan_step_runs_and_reports_exit_code(tmp_path):
    output = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SCAN_PATH": str(ROOT / "fixtures" / "demo-app"), "FAIL_ON": "high", "EXTRA_ARGS": "--quiet",
           "SARIF_FILE": str(tmp_path / "out.sarif"), "HTML_FILE": str(tmp_path / "out.html"),
           "GITHUB_OUTPUT": str(output)}
    run = subprocess.run(["bash", "-c", STEPS["Scan"]["run"]], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert output.read_text().strip() == "exit-code=1"
    assert json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]
    assert (tmp_path / "out.html").is_file()
