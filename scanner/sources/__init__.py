"""Sources yield the artifacts a scan reads: the working tree, git history, staged changes...

Register a source here, by the origin kind its artifacts carry. Sources are imported lazily (by module
path), so the pre-commit path imports only the staged source.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol

from scanner.model import Artifact, Notice

#: origin kind -> "module:Class"
SOURCES: dict[str, str] = {
    "worktree": "scanner.sources.worktree:WorktreeSource",
    "history": "scanner.sources.git_history:HistorySource",
    "staged": "scanner.sources.staged:StagedSource",
    "bundle": "scanner.sources.bundles:BundleSource",
    "ci-log": "scanner.sources.ci_logs:CiLogSource",
}


class Source(Protocol):
    """Anything that yields artifacts and records what it skipped."""

    skipped: list[Notice]
    warnings: list[Notice]

    def artifacts(self) -> Iterator[Artifact]: ...

    # Optional: ``refine(findings) -> findings``, run by the engine after dedupe on the whole scan's
    # findings, for a source to fold or annotate its own (one finding per secret across bundle files).


def source_class(kind: str) -> Any:
    """The source class registered for origin ``kind``."""
    module_name, class_name = SOURCES[kind].split(":")
    return getattr(importlib.import_module(module_name), class_name)
