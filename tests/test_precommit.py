"""The real pre-commit framework running our hook from ``.pre-commit-hooks.yaml``.

The hook repository is a temporary commit of this package's files (so the test does not depend on
the checkout being committed); pre-commit clones it by path and pip-installs it into its own
environment once per test session (it fetches the runtime dependencies from the package index).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, anthropic_key
from tests.gitrepo import GIT_ENV, Repo

pytest.importorskip("pre_commit")

#: What pre-commit needs to build and run the hook from a clone.
PACKAGE_FILES = ("scanner", "rules", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A one-commit copy of this package: (path, sha)."""
    path = tmp_path_factory.mktemp("hook-src") / "launchready"
    path.mkdir()
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, path / name)
    repo = Repo(path)
    return path, repo.commit("launchready package")


@pytest.fixture(scope="session")
def precommit_env(tmp_path_factory) -> dict[str, str]:
    """One PRE_COMMIT_HOME for the session, so the hook environment is built once."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}


@pytest.fixture(scope="session")
def project(tmp_path_factory, hook_repo, precommit_env) -> Repo:
    """A repository that uses the hook, with the hook environment installed."""
    path, sha = hook_repo
    repo = Repo(tmp_path_factory.mktemp("project") / "app")
    repo.commit("config", {".pre-commit-config.yaml": (
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: launchready\n")})
    for args in (("install",), ("install-hooks",)):
        proc = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo.path, env=precommit_env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


def git_commit(repo: Repo, env: dict[str, str], message: str) -> subprocess.CompletedProcess:
    repo.git("add", "-A")
    return subprocess.run(["git", "commit", "-m", message], cwd=repo.path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_commit_with_an_anthropic_key_is_blocked(project, precommit_env):
    before = project.head()
    key = anthropic_key(seed=11)
    project.write("llm.py", f'import anthropic\n\nclient = anthropic.Anthropic(api_key="{key}")\n')
    result = git_commit(project, precommit_env, "add llm client")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert project.head() == before
    assert "llm.py:3: anthropic-api-key" in output
    assert "launchready: ignore[RULE-ID]" in output and "baseline" in output
    assert key not in output
    project.git("reset", "-q", "HEAD", "llm.py")
    (project.path / "llm.py").unlink()


def test_clean_commit_passes(project, precommit_env):
    project.write("app.py", 'import os\n\nKEY = os.environ["ANTHROPIC_API_KEY"]\n')
    result = git_commit(project, precommit_env, "read the key from the environment")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "launchready (secrets in staged changes)" in result.stderr and "Passed" in result.stderr
