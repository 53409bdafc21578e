"""Inline suppressions: where they apply, which rules they name, and that they are counted."""

from __future__ import annotations

import json

import pytest

from scanner.suppress import inline_suppression
from tests.conftest import run_cli, stripe_key


@pytest.mark.parametrize(
    ("lines", "line", "suppressed"),
    [
        (["x = 1  # launchready: ignore"], 1, True),
        (["# launchready: ignore", "x = 1"], 2, True),
        (["# launchready: ignore", "", "x = 1"], 3, False),
        (["x = 1  # launchready: ignore[stripe-secret-key]"], 1, True),
        (["x = 1  # launchready: ignore[github-token, stripe-secret-key]"], 1, True),
        (["x = 1  # launchready: ignore[github-token]"], 1, False),
        (["x = 1  // launchready:ignore"], 1, True),
        (["x = 1  <!-- launchready: ignore -->"], 1, True),
        (["x = 1  # launchready"], 1, False),
    ],
)
def test_inline_directive(lines, line, suppressed):
    assert (inline_suppression(lines, line, "stripe-secret-key") is not None) is suppressed


def test_reason_is_kept():
    found = inline_suppression(["k = 1  # launchready: ignore[stripe-secret-key] -- test fixture"], 1,
                               "stripe-secret-key")
    assert found.kind == "inline" and found.reason == "test fixture"


def test_suppressed_findings_are_counted_and_do_not_fail(tmp_path):
    (tmp_path / "a.py").write_text(f'KEY = "{stripe_key()}"  # launchready: ignore -- fixture\n')
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 0 and "1 suppressed" in result.stdout
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert document["summary"] == {"total": 0, "suppressed": 1, "by_severity": document["summary"]["by_severity"]}
    assert document["findings"][0]["suppression"] == {"kind": "inline", "reason": "fixture"}
