"""Real git repositories in temp dirs for the history, staged and pre-commit tests (plain git commands)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: A fixed identity and dates so commits are reproducible and do not read the user's git config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Tester", "GIT_AUTHOR_EMAIL": "ada@example.test",
    "GIT_COMMITTER_NAME": "Ada Tester", "GIT_COMMITTER_EMAIL": "ada@example.test",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


class Repo:
    """A git repository at ``path`` with helpers to write files and make commits one second apart."""

    def __init__(self, path: Path, init: bool = True):
        self.path = path
        self._clock = 1_700_000_000
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", "main")
            self.git("config", "user.name", "Ada Tester")
            self.git("config", "user.email", "ada@example.test")

    def git(self, *args: str, check: bool = True) -> str:
        env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"{self._clock} +0000",
               "GIT_COMMITTER_DATE": f"{self._clock} +0000"}
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, rel: str | bytes, data: str | bytes) -> Path:
        path = Path(os.fsdecode(self.path / os.fsdecode(rel)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return path

    def commit(self, message: str, files: dict[str, str | bytes] | None = None) -> str:
        """Write ``files``, stage everything, commit; returns the new commit's sha."""
        for rel, data in (files or {}).items():
            self.write(rel, data)
        self._clock += 60
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def commit_on_branch(self, branch: str, message: str, files: dict[str, str | bytes]) -> str:
        """Commit ``files`` on a new branch from the current one, then switch back; returns the sha."""
        current = self.git("rev-parse", "--abbrev-ref", "HEAD")
        self.git("checkout", "-q", "-b", branch)
        sha = self.commit(message, files)
        self.git("checkout", "-q", current)
        return sha

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")
