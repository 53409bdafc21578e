"""Source maps served with a production bundle: ``bundle-source-map-public``.

A source map whose ``sourcesContent`` holds the original files, in build output that a web server
hands to browsers (``.next/static/``, ``dist/``, ``public/``; not ``.next/server/``), ships the
project's source code, comments included, to anyone who opens the browser's developer tools. Inline
maps (a ``sourceMappingURL=data:`` comment at the end of a served script) count too.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import ORIGIN_KINDS, Artifact
from scanner.paths import is_served_build_output
from scanner.sourcemap import inline_map, parse_map

RULE = "bundle-source-map-public"
SCRIPTS = (".js", ".mjs", ".cjs", ".css")


def _embedded_count(document: dict) -> int:
    """How many original files a map document embeds (index-map sections included, one level)."""
    contents = document.get("sourcesContent")
    count = sum(1 for c in contents if isinstance(c, str) and c) if isinstance(contents, list) else 0
    for section in document.get("sections") or ():
        if isinstance(section, dict) and isinstance(section.get("map"), dict):
            count += _embedded_count(section["map"])
    return count


class SourceMapExposureDetector(Detector):
    """Implements bundle-source-map-public."""

    rule_ids = (RULE,)
    kinds = frozenset({"bundle"})
    origins = frozenset(ORIGIN_KINDS)  # a committed public/ map scanned with --no-bundles counts too

    def wants(self, artifact: Artifact) -> bool:
        return super().wants(artifact) and is_served_build_output(artifact.path) \
            and artifact.path.lower().endswith((".map", *SCRIPTS))

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.path.lower().endswith(".map"):
            document = parse_map(artifact.text)
            offset = artifact.text.find('"sourcesContent"')
            where = "served next to the production bundle"
        else:
            found = inline_map(artifact.text)
            offset, document = found if found else (-1, None)
            where = "inlined into a served script"
        if document is None:
            return
        count = _embedded_count(document)
        if count == 0:
            return
        offset = max(offset, 0)
        yield ctx.finding(RULE, ctx.span(offset, offset + 1), key=f"source-map:{artifact.path}",
                          message=f"Source map {where} embeds the original code of {count} file(s)")
