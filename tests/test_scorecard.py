"""The scorecard through the real engine: pass, fail, not checked and positive evidence, from rule metadata only."""

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
from scanner.detectors import DETECTORS
from scanner.detectors.base import Context, Detector, Hit
from scanner.engine import Engine
from scanner.model import CHECKS, Artifact
from scanner.reporters import get_reporter
from scanner.rules import default_registry, load_rules
from scanner.scorecard import CHECK_INFO, FAIL, NOT_CHECKED, PASS, build_scorecard
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


def test_low_finding_is_a_warning_not_a_failure(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "# TODO\n"}, severity="low")
    assert rows["auth"].status == PASS
    assert (rows["auth"].warnings, rows["auth"].failing) == (1, 0)
    assert card.launch_ready


def test_rule_that_ran_and_found_nothing_passes(tmp_path):
    rows, _ = scorecard_of(tmp_path, {"app.py": "print('ok')\n"})
    assert rows["auth"].status == PASS and rows["auth"].findings == 0 and rows["auth"].rules_applied == 1


def test_rule_whose_detector_saw_no_relevant_file_is_not_checked(tmp_path):
    rows, card = scorecard_of(tmp_path, {"app.py": "print('ok')\n"})
    assert rows["cors"].status == NOT_CHECKED  # js-only ran, but no JavaScript file was scanned
    assert rows["email-auth"].status == NOT_CHECKED  # no rule at all
    assert card.launch_ready and card.verdict == "Launch-ready: no check fails; 10 not checked."


def test_positive_evidence_passes_and_is_listed(tmp_path):
    rows, _ = scorecard_of(tmp_path, {"web.js": "sentry_sdk.init()\n"})
    assert rows["monitoring"].status == PASS
    assert rows["monitoring"].evidence == ("Sentry initialised in web.js",)
    assert rows["cors"].status == PASS  # the JavaScript rule examined web.js


def test_suppressed_finding_does_not_fail(tmp_path):
    rows, _ = scorecard_of(tmp_path, {"app.py": "# TODO  launchready: ignore -- tracked in JIRA-1\n"})
    assert rows["auth"].status == PASS and rows["auth"].suppressed == 1 and rows["auth"].findings == 0


@pytest.fixture
def leaky_result(tmp_path):
    engine = Engine(default_registry(), Config(), DETECTORS)
    files = {"settings.py": f'KEY = "{stripe_key()}"\n', "app.py": "print('hi')\n"}
    return engine.run([MemorySource(files)], root=str(tmp_path), source_names=["working tree"])


def test_json_report_has_scorecard_and_validates(leaky_result):
    schema = json.loads((ROOT / "scanner" / "reporters" / "report.schema.json").read_text())
    doc = json.loads(get_reporter("json").render(leaky_result))
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "1.1"
    secrets = next(c for c in doc["scorecard"]["checks"] if c["check"] == "secrets")
    assert secrets["status"] == "fail" and secrets["by_severity"]["critical"] == 1
    assert doc["scorecard"]["launch_ready"] is False
    assert [c["check"] for c in doc["scorecard"]["checks"]] == list(CHECKS)


def test_text_report_shows_scorecard_and_verdict(leaky_result):
    text = get_reporter("text").render(leaky_result)
    assert "Launch-readiness scorecard" in text
    assert re.search(r"FAIL\s+Secrets server-side only\s+1 finding \(1 critical\)", text)
    assert "Not launch-ready: 1 of 11 checks fail (secrets)" in text


def real_scorecard(tmp_path: Path, files: dict[str, str]):
    engine = Engine(default_registry(), Config(), DETECTORS)
    result = engine.run([MemorySource(files)], root=str(tmp_path), source_names=["working tree"])
    return {c.check: c for c in build_scorecard(result).checks}


APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_monitoring_fails_for_an_app_without_error_tracking(tmp_path):
    rows = real_scorecard(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\n"})
    assert rows["monitoring"].status == FAIL and rows["monitoring"].failing == 1


def test_monitoring_passes_with_evidence_from_dependencies(tmp_path):
    rows = real_scorecard(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\nsentry-sdk==2.14.0\n"})
    assert rows["monitoring"].status == PASS
    assert rows["monitoring"].evidence == ("Sentry in requirements.txt",)


def test_monitoring_not_checked_without_app_or_tool(tmp_path):
    rows = real_scorecard(tmp_path, {"util.py": "def add(a, b):\n    return a + b\n"})
    assert rows["monitoring"].status == NOT_CHECKED


def test_tls_evidence_from_django_settings(tmp_path):
    settings = "INSTALLED_APPS = []\nSECURE_SSL_REDIRECT = True\nSECURE_HSTS_SECONDS = 3600\n"
    rows = real_scorecard(tmp_path, {"mysite/settings.py": settings})
    assert rows["tls"].status == PASS
    assert "SECURE_SSL_REDIRECT = True in mysite/settings.py" in rows["tls"].evidence


def test_importing_detectors_does_not_import_libcst():
    code = "import sys, scanner.detectors\nassert 'libcst' not in sys.modules, 'libcst imported'\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_email_auth_from_dns_records(tmp_path):
    zone = '@ IN TXT "v=spf1 include:_spf.google.com -all"\n_dmarc IN TXT "v=DMARC1; p=reject"\n'
    rows = real_scorecard(tmp_path, {"dns/example.com.zone": zone})
    assert rows["email-auth"].status == PASS
    assert rows["email-auth"].evidence == ("DMARC (p=reject) in dns/example.com.zone",
                                           "SPF (-all) in dns/example.com.zone")
    rows = real_scorecard(tmp_path, {"dns/example.com.zone": '@ IN TXT "v=spf1 -all"\n'})
    assert rows["email-auth"].status == FAIL  # SPF without DMARC
    rows = real_scorecard(tmp_path, {"infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    assert rows["email-auth"].status == NOT_CHECKED
