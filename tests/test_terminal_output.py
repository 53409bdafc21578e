"""Text output never passes terminal control characters from scanned data to the terminal.

A scanned tree is untrusted: file names and lines may hold ANSI/OSC escape sequences, carriage
returns, bells or bidi overrides. The real CLI runs on a real temporary tree; whatever the file holds,
stdout and stderr carry only visible escapes (``\\x1b``), and every finding stays on one line.
"""

from __future__ import annotations

import json
import re

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters.terminal import BIDI_CONTROLS, terminal_safe
from scanner.reporters.text import TextReporter
from scanner.rules import default_registry
from scanner.sources.worktree import WorktreeSource
from scanner.testing import expand
from tests.conftest import run_cli

ESC_NAME = "evil\n\x1b[31mred\x1b[0m.py"  # a newline and a colour sequence in the file name
OSC_LINK = "\x1b]8;;https://example.invalid\x07click\x1b]8;;\x07"
ROUTE_FILE = (
    "from flask import Flask\n"
    "from models import Report\n"
    "app = Flask(__name__)\n"
    f'@app.get("/reports/<int:report_id>")  # {OSC_LINK} \x1b[2J\u202eevil\u202c\x08\x7f\x9b\n'
    "def report(report_id):\n"
    "    return Report.query.get(report_id).to_dict()\n"
)
#: Built at run time from placeholders, so no key-shaped literal lives in the repository.
SECRET_LINE = expand('STRIPE_KEY = "sk_' + 'live_{alnum:24}"  # \x1b]52;c;aGk=\x07\x1b[1A\rlooks-clean\n', "terminal")

RAW_CONTROLS = ["\x1b", "\x07", "\r", "\x08", "\x7f", "\x9b", *BIDI_CONTROLS]


@pytest.fixture
def hostile(tmp_path):
    (tmp_path / ESC_NAME).write_text(ROUTE_FILE, encoding="utf-8")
    (tmp_path / "settings\x1b]0;pwned\x07.py").write_text(SECRET_LINE, encoding="utf-8")
    broken = 'from flask import Flask\napp = Flask(__name__)\n@app.route("/x")\ndef (\x1b]0;x\x07:\n'
    (tmp_path / "broken\x1b[5m.py").write_text(broken, encoding="utf-8")  # a syntax-error notice
    (tmp_path / "latin\u202e1.txt").write_bytes(b"caf\xe9 \x1b[2J\n")  # invalid UTF-8: a warning
    return tmp_path


def assert_no_raw_controls(text: str) -> None:
    leaked = sorted({repr(c) for c in RAW_CONTROLS if c in text})
    assert not leaked, f"raw control characters reached the terminal: {leaked}"


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\r", "\n", "\x08", "\x00", "\x7f", "\x85", "\x9b",
                                  "\u202a", "\u202e", "\u2066", "\u2069", "\u200f", "\u2028"])
def test_every_control_character_is_rendered_visibly(char):
    safe = terminal_safe(f"a{char}b")
    assert char not in safe and safe.startswith("a\\") and safe.endswith("b") and safe.isprintable()


def test_printable_text_is_unchanged():
    text = "naïve café — 日本語 path/to/file.py:12 \\x1b stays as typed"
    assert terminal_safe(text) == text


def test_text_report_escapes_names_lines_and_evidence(hostile):
    result = run_cli("scan", str(hostile), "--fail-on", "none", "--verbose")
    assert result.returncode == 0, result.stderr
    assert_no_raw_controls(result.stdout)
    assert_no_raw_controls(result.stderr)
    assert "evil\\n\\x1b[31mred\\x1b[0m.py" in result.stdout  # the file name, one line, visible
    assert "settings\\x1b]0;pwned\\x07.py" in result.stdout
    assert "skipped broken\\x1b[5m.py: syntax-error" in result.stdout  # --verbose notices
    assert "latin\\u202e1.txt" in result.stdout
    assert "\\x1b[1A\\rlooks-clean" in result.stdout  # a carriage return cannot overwrite the line
    assert "\\x1b]8;;https://example.invalid\\x07click" in result.stdout  # the snippet, visible
    finding_lines = [line for line in result.stdout.splitlines()
                     if re.match(r"^\s+\d+:\d+\s+(CRITICAL|HIGH|MEDIUM|LOW|INFO)\s", line)]
    rules = sorted(line.split()[2] for line in finding_lines)
    document = json.loads(run_cli("scan", str(hostile), "--fail-on", "none", "--format", "json").stdout)
    assert rules == sorted(f["rule_id"] for f in document["findings"])  # one line per finding, none split
    assert {"auth-route-unauthenticated", "stripe-secret-key"} <= set(rules)
    # the file name is one whole header line, not two
    assert terminal_safe(ESC_NAME) in result.stdout.splitlines()
    assert not any(line.startswith("[31mred") for line in result.stdout.splitlines())


def test_json_keeps_the_real_file_name_and_line(hostile):
    result = run_cli("scan", str(hostile), "--fail-on", "none", "--format", "json")
    document = json.loads(result.stdout)
    paths = {f["location"]["path"] for f in document["findings"]}
    assert ESC_NAME in paths
    route = next(f for f in document["findings"] if f["rule_id"] == "auth-route-unauthenticated")
    assert OSC_LINK in route["location"]["snippet"]


def test_error_messages_on_stderr_are_escaped(tmp_path):
    missing = tmp_path / "gone\n\x1b]0;title\x07\u202e"
    result = run_cli("scan", str(missing))
    assert result.returncode == 2
    assert_no_raw_controls(result.stderr)
    assert result.stderr.count("\n") == 1 and "gone\\n\\x1b]0;title\\x07\\u202e" in result.stderr


def test_click_usage_errors_are_escaped(tmp_path):
    folder = tmp_path / "dir\x1b[2J"
    folder.mkdir()
    result = run_cli("scan", str(tmp_path), "--output", str(folder))  # a directory where a file is expected
    assert result.returncode == 2
    assert_no_raw_controls(result.stderr)
    assert "dir\\x1b[2J" in result.stderr


def test_colour_still_styles_escaped_data(hostile):
    registry = default_registry()
    source = WorktreeSource(root=hostile, paths=[hostile])
    result = Engine(registry, Config(), DETECTORS).run([source], root=str(hostile), source_names=["working tree"])
    text = TextReporter(color=True).render(result)
    assert "\x1b[1m" in text  # our own bold/colour codes are there
    data = re.sub(r"\x1b\[[0-9;]*m", "", text)  # remove only SGR styling; the data's own escapes are visible
    assert_no_raw_controls(data)
    assert "evil\\n\\x1b[31mred" in data
