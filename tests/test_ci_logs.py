"""CI logs as a source (origin ``ci-log``): normalising, GitHub's run-log layout, safe zip reading."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.sources import ci_logs
from scanner.sources.ci_logs import ArchiveError, CiLogSource, job_and_step, normalise
from tests.conftest import fake_key, run_cli

TIMESTAMP = "2026-03-14T09:26:01.1234567Z "


def github_token(seed: int = 1) -> str:
    return fake_key("ghp" + "_", 36, seed=seed)


def test_normalise_blanks_timestamps_and_ansi_keeping_columns():
    raw = f"{TIMESTAMP}\x1b[36;1mexport\x1b[0m TOKEN=x\n\ufeff{TIMESTAMP}\x1b]0;title\x07done\n"
    clean = normalise(raw)
    assert len(clean) == len(raw) and clean.count("\n") == 2
    assert clean.split("\n")[0].strip() == "export     TOKEN=x"
    assert "\x1b" not in clean and "2026" not in clean


@pytest.mark.parametrize(("relative", "expected"), [
    ("0_build.txt", {"job": "build"}), ("build/3_Run npm test.txt", {"job": "build", "step": "Run npm test"}),
    ("notes.txt", {}), ("", {}),
])
def test_job_and_step_from_github_layout(relative, expected):
    assert job_and_step(relative) == expected


def scan_archive(archive: Path, registry, **limits) -> tuple[list, CiLogSource]:
    source = CiLogSource(archive.parent, [], archive=archive, **limits)
    result = Engine(registry, Config(), DETECTORS).run([source], str(archive.parent), ["ci"])
    return result.findings, source


def test_zip_members_with_unsafe_names_are_skipped_not_extracted(tmp_path, registry):
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../escape.txt", f"GITHUB_TOKEN={github_token(2)}\n")
        bundle.writestr("build/2_Run.txt", f"{TIMESTAMP}token {github_token(3)}\n")
    findings, source = scan_archive(archive, registry)
    assert [(f.location.path, f.location.line, f.location.column) for f in findings] == \
        [("logs.zip/build/2_Run.txt", 1, len(TIMESTAMP) + 7)]
    assert [(n.path, n.reason) for n in source.skipped] == [("logs.zip/../../escape.txt", "unsafe-path")]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_zip_bombs_and_oversized_members_are_bounded(tmp_path, registry):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("0_job.txt", "\0" * (8 * 1024 * 1024))  # ~8 MB of NULs deflate to ~8 KB
        bundle.writestr("1_big.txt", "a" * 4096)
    _, source = scan_archive(archive, registry, max_file_size=2048)
    reasons = {n.path: n.reason for n in source.skipped}
    assert reasons == {"bomb.zip/0_job.txt": "too-large", "bomb.zip/1_big.txt": "too-large"}
    _, source = scan_archive(archive, registry)
    assert {n.path: n.reason for n in source.skipped}["bomb.zip/0_job.txt"] == "zip-bomb"


def test_zip_member_count_is_bounded(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(ci_logs, "MAX_MEMBERS", 2)
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for index in range(4):
            bundle.writestr(f"{index}_job.txt", f"token {github_token(10 + index)}\n")
    findings, source = scan_archive(archive, registry)
    assert len(findings) == 2 and [n.reason for n in source.skipped] == ["too-many-members"]


def test_a_corrupt_archive_is_a_clear_error(tmp_path, registry):
    archive = tmp_path / "logs.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ArchiveError):
        scan_archive(archive, registry)
    result = run_cli("scan", "--ci-logs", str(archive))
    assert result.returncode == 2 and "not a log file, folder or zip archive" in result.stderr
    assert "Traceback" not in result.stderr


def test_ci_logs_refuses_paths_and_git_options(tmp_path):
    result = run_cli("scan", str(tmp_path), "--ci-logs", str(tmp_path))
    assert result.returncode == 2 and "--ci-logs" in result.stderr


def test_ignored_log_files_are_scanned_in_a_working_tree_scan(tmp_path):
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "build.log").write_text(f"{TIMESTAMP}\x1b[32mGITHUB_TOKEN={github_token(4)}\x1b[0m\n")
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 1
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["origin"]["kind"] == "ci-log"]
    assert finding["rule_id"] == "github-token"
    assert (finding["location"]["line"], finding["location"]["column"]) == (1, len(TIMESTAMP) + 5 + 14)
    assert finding["evidence"]["also"] == ["ci-log-env-dump"]
    assert "\x1b" not in finding["location"]["snippet"]


def test_workflows_are_read_with_the_safe_loader(tmp_path):
    marker = tmp_path / "pwned"
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        f"x: !!python/object/apply:os.system ['touch {marker}']\non: push\njobs:\n  a:\n    steps:\n"
        "      - run: |\n          curl -H \"Authorization: Bearer ${{ secrets.TOKEN }}\" https://api.example.com\n")
    (tmp_path / ".github" / "workflows" / "broken.yml").write_text("on: [push\n")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "none")
    document = json.loads(result.stdout)
    assert not marker.exists()
    assert [(f["rule_id"], f["location"]["line"]) for f in document["findings"]] == \
        [("workflow-secret-command-line", 7)]
    assert ("yaml-error" in {n["reason"] for n in document["skipped"]})
