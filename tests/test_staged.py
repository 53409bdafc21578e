"""``scan --staged``: only lines added in the index, with the staged file's line numbers; a light path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scanner.rules import RuleError, default_registry, load_rules
from tests.conftest import ROOT, anthropic_key, run_cli, stripe_key
from tests.gitrepo import Repo

KEY = anthropic_key()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def staged(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_cli("scan", "--staged", str(repo.path), *args)


def test_line_numbers_refer_to_the_staged_file(repo):
    repo.commit("start", {"app.py": "".join(f"line{n} = {n}\n" for n in range(1, 11))})
    lines = [f"line{n} = {n}\n" for n in range(1, 11)]
    lines.insert(6, f'KEY = "{KEY}"\n')  # becomes line 7
    repo.write("app.py", "".join(lines))
    repo.git("add", "app.py")
    result = staged(repo, "--format", "json")
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["location"]["line"] == 7 and finding["origin"]["kind"] == "staged"


def test_only_staged_additions_count(repo):
    repo.commit("old leak", {"old.py": f'KEY = "{KEY}"\n'})  # already committed: not this commit's problem
    repo.write("new.py", f'STRIPE = "{stripe_key()}"\n')  # written but not staged
    repo.write("clean.py", "x = 1\n")
    repo.git("add", "clean.py")
    result = staged(repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_first_commit_of_a_new_repository(repo):
    repo.write("settings.py", f'\nKEY = "{KEY}"\n')
    repo.git("add", "-A")
    result = staged(repo, "--format", "json")
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["location"]["line"] == 2


def test_blocked_message_names_file_line_rule_and_how_to_suppress(repo):
    repo.write("a.py", f'KEY = "{KEY}"\n')
    repo.git("add", "-A")
    result = staged(repo, "--quiet")
    assert result.returncode == 1 and result.stdout == ""
    assert "a.py:1: anthropic-api-key" in result.stderr
    assert "launchready: ignore[RULE-ID]" in result.stderr and "baseline" in result.stderr
    assert KEY not in result.stderr


def test_inline_suppression_lets_the_commit_through(repo):
    repo.write("a.py", f'KEY = "{KEY}"  # launchready: ignore[anthropic-api-key] -- revoked test key\n')
    repo.git("add", "-A")
    assert staged(repo).returncode == 0


def test_outside_a_repository_exits_2(tmp_path):
    result = run_cli("scan", "--staged", str(tmp_path))
    assert result.returncode == 2 and "not a git repository" in result.stderr


def test_git_modes_are_exclusive(repo):
    result = run_cli("scan", "--staged", "--history", str(repo.path))
    assert result.returncode == 2 and "choose one of --history, --staged" in result.stderr


def test_staged_scan_imports_no_heavy_module(repo):
    """The pre-commit path must stay fast: no libcst, jinja2, semgrep, rich or multiprocessing."""
    repo.write("a.py", f'KEY = "{KEY}"\n')
    repo.git("add", "-A")
    probe = (
        "import sys\n"
        "from scanner.cli import main\n"
        f"sys.argv = ['launchready', 'scan', '--staged', '--quiet', {str(repo.path)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as exit:\n"
        "    heavy = {'libcst', 'jinja2', 'semgrep', 'rich', 'multiprocessing'}\n"
        "    print(exit.code, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "1 []", result.stdout + result.stderr


def test_lazy_rules_compile_on_first_use_and_still_fail_loudly(tmp_path):
    """The hook loads rules without compiling their regexes; a broken one still names its file."""
    from tests.test_registry import GOOD

    (tmp_path / "rule.yaml").write_text(textwrap.dedent(GOOD).replace("demo_[a-z]{8})", "demo_[a-z"))
    registry = load_rules(tmp_path, eager=False)
    pattern = registry.get("demo-rule").options["regex"]
    assert pattern.pattern == "(?P<secret>demo_[a-z"
    with pytest.raises(RuleError, match=r"rule\.yaml.*does not compile"):
        pattern.finditer("demo_abcdefgh")
    (tmp_path / "rule.yaml").write_text(textwrap.dedent(GOOD).replace("(?P<secret>demo_[a-z]{8})", "demo_[a-z]{8}"))
    with pytest.raises(RuleError, match="named group"):
        load_rules(tmp_path, eager=False)


def test_lazy_and_eager_rules_find_the_same(registry):
    lazy = default_registry(eager=False)
    text = f'KEY = "{KEY}"\nSTRIPE = "{stripe_key()}"\n'
    for rule in registry:
        if rule.kind == "secret":
            eager_hits = [m.group("secret") for m in rule.options["regex"].finditer(text)]
            lazy_hits = [m.group("secret") for m in lazy.get(rule.id).options["regex"].finditer(text)]
            assert eager_hits == lazy_hits, rule.id


def test_baseline_lets_known_findings_through(repo):
    repo.commit("known", {"a.py": f'KEY = "{KEY}"\n'})
    assert run_cli("baseline", str(repo.path)).returncode == 0
    repo.write("a.py", f'KEY = "{KEY}"  # touched\n')  # the same secret on a re-added line
    repo.git("add", "a.py")
    assert staged(repo, "--baseline", str(repo.path / ".launchready-baseline.json")).returncode == 0
    assert staged(repo).returncode == 1
