"""The lines added in the index (``git diff --cached -U0``): the source behind ``scan --staged``.

One artifact per staged file, holding only its added lines; line numbers are those of the staged
file, so a pre-commit message points at the line the user is about to commit. Works before the
first commit too (everything staged is new). Kept light: it imports no parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Artifact, Notice, Origin
from scanner.sources.git import PATCH_OPTIONS, PatchReader, parse_patch, run_git

_ORIGIN = Origin("staged")


@dataclass
class StagedSource:
    """Artifacts for the added lines of every file staged in the repository at ``root``."""

    root: Path
    max_file_size: int = 10 * 1024 * 1024
    #: gitignore-style patterns (the configuration's ``exclude``) of paths not to scan.
    exclude: tuple[str, ...] = ()
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    def artifacts(self) -> Iterator[Artifact]:
        reader = PatchReader(self.max_file_size, self.exclude, self.skipped, self.warnings)
        patch = run_git(self.root, "diff", "--cached", *PATCH_OPTIONS)
        for item in parse_patch(patch.split(b"\n"), self.max_file_size):
            art = reader.artifact(item, _ORIGIN)
            if art is not None:
                yield art
        reader.flush_counts("staged change")
