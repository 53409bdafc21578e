"""Each sample app under fixtures/ marks its planted issues with `expect: <rule-id>` on the line before.

Scanning the app must report exactly those: every expected finding, and nothing else.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT, run_cli

EXPECT = re.compile(r"expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")
#: Apps whose keys are planted at test time (a ``planted.json``) have their own tests.
APPS = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir() and not (p / "planted.json").exists())


def expected_findings(app) -> set[tuple[str, int, str]]:
    expected = set()
    for path in app.rglob("*"):
        if not path.is_file():
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, start=1):
            match = EXPECT.search(line)
            if match:
                for rule_id in match.group(1).split(","):
                    expected.add((path.relative_to(app).as_posix(), number + 1, rule_id.strip()))
    return expected


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_fixture_app_findings_match_expectations(app):
    result = run_cli("scan", str(app), "--format", "json", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    found = {(f["location"]["path"], f["location"]["line"], f["rule_id"])
             for f in json.loads(result.stdout)["findings"] if f["suppression"] is None}
    expected = expected_findings(app)
    assert expected, f"{app.name} marks no expected findings"
    assert sorted(found - expected) == [], "unexpected findings"
    assert sorted(expected - found) == [], "missed findings"
