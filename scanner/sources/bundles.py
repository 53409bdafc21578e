"""The bundle source: build output (origin ``bundle``), scanned even where ``.gitignore`` excludes it.

A key inlined into ``.next/static/chunks/main-3f9a.js`` is shipped to every visitor, and ``.next/`` is
always ignored; so this source walks the scan root without ``.gitignore`` (the configuration's
``exclude`` still holds, dependency folders and build caches are still skipped) and reads every file the
path policy calls build output (:func:`scanner.paths.is_build_output`). The working-tree source leaves
those files to it.

Source maps (``*.map`` files and inline ``sourceMappingURL=data:`` comments) also yield each original
file they embed, at its original path (:mod:`scanner.sourcemap`). The same secret in several bundle
files (content-hashed chunks, the map, the original it embeds) becomes one finding listing every
location (:meth:`BundleSource.refine`), reported preferably at the original file.

Artifacts have kind ``bundle``: code checks never read them; the secret rules do (generic ones are
not run in generated code, :func:`scanner.filters.generic_rules_apply`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.model import Artifact, Finding, Notice, Origin
from scanner.paths import is_build_output
from scanner.sourcemap import EmbeddedSource, embedded_sources, inline_map, parse_map
from scanner.sources.repeats import fold_repeats
from scanner.sources.worktree import WorktreeSource

ORIGIN = Origin("bundle")
KIND = "bundle"
#: Files that may end with an inline source map.
SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs", ".css")


@dataclass
class BundleSource:
    """Artifacts for every build-output file under ``paths``, and the original files their maps embed."""

    root: Path
    paths: list[Path]
    exclude: tuple[str, ...] = ()
    max_file_size: int = 10 * 1024 * 1024
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    #: Original file path -> the source maps that embed it (for the finding's evidence).
    embedded_in: dict[str, set[str]] = field(default_factory=dict)

    def artifacts(self) -> Iterator[Artifact]:
        walker = WorktreeSource(self.root, self.paths, self.exclude, self.max_file_size, use_gitignore=False,
                                select=is_build_output)
        try:
            for art in walker.artifacts():
                yield replace(art, kind=KIND, origin=ORIGIN)
                yield from self._embedded(art)
        finally:  # folders the working-tree walk reports too (dependencies, exclusions) are not repeated
            self.skipped.extend(n for n in walker.skipped if is_build_output(n.path))
            self.warnings.extend(n for n in walker.warnings if is_build_output(n.path))

    def _embedded(self, art: Artifact) -> Iterator[Artifact]:
        """The original files a source map embeds: the map itself, or one inline in a script."""
        if art.path.lower().endswith(".map"):
            document = parse_map(art.text)
            if document is None:
                if art.text.lstrip().startswith("{"):
                    self.warnings.append(Notice(art.path, "invalid-source-map", "not a source map; scanned as text"))
                return
            label = art.path
        else:
            found = inline_map(art.text) if art.path.lower().endswith(SCRIPT_SUFFIXES) else None
            if found is None:
                return
            document, label = found[1], f"{art.path} (inline source map)"
        for source in embedded_sources(art.path, document):
            yield self._original(source, label)

    def _original(self, source: EmbeddedSource, label: str) -> Artifact:
        self.embedded_in.setdefault(source.path, set()).add(label)
        return Artifact(path=source.path, text=source.text, kind=KIND, origin=ORIGIN)

    def refine(self, findings: list[Finding]) -> list[Finding]:
        """One finding per secret across bundle files, at the original file when a map embeds it."""
        def rank(finding: Finding) -> tuple:
            location = finding.location
            return (location.path not in self.embedded_in, location.path, location.line, location.column)

        def source_maps(finding: Finding) -> dict[str, object]:
            maps = self.embedded_in.get(finding.location.path)
            return {"source_maps": sorted(maps)} if maps else {}

        return fold_repeats(findings, ORIGIN.kind, rank, source_maps)
