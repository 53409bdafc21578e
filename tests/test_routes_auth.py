"""Routes missing authentication, end to end through the CLI on real temporary git repositories."""

from __future__ import annotations

import json
import subprocess
import textwrap

from tests.conftest import run_cli

APP = """
from flask import Flask
from models import Report
from settings import FLAGS, PROMO

app = Flask(__name__)

@app.get("/reports/<int:report_id>")
def report(report_id):
    return Report.query.get(report_id).to_dict()

@app.get("/api/flags")
def feature_flags():
    return {"theme": FLAGS.theme}

@app.get("/landing-promo")
def promo():
    return {"promo": PROMO}

@app.get("/api/roadmap")
def roadmap():
    return {"roadmap": "coming soon"}
"""


def make_repo(tmp_path, files: dict[str, str]):
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    return tmp_path


def scan(repo, *extra: str) -> dict:
    result = run_cli("scan", str(repo), "--format", "json", "--fail-on", "none", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def auth_findings(report: dict) -> dict[str, dict]:
    return {f["evidence"]["handler"]: f for f in report["findings"] if f["rule_id"] == "auth-route-unauthenticated"}


def test_severity_is_high_only_when_the_handler_touches_data(tmp_path):
    found = auth_findings(scan(make_repo(tmp_path, {"app.py": APP})))
    assert found["report"]["severity"] == "high"
    assert found["report"]["message"] == ("Route GET /reports/<int:report_id> (report) has no authentication "
                                          "and touches stored data or files")
    assert found["report"]["evidence"]["route"] == "GET /reports/<int:report_id>"
    assert found["feature_flags"]["severity"] == "medium"
    assert "roadmap" not in found  # answers a constant: nothing of anyone's to protect


def test_public_routes_configuration_allowlists_paths_and_handler_names(tmp_path):
    repo = make_repo(tmp_path, {
        "app.py": APP,
        ".launchready.toml": 'public_routes = ["/api/flags", "promo"]\n',
    })
    assert set(auth_findings(scan(repo))) == {"report"}


def test_configured_severity_still_wins_over_the_detector(tmp_path):
    repo = make_repo(tmp_path, {
        "app.py": APP,
        ".launchready.toml": '[severity]\n"auth-route-unauthenticated" = "low"\n',
    })
    assert {f["severity"] for f in auth_findings(scan(repo)).values()} == {"low"}


def test_unparseable_python_is_skipped_with_a_reason_and_the_scan_goes_on(tmp_path):
    repo = make_repo(tmp_path, {
        "app.py": APP,
        "legacy.py": "from flask import Flask\napp = Flask(__name__)\n@app.route('/old')\ndef old():\n    print 'x'\n",
        "broken.py": "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/x'\ndef x(:\n",
    })
    report = scan(repo)
    skipped = {n["path"]: n["reason"] for n in report["skipped"] if n["path"].endswith(".py")}
    assert skipped == {"legacy.py": "syntax-error", "broken.py": "syntax-error"}
    assert set(auth_findings(report)) == {"report", "feature_flags", "promo"}
