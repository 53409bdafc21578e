"""SvelteKit entry points: ``+server`` endpoints, ``+page.server``/``+layout.server`` loads and form actions.

- ``src/routes/**/+server.ts`` exporting GET/POST/... (each an HTTP endpoint);
- ``+page.server.ts``/``+layout.server.ts`` exporting ``load`` (a GET: its data goes to the browser);
- ``+page.server.ts`` exporting ``actions`` (each property a form action, a POST).
The URL is the folder under ``src/routes`` without ``(group)`` folders. Guards: the hook ``handle`` in
``src/hooks.server.ts`` when it establishes identity and turns callers away on the route's path (a
``pathname.startsWith('/app')`` test, or every path), and each export's own check (``locals.user``,
``locals.getSession()``, ``locals.auth()``...), followed through project helpers. A layout's ``load`` does
not protect form actions or endpoints (they run without it), so actions and endpoints are judged by
themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import (
    HTTP_METHODS,
    JsProject,
    JsRoute,
    capability_guard,
    handler_guards,
)
from scanner.analysis.routes.javascript.identity import IDENTITY_CALL, IDENTITY_READ, REJECTS, Guard
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module

if TYPE_CHECKING:
    from tree_sitter import Node

_ROUTES_FOLDER = re.compile(r"(?:^|/)src/routes/")
_HOOKS = re.compile(r"(?:^|/)src/hooks\.server\.[jt]s$")
_PREFIX = re.compile(r"(!?)\s*[\w.?]*pathname\??\.startsWith\(\s*['\"`]([^'\"`]+)['\"`]")
_ROUTE_FILE = re.compile(r"^\+(server|page\.server|layout\.server)\.[jt]s$")


@dataclass
class Hook:
    """A ``handle`` hook that turns away callers without an identity, and on which paths."""

    path: str
    line: int
    covered: list[str] = field(default_factory=list)  # path prefixes it guards; empty: every path...
    excluded: list[str] = field(default_factory=list)  # ...but these

    def covers(self, url: str) -> bool:
        def under(prefix: str) -> bool:
            return url == prefix.rstrip("/") or url.startswith(prefix.rstrip("/") + "/")
        if any(under(p) for p in self.excluded):
            return False
        return not self.covered or any(under(p) for p in self.covered)


def index_hooks(module: Module, project: JsProject) -> None:
    """Index pass: record ``src/hooks.server.ts`` when its code rejects callers it cannot identify."""
    if not _HOOKS.search(module.path):
        return
    text = module.tree.file_text
    identifies = IDENTITY_READ.search(text) or any(IDENTITY_CALL.search(m) for m in re.findall(r"[\w.]+(?=\()", text))
    rejects = re.search(r"\bredirect\s*\(|\berror\s*\(\s*40[13]|\b40[13]\b", text) and REJECTS.search(text)
    if not (identifies and rejects):
        return
    hook = Hook(module.path, 1)
    for negated, prefix in _PREFIX.findall(text):
        (hook.excluded if negated else hook.covered).append(prefix)
    project.frameworks.setdefault("sveltekit", {})[_app_root(module.path)] = hook


def _app_root(path: str) -> str:
    return path[:_ROUTES_FOLDER.search(path).start()] if _ROUTES_FOLDER.search(path) else \
        path[:_HOOKS.search(path).start()]


def sveltekit_url(path: str) -> str:
    """``src/routes/(app)/notes/[id]/+page.server.ts`` -> ``/notes/[id]``."""
    relative = PurePosixPath(path[_ROUTES_FOLDER.search(path).end():])
    return "/" + "/".join(p for p in relative.parts[:-1] if not (p.startswith("(") and p.endswith(")")))


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    kind = _ROUTE_FILE.match(PurePosixPath(module.path).name)
    if kind is None or _ROUTES_FOLDER.search(module.path) is None:
        return
    url = sveltekit_url(module.path)
    hook = project.frameworks.get("sveltekit", {}).get(_app_root(module.path))
    covering = (Guard("middleware", "hooks.server handle rejects callers without a session", hook.path, hook.line),) \
        if hook is not None and hook.covers(url) else ()
    if kind.group(1) == "server":
        exports = [(m, (m,), None) for m in HTTP_METHODS if m in module.exports]
    else:
        exports = [("load", ("GET",), None)] if "load" in module.exports else []
        if kind.group(1) == "page.server" and "actions" in module.exports:
            exports.extend(_actions(module, project))
    for name, methods, node in exports:
        layout = _layout_guard(module, project) if name == "load" else ()
        if node is None:
            found = project.graph.exported_by(module, name)
            if found is None or found.module is not module or \
                    found.node.type not in FUNCTION_TYPES | {"call_expression"}:
                continue
            node = found.node
        guards, inner_module, inner = handler_guards(project, module, node)
        yield JsRoute("sveltekit", url, methods, name, node, inner_module.tree.text(inner),
                      covering + layout + guards + capability_guard(url, module, node), stack="sveltekit")


def _layout_guard(module: Module, project: JsProject) -> tuple[Guard, ...]:
    """The guard of the nearest enclosing ``+layout.server`` load that turns unidentified callers away: a
    page's data is only rendered after its layouts' loads succeed (this does not hold for actions and
    endpoints, which never run a layout's load)."""
    folder = PurePosixPath(module.path).parent
    own = PurePosixPath(module.path).name.startswith("+layout")
    for parent in folder.parents if own else (folder, *folder.parents):
        if _ROUTES_FOLDER.search(parent.as_posix() + "/") is None:
            break
        for extension in ("ts", "js"):
            layout = project.graph.modules.get(f"{parent.as_posix()}/+layout.server.{extension}")
            found = project.graph.exported_by(layout, "load") if layout is not None else None
            if found is None or found.module is not layout:
                continue
            identity = project.resolver.of_function(layout, found.node)
            if identity.is_guard:
                return (Guard("middleware", f"layout load of {parent.name} ({identity.evidence})", layout.path,
                              found.node.start_point[0] + 1),)
    return ()


def _actions(module: Module, project: JsProject) -> Iterator[tuple[str, tuple[str, ...], Node]]:
    """``export const actions = { default: async (...) => ..., create: ... }``: one POST per action."""
    found = project.graph.exported_by(module, "actions")
    node = found.node if found is not None and found.module is module else None
    while node is not None and node.type in {"satisfies_expression", "as_expression", "parenthesized_expression"}:
        node = node.named_children[0] if node.named_children else None
    if node is None or node.type != "object":
        return
    tree = module.tree
    for member in node.named_children:
        if member.type == "pair":
            key, value = member.child_by_field_name("key"), member.child_by_field_name("value")
            if key is not None and value is not None and value.type in FUNCTION_TYPES:
                yield f"actions.{tree.text(key).strip(chr(39) + chr(34))}", ("POST",), value
        elif member.type == "method_definition":
            key = member.child_by_field_name("name")
            yield f"actions.{tree.text(key) if key is not None else 'default'}", ("POST",), member
