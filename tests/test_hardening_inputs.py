"""Issue 15, "what broke when tried": each hostile input that once ended a scan (exit 2, no report, or a
crash) now becomes a notice for that file or a one-line usage error naming the value, and the scan goes on.

Every test drives the real CLI in a subprocess (a parser crash would kill it: exit 139) on files built here.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.model import Artifact
from scanner.sources.files import decode, looks_binary
from tests.conftest import run_cli, stripe_key

FLASK_APP = 'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/hello")\ndef hello():\n    return "hi"\n'


def _scan(root: Path, *args: str, fmt: str = "json") -> tuple[int, dict | str, str]:
    result = run_cli("scan", str(root), "--format", fmt, *args)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.returncode, json.loads(result.stdout) if fmt == "json" else result.stdout, result.stderr


def _notices(report: dict) -> dict[str, set[str]]:
    """path -> reasons of every skipped and warning notice."""
    out: dict[str, set[str]] = {}
    for notice in report["skipped"] + report["warnings"]:
        out.setdefault(notice["path"], set()).add(notice["reason"])
    return out


def _finding_paths(report: dict) -> set[str]:
    return {f["location"]["path"] for f in report["findings"]}


def _write(root: Path, rel: str | bytes, data: str | bytes) -> None:
    path = Path(os.fsdecode(root / os.fsdecode(rel)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


# -- file names that are not UTF-8 ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html"])
def test_non_utf8_file_name_in_every_format(tmp_path, fmt):
    _write(tmp_path, b"\xff\xfe.py", f'KEY = "{stripe_key()}"\n' + FLASK_APP)
    result = run_cli("scan", str(tmp_path), "--format", fmt, "--verbose")
    assert result.returncode == 1, result.stderr
    assert "\\xff\\xfe.py" in result.stdout.replace("\\\\", "\\")
    assert "\udcff" not in result.stdout


def test_non_utf8_file_name_is_scanned_and_noted(tmp_path):
    _write(tmp_path, b"caf\xe9.env", f"STRIPE_KEY={stripe_key()}\n")
    _, report, _ = _scan(tmp_path)
    assert _finding_paths(report) == {"caf\\xe9.env"}
    assert "invalid-utf8-path" in _notices(report)["caf\\xe9.env"]


# -- nesting that overflowed Python's recursion limit or libcst's native stack -------------------------------

@pytest.mark.parametrize("depth", [150, 400, 3000])
def test_deeply_nested_python_is_skipped_with_a_notice(tmp_path, depth):
    _write(tmp_path, "deep.py", FLASK_APP + "x = " + "[" * depth + "]" * depth + "\n")
    _write(tmp_path, "app.env", f"STRIPE_KEY={stripe_key()}\n")
    code, report, _ = _scan(tmp_path)
    assert code == 1 and _finding_paths(report) == {"app.env"}  # the rest of the scan went on
    assert "too-deeply-nested" in _notices(report)["deep.py"]


@pytest.mark.parametrize("chain", ["not " * 900 + "x", "+".join(["1"] * 900), "1 if c else " * 900 + "1",
                                   "a" + ".b" * 900, "not " * 5000 + "x"])
def test_long_operator_chains_are_skipped_with_a_notice(tmp_path, chain):
    """Under the token budget, libcst still parses them, but walking the tree passes Python's recursion
    limit: the engine's guard turns that into a notice. Over the budget they are never parsed."""
    _write(tmp_path, "chain.py", FLASK_APP + f"y = {chain}\n")
    _, report, _ = _scan(tmp_path)
    assert "too-deeply-nested" in _notices(report)["chain.py"]


def test_libcst_logic_error_is_a_notice(tmp_path):
    """libcst raises CSTLogicError on two implicitly concatenated t-strings (Python 3.14 syntax)."""
    _write(tmp_path, "tstrings.py", FLASK_APP + 'x = t"{a!r}" t"{b}"\n')
    _, report, _ = _scan(tmp_path)
    assert "parse-error" in _notices(report)["tstrings.py"]


