"""Source maps: the original files a bundle was built from, as the map embeds them (``sourcesContent``).

A source map (``*.map``, or inline as ``//# sourceMappingURL=data:application/json;base64,...``) that
carries ``sourcesContent`` ships every original file, comments and all. Each embedded file is scanned
as its own text, so a finding in it is reported at the original file's path and line; the map's
``mappings`` are never decoded (the embedded text *is* the original file).

Paths are mapped back to the scan root as well as the map allows: ``webpack://_N_E/./app/page.tsx``
under ``apps/web/.next/static/chunks/`` becomes ``apps/web/app/page.tsx``; ``../../src/a.ts`` is
resolved against the map's folder.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.paths import BUILD_DIRS

#: The inline form: a base64 data URL in a ``sourceMappingURL`` comment (looked for near the end only).
_INLINE = re.compile(r"sourceMappingURL=data:application/json(?:;charset=[\w-]+)?;base64,(?P<data>[A-Za-z0-9+/=_-]+)")
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*://")
#: Sections of an index map followed at most this deep (an index map may nest index maps).
MAX_DEPTH = 4


@dataclass(frozen=True)
class EmbeddedSource:
    """One original file carried by a source map: its path (relative to the scan root) and its text."""

    path: str
    text: str


def parse_map(text: str) -> dict[str, Any] | None:
    """The source map document in ``text``, or None when it is not one (invalid JSON, no ``sources``)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and (isinstance(document.get("sources"), list)
                                       or isinstance(document.get("sections"), list)):
        return document
    return None


def inline_map(text: str) -> tuple[int, dict[str, Any]] | None:
    """(offset of the data URL, document) of an inline source map at the end of a script, if any."""
    marker = text.rfind("sourceMappingURL=data:")
    if marker == -1:
        return None
    match = _INLINE.match(text, marker)
    if match is None:
        return None
    data = match.group("data")
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_" if "-" in data or "_" in data else None)
        document = parse_map(raw.decode("utf-8", errors="replace"))
    except (binascii.Error, ValueError):
        return None
    return (match.start("data"), document) if document is not None else None


def embedded_sources(map_path: str, document: dict[str, Any], depth: int = 0) -> Iterator[EmbeddedSource]:
    """Every original file ``document`` (read from ``map_path``) embeds, index-map sections included."""
    if depth > MAX_DEPTH:
        return
    for section in document.get("sections") or ():
        if isinstance(section, dict) and isinstance(section.get("map"), dict):
            yield from embedded_sources(map_path, section["map"], depth + 1)
    sources, contents = document.get("sources"), document.get("sourcesContent")
    if not isinstance(sources, list) or not isinstance(contents, list):
        return
    root = document.get("sourceRoot") if isinstance(document.get("sourceRoot"), str) else ""
    for source, content in zip(sources, contents, strict=False):
        if isinstance(source, str) and isinstance(content, str) and content:
            yield EmbeddedSource(original_path(map_path, source, root), content)


def project_base(map_path: str) -> str:
    """The folder of the project that built the map: the part of its path before the build folder."""
    parts = map_path.split("/")[:-1]
    for index, part in enumerate(parts):
        if part.lower() in BUILD_DIRS:
            return "/".join(parts[:index])
    return "/".join(parts)


def original_path(map_path: str, source: str, source_root: str = "") -> str:
    """Where an original file of the map lives, relative to the scan root (never outside it)."""
    full = source if _SCHEME.match(source) or source.startswith("/") else posixpath.join(source_root, source)
    scheme = _SCHEME.match(full)
    if scheme:  # webpack://NAMESPACE/./src/a.ts: relative to the project that was built
        rest = full[scheme.end():]
        first, _, tail = rest.partition("/")
        relative = tail if first and not first.startswith(".") and tail else rest
        joined = posixpath.join(project_base(map_path), relative.lstrip("/"))
    elif full.startswith("/"):
        joined = full.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(map_path), full)
    parts = [p for p in posixpath.normpath(joined.split("?", 1)[0]).split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or posixpath.basename(map_path)
