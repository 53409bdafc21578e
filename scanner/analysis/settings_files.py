"""Which configuration files describe production, and module-level settings of a Python file."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

#: Settings meant for development or tests only: ``settings/dev.py``, ``settings_local.py``, ``tests/...``.
DEVELOPMENT = re.compile(
    r"(?:^|[_.\-])(?:dev|develop|development|local|test|tests|testing|ci)(?:[_.\-]|$)",
    re.IGNORECASE,
)


def is_development_file(path: str) -> bool:
    """True for settings or code that only runs in development or tests (judged by path)."""
    posix = PurePosixPath(path)
    parts = [*posix.parts[:-1], posix.stem]
    return any(DEVELOPMENT.search(part) for part in parts) or posix.name.startswith("test_")


TEST_PARTS = frozenset({"test", "tests", "testing", "__tests__", "conftest.py"})


def is_test_file(path: str) -> bool:
    """True for test code: under a ``tests/`` folder, ``test_*.py``, ``*_test.py`` or ``conftest.py``."""
    posix = PurePosixPath(path)
    return bool(TEST_PARTS & {p.lower() for p in posix.parts}) or posix.name.startswith("test_") \
        or posix.stem.endswith("_test")
