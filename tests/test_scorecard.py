"""The scorecard through the real engine: fail, pass (on evidence only), no issue found (examined, no evidence) and
not checked (with why), from rule metadata only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import jsonschema
import pytest

from scanner.config import Config
from scanner.context import Context, Hit
from scanner.detectors import DETECTORS
from scanner.detectors.base import Detector
from scanner.engine import Engine
from scanner.model import CHECKS, Artifact
from scanner.reporters import get_reporter
from scanner.rules import default_registry, load_rules
from scanner.scorecard import CHECK_INFO, FAIL, NO_ISSUE, NOT_CHECKED, PASS, CheckResult, Scorecard, build_scorecard
from scanner.testing import MemorySource
from tests.conftest import ROOT, stripe_key

RULES_YAML = """
rules:
  - id: todo-marker
    kind: code
    title: TODO marker in a route
    severity: {severity}
    check: auth
    description: Test rule that flags the word TODO.
    remediation: Finish the code.
    examples: {{invalid: ["TODO"], valid: ["done"]}}
  - id: monitoring-probe
    kind: code
    title: Error tracking initialised
    severity: low
    check: monitoring
    description: Test rule that records positive evidence for monitoring.
    remediation: Initialise error tracking.
    examples: {{invalid: ["x"], valid: ["y"]}}
  - id: js-only
    kind: code
    title: A rule that reads only JavaScript
    severity: high
    check: cors
    description: Test rule for JavaScript files.
    remediation: None needed.
    examples: {{invalid: ["x"], valid: ["y"]}}