def test_an_exception_in_a_detector_is_a_notice_for_that_file(registry, monkeypatch):
    """One guard in the engine: whatever a detector raises on a file skips that file for that detector."""
    from scanner.detectors import DETECTORS
    from scanner.engine import Engine

    class Boom(Exception):
        pass

    def explode(*_args):
        raise Boom("hostile input")

    monkeypatch.delenv("LAUNCHREADY_DEBUG", raising=False)
    monkeypatch.setattr("scanner.lang.python.parse.cst.parse_module", explode)

    class Listed:
        def __init__(self):
            self.skipped, self.warnings = [], []

        def artifacts(self):
            yield Artifact("app.py", FLASK_APP, "python")
            yield Artifact("k.env", f"STRIPE_KEY={stripe_key()}\n", "env")

    result = Engine(registry, Config(), DETECTORS).run([Listed()], "/x", ["test"])
    assert {(n.path, n.reason) for n in result.skipped} >= {("app.py", "parse-error")}
    assert [f.location.path for f in result.findings if f.rule_id == "stripe-secret-key"] == ["k.env"]


# -- OpenAPI specs and JWTs nested past the decoders' recursion limits -------------------------------------

def test_deep_openapi_specs_are_skipped_with_a_notice(tmp_path):
    deep = "[" * 3000 + "]" * 3000
    _write(tmp_path, "openapi.json", '{"openapi": "3.0.0", "paths": {}, "x": ' + deep + "}")
    _write(tmp_path, "api/openapi.yaml", "openapi: 3.0.0\npaths:\n  /x:\n    get:\n      operationId: a.b\n"
                                         "x: " + "[" * 500 + "]" * 500 + "\n")
    _write(tmp_path, "app.py", FLASK_APP)
    _, report, _ = _scan(tmp_path)
    notices = _notices(report)
    assert "too-deeply-nested" in notices["openapi.json"]
    assert "too-deeply-nested" in notices["api/openapi.yaml"]


def test_jwt_with_a_deeply_nested_payload(tmp_path):
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    token = ".".join([part(b'{"alg":"HS256","typ":"JWT"}'), part(b'{"sub":' + b"[" * 3000 + b"]" * 3000 + b"}"),
                      "c2lnbmF0dXJlLWJ5dGVzLWZvci10aGUtdGVzdA"])
    _write(tmp_path, "token.py", f'TOKEN = "{token}"\n')
    _write(tmp_path, "app.env", f"STRIPE_KEY={stripe_key()}\n")
    _, report, _ = _scan(tmp_path)
    assert "app.env" in _finding_paths(report)


# -- the scanned repository's own configuration -----------------------------------------------------------

def test_lone_backslash_in_gitignore_is_skipped_with_a_warning(tmp_path):
    _write(tmp_path, ".gitignore", "\\\nignored.env\n")
    _write(tmp_path, "ignored.env", f"STRIPE_KEY={stripe_key()}\n")
    _write(tmp_path, "kept.env", f"STRIPE_KEY={stripe_key(seed=8)}\n")
    _, report, _ = _scan(tmp_path)
    assert _finding_paths(report) == {"kept.env"}  # the file's other patterns still apply
    assert "invalid-ignore-pattern" in _notices(report)[".gitignore"]


