"""Git scans that cannot be steered by the repository or the command line, and read commit messages.

Real repositories in temp dirs, scanned through the real CLI: revisions that look like git options,
``.gitattributes`` and repo-local diff/textconv programs meant to hide content, secrets in commit
messages and author fields.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.sources.git import RevisionError, resolve_revision_range, verify_commit
from scanner.sources.git_history import COMMIT_MSG, HistorySource
from scanner.testing import expand
from tests.conftest import run_cli
from tests.gitrepo import Repo

#: Key templates as the rule examples write them; expanded at run time so no key-shaped literal is committed.
KEY = expand("sk-ant-" + "api03-{urlsafe:93}AA", "hardening")
OTHER = expand("sk-ant-" + "api03-{urlsafe:93}AA", "hardening-other")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def report_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def history(repo: Repo, *args: str) -> dict:
    return report_of(run_cli("scan", "--history", str(repo.path), "--format", "json", *args))


def staged(repo: Repo) -> dict:
    return report_of(run_cli("scan", "--staged", str(repo.path), "--format", "json"))


def paths(report: dict) -> list[str]:
    return sorted(f["location"]["path"] for f in report["findings"])


# --- revisions are never options -------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--range", "--since"])
@pytest.mark.parametrize("value", ["--output=victim", "--output=victim..HEAD", "HEAD..--output=victim",
                                   "-ovictim"])
def test_option_shaped_revision_is_a_usage_error_and_touches_no_file(repo, option, value):
    repo.commit("start", {"a.py": "x = 1\n"})
    victim = repo.write("victim", "precious\n")
    if option == "--since" and ".." in value:
        value = value.split("..")[0] if value.startswith("-") else value.split("..")[1]
    result = run_cli("scan", str(repo.path), option, value, cwd=repo.path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("launchready: error: ")
    assert victim.read_text() == "precious\n"
    assert not (repo.path / "-ovictim").exists() and not (repo.path / "victim..HEAD").exists()


def test_revision_that_names_no_commit_is_a_usage_error(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    tree = repo.git("rev-parse", "HEAD^{tree}")
    for value in ("nope", tree, "HEAD~5"):
        result = run_cli("scan", str(repo.path), "--since", value)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "not a commit" in result.stderr


def test_the_source_refuses_option_shaped_revisions_without_the_cli(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    victim = repo.write("victim", "precious\n")
    with pytest.raises(RevisionError):
        list(HistorySource(repo.path, ("--output=victim",)).artifacts())
    with pytest.raises(RevisionError):
        list(HistorySource(repo.path, ("HEAD..--output=victim",)).artifacts())
    assert victim.read_text() == "precious\n"


def test_valid_ranges_still_work(repo):
    base = repo.commit("start", {"a.py": "x = 1\n"})
    leak = repo.commit("leak", {"b.py": f'KEY = "{KEY}"\n'})
    repo.commit("clean", {"c.py": "y = 2\n"})
    assert verify_commit(repo.path, "HEAD~1") == leak
    assert resolve_revision_range(repo.path, f"{base}..") == f"{base}..{repo.head()}"
    assert resolve_revision_range(repo.path, "HEAD~2...HEAD") == f"{base}...{repo.head()}"
    for option, value in (("--range", f"{base}..{leak}"), ("--range", "HEAD~2...HEAD"), ("--since", base),
                          ("--range", "main~2..main")):
        report = report_of(run_cli("scan", str(repo.path), "--format", "json", option, value))
        assert paths(report) == ["b.py"], (option, value)
    assert report_of(run_cli("scan", str(repo.path), "--format", "json", "--since", leak))["findings"] == []


# --- .gitattributes and repo-local programs cannot hide content -------------------------------------


def marker_config(repo: Repo, marker: Path) -> None:
    """A repo-local config whose diff driver, textconv and external diff would each create ``marker``."""
    command = f"touch {marker}; cat"
    repo.git("config", "diff.evil.textconv", command)
    repo.git("config", "diff.evil.command", f"touch {marker}; true")
    repo.git("config", "diff.evil.binary", "true")
    repo.git("config", "diff.external", f"{sys.executable} -c 'open(\"{marker}\", \"w\")'")
    repo.git("config", "log.showSignature", "true")
    repo.git("config", "gpg.program", f"touch {marker}; false")


@pytest.mark.parametrize("attributes", ["* -diff\n", "* binary\n", "*.py diff=evil\n", "* diff=evil\n"])
def test_attributes_do_not_hide_keys_from_history_or_staged(repo, tmp_path, attributes):
    marker = tmp_path / "marker"
    marker_config(repo, marker)
    repo.commit("attributes", {".gitattributes": attributes})
    leak = repo.commit("leak", {"app.py": f'KEY = "{KEY}"\n'})
    report = history(repo)
    [finding] = [f for f in report["findings"] if f["location"]["path"] == "app.py"]
    assert finding["origin"]["commit"] == leak and finding["location"]["line"] == 1
    assert not [n for n in report["skipped"] if n["reason"] == "binary"]

    repo.write("settings.py", f'x = 1\nOTHER = "{OTHER}"\n')
    repo.git("add", "settings.py")
    report = staged(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == "settings.py" and finding["location"]["line"] == 2
    assert not marker.exists()


def test_external_diff_from_the_environment_is_not_run(repo, tmp_path):
    marker = tmp_path / "marker"
    repo.commit("leak", {"app.py": f'KEY = "{KEY}"\n'})
    repo.write("more.py", f'OTHER = "{OTHER}"\n')
    repo.git("add", "more.py")
    env = {**os.environ, "GIT_EXTERNAL_DIFF": f"touch {marker}; true", "GIT_DIFF_OPTS": "--unified=3"}
    for mode in ("--history", "--staged"):
        result = subprocess.run([sys.executable, "-m", "scanner", "scan", mode, str(repo.path), "--format", "json"],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)["findings"]
    assert not marker.exists()


def test_real_binary_content_is_still_skipped_as_binary(repo):
    repo.commit("attributes", {".gitattributes": "*.dat text diff\n"})
    repo.commit("blob", {"model.dat": b"\x00\x01" + KEY.encode() + b"\n\x00more\n"})
    report = history(repo)
    assert report["findings"] == []
    assert {s["path"]: s["reason"] for s in report["skipped"]}["model.dat"] == "binary"
    repo.write("weights.dat", b"\x00\x02" + OTHER.encode() + b"\x00")
    repo.git("add", "weights.dat")
    report = staged(repo)
    assert report["findings"] == []
    assert {s["path"]: s["reason"] for s in report["skipped"]}["weights.dat"] == "binary"


def test_log_show_root_false_does_not_hide_the_root_commit(repo):
    repo.git("config", "log.showRoot", "false")
    root = repo.commit("root", {"app.py": f'KEY = "{KEY}"\n'})
    [finding] = history(repo)["findings"]
    assert finding["origin"]["commit"] == root


# --- commit messages and author fields ----------------------------------------------------------------


def test_key_in_a_commit_message_is_reported_at_commit_msg(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    leak = repo.commit(f"configure the client\n\nused ANTHROPIC_API_KEY={KEY} for the demo", {"b.py": "y = 2\n"})
    repo.commit("an ordinary message\n\nwith a body", {"c.py": "z = 3\n"})
    report = history(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == COMMIT_MSG == "COMMIT_MSG"
    assert finding["location"]["line"] == 3 and finding["rule_id"] == "anthropic-api-key"
    origin = finding["origin"]
    assert origin["commit"] == leak and origin["author"] == "Ada Tester"
    assert origin["present_at_head"] is not True and origin["commit_count"] == 1
    assert KEY not in json.dumps(report)
    text = run_cli("scan", "--history", str(repo.path)).stdout
    assert "still at HEAD" not in text and leak[:12] in text


def test_ordinary_messages_yield_nothing_and_every_message_is_an_artifact(repo):
    first = repo.commit("first\n\nsome body text", {"a.py": "x = 1\n"})
    repo.commit("second", {"a.py": "x = 2\n"})
    assert history(repo)["findings"] == []
    messages = [a for a in HistorySource(repo.path).artifacts() if a.path == COMMIT_MSG]
    assert [a.text for a in messages] == ["second\nAuthor: Ada Tester <ada@example.test>",
                                          "first\n\nsome body text\nAuthor: Ada Tester <ada@example.test>"]
    assert messages[1].origin.commit == first and messages[1].kind == "text"


def test_message_lines_that_look_like_a_patch_are_message_text(repo):
    fake = f"diff --git a/x.py b/x.py\n+++ b/x.py\n@@ -0,0 +1 @@\n+KEY = \"{KEY}\"\n\x01commit {'0' * 40}"
    repo.commit(fake, {"a.py": "x = 1\n"})
    [finding] = history(repo)["findings"]
    assert finding["location"]["path"] == COMMIT_MSG and finding["location"]["line"] == 4
    artifacts = list(HistorySource(repo.path).artifacts())
    assert sorted(a.path for a in artifacts) == [COMMIT_MSG, "a.py"]


def test_key_in_the_author_field_is_found(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    repo.git("commit", "-q", "--allow-empty", "-m", "odd author", f"--author=token {KEY} <ada@example.test>")
    [finding] = history(repo)["findings"]
    assert finding["location"]["path"] == COMMIT_MSG and finding["location"]["line"] == 2


def test_since_and_range_scan_messages_too(repo):
    base = repo.commit("start", {"a.py": "x = 1\n"})
    leak = repo.commit(f"key {KEY}", {"b.py": "y = 2\n"})
    for option, value in (("--since", base), ("--range", f"{base}..{leak}")):
        report = report_of(run_cli("scan", str(repo.path), "--format", "json", option, value))
        assert [(f["location"]["path"], f["origin"]["commit"]) for f in report["findings"]] == [(COMMIT_MSG, leak)]


def test_message_is_read_once_when_a_commit_is_recovered(repo):
    leak = repo.commit(f"key {KEY}", {"a.py": f'OTHER = "{OTHER}"\n', "b.txt": "notes\n"})
    blob = repo.git("rev-parse", f"{leak}:b.txt")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    artifacts = list(HistorySource(repo.path).artifacts())
    assert sorted(a.path for a in artifacts) == [COMMIT_MSG, "a.py"]