"""


class TodoDetector(Detector):
    """Flags every ``TODO`` in Python files (auth check)."""

    rule_ids = ("todo-marker",)
    kinds = frozenset({"python"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterable[Hit]:
        ctx.examined("auth", "Python file")
        for match in re.finditer(r"TODO", artifact.text):
            yield ctx.finding("todo-marker", ctx.span(match.start(), match.end()), key=f"todo{match.start()}")


class SentryEvidence(Detector):
    """Records positive evidence when ``sentry_sdk.init`` appears; never reports."""

    rule_ids = ("monitoring-probe",)
    kinds = frozenset({"javascript"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterable[Hit]:
        if "sentry_sdk.init" in artifact.text:
            ctx.evidence("monitoring", f"Sentry initialised in {artifact.path}")
        return ()


class JsOnly(Detector):
    rule_ids = ("js-only",)
    kinds = frozenset({"javascript"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterable[Hit]:
        return ()


def scorecard_of(tmp_path: Path, files: dict[str, str], severity: str = "medium"):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir(exist_ok=True)
    (rules_dir / "test.yaml").write_text(RULES_YAML.format(severity=severity))
    engine = Engine(load_rules(rules_dir), Config(), [TodoDetector, SentryEvidence, JsOnly])
    result = engine.run([MemorySource(files)], root=str(tmp_path), source_names=["test"])
    return {c.check: c for c in build_scorecard(result).checks}, build_scorecard(result)


def test_every_check_has_a_title_and_what_breaks():
    assert set(CHECK_INFO) == set(CHECKS)
    assert all(info.title and info.breaks.endswith(".") for info in CHECK_INFO.values())


def test_medium_finding_fails_its_check(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "# TODO\n"})
    assert rows["auth"].status == FAIL and rows["auth"].failing == 1
    assert not card.launch_ready
    assert card.verdict.startswith("Not launch-ready: 1 of 11 checks fail (auth)")


def test_low_finding_is_a_warning_not_a_failure_nor_a_pass(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "# TODO\n"}, severity="low")
    assert rows["auth"].status == NO_ISSUE
    assert (rows["auth"].warnings, rows["auth"].failing) == (1, 0)
    assert not card.launch_ready


def test_rule_that_examined_and_found_nothing_is_no_issue_found_not_pass(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "print('ok')\n", "b.py": "x = 1\n"})
    auth = rows["auth"]
    assert auth.status == NO_ISSUE and auth.findings == 0 and auth.rules_applied == 1
    assert auth.summary == "no issue found in 2 Python files"
    assert not card.launch_ready


def test_rule_whose_detector_saw_no_relevant_file_is_not_checked_and_says_why(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "print('ok')\n"})
    assert rows["cors"].status == NOT_CHECKED  # js-only ran, but no JavaScript file was scanned
    assert rows["cors"].reason == CHECK_INFO["cors"].not_checked
    assert rows["email-auth"].status == NOT_CHECKED  # no rule at all
    assert rows["email-auth"].reason == "no rule of this check ran (disabled or not selected)"
    assert not card.launch_ready
    assert card.verdict == "Not launch-ready: no check fails; 0 pass; 1 no issue found; 10 not checked."


def test_positive_evidence_passes_and_is_listed(tmp_path):
    rows, _ = scorecard_of(tmp_path, {"web.js": "sentry_sdk.init()\n"})
    assert rows["monitoring"].status == PASS
    assert rows["monitoring"].evidence == ("Sentry initialised in web.js",)
    assert rows["monitoring"].summary == "Sentry initialised in web.js"
    assert rows["cors"].status == NOT_CHECKED  # the JavaScript rule read web.js but said it examined nothing


def test_suppressed_finding_does_not_fail(tmp_path):
    rows, _ = scorecard_of(tmp_path, {"app.py": "# TODO  launchready: ignore -- tracked in JIRA-1\n"})
    assert rows["auth"].status == NO_ISSUE and rows["auth"].suppressed == 1 and rows["auth"].findings == 0


def _row(check: str, status: str) -> CheckResult:
    info = CHECK_INFO[check]
    return CheckResult(check, info.title, info.breaks, status, {}, 0, 1)


def test_launch_ready_only_when_every_check_passes_in_a_scan_that_read_a_file():
    every = tuple(_row(check, PASS) for check in CHECKS)
    assert Scorecard(every, artifacts_scanned=3).launch_ready
    assert Scorecard(every, artifacts_scanned=3).verdict == "Launch-ready: all 11 checks pass."
    assert not Scorecard(every, artifacts_scanned=0).launch_ready
    one_short = (*every[:-1], _row(CHECKS[-1], NO_ISSUE))
    card = Scorecard(one_short, artifacts_scanned=3)
    assert not card.launch_ready
    assert card.verdict == "Not launch-ready: no check fails; 10 pass; 1 no issue found."
    failing = (_row("secrets", FAIL), *every[1:-1], _row(CHECKS[-1], NOT_CHECKED))
    assert Scorecard(failing, 3).verdict == ("Not launch-ready: 1 of 11 checks fail (secrets); 9 pass; "
                                             "1 not checked.")


@pytest.fixture
def leaky_result(tmp_path):
    engine = Engine(default_registry(), Config(), DETECTORS)
    files = {"settings.py": f'KEY = "{stripe_key()}"\n', "app.py": "print('hi')\n"}
    return engine.run([MemorySource(files)], root=str(tmp_path), source_names=["working tree"])


def test_json_report_has_scorecard_and_validates(leaky_result):
    schema = json.loads((ROOT / "scanner" / "reporters" / "report.schema.json").read_text())
    doc = json.loads(get_reporter("json").render(leaky_result))
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "1.3"
    secrets = next(c for c in doc["scorecard"]["checks"] if c["check"] == "secrets")
    assert secrets["status"] == "fail" and secrets["by_severity"]["critical"] == 1
    assert secrets["examined"] == [{"what": "file", "count": 2, "files": 2}]
    agents = next(c for c in doc["scorecard"]["checks"] if c["check"] == "agent-tools")
    assert agents["status"] == "not-checked" and agents["not_checked_reason"] == "no LLM agent tool found"
    assert doc["scorecard"]["launch_ready"] is False
    assert sum(doc["scorecard"]["counts"].values()) == 11
    assert [c["check"] for c in doc["scorecard"]["checks"]] == list(CHECKS)


def test_text_report_shows_scorecard_and_verdict(leaky_result):
    text = get_reporter("text").render(leaky_result)
    assert "Launch-readiness scorecard" in text
    assert re.search(r"FAIL\s+Secrets server-side only\s+1 finding \(1 critical\)", text)
    assert re.search(r"--\s+Agent tools gated by human confirmation\s+not checked: no LLM agent tool found", text)
    assert "Not launch-ready: 1 of 11 checks fail (secrets)" in text


def real_scorecard(tmp_path: Path, files: dict[str, str]):
    engine = Engine(default_registry(), Config(), DETECTORS)
    result = engine.run([MemorySource(files)], root=str(tmp_path), source_names=["working tree"])
    return {c.check: c for c in build_scorecard(result).checks}


APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_monitoring_fails_for_an_app_without_error_tracking(tmp_path):
    rows = real_scorecard(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\n"})
    assert rows["monitoring"].status == FAIL and rows["monitoring"].failing == 1


def test_monitoring_dependency_alone_is_no_issue_found_and_initialisation_passes(tmp_path):
    files = {"main.py": APP, "requirements.txt": "fastapi\nsentry-sdk==2.14.0\n"}
    rows = real_scorecard(tmp_path, files)
    assert rows["monitoring"].status == NO_ISSUE and rows["monitoring"].evidence == ()
    assert rows["monitoring"].examined_text == ("1 FastAPI app in 1 file; "
                                                "1 dependency on an error tracker in 1 file")
    files["main.py"] = "import sentry_sdk\n" + APP + "sentry_sdk.init(dsn=DSN)\n"
    rows = real_scorecard(tmp_path, files)
    assert rows["monitoring"].status == PASS
    assert rows["monitoring"].evidence == ("Sentry initialised in main.py",)


def test_monitoring_not_checked_without_app_or_tool(tmp_path):
    rows = real_scorecard(tmp_path, {"util.py": "def add(a, b):\n    return a + b\n"})
    assert rows["monitoring"].status == NOT_CHECKED
    assert rows["monitoring"].summary == "not checked: no web app or error tracker found"


def test_tls_evidence_from_django_settings(tmp_path):
    settings = "INSTALLED_APPS = []\nSECURE_SSL_REDIRECT = True\nSECURE_HSTS_SECONDS = 3600\n"
    rows = real_scorecard(tmp_path, {"mysite/settings.py": settings})
    assert rows["tls"].status == PASS
    assert "SECURE_SSL_REDIRECT = True in mysite/settings.py" in rows["tls"].evidence
    rows = real_scorecard(tmp_path, {"mysite/settings.py": "INSTALLED_APPS = []\nDEBUG = False\n"})
    assert rows["tls"].status == NO_ISSUE and rows["tls"].examined_text == "1 Django settings file"


def test_importing_detectors_does_not_import_libcst():
    code = "import sys, scanner.detectors\nassert 'libcst' not in sys.modules, 'libcst imported'\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_email_auth_passes_only_with_spf_dkim_and_dmarc(tmp_path):
    zone = '@ IN TXT "v=spf1 include:_spf.google.com -all"\n_dmarc IN TXT "v=DMARC1; p=reject"\n'
    rows = real_scorecard(tmp_path, {"dns/example.com.zone": zone})
    assert rows["email-auth"].status == NO_ISSUE  # no DKIM key: not shown to be met
    assert rows["email-auth"].examined_text == "1 DMARC record in 1 file; 1 SPF record in 1 file"
    dkim = 'mail._domainkey IN TXT "v=DKIM1; k=rsa; p=MIGf"\n'
    rows = real_scorecard(tmp_path, {"dns/example.com.zone": zone, "dns/dkim.zone": dkim})
    assert rows["email-auth"].status == PASS
    assert rows["email-auth"].evidence == ("DKIM key in dns/dkim.zone", "DMARC (p=reject) in dns/example.com.zone",
                                           "SPF (-all) in dns/example.com.zone")
    rows = real_scorecard(tmp_path, {"dns/example.com.zone": '@ IN TXT "v=spf1 -all"\n'})
    assert rows["email-auth"].status == FAIL  # SPF without DMARC
    rows = real_scorecard(tmp_path, {"infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    assert rows["email-auth"].status == NOT_CHECKED
    assert rows["email-auth"].reason == CHECK_INFO["email-auth"].not_checked


def test_empty_directory_is_not_launch_ready_and_nothing_is_checked(tmp_path):
    from scanner.sources.worktree import WorktreeSource

    (tmp_path / "empty").mkdir()
    root = tmp_path / "empty"
    config = Config()
    source = WorktreeSource(root=root, paths=[root], exclude=config.exclude, max_file_size=config.max_file_size)
    result = Engine(default_registry(), config, DETECTORS).run([source], root=str(root), source_names=["wt"])
    card = build_scorecard(result)
    assert [c.status for c in card.checks] == [NOT_CHECKED] * 11
    assert all(c.reason == "no file was scanned" for c in card.checks)
    assert not card.launch_ready
    assert card.verdict == "Not launch-ready: no file was scanned; 0 pass; 11 not checked."


FLASK = """\
from flask import Flask, request
from flask_login import login_required
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()
{extra}

