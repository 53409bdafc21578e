"""Baselines: ``launchready baseline`` writes hashes only; ``scan --baseline`` reports only new findings,
for launchready's own format and for detect-secrets' ``.secrets.baseline``."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from scanner.baseline import BaselineError, load_baseline
from tests.conftest import anthropic_key, run_cli, stripe_key


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one committed secret."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.py").write_text(f'STRIPE = "{stripe_key()}"\n', encoding="utf-8")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org",
                    "commit", "-qm", "init"], check=True)
    return tmp_path


def _json_scan(repo: Path, *args: str) -> dict:
    result = run_cli("scan", str(repo), "--format", "json", "--fail-on", "none", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_baseline_holds_hashes_only_and_suppresses_known_findings(repo: Path):
    written = run_cli("baseline", str(repo))
    assert written.returncode == 0, written.stderr
    path = repo / ".launchready-baseline.json"
    text = path.read_text(encoding="utf-8")
    assert stripe_key() not in text and stripe_key()[:12] not in text
    document = json.loads(text)
    assert document["format"] == "launchready-baseline" and document["version"] == 1
    [entry] = document["findings"]
    assert entry["rule_id"] == "stripe-secret-key" and entry["path"] == "app.py"
    assert entry["secret_sha256"] == hashlib.sha256(stripe_key().encode()).hexdigest()

    report = _json_scan(repo, "--baseline", str(path))
    assert report["summary"]["total"] == 0 and report["summary"]["suppressed"] == 1
    assert report["findings"][0]["suppression"]["kind"] == "baseline"
    exit_code = run_cli("scan", str(repo), "--baseline", str(path), "--fail-on", "info").returncode
    assert exit_code == 0  # the baseline file itself is not reported either


def test_new_secret_is_reported_despite_baseline(repo: Path):
    assert run_cli("baseline", str(repo)).returncode == 0
    (repo / "other.py").write_text(f'KEY = "{anthropic_key()}"\n', encoding="utf-8")
    report = _json_scan(repo, "--baseline", str(repo / ".launchready-baseline.json"))
    active = [f for f in report["findings"] if f["suppression"] is None]
    assert [f["rule_id"] for f in active] == ["anthropic-api-key"]


def test_moved_secret_still_matches_by_secret_hash(repo: Path):
    assert run_cli("baseline", str(repo)).returncode == 0
    (repo / "app.py").write_text(f'import os\n\nOTHER = "{stripe_key()}"\nSTRIPE = "{stripe_key()}"\n',
                                 encoding="utf-8")
    report = _json_scan(repo, "--baseline", str(repo / ".launchready-baseline.json"))
    assert report["summary"]["suppressed"] == 2 and report["summary"]["total"] == 0


def test_detect_secrets_baseline_is_written_and_read(repo: Path):
    out = repo / ".secrets.baseline"
    assert run_cli("baseline", str(repo), "--format", "detect-secrets").returncode == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    [item] = document["results"]["app.py"]
    assert item["hashed_secret"] == hashlib.sha1(stripe_key().encode()).hexdigest()
    assert item["line_number"] == 1 and stripe_key() not in out.read_text(encoding="utf-8")
    report = _json_scan(repo, "--baseline", str(out))
    assert report["summary"]["total"] == 0 and report["summary"]["suppressed"] == 1


def test_baseline_made_by_detect_secrets_itself_is_accepted(repo: Path):
    """The real detect-secrets tool writes the baseline; launchready honours it (auto-detected)."""
    from bench._common import tool_path

    tool = tool_path("detect-secrets")
    if tool is None:
        pytest.skip("detect-secrets is not installed (dev extra)")
    made = subprocess.run([tool, "scan", "--all-files", "."], cwd=repo, capture_output=True, text=True, check=True)
    assert "app.py" in json.loads(made.stdout)["results"], "detect-secrets should see the Stripe key"
    (repo / ".secrets.baseline").write_text(made.stdout, encoding="utf-8")
    report = _json_scan(repo, "--baseline", str(repo / ".secrets.baseline"))
    stripe = [f for f in report["findings"] if f["rule_id"] == "stripe-secret-key"]
    assert stripe and all(f["suppression"]["kind"] == "baseline" for f in stripe)


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"format": "launchready-baseline", "version": 99, "findings": []}', "unsupported"),
    ('{"something": "else"}', "neither"),
])
def test_bad_baseline_is_a_clear_error(tmp_path: Path, content: str, message: str):
    bad = tmp_path / "b.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        load_baseline(bad)
    result = run_cli("scan", str(tmp_path), "--baseline", str(bad))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_missing_baseline_is_a_clear_error(tmp_path: Path):
    result = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "cannot read baseline" in result.stderr
