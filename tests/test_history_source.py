"""The history source itself: chunked concurrent logs give the same stream as one log; abandoning stops git."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.sources import git_history
from scanner.sources.git_history import COMMIT_MSG, HistorySource, LogProcess
from tests.conftest import anthropic_key
from tests.gitrepo import Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    for index in range(9):
        files = {f"f{index % 3}.py": f"value = {index}\n" + (f'KEY = "{anthropic_key(seed=index)}"\n' * (index % 2))}
        repo.commit(f"c{index}", files)
    return repo


def stream(repo: Repo, jobs: int) -> list[tuple[str, str | None, tuple[int, ...] | None, str]]:
    source = HistorySource(repo.path, jobs=jobs)
    items = [(a.path, a.origin.commit, a.line_map, a.text) for a in source.artifacts()]
    assert sum(path == COMMIT_MSG for path, *_ in items) == 9
    assert source.commits_scanned == source.commits_total == 9
    return items


def test_chunked_logs_yield_the_same_artifacts_in_the_same_order(repo, monkeypatch):
    monkeypatch.setattr(git_history, "MIN_CHUNK", 2)
    shas = [str(n) for n in range(9)]
    assert git_history._split(shas, 3) == [shas[0:3], shas[3:6], shas[6:9]]
    assert stream(repo, jobs=4) == stream(repo, jobs=1)


def test_unreadable_commits_in_a_later_chunk(repo, monkeypatch):
    monkeypatch.setattr(git_history, "MIN_CHUNK", 2)
    oldest, fourth = repo.git("rev-list", "--reverse", "HEAD").split()[0:4:3]
    blob = repo.git("rev-parse", f"{oldest}:f0.py")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # c0 adds it; c3 diffs against it
    source = HistorySource(repo.path, jobs=3)
    artifacts = list(source.artifacts())
    files = {(a.origin.commit, a.path) for a in artifacts if a.path != COMMIT_MSG}
    assert len({a.origin.commit for a in artifacts if a.path == COMMIT_MSG}) == 9  # every commit was read
    assert (oldest, "f0.py") not in files and (fourth, "f0.py") in files  # c3's version is read in full
    assert [(n.path, n.reason) for n in source.skipped] == [("f0.py", "object-missing")]
    assert oldest[:12] in source.skipped[0].detail
    assert [(n.path, n.reason) for n in source.warnings] == [("f0.py", "object-missing")]
    assert fourth[:12] in source.warnings[0].detail
    assert source.commits_scanned == 9


def test_abandoning_the_scan_stops_every_git_process(repo, monkeypatch):
    monkeypatch.setattr(git_history, "MIN_CHUNK", 2)
    monkeypatch.setattr(git_history, "READ_AHEAD", 3 * git_history._BLOCK)
    started: list[LogProcess] = []
    original = LogProcess.__init__

    def recording(self, *args):
        original(self, *args)
        started.append(self)

    monkeypatch.setattr(LogProcess, "__init__", recording)
    artifacts = HistorySource(repo.path, jobs=3).artifacts()
    next(artifacts)
    artifacts.close()
    assert len(started) == 3
    assert all(log.proc.poll() is not None for log in started)


def test_an_object_named_only_by_gits_error_is_excluded_and_the_commit_read_again(tmp_path, monkeypatch):
    """When the object store check misses it, the unreadable blob is found from git's error output."""
    repo = Repo(tmp_path / "repo")
    broken = repo.commit("c", {"b.py": "unique content 12345\n", "k.py": f'KEY = "{anthropic_key()}"\n'})
    blob = repo.git("rev-parse", f"{broken}:b.py")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    monkeypatch.setattr(HistorySource, "_missing", lambda self, shas: set())
    source = HistorySource(repo.path)
    assert sorted(a.path for a in source.artifacts()) == [COMMIT_MSG, "k.py"]
    [notice] = source.skipped
    assert (notice.path, notice.reason) == ("b.py", "object-unreadable") and broken[:12] in notice.detail
    assert source.commits_scanned == 1
