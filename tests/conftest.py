"""Shared fixtures: the rule registry, a CLI runner, key factories that keep key-shaped strings out of git."""

from __future__ import annotations

import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.rules import default_registry

ROOT = Path(__file__).resolve().parent.parent
ALNUM = string.ascii_letters + string.digits


def fake_key(prefix: str, length: int, alphabet: str = ALNUM, suffix: str = "", seed: int = 7) -> str:
    """A random key-shaped string built at run time (so no literal key lives in the test sources)."""
    rng = random.Random(f"{prefix}{length}{seed}")
    return prefix + "".join(rng.choice(alphabet) for _ in range(length)) + suffix


def anthropic_key(seed: int = 7) -> str:
    return fake_key("sk-ant-" + "api03-", 93, ALNUM + "-_", "AA", seed)


def stripe_key(seed: int = 7) -> str:
    return fake_key("sk_" + "live_", 24, seed=seed)


@pytest.fixture(scope="session")
def registry():
    return default_registry()


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    return subprocess.run([sys.executable, "-m", "scanner", *args], cwd=cwd, capture_output=True, text=True,
                           input=input, timeout=120)
