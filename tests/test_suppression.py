"""Inline suppressions: where they apply, which rules they name, and that they are counted."""

from __future__ import annotations

import json

import pytest

from scanner.model import Suppression
from scanner.paths import MINIFIED_LINE, is_build_output, looks_minified
from scanner.suppress import SAME_LINE_LIMIT, inline_suppression
from scanner.testing import MemorySource, expand
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


# --- scope: a comment covers the statement it is attached to, never a bundle ---------------------------

def secret(seed: str) -> str:
    """A Stripe-shaped key built from placeholders at run time (no key-shaped literal in the repository)."""
    return expand("sk_" + "live_{alnum:24}", seed)


def stripe_findings(files: dict[str, str]) -> list:
    from scanner.config import Config
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine
    from scanner.rules import default_registry

    engine = Engine(default_registry(), Config(), DETECTORS, only_rules=["stripe-secret-key"])
    result = engine.run([MemorySource(files)], root="/tmp/project", source_names=["working tree"])
    return sorted(result.findings, key=lambda f: (f.location.path, f.location.line, f.location.column))


def minified_bundle(*keys: str) -> str:
    """One line of minified JavaScript, far longer than any hand-written line, holding ``keys``."""
    filler = ";".join(f"var a{i}=function(b){{return b*{i}}}" for i in range(300))
    return filler + "".join(f';var k{i}="{key}";{filler}' for i, key in enumerate(keys)) + ";"


def test_trailing_ignore_on_a_minified_line_suppresses_nothing():
    line = minified_bundle(secret("a"), secret("b")) + "// launchready: ignore"
    assert len(line) > MINIFIED_LINE
    findings = stripe_findings({"static/app.js": line + "\n"})
    assert len(findings) == 2 and all(f.suppression is None for f in findings)


def test_ignore_above_a_minified_line_suppresses_nothing():
    findings = stripe_findings({"static/app.js": "// launchready: ignore\n" + minified_bundle(secret("c")) + "\n"})
    assert len(findings) == 1 and findings[0].suppression is None


def test_ignore_in_a_file_with_a_minified_line_suppresses_nothing():
    text = f'const key = "{secret("d")}"; // launchready: ignore\n' + minified_bundle() + "\n"
    findings = stripe_findings({"static/vendor.js": text})
    assert len(findings) == 1 and findings[0].suppression is None


def test_trailing_ignore_on_a_long_line_does_not_cover_it_but_the_line_above_does():
    statement = f'const config = {{key: "{secret("e")}", ' + ", ".join(f"opt{i}: {i}" for i in range(80)) + "};"
    assert SAME_LINE_LIMIT < len(statement) < MINIFIED_LINE
    trailing = stripe_findings({"src/config.js": statement + " // launchready: ignore\n"})
    above = stripe_findings({"src/config.js": "// launchready: ignore -- test-mode key\n" + statement + "\n"})
    assert trailing[0].suppression is None
    assert above[0].suppression is not None and above[0].suppression.reason == "test-mode key"


@pytest.mark.parametrize("path", ["dist/app.js", "web/build/static/js/main.js", ".next/server/app/page.js",
                                  "out/index.js", "public/app.min.js", "assets/app.bundle.js",
                                  "static/js/2.8a7f3c.chunk.js", "assets/chunk-5XKQ2ZBI.js", "app.js.map"])
def test_ignore_in_build_output_suppresses_nothing(path):
    text = f'const key = "{secret(path)}"; // launchready: ignore\n'
    findings = stripe_findings({path: text})
    assert len(findings) == 1 and findings[0].suppression is None, path


def test_ignore_on_an_ordinary_python_line_still_suppresses():
    findings = stripe_findings({"app/settings.py": f'KEY = "{secret("f")}"  # launchready: ignore -- fixture\n'})
    assert len(findings) == 1 and findings[0].suppression == Suppression("inline", "fixture")


def test_ignore_on_the_line_above_still_suppresses():
    text = f'# launchready: ignore[stripe-secret-key] -- revoked\nKEY = "{secret("g")}"\nOTHER = "{secret("h")}"\n'
    findings = stripe_findings({"app/settings.py": text})
    assert [f.suppression is not None for f in findings] == [True, False]  # the line above, not two lines up


def test_a_minified_bundle_with_a_trailing_ignore_fails_the_cli_scan(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js").write_text(minified_bundle(secret("i")) + "/* launchready: ignore */\n")
    result = run_cli("scan", str(tmp_path), "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 1 and document["summary"]["suppressed"] == 0
    assert [f["rule_id"] for f in document["findings"]] == ["stripe-secret-key"]


@pytest.mark.parametrize(("path", "built"), [
    ("dist/app.js", True), ("packages/web/dist/index.mjs", True), ("build/lib/pkg/mod.py", True),
    (".next/static/chunks/main.js", True), ("vendor/jquery.min.js", True), ("styles/site.min.css", True),
    ("app.js.map", True), ("chunk-ABC123.js", True),
    ("src/app.js", False), ("scanner/build_rules.py", False), ("docs/distribution.md", False),
    ("src/minimal.js", False), ("app/output.py", False),
])
def test_is_build_output(path, built):
    assert is_build_output(path) is built


def test_looks_minified_takes_text_lines_or_one_line():
    assert looks_minified("a\n" + "x" * MINIFIED_LINE + "\n")
    assert looks_minified(["short", "y" * MINIFIED_LINE])
    assert not looks_minified("ordinary\ncode\n") and not looks_minified([]) and not looks_minified("")