@pytest.mark.parametrize(("config", "message"), [
    (b'exclude = ["\\\\"]\n', "not a valid gitignore-style pattern: '\\\\'"),
    (b"max_file_size = " + b"9" * 400 + b"\n", "larger than the largest accepted size"),
    (b'max_file_size = "' + b"9" * 400 + b'MB"\n', "invalid value for 'max_file_size'"),
    (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    (b'exclude = ["\xff"]\n', "not valid UTF-8 (byte 12)"),
])
def test_hostile_config_is_a_one_line_error_naming_it(tmp_path, config, message):
    (tmp_path / ".launchready.toml").write_bytes(config)
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and ".launchready.toml" in result.stderr
    assert message in result.stderr and "internal error" not in result.stderr
    assert len(result.stderr) < 300  # a value of hundreds of digits is cut short


def test_unrelated_broken_pyproject_does_not_end_the_scan(tmp_path):
    _write(tmp_path, "pyproject.toml", b'[project]\nname = "caf\xe9"\n')
    _write(tmp_path, "app.env", f"STRIPE_KEY={stripe_key()}\n")
    code, report, _ = _scan(tmp_path)
    assert code == 1 and _finding_paths(report) == {"app.env"}


def test_broken_pyproject_that_configures_launchready_is_an_error(tmp_path):
    _write(tmp_path, "pyproject.toml", b'[tool.launchready]\nfail_on = "caf\xe9"\n')
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 2 and "not valid UTF-8" in result.stderr


def test_deeply_nested_baseline_is_a_usage_error(tmp_path):
    (tmp_path / "b.json").write_text("[" * 100_000 + "]" * 100_000)
    result = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "nested too deeply" in result.stderr


# -- UTF-16 text --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_env_is_decoded_and_scanned(tmp_path, encoding):
    _write(tmp_path, ".env", f"STRIPE_KEY={stripe_key()}\r\n# caf\u00e9\r\n".encode(encoding))
    code, report, _ = _scan(tmp_path)
    assert code == 1 and _finding_paths(report) == {".env"}
    assert report["findings"][0]["location"]["line"] == 1


def test_binary_with_nul_bytes_is_still_binary():
    data = bytes(range(256)) * 4
    assert looks_binary(data)
    assert decode("x\u00e9".encode("utf-16")).text == "x\u00e9"


# -- JS/TS parse trees ---------------------------------------------------------------------------------------

def test_js_tree_is_built_lazily_and_released():
    from scanner.lang.javascript.parse import CACHE_KEY, parse_js

    ctx = Context(Artifact("src/app.js", "const a = 1;\n", "javascript"), ProjectFacts(Config()))
    tree = parse_js(ctx)
    assert tree._tree is None  # nothing parsed until a check walks the tree
    assert tree.root.type == "program"
    # no node object is kept by the tree (py-tree-sitter caches children on each node object), and nodes of
    # one tree compare equal however they were reached
    assert tree.root is not tree.root and tree.root == tree.root
    assert tree.root.children[0] == tree.root.children[0]
    ctx.release()
    assert CACHE_KEY not in ctx._cache


@pytest.mark.parametrize(("path", "text", "reason"), [
    ("dist/server.js", "app.get('/x', (req, res) => res.send(1));\n", "build output"),
    ("src/app.js", "var a=1;" * 20_000, "minified"),
])
def test_js_not_parsed_for_code_checks(path, text, reason):
    from scanner.lang.javascript.parse import parse_js

    ctx = Context(Artifact(path, text, "javascript"), ProjectFacts(Config()))
    assert parse_js(ctx).root.child_count == 0
    assert [n.reason for n in ctx.notices] == ["not-parsed"] and reason in ctx.notices[0].detail


def test_js_over_the_parse_budget_is_not_parsed(tmp_path, monkeypatch):
    from scanner.lang.javascript import parse

    monkeypatch.setattr(parse, "MAX_PARSE_BYTES", 1000)
    ctx = Context(Artifact("src/app.js", "const a = 1;\n" * 100, "javascript"), ProjectFacts(Config()))
    assert parse.parse_js(ctx).root.child_count == 0
    assert "parse budget" in ctx.notices[0].detail


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_scan_root_whose_name_is_not_utf8(tmp_path, fmt):
    root = Path(os.fsdecode(tmp_path / os.fsdecode(b"r\xff")))
    _write(root, "app.env", f"STRIPE_KEY={stripe_key()}\n")
    result = run_cli("scan", str(root), "--format", fmt)
    assert result.returncode == 1, result.stderr
    assert "r\\xff" in result.stdout.replace("\\\\", "\\")
