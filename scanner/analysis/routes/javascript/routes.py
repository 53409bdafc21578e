"""HTTP and RPC entry points of JavaScript/TypeScript back ends, and what protects them.

The index pass registers every JS/TS file in the project's module graph (``index_file``) and records
Next.js middleware. The detect pass asks ``routes_in`` for one file's routes; each framework's extractor
(``nextjs``, ``express`` for Express/Koa/Hono/Fastify, ``nestjs``, ``trpc``, ``wasp``) finds its entry
points and their guards, resolving helpers, wrappers, middleware and mounts across files through the
module graph and the shared identity resolver (``identity``).
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.analysis.routes.javascript import express, nestjs, nextjs, trpc, wasp
from scanner.analysis.routes.javascript.base import SIGNATURE_CHECK, JsProject, JsRoute, Middleware
from scanner.analysis.routes.javascript.nextjs import app_root
from scanner.lang.javascript.modules import summarise
from scanner.lang.javascript.parse import JsTree

__all__ = ["SIGNATURE_CHECK", "JsProject", "JsRoute", "Middleware", "app_root", "index_file", "routes_in"]
_EXTRACTORS = (nextjs.routes, express.routes, nestjs.routes, trpc.routes, wasp.routes)


def index_file(tree: JsTree, path: str, project: JsProject) -> None:
    """Index pass: register the file in the module graph; record it if it is a Next.js middleware."""
    project.graph.add(tree, path)
    nextjs.index_middleware(tree, path, project)


def index_middleware(tree: JsTree, path: str, project: JsProject) -> None:
    """The index pass as the current detector calls it (``index_file`` under its earlier name)."""
    index_file(tree, path, project)


def index_express_mounts(tree: JsTree, path: str, project: JsProject) -> None:
    """Nothing left to do here: mounts across files are read from the module graph on first use."""


def routes_in(tree: JsTree, path: str, project: JsProject) -> Iterator[JsRoute]:
    """Every entry point defined in one file, with the guards that run before it."""
    module = project.graph.modules.get(path)
    if module is None or module.tree.source != tree.source:  # not indexed, or another version (history)
        module = summarise(tree, path)
    for extract in _EXTRACTORS:
        yield from extract(module, project)
