"""The working-tree walker: what it reads, what it skips, and that it says why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.sources import worktree
from scanner.sources.worktree import WorktreeSource


def _scan(root: Path, **kwargs) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    source = WorktreeSource(root=root, paths=[root], **kwargs)
    texts = {a.path: a.text for a in source.artifacts()}
    return texts, {n.path: n.reason for n in source.skipped}, {n.path: n.reason for n in source.warnings}


def _write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_gitignore_nested_and_negated(tmp_path):
    _write(tmp_path, ".gitignore", "*.log\nbuild/\n!keep.log\n")
    _write(tmp_path, "app.py", "x = 1")
    _write(tmp_path, "debug.log", "noise")
    _write(tmp_path, "keep.log", "kept")
    _write(tmp_path, "build/out.js", "x")
    _write(tmp_path, "sub/.gitignore", "secret.txt\n")
    _write(tmp_path, "sub/secret.txt", "x")
    _write(tmp_path, "sub/ok.txt", "x")
    _write(tmp_path, "other/secret.txt", "not ignored here")
    texts, skipped, _ = _scan(tmp_path)
    assert {"app.py", "keep.log", "sub/ok.txt", "other/secret.txt"} <= set(texts)
    assert skipped["debug.log"] == "ignored"
    assert skipped["build"] == "ignored"
    assert skipped["sub/secret.txt"] == "ignored"
    assert "build/out.js" not in texts


def test_gitignore_can_be_turned_off(tmp_path):
    _write(tmp_path, ".gitignore", "*.env\n")
    _write(tmp_path, "prod.env", "X=1")
    texts, _, _ = _scan(tmp_path, use_gitignore=False)
    assert "prod.env" in texts


def test_git_info_exclude_is_honoured(tmp_path):
    _write(tmp_path, ".git/info/exclude", "local.txt\n")
    _write(tmp_path, "local.txt", "x")
    texts, skipped, _ = _scan(tmp_path)
    assert "local.txt" not in texts and skipped["local.txt"] == "ignored"
    assert skipped[".git"] == "vcs-metadata"


def test_config_excludes(tmp_path):
    _write(tmp_path, "fixtures/a.py", "x")
    _write(tmp_path, "src/a.py", "x")
    texts, skipped, _ = _scan(tmp_path, exclude=("fixtures/",))
    assert set(texts) == {"src/a.py"} and skipped["fixtures"] == "ignored"


def test_dependency_and_virtualenv_folders_are_skipped(tmp_path):
    _write(tmp_path, "node_modules/pkg/index.js", "x")
    _write(tmp_path, "myenv/pyvenv.cfg", "home = /usr")
    _write(tmp_path, "myenv/lib/x.py", "x")
    _write(tmp_path, "main.py", "x")
    texts, skipped, _ = _scan(tmp_path)
    assert set(texts) == {"main.py"}
    assert skipped["node_modules"] == "dependencies"
    assert skipped["myenv"] == "virtualenv"


def test_binary_files_are_skipped(tmp_path):
    _write(tmp_path, "blob.dat2", b"abc\x00def")
    _write(tmp_path, "logo.png", b"\x89PNG")
    _write(tmp_path, "ok.txt", "fine")
    texts, skipped, _ = _scan(tmp_path)
    assert set(texts) == {"ok.txt"}
    assert skipped == {"blob.dat2": "binary", "logo.png": "binary"}


def test_size_limit(tmp_path):
    _write(tmp_path, "big.js", "a" * 2000)
    _write(tmp_path, "small.js", "a" * 10)
    texts, skipped, _ = _scan(tmp_path, max_file_size=1000)
    assert set(texts) == {"small.js"} and skipped["big.js"] == "too-large"


def test_unreadable_file_is_skipped_and_scan_goes_on(tmp_path, monkeypatch):
    _write(tmp_path, "locked.txt", "x")
    _write(tmp_path, "open.txt", "y")
    real = worktree.read_bytes

    def deny(path):
        if Path(path).name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(worktree, "read_bytes", deny)
    texts, skipped, _ = _scan(tmp_path)
    assert set(texts) == {"open.txt"} and skipped["locked.txt"] == "unreadable"


def test_invalid_utf8_is_scanned_with_a_warning(tmp_path):
    _write(tmp_path, "latin1.cfg", "caf\xe9 = 1\n".encode("latin-1"))
    texts, skipped, warnings = _scan(tmp_path)
    assert texts["latin1.cfg"].startswith("caf\ufffd")
    assert warnings == {"latin1.cfg": "invalid-utf8"} and not skipped


def test_symlink_loops_do_not_hang(tmp_path):
    _write(tmp_path, "a/file.txt", "x")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a" / "file.txt", tmp_path / "link.txt")
    texts, skipped, _ = _scan(tmp_path)
    assert set(texts) == {"a/file.txt"}
    assert skipped["a/loop"] == "symlink" and skipped["link.txt"] == "symlink"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    _, skipped, _ = _scan(tmp_path)
    assert skipped["pipe"] == "not-a-file"


def test_explicit_file_paths(tmp_path):
    target = _write(tmp_path, "x/one.py", "x")
    _write(tmp_path, "x/two.py", "x")
    source = WorktreeSource(root=tmp_path, paths=[target])
    assert [a.path for a in source.artifacts()] == ["x/one.py"]


def test_scanning_a_subfolder_honours_parent_gitignore(tmp_path):
    _write(tmp_path, ".gitignore", "*.secret\n")
    _write(tmp_path, "pkg/a.secret", "x")
    _write(tmp_path, "pkg/a.py", "x")
    source = WorktreeSource(root=tmp_path, paths=[tmp_path / "pkg"])
    assert [a.path for a in source.artifacts()] == ["pkg/a.py"]
