"""The HTML audit report: escaping, no secrets, self-contained, grouping, excerpts."""

from __future__ import annotations

import base64
import random
import re
import subprocess
import sys

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.model import Origin
from scanner.reporters.html import HtmlReporter
from scanner.rules import default_registry
from scanner.scorecard import build_scorecard
from scanner.sources.worktree import WorktreeSource
from scanner.testing import MemorySource
from tests.conftest import ROOT, anthropic_key, stripe_key


def scan(files: dict[str, str], origin: Origin | None = None, root: str = "/tmp/shop"):
    source = MemorySource(files, origin=origin or Origin())
    return Engine(default_registry(), Config(), DETECTORS).run([source], root=root, source_names=["working tree"])


def private_key() -> str:
    rng = random.Random(11)
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(144))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN RSA " + "PRIVATE KEY-----", *lines, "-----END RSA " + "PRIVATE KEY-----"])


def test_script_in_snippet_and_path_renders_as_text():
    files = {"evil<b>.py": f'x = "<script>alert(1)</script>"; KEY = "{stripe_key()}"\n'}
    html = HtmlReporter().render(scan(files))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "evil<b>.py" not in html and "evil&lt;b&gt;.py" in html
    assert html.count("<script>") == 1  # our own filter script only


def test_no_secret_value_appears():
    key, stripe = anthropic_key(), stripe_key()
    html = HtmlReporter().render(scan({"llm.py": f'A = "{key}"\nB = "{stripe}"\n'}))
    assert key not in html and stripe not in html and key[:16] not in html
    assert "sha256:" in html


def test_multiline_private_key_is_masked_in_every_excerpt_line():
    pem = private_key()
    text = "import os\n\nKEY = '''" + pem + "'''\n\nprint(KEY)\n"
    result = scan({"deploy/key.py": text})
    finding = next(f for f in result.findings if "private" in f.rule_id)
    excerpt = "\n".join(line for _, line in finding.location.excerpt)
    html = HtmlReporter().render(result)
    for body_line in pem.splitlines()[1:-1]:
        assert body_line not in excerpt and body_line not in html
    numbers = [n for n, _ in finding.location.excerpt]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert numbers[0] == max(1, finding.location.line - 2) and len(numbers) <= 9


def test_excerpt_has_context_lines_numbered_as_in_the_file():
    text = "a = 1\nb = 2\nc = 3\nKEY = '" + stripe_key() + "'\nd = 4\ne = 5\nf = 6\n"
    finding = scan({"s.py": text}).findings[0]
    assert [n for n, _ in finding.location.excerpt] == [2, 3, 4, 5, 6]
    assert finding.location.excerpt[2][1].startswith("KEY = 'sk_liv…[")


def test_self_contained_without_network_references():
    html = HtmlReporter().render(scan({"llm.py": f'A = "{anthropic_key()}"\n'}))
    assert not re.search(r"<(script|img|iframe|link|source|video|audio)[^>]+(src|href)=", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html)
    assert html.startswith("<!doctype html>") and "<style>" in html


def test_grouped_by_check_then_rule_with_why_and_fix():
    html = HtmlReporter().render(scan({"llm.py": f'A = "{anthropic_key()}"\n', "s.py": f'S = "{stripe_key()}"\n'}))
    group = html.index('<section class="group" data-check="secrets">')
    anthropic, stripe = html.index('id="rule-anthropic-api-key"'), html.index('id="rule-stripe-secret-key"')
    assert group < anthropic < stripe
    assert "why it matters" in html.lower() and "How to fix" in html
    assert "Roll the key in the Stripe dashboard" in html
    assert "Not launch-ready" in html and "Secrets server-side only" in html


def test_history_commit_and_suppression_are_shown():
    origin = Origin(kind="history", commit="c0ffee" + "0" * 34, author="dev", date="2026-01-02",
                    present_at_head=False)
    result = scan({"old.py": f'S = "{stripe_key()}"  # launchready: ignore -- revoked in March\n'}, origin=origin)
    html = HtmlReporter().render(result)
    assert "commit c0ffee000000 by dev on 2026-01-02" in html
    assert "no longer at HEAD" in html
    assert "suppressed (inline: revoked in March)" in html


def test_clean_scan_without_evidence_is_not_launch_ready_and_says_why():
    result = scan({"app.py": "print('ok')\n"})
    card = build_scorecard(result)
    unchecked, unproven = len(card.with_status("not-checked")), len(card.with_status("no-issue-found"))
    html = HtmlReporter().render(result)
    assert unchecked >= 1 and unproven >= 1 and not card.launch_ready
    assert "Not launch-ready" in html and "No findings." in html and f"{unchecked} checks were not examined" in html
    assert f"{unproven} no issue found" in html and "No issue found, and no evidence it is met" in html
    assert "Examined: 1 file" in html  # the secrets card says what it looked at
    assert "Why: no LLM agent tool found" in html  # a not-checked card says why


def test_demo_report_via_cli(tmp_path):
    out = tmp_path / "demo.html"
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(ROOT / "fixtures" / "demo-app"), "--html",
                          str(out), "-q"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    html = out.read_text()
    assert "demo-app" in html and html.count('class="finding') >= 4


def test_text_scan_does_not_import_jinja2(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    code = ("import sys\nfrom scanner.cli import main\nsys.argv = ['launchready', 'scan', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nassert 'jinja2' not in sys.modules, 'jinja2 imported'\n")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_skipped_paths_are_listed(tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0binary")
    (tmp_path / "a.py").write_text(f'S = "{stripe_key()}"\n')
    source = WorktreeSource(root=tmp_path, paths=[tmp_path], exclude=(), max_file_size=10_000_000,
                            use_gitignore=True)
    result = Engine(default_registry(), Config(), DETECTORS).run([source], root=str(tmp_path),
                                                                  source_names=["working tree"])
    html = HtmlReporter().render(result)
    assert "paths skipped" in html and "logo.png" in html


def test_rule_prose_is_escaped_before_code_and_paragraph_markup():
    from scanner.reporters.html import prose, split_description

    assert str(prose("Use `<b>x</b>` here.\n\nSecond <i>para</i>.")) == (
        "<p>Use <code>&lt;b&gt;x&lt;/b&gt;</code> here.</p><p>Second &lt;i&gt;para&lt;/i&gt;.</p>")
    assert split_description("What it does: finds A.\n\nWhy it matters: B breaks.") == ("finds A.", "B breaks.")
    assert split_description("Finds A. Anyone can B.") == ("Finds A. Anyone can B.", "")
