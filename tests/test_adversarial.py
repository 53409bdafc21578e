"""Adversarial corpus (issue 15), built at test time: hostile files and git repositories, each scanned or
listed as skipped with a reason, nothing silently dropped, the exit code per the contract (0 clean,
1 findings, 2 usage or fatal error). Each case plants a key where it can, so "dropped" cannot pass as "clean".

Cases already covered in their own modules and not repeated here: a missing or corrupted object, a missing
tree, a shallow clone, an empty repository, a detached HEAD (tests/test_history.py); a file that cannot be
read and a named pipe (tests/test_worktree.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scanner.model import Notice
from scanner.sources import worktree
from scanner.sources.worktree import WorktreeSource
from tests.conftest import run_cli, stripe_key
from tests.gitrepo import Repo

KEY = stripe_key()
ENV = f"STRIPE_KEY={KEY}\n"
FLASK = 'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/x")\ndef x():\n    return "x"\n'

#: Worktree corpus: relative path (bytes where not UTF-8) -> content.
FILES: dict[str | bytes, bytes] = {
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "deep.js": b"const x = " + b"[" * 100_000 + b"]" * 100_000 + b";\n" + ENV.encode(),
    "deep.py": FLASK.encode() + b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "invalid.env": b"A=\xff\xfe\n" + ENV.encode(),
    "bom16.env": ENV.encode("utf-16"),
    "nul.txt": b"abc\0def " + ENV.encode(),
    "crlf.env": b"A=1\r\n" + ENV.replace("\n", "\r\n").encode(),
    "cr.env": b"A=1\r" + ENV.replace("\n", "\r").encode(),
    "empty.py": b"",
    "with space.env": ENV.encode(),
    "new\nline.env": ENV.encode(),
    "quo\"te's.env": ENV.encode(),
    "<script>alert(1)<!--.env": ENV.encode(),
    b"bad\xff.env": ENV.encode(),
}

#: What the report must say about each: ("finding", line, column) or ("skipped"/"warning", reason).
#: A lone CR is content, not a line break (as for git), so that key is on line 1.
EXPECTED: dict[str, tuple] = {
    "deep.js": ("finding", 2, 12),
    "deep.py": ("skipped", "too-deeply-nested"),
    "invalid.env": ("finding", 2, 12),
    "bom16.env": ("finding", 1, 12),
    "nul.txt": ("skipped", "binary"),
    "crlf.env": ("finding", 2, 12),
    "cr.env": ("finding", 1, 16),
    "with space.env": ("finding", 1, 12),
    "new\nline.env": ("finding", 1, 12),
    "quo\"te's.env": ("finding", 1, 12),
    "<script>alert(1)<!--.env": ("finding", 1, 12),
    "bad\\xff.env": ("finding", 1, 12),
    "loop": ("skipped", "symlink"),
    "outside.env": ("skipped", "symlink"),
    "sub/up": ("skipped", "symlink"),
}
#: Scanned and clean: no finding and no notice expected.
CLEAN = {"deep.json", "empty.py"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for rel, data in FILES.items():
        Path(os.fsdecode(root / os.fsdecode(rel))).write_bytes(data)
    os.symlink("loop", root / "loop")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")
    outside = tmp_path_factory.mktemp("outside") / "secret.env"
    outside.write_text(ENV)
    os.symlink(outside, root / "outside.env")
    return root


@pytest.fixture(scope="module")
def reports(corpus) -> dict[str, tuple[int, str]]:
    out = {}
    for fmt in ("json", "sarif", "html", "text"):
        result = run_cli("scan", str(corpus), "--format", fmt, "--verbose")
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        out[fmt] = (result.returncode, result.stdout)
    return out


@pytest.fixture(scope="module")
def report(reports) -> dict:
    return json.loads(reports["json"][1])


def _notices(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for notice in report["skipped"] + report["warnings"]:
        out.setdefault(notice["path"], set()).add(notice["reason"])
    return out


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_each_hostile_file_is_scanned_or_skipped_with_a_reason(report, path):
    expected = EXPECTED[path]
    if expected[0] == "finding":
        located = {(f["location"]["line"], f["location"]["column"]) for f in report["findings"]
                   if f["location"]["path"] == path and f["rule_id"] == "stripe-secret-key"}
        assert located == {expected[1:]}
    else:
        assert expected[1] in _notices(report).get(path, set())


def test_nothing_is_silently_dropped(corpus, report):
    """Every entry of the corpus is accounted for: a finding, a notice, or scanned clean."""
    accounted = {f["location"]["path"] for f in report["findings"]} | set(_notices(report)) | CLEAN
    entries = {os.fsencode(p).decode("utf-8", "backslashreplace")
               for p in (os.path.relpath(os.path.join(d, n), corpus)
                         for d, dirs, files in os.walk(corpus) for n in dirs + files)}
    assert entries - {"sub"} <= accounted
    read = [p for p, e in EXPECTED.items() if e[0] == "finding"] + ["deep.py"]  # deep.py: its text, not its code
    assert report["scan"]["artifacts_scanned"] == len(read) + len(CLEAN)


def test_symlinks_are_never_followed_out_of_the_root(report):
    assert not [f for f in report["findings"] if f["location"]["path"] in {"outside.env", "sub/up"}]


def test_exit_code_and_every_format_renders_safely(reports):
    assert {code for code, _ in reports.values()} == {1}
    sarif = json.loads(reports["sarif"][1])
    assert len(sarif["runs"][0]["results"]) == len(json.loads(reports["json"][1])["findings"])
    html = reports["html"][1]
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    for _, text in reports.values():
        assert KEY not in text
        assert not any("\ud800" <= c <= "\udfff" for c in text)  # no lone surrogate from a non-UTF-8 name
    assert "new\\nline.env" in reports["text"][1]  # a newline in a name never breaks a line of the report


def test_50mb_minified_line_with_a_key_at_the_end(tmp_path):
    line = "var a=" + ",".join(f"b{i}=function(){{return {i}}}" for i in range(1, 10)) + ";"
    size = 50 * 1024 * 1024
    body = (line * (size // len(line) + 1))[:size]
    (tmp_path / "app.min.js").write_text(body + f'var k="{KEY}";')
    (tmp_path / ".launchready.toml").write_text('max_file_size = "64MB"\n')
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["location"]["line"], finding["location"]["column"]) == (1, size + len('var k="') + 1)
    assert KEY not in result.stdout


def test_file_that_vanishes_mid_scan(tmp_path, monkeypatch):
    (tmp_path / "a.env").write_text(ENV)
    (tmp_path / "b.env").write_text(ENV)
    real = worktree.read_bytes

    def vanish(path: Path) -> bytes:
        if path.name == "a.env":
            path.unlink()
        return real(path)

    monkeypatch.setattr(worktree, "read_bytes", vanish)
    source = WorktreeSource(tmp_path, [tmp_path])
    assert [a.path for a in source.artifacts()] == ["b.env"]
    assert source.skipped == [Notice("a.env", "unreadable", "No such file or directory")]


# -- git repositories -----------------------------------------------------------------------------------------

def _history(path: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("scan", "--history", str(path), "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_ten_thousand_refs(tmp_path):
    repo = Repo(tmp_path / "r")
    sha = repo.commit("key", {"a.env": ENV})
    refs = "".join(f"create refs/tags/t{i} {sha}\n" for i in range(10_000))
    subprocess.run(["git", "update-ref", "--stdin"], cwd=repo.path, input=refs.encode(), check=True)
    code, report = _history(repo.path)
    assert code == 1 and [f["location"]["path"] for f in report["findings"]] == ["a.env"]


LFS = (b"version https://git-lfs.github.com/spec/v1\n"
       b"oid sha256:" + b"4d7a2146" * 8 + b"\nsize 12345\n")


def test_lfs_pointers_are_listed_not_taken_for_the_file(tmp_path):
    repo = Repo(tmp_path / "r")
    repo.commit("lfs", {".gitattributes": "*.env filter=lfs diff=lfs merge=lfs -text\n", "prod.env": LFS,
                        "a.env": ENV})
    code, report = _history(repo.path)
    assert code == 1 and [f["location"]["path"] for f in report["findings"]] == ["a.env"]
    assert "lfs-pointer" in _notices(report)["prod.env"]
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert "lfs-pointer" in _notices(json.loads(result.stdout))["prod.env"]


def test_non_utf8_paths_and_messages(tmp_path):
    repo = Repo(tmp_path / "r")
    repo.write(b"caf\xe9.env", ENV)
    repo.git("add", "-A")
    (tmp_path / "msg").write_bytes(b"caf\xe9 " + ENV.encode())
    repo.git("-c", "i18n.commitEncoding=latin-1", "commit", "-q", "-F", str(tmp_path / "msg"))
    code, report = _history(repo.path)
    assert code == 1
    # one secret is one finding across paths (docs/secrets.md, "History"): every place it was seen is listed
    places = {p for f in report["findings"] for p in [f["location"]["path"], *f["evidence"].get("paths", [])]}
    assert places == {"COMMIT_MSG", "caf\\xe9.env"}


def test_bare_repository(tmp_path):
    repo = Repo(tmp_path / "r")
    repo.commit("key", {"a.env": ENV})
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    code, report = _history(bare)
    assert code == 1 and [f["location"]["path"] for f in report["findings"]] == ["a.env"]
    result = run_cli("scan", str(tmp_path), "--format", "json")  # a working-tree scan lists it, never reads objects
    worktree = json.loads(result.stdout)
    assert "vcs-metadata" in _notices(worktree)["bare.git"]
    assert not [n for n in worktree["skipped"] + worktree["warnings"] if n["path"].startswith("bare.git/")]


def test_submodules_are_named_not_silently_left_out(tmp_path):
    inner = Repo(tmp_path / "inner")
    inner.commit("inner", {"k.env": ENV})
    repo = Repo(tmp_path / "r")
    repo.commit("start", {"a.py": "x = 1\n"})
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner.path), "vendor/inner")
    repo.commit("add submodule")
    _, report = _history(repo.path)
    assert "submodule" in _notices(report)["vendor/inner"]
    result = run_cli("scan", str(repo.path), "--format", "json")  # the checked-out submodule is scanned
    assert {f["location"]["path"] for f in json.loads(result.stdout)["findings"]} == {"vendor/inner/k.env"}
