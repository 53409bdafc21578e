"""The Microsoft SARIF multitool with GitHub's ingestion rules (``Sarif;Ghas``) finds no error in our SARIF.

The multitool is installed from npm into ``.cache/sarif-multitool`` on first use (CI does it up front);
without npm the test is skipped with the reason. Its exit code is always 0, so the test reads its log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.model import Notice, Origin
from scanner.reporters.sarif import SarifReporter
from scanner.rules import default_registry
from scanner.sources.worktree import WorktreeSource
from scanner.testing import MemorySource
from tests.conftest import ROOT, anthropic_key, stripe_key

VERSION = "5.7.0"
CACHE = ROOT / ".cache" / "sarif-multitool"
BINARY = CACHE / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"


def install_multitool() -> Path:
    """The multitool binary, installed on first use; skips the calling test with the reason when it cannot be."""
    if not BINARY.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so the SARIF multitool cannot be installed")
        CACHE.mkdir(parents=True, exist_ok=True)
        install = subprocess.run([npm, "install", "--no-audit", "--no-fund", f"@microsoft/sarif-multitool@{VERSION}"],
                                 cwd=CACHE, capture_output=True, text=True, timeout=600)
        if install.returncode != 0 or not BINARY.is_file():
            pytest.skip(f"npm could not install the SARIF multitool: {install.stderr.strip()[-300:]}")
    BINARY.chmod(BINARY.stat().st_mode | 0o111)
    return BINARY


@pytest.fixture(scope="module")
def multitool() -> Path:
    return install_multitool()


def multitool_errors(binary: Path, sarif_text: str, tmp_path: Path) -> list[str]:
    target, out = tmp_path / "scan.sarif", tmp_path / "out.sarif"
    target.write_text(sarif_text)
    env = {**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}
    run = subprocess.run([str(binary), "validate", str(target), "--rule-kind", "Sarif;Ghas", "--level", "Error;Warning",
                          "-o", str(out), "--log", "ForceOverwrite"], capture_output=True, text=True, timeout=300,
                         env=env)
    assert out.is_file(), f"multitool wrote no log: {run.stdout[-500:]} {run.stderr[-500:]}"
    results = json.loads(out.read_text())["runs"][0].get("results", [])
    return [f"{r['ruleId']}: {r['message'].get('arguments') or r['message'].get('text')}"
            for r in results if r.get("level") == "error"]


def test_demo_app_sarif_has_no_multitool_errors(multitool, tmp_path):
    root = ROOT / "fixtures" / "demo-app"
    source = WorktreeSource(root=root, paths=[root], exclude=(), max_file_size=10_000_000, use_gitignore=True)
    result = Engine(default_registry(), Config(), DETECTORS).run([source], root=str(root),
                                                                  source_names=["working tree"])
    assert result.findings
    assert multitool_errors(multitool, SarifReporter().render(result), tmp_path) == []


def test_suppressed_history_and_skipped_have_no_multitool_errors(multitool, tmp_path):
    files = {"app/my settings.py": f'K = "{stripe_key()}"  # launchready: ignore -- revoked\n',
             "llm.py": f'K = "{anthropic_key()}"\n'}
    history = Origin(kind="history", commit="b" * 40, author="dev", date="2026-01-01T00:00:00+00:00")
    sources = [MemorySource(files), MemorySource({"old.py": f'K = "{stripe_key(seed=3)}"\n'}, origin=history)]
    sources[0].skipped.append(Notice("assets/logo.png", "binary", "NUL bytes in the first 8 KB"))
    result = Engine(default_registry(), Config(), DETECTORS).run(sources, root=str(tmp_path),
                                                                  source_names=["working tree", "history"])
    assert any(f.suppressed for f in result.findings)
    assert multitool_errors(multitool, SarifReporter().render(result), tmp_path) == []


def test_multitool_does_catch_errors(multitool, tmp_path):
    """Guard against a silent validator: an absolute URI and an empty message must be reported."""
    result = Engine(default_registry(), Config(), DETECTORS).run(
        [MemorySource({"llm.py": f'K = "{anthropic_key()}"\n'})], root=str(tmp_path), source_names=["working tree"])
    log = SarifReporter().to_dict(result)
    broken = log["runs"][0]["results"][0]
    broken["message"]["text"] = ""
    broken["locations"][0]["physicalLocation"]["artifactLocation"] = {"uri": "file:///abs/llm.py"}
    assert multitool_errors(multitool, json.dumps(log), tmp_path)