@app.post("/chat")
{decorators}def chat():
    return client.chat.completions.create(model="m", messages=[request.get_json()["q"]])


@app.get("/health")
def health():
    return {{"ok": True}}
"""


def flask_app(extra: str = "", decorators: str = "") -> str:
    return FLASK.format(extra=extra, decorators=decorators)


def test_each_state_through_the_real_engine(tmp_path):
    limited = flask_app("from flask_limiter import Limiter\nlimiter = Limiter(app=app)",
                        '@limiter.limit("5/minute")\n@login_required\n')
    rows = real_scorecard(tmp_path, {"app.py": limited})
    assert rows["rate-limits"].status == PASS
    assert rows["rate-limits"].evidence == ("inbound rate limit on the route: 1 of 1 chat or auth route in app.py",)
    assert rows["auth"].status == PASS
    assert rows["auth"].evidence == ("authentication required (@login_required): 1 of 2 routes in app.py; "
                                     "1 public by intent",)
    assert rows["logging"].status == NO_ISSUE and rows["logging"].examined_text.startswith("1 Python file")
    assert rows["secrets"].status == NO_ISSUE and rows["secrets"].examined_text == "1 file"
    assert rows["agent-tools"].status == NOT_CHECKED
    rows = real_scorecard(tmp_path, {"app.py": flask_app()})
    assert rows["rate-limits"].status == FAIL and rows["auth"].status == FAIL


def test_names_like_rate_limit_are_not_evidence_of_a_limiter(tmp_path):
    scraper = flask_app("import time\nRATE_LIMIT_DELAY = 2\nrate_limit = RATE_LIMIT_DELAY\n"
                        "default_limits = {'crawler': '1/second'}\n\n\ndef crawl(urls):\n"
                        "    for url in urls:\n        time.sleep(rate_limit)\n")
    rows = real_scorecard(tmp_path, {"app.py": scraper})
    assert rows["rate-limits"].evidence == ()
    assert rows["rate-limits"].status == FAIL  # the chat route still has no inbound limit
    assert rows["rate-limits"].examined_text == "2 Flask routes in 1 file; 1 chat or auth route in 1 file"


def test_auth_evidence_counts_how_many_of_how_many(tmp_path):
    app = flask_app(decorators="@login_required\n").replace('@app.get("/health")', '@app.get("/reports")') \
        .replace('return {"ok": True}', 'return {"rows": db.session.query(Report).all()}')
    rows = real_scorecard(tmp_path, {"app.py": app})
    assert rows["auth"].status == FAIL
    assert rows["auth"].evidence == ("authentication required (@login_required): 1 of 2 routes in app.py; "
                                     "1 unprotected",)


def test_sarif_and_json_carry_the_same_scorecard(leaky_result):
    sarif = json.loads(get_reporter("sarif").render(leaky_result))
    doc = json.loads(get_reporter("json").render(leaky_result))
    assert sarif["runs"][0]["properties"]["scorecard"] == doc["scorecard"]
    statuses = {c["status"] for c in doc["scorecard"]["checks"]}
    assert {"fail", "no-issue-found", "not-checked"} <= statuses
