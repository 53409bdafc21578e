"""``scan --history``: real repositories built in temp dirs, scanned through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from scanner.sources.git_history import COMMIT_MSG, HistorySource
from tests.conftest import ROOT, anthropic_key, run_cli, stripe_key
from tests.gitrepo import Repo

KEY = anthropic_key()
OTHER = anthropic_key(seed=8)
SCHEMA = jsonschema.Draft202012Validator(json.loads((ROOT / "scanner/reporters/report.schema.json").read_text()))


def scan(repo: Repo, *args: str) -> tuple[int, dict]:
    """A history scan's exit code and JSON report (checked against the report schema)."""
    result = run_cli("scan", "--history", str(repo.path), "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    SCHEMA.validate(report)
    return result.returncode, report


def scan_range(repo: Repo, *args: str) -> dict:
    result = run_cli("scan", str(repo.path), "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def by_path(report: dict) -> dict[str, dict]:
    return {f["location"]["path"]: f for f in report["findings"]}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def test_key_added_then_deleted_is_found_with_its_introducing_commit(repo):
    repo.commit("start", {"app.py": "import os\n"})
    introduced = repo.commit("add key", {"app.py": f'import os\n\nKEY = "{KEY}"\n'})
    repo.commit("more", {"app.py": f'import os\n\nKEY = "{KEY}"\nprint(1)\n'})
    repo.commit("remove key", {"app.py": "import os\nprint(1)\n"})
    code, report = scan(repo)
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule_id"] == "anthropic-api-key"
    assert finding["location"]["path"] == "app.py" and finding["location"]["line"] == 3
    origin = finding["origin"]
    assert origin["kind"] == "history" and origin["commit"] == introduced
    assert origin["author"] == "Ada Tester" and origin["date"].startswith("2023-")
    assert origin["present_at_head"] is False and origin["commit_count"] == 1
    assert KEY not in json.dumps(report)
    assert report["stats"]["commits"] == 4


def test_same_secret_in_many_commits_is_one_finding_present_at_head(repo):
    first = repo.commit("add", {"settings.py": f'KEY = "{KEY}"\n'})
    repo.commit("edit the same line", {"settings.py": f'KEY = "{KEY}"  # prod\n'})
    repo.commit("touch another file", {"other.py": "x = 1\n"})
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["origin"]["commit"] == first
    assert finding["origin"]["commit_count"] == 2 and finding["origin"]["present_at_head"] is True


def test_same_secret_under_many_paths_is_one_finding_listing_every_path_and_commit(repo):
    first = repo.commit("build", {"assets/js/main.1a2b3c4d.js": f'var k="{KEY}";\n'})
    second = repo.commit("rebuild", {"assets/js/main.5e6f7a8b.js": f'var k="{KEY}";\n'})
    third = repo.commit("copy", {"app/llm.py": f'KEY = "{KEY}"\n'})
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == "assets/js/main.1a2b3c4d.js" and finding["origin"]["commit"] == first
    assert finding["evidence"]["paths"] == ["assets/js/main.1a2b3c4d.js", "assets/js/main.5e6f7a8b.js", "app/llm.py"]
    assert finding["evidence"]["commits"] == [first, second, third]
    assert finding["origin"]["commit_count"] == 3 and finding["origin"]["present_at_head"] is True
    assert KEY not in json.dumps(report)


def test_a_value_only_ever_in_tests_is_low_and_does_not_fail(repo):
    repo.commit("test", {"tests/test_llm.py": f'KEY = "{KEY}"\n', "docs/setup.md": f"KEY={KEY}\n"})
    code, report = scan(repo)
    [finding] = report["findings"]
    assert finding["confidence"] == "low" and code == 0
    repo.commit("ship it", {"app/llm.py": f'KEY = "{KEY}"\n'})
    code, report = scan(repo)
    [finding] = report["findings"]
    assert finding["confidence"] == "high" and code == 1


def test_key_only_on_a_side_branch(repo):
    repo.commit("start", {"README.md": "hi\n"})
    side = repo.commit_on_branch("feature", "side", {"feature.env": f"ANTHROPIC_API_KEY={KEY}\n"})
    repo.commit("main moves on", {"README.md": "hello\n"})
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == "feature.env"
    assert finding["origin"]["commit"] == side and finding["origin"]["present_at_head"] is False


def test_merge_commit_own_change_is_scanned(repo):
    repo.commit("start", {"config.py": "MODE = 'a'\n"})
    repo.commit_on_branch("feature", "feature", {"config.py": "MODE = 'b'\n"})
    repo.commit("main", {"config.py": "MODE = 'c'\n"})
    repo.git("merge", "-q", "feature", check=False)  # conflicts
    repo.write("config.py", f"MODE = 'd'\nKEY = '{KEY}'\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-edit")
    merge = repo.head()
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["origin"]["commit"] == merge and finding["location"]["line"] == 2
    assert finding["origin"]["present_at_head"] is True


def test_key_merged_from_a_branch_keeps_the_branch_commit(repo):
    repo.commit("start", {"README.md": "hi\n"})
    side = repo.commit_on_branch("feature", "side", {"llm.py": f'KEY = "{KEY}"\n'})
    repo.commit("main", {"README.md": "hello\n"})
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["origin"]["commit"] == side
    assert finding["origin"]["commit_count"] == 2  # the branch commit and the merge's first-parent diff


def test_renamed_file_is_one_finding_still_present_at_head(repo):
    introduced = repo.commit("add", {"old_name.py": f'KEY = "{KEY}"\n' + "x = 1\n" * 20})
    repo.git("mv", "old_name.py", "new_name.py")
    repo.commit("rename")
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == "old_name.py"
    assert finding["origin"]["commit"] == introduced and finding["origin"]["present_at_head"] is True
    assert finding["evidence"]["path_at_head"] == "new_name.py"


def test_binary_file_is_skipped_with_a_counted_reason(repo):
    repo.commit("blob", {"model.bin.txt": b"\x00\x01" + KEY.encode() + b"\x00"})
    repo.commit("blob again", {"model.bin.txt": b"\x00\x02" + KEY.encode() + b"\x00"})
    _, report = scan(repo)
    assert report["findings"] == []
    skipped = {s["path"]: s for s in report["skipped"]}
    assert skipped["model.bin.txt"]["reason"] == "binary"
    assert "2 commits" in skipped["model.bin.txt"]["detail"]


def test_oversize_additions_are_skipped(repo):
    repo.write(".launchready.toml", 'max_file_size = "1KB"\n')
    repo.commit("big", {"dump.log": "x" * 2000 + f"\n{KEY}\n"})
    _, report = scan(repo)
    assert report["findings"] == []
    assert {s["path"]: s["reason"] for s in report["skipped"]}["dump.log"] == "too-large"


def test_shallow_clone_says_history_is_partial(repo, tmp_path):
    repo.commit("old key", {"a.py": f'KEY = "{OTHER}"\n'})
    repo.commit("new key", {"b.py": f'KEY = "{KEY}"\n'})
    clone = tmp_path / "shallow"
    Repo(tmp_path, init=False).git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    _, report = scan(Repo(clone, init=False))
    assert {n["reason"] for n in report["warnings"]} >= {"shallow-clone"}
    # the shallow commit holds both files in full, so both keys are found as introduced there
    assert sorted(by_path(report)) == ["a.py", "b.py"]


def test_empty_repository(repo):
    code, report = scan(repo)
    assert code == 0 and report["findings"] == []
    assert [n["reason"] for n in report["warnings"]] == ["no-commits"]


def test_detached_head(repo):
    repo.commit("add", {"a.py": f'KEY = "{KEY}"\n'})
    repo.commit("remove", {"a.py": "x = 1\n"})
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["origin"]["present_at_head"] is True


def test_not_a_repository_exits_2_but_plain_scan_works(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    result = run_cli("scan", "--history", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"launchready: error: not a git repository: {tmp_path}"
    assert run_cli("scan", str(tmp_path)).returncode == 0


def test_bad_revision_is_one_line_exit_2(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    result = run_cli("scan", str(repo.path), "--range", "nope..HEAD")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_non_utf8_path_and_content(repo):
    repo.commit("latin-1", {b"caf\xe9.env": f"KEY={KEY}\n# caf\xe9\n".encode("latin-1"),
                            "notes_\u00e9t\u00e9.txt": f"key {OTHER}\n"})
    _, report = scan(repo)
    paths = sorted(by_path(report))
    assert paths == ["caf\\xe9.env", "notes_\u00e9t\u00e9.txt"]  # shown escaped, as in a worktree scan
    reasons = {n["reason"] for n in report["warnings"]}
    assert {"invalid-utf8-path", "invalid-utf8"} <= reasons


def test_path_with_spaces_and_quotes(repo):
    repo.commit("odd names", {'my "keys" dir/a b.py': f'KEY = "{KEY}"\n'})
    _, report = scan(repo)
    assert list(by_path(report)) == ['my "keys" dir/a b.py']


def test_since_and_range_limit_the_commits(repo):
    base = repo.commit("start", {"a.py": "x = 1\n"})
    leak = repo.commit("leak", {"b.py": f'KEY = "{KEY}"\n'})
    repo.commit("clean", {"c.py": "y = 2\n"})
    assert scan_range(repo, "--since", leak)["findings"] == []
    [finding] = scan_range(repo, "--since", base)["findings"]
    assert finding["origin"]["commit"] == leak
    assert len(scan_range(repo, "--range", f"{base}..{leak}")["findings"]) == 1
    assert scan_range(repo, "--range", f"{leak}..HEAD")["findings"] == []


def test_history_runs_secret_rules_only_and_keeps_fingerprints_of_the_worktree(repo):
    repo.commit("leak", {"settings.py": f'STRIPE = "{stripe_key()}"\n'})
    history = scan(repo)[1]["findings"]
    worktree = scan_range(repo)["findings"]
    assert [f["fingerprint"] for f in history] == [f["fingerprint"] for f in worktree]
    assert [f["origin"]["kind"] for f in worktree] == ["worktree"]


def loose_object(repo: Repo, rev: str) -> Path:
    """The loose object file of ``rev`` (tests never gc, so objects stay loose)."""
    sha = repo.git("rev-parse", rev)
    return repo.path / ".git" / "objects" / sha[:2] / sha[2:]


def test_missing_blob_skips_only_that_file_of_that_commit(repo):
    repo.commit("first", {"a.py": f'KEY = "{OTHER}"\n'})
    broken = repo.commit("to be broken", {"b.py": "unique content 12345\n", "k.py": f'KEY = "{KEY}"\n'})
    repo.commit("last", {"c.py": f'KEY = "{stripe_key()}"\n'})
    loose_object(repo, f"{broken}:b.py").unlink()
    code, report = scan(repo)
    assert code == 1
    found = by_path(report)
    assert sorted(found) == ["a.py", "c.py", "k.py"]
    assert found["k.py"]["origin"]["commit"] == broken
    [notice] = [n for n in report["skipped"] if n["path"] == "b.py"]
    assert notice["reason"] == "object-missing" and broken[:12] in notice["detail"]
    assert not [n for n in report["skipped"] if n["reason"] == "unreadable-commit"]
    assert report["stats"]["commits"] == 3


def test_missing_blob_with_a_key_in_another_file_of_the_same_commit(repo):
    """The brief's case: a commit adds a key in a.py and a b.txt whose blob is then lost."""
    leak = repo.commit("add both", {"a.py": f'KEY = "{KEY}"\n', "b.txt": "notes\n"})
    loose_object(repo, f"{leak}:b.txt").unlink()
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["location"]["path"] == "a.py" and finding["origin"]["commit"] == leak
    assert {(n["path"], n["reason"]) for n in report["skipped"]} == {("b.txt", "object-missing")}
    [notice] = report["skipped"]
    assert notice["detail"].count(leak[:12]) == 1


def test_missing_previous_version_scans_the_whole_new_version(repo):
    first = repo.commit("first", {"a.py": "x = 1\n"})
    second = repo.commit("second", {"a.py": f'x = 1\nKEY = "{KEY}"\n'})
    loose_object(repo, f"{first}:a.py").unlink()
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["origin"]["commit"] == second and finding["location"]["line"] == 2
    assert {(n["path"], n["reason"]) for n in report["skipped"]} == {("a.py", "object-missing")}  # at first
    assert ("a.py", "object-missing") in {(n["path"], n["reason"]) for n in report["warnings"]}  # at second


def test_corrupted_blob_skips_only_that_file(repo):
    broken = repo.commit("to be broken", {"b.py": "unique content 12345\n", "k.py": f'KEY = "{KEY}"\n'})
    path = loose_object(repo, f"{broken}:b.py")
    path.chmod(0o644)
    path.write_bytes(b"not a zlib stream at all")
    _, report = scan(repo)
    assert list(by_path(report)) == ["k.py"]
    reasons = {n["path"]: n["reason"] for n in report["skipped"]}
    assert reasons.get("b.py") in {"object-missing", "object-unreadable"}


def test_missing_tree_skips_the_commit_with_a_reason(repo):
    repo.commit("first", {"a.py": f'KEY = "{OTHER}"\n'})
    broken = repo.commit("to be broken", {"sub/b.py": "unique content 12345\n"})
    repo.commit("last", {"c.py": f'KEY = "{KEY}"\n'})
    loose_object(repo, f"{broken}:sub").unlink()
    _, report = scan(repo)
    assert sorted(by_path(report)) == ["a.py", "c.py"]
    [notice] = [n for n in report["skipped"] if n["reason"] == "unreadable-commit"]
    assert notice["path"] == f"commit {broken[:12]}"


def test_submodules_are_not_followed(repo, tmp_path):
    inner = Repo(tmp_path / "inner")
    inner.commit("inner leak", {"k.py": f'KEY = "{KEY}"\n'})
    repo.commit("start", {"a.py": "x = 1\n"})
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner.path), "vendor/inner")
    repo.commit("add submodule")
    _, report = scan(repo)
    assert report["findings"] == []


def test_progress_callback_counts_every_commit(repo):
    for index in range(5):
        repo.commit(f"c{index}", {"a.py": f"x = {index}\n"})
    calls: list[tuple[int, int]] = []
    source = HistorySource(repo.path, on_progress=lambda done, total: calls.append((done, total)))
    assert len([a for a in source.artifacts() if a.path != COMMIT_MSG]) == 5
    assert calls[-1] == (5, 5) and len(calls) == 5


def test_git_missing_from_path_is_a_clear_error(repo, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo.commit("start", {"a.py": "x = 1\n"})
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_cli("scan", "--history", str(repo.path))
    assert result.returncode == 2 and result.stderr.startswith("launchready: error: cannot run git")


def test_stashed_key_is_found(repo):
    repo.commit("start", {"a.py": "x = 1\n"})
    repo.write("a.py", f'x = 1\nKEY = "{KEY}"\n')
    repo.git("stash", "-q")
    _, report = scan(repo)
    [finding] = report["findings"]
    assert finding["location"]["line"] == 2 and finding["origin"]["present_at_head"] is False


def test_forced_progress_bar_does_not_disturb_the_report(repo):
    repo.commit("leak", {"a.py": f'KEY = "{KEY}"\n'})
    code, report = scan(repo, "--progress")
    assert code == 1 and len(report["findings"]) == 1


def test_configured_excludes_apply_to_history(repo):
    repo.commit("fixture", {".launchready.toml": 'exclude = ["fixtures/"]\n', "fixtures/fake.py": f'K = "{KEY}"\n',
                            "app.py": f'K = "{OTHER}"\n'})
    _, report = scan(repo)
    assert list(by_path(report)) == ["app.py"]
    assert {s["path"]: s["reason"] for s in report["skipped"]}["fixtures/fake.py"] == "excluded"


def test_worker_processes_report_the_same_as_one_process(repo):
    repo.commit("a", {"a.py": f'KEY = "{KEY}"\n', "big.txt": "filler line\n" * 20000})
    repo.commit("b", {"b.py": f'KEY = "{OTHER}"\n', "a.py": "x = 1\n"})
    serial, pooled = scan(repo, "--jobs", "1")[1], scan(repo, "--jobs", "3")[1]
    assert serial["findings"] == pooled["findings"] and len(serial["findings"]) == 2
    assert serial["skipped"] == pooled["skipped"]


def test_worker_processes_report_which_rules_ran(repo):
    """The scorecard's "checked" comes from rules that examined a file, in the workers too."""
    repo.commit("a", {"a.py": "x = 1\n", "notes.txt": "nothing secret\n"})
    serial, pooled = scan(repo, "--jobs", "1")[1], scan(repo, "--jobs", "3")[1]
    assert serial["scan"]["rules_applied"] and serial["scan"]["rules_applied"] == pooled["scan"]["rules_applied"]
    assert serial["scorecard"] == pooled["scorecard"]


def test_worktree_baseline_matches_history_findings(repo):
    repo.commit("old", {"settings.py": f'KEY = "{KEY}"\n'})
    repo.commit("more", {"settings.py": f'KEY = "{KEY}"\nDEBUG = False\n', "gone.py": f'K = "{OTHER}"\n'})
    repo.commit("drop", {"gone.py": "x = 1\n"})
    assert run_cli("baseline", str(repo.path)).returncode == 0
    code, report = scan(repo, "--baseline", str(repo.path / ".launchready-baseline.json"))
    suppressed = {f["location"]["path"]: f["suppression"] for f in report["findings"]}
    assert suppressed["settings.py"]["kind"] == "baseline"  # known in the working tree
    assert suppressed["gone.py"] is None and code == 1  # only in history: still news
