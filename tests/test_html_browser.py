"""The demo report in real headless Chromium: no console messages, a screenshot, and working filters.

Chromium prints every console message (errors, uncaught exceptions, logs) to stderr as ``CONSOLE``
lines with ``--enable-logging=stderr``; our page logs nothing, so any such line fails the test.
Filters are driven through the URL fragment the page reads on load, then ``--dump-dom`` shows the
DOM after the script ran. Skipped with the reason when no Chromium is installed (CI installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters.html import HtmlReporter
from scanner.rules import default_registry
from scanner.sources.worktree import WorktreeSource
from scanner.testing import MemorySource
from tests.conftest import ROOT, anthropic_key, fake_key, stripe_key

DEMO = ROOT / "fixtures" / "demo-app"
SCREENSHOT = ROOT / "reports" / "demo-screenshot.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]


def find_chromium() -> str:
    """The Chromium binary; skips the calling test with the reason when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    source = WorktreeSource(root=DEMO, paths=[DEMO], exclude=(), max_file_size=10_000_000, use_gitignore=True)
    result = Engine(default_registry(), Config(), DETECTORS).run([source], root=str(DEMO),
                                                                  source_names=["working tree"])
    path = tmp_path_factory.mktemp("html") / "demo.html"
    path.write_text(HtmlReporter().render(result), encoding="utf-8")
    return path


def browse(chromium: str, url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def visible_findings(dom: str) -> tuple[int, int]:
    tags = re.findall(r'<div class="finding[^"]*"[^>]*>', dom)
    return sum(1 for t in tags if " hidden" not in t), len(tags)


def test_console_capture_works(chromium, tmp_path):
    """Guard for the check below: a page with an uncaught error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><script>undefinedFunction()</script>")
    run = browse(chromium, page.as_uri(), tmp_path, "--dump-dom")
    assert any("undefinedFunction" in line for line in console_lines(run.stderr))


def test_demo_report_renders_without_console_messages_and_screenshots(chromium, demo_report, tmp_path):
    SCREENSHOT.parent.mkdir(exist_ok=True)
    run = browse(chromium, demo_report.as_uri(), tmp_path, "--window-size=1280,2400",
                 f"--screenshot={SCREENSHOT}")
    assert console_lines(run.stderr) == []
    assert SCREENSHOT.is_file() and SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000  # a rendered page, not a blank image


def test_filters_run_in_the_browser(chromium, demo_report, tmp_path):
    plain = browse(chromium, demo_report.as_uri(), tmp_path, "--dump-dom")
    assert console_lines(plain.stderr) == []
    shown, total = visible_findings(plain.stdout)
    assert total >= 4 and shown == total
    assert f"showing {total} of {total}" in plain.stdout
    assert '<form class="filters" id="filters" onsubmit' in plain.stdout  # revealed by the script

    # The search covers each finding's data-search text (path, rule, title, message, snippet).
    expected = sum("stripe" in text for text in re.findall(r'data-search="([^"]*)"', demo_report.read_text()))
    assert 0 < expected < total
    searched = browse(chromium, demo_report.as_uri() + "#q=stripe", tmp_path, "--dump-dom")
    assert console_lines(searched.stderr) == []
    assert visible_findings(searched.stdout) == (expected, total)
    assert f"showing {expected} of {total}" in searched.stdout


def test_severity_filter_in_the_browser(chromium, tmp_path):
    aws = fake_key("AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    files = {"a.py": f'S = "{stripe_key()}"\n', "b.py": f'A = "{anthropic_key()}"\n', "c.py": f"K = {aws}\n"}
    result = Engine(default_registry(), Config(), DETECTORS).run([MemorySource(files)], root=str(tmp_path),
                                                                  source_names=["working tree"])
    page = tmp_path / "mixed.html"
    page.write_text(HtmlReporter().render(result), encoding="utf-8")
    critical = browse(chromium, page.as_uri() + "#severity=critical", tmp_path, "--dump-dom")
    assert console_lines(critical.stderr) == []
    assert visible_findings(critical.stdout) == (2, 3)  # the high AWS key is filtered out
    assert re.search(r'id="rule-aws-access-key-id" hidden', critical.stdout)


def test_page_reads_without_javascript(demo_report):
    html = demo_report.read_text()
    # Without the script every finding is visible and the filter form stays hidden.
    assert '<form class="filters" id="filters" hidden' in html
    assert visible_findings(html)[0] == visible_findings(html)[1] >= 4
