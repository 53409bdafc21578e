"""Browser reach: which project modules end up in JavaScript that visitors download.

Built from the JS/TS module graph (:mod:`scanner.lang.javascript.modules`, shared with the route model):

- **entry points**: ``'use client'`` modules (Next.js App Router); Pages Router pages (``pages/`` outside
  ``pages/api``, except ``_document``); scripts an HTML page loads (``<script src>``: Vite's ``index.html``,
  plain sites); the conventional entry of a Vite, Create React App, Angular or Vue package (``src/main.*``,
  ``src/index.*``); every module of an Expo / React Native package (``App.*``, ``index.*``, ``app/``);
  JavaScript served as is from ``public/`` or ``static/``;
- **edges**: every import that carries code: static imports (side-effect ones too), re-exports
  (``export * from``, ``export { x } from``), dynamic ``import()`` and ``require()``, resolved with the
  graph's resolver (relative paths, index files, tsconfig ``paths``). Type-only imports carry no code;
- **boundaries**, never entered: ``'use server'`` modules (the browser gets a reference, not the code),
  route handlers (``app/**/route.ts``, ``pages/api/``, Expo Router ``+api`` files), ``middleware``, modules
  that import ``server-only``, ``*.server.*`` files, and server folders kept inside front-end packages
  (``supabase/functions``, ``netlify/functions``, ``server/``, ``backend/``).

Pages Router data functions (``getServerSideProps``, ``getStaticProps``, ``getStaticPaths``) are removed
from the client bundle by Next.js, so what they read does not ship: :meth:`BrowserReach.ships` says so per
offset. Whatever the reach cannot see (a package entry we do not recognise) is simply not reached: the
checks built on it under-report rather than guess.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.context import Context, ProjectFacts
from scanner.lang.javascript.modules import CONFIG_NAME, index_module, module_graph
from scanner.paths import is_build_output, is_test_file, looks_minified

if TYPE_CHECKING:
    from scanner.lang.javascript.modules import ModuleGraph

REACH_BUCKET = "browser-reach"
_JS_KINDS = frozenset({"javascript", "typescript"})
_DYNAMIC = re.compile(r"""\b(?:import|require)\s*\(\s*['"`](?P<spec>[^'"`\s]+)['"`]\s*\)""")
_SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*['"](?P<src>[^'"]+)['"]""", re.IGNORECASE)
_SERVER_ONLY_IMPORT = re.compile(r"""^\s*import\s+['"]server-only['"]""", re.MULTILINE)
_DATA_FUNCTIONS = ("getServerSideProps", "getStaticProps", "getStaticPaths")
_DATA_FUNCTION = re.compile(r"\bexport\s+(?:async\s+)?(?:function\s+|const\s+)(?P<name>" + "|".join(_DATA_FUNCTIONS)
                            + r")\b")
#: package.json dependencies that say what kind of front end a package is.
_FRAMEWORKS = (("expo", "expo"), ("react-native", "expo"), ("next", "next"), ("@angular/core", "angular"),
               ("react-scripts", "spa"), ("vite", "spa"), ("@vue/cli-service", "spa"), ("parcel", "spa"),
               ("webpack", "spa"))
#: Folders of server code that live inside front-end packages: Supabase/Netlify/Firebase functions, servers.
_SERVER_FOLDERS = ("supabase/functions", "netlify/functions", "netlify/edge-functions", "functions/src", "server",
                   "backend")
_SPA_ENTRIES = ("src/main", "src/index", "src/main.client", "src/entry.client", "app/entry.client")


@dataclass
class _FileFacts:
    """What the index pass saw in one module: directives, server-only import, data-function ranges."""

    directive: str | None = None  # "use client" | "use server"
    server_only: bool = False
    dynamic: tuple[str, ...] = ()
    data_functions: tuple[tuple[int, int], ...] = ()


@dataclass
class BrowserReach:
    """Modules that reach the browser, and why (the entry each one is reached from)."""

    files: dict[str, _FileFacts] = field(default_factory=dict)
    html_scripts: list[tuple[str, str]] = field(default_factory=list)  # (html path, src)
    packages: dict[str, str] = field(default_factory=dict)  # folder -> framework kind
    #: module path -> the entry point it is reached from (filled on first query).
    reached: dict[str, str] | None = None
    indexed: set[str] = field(default_factory=set)

    def reaches(self, path: str) -> bool:
        """Is module ``path`` part of browser code?"""
        return path in self.reached if self.reached is not None else False

    def is_entry(self, path: str) -> bool:
        """Is ``path`` itself a client entry point (``'use client'``, a page, an HTML script...)?"""
        return self.reached is not None and self.reached.get(path, "").startswith(path + " (")

    def runs_only_in_browser(self, path: str) -> bool:
        """Is ``path`` browser code that never runs on a server: reached in a single-page app (Vite, CRA,
        Angular, Expo), where nothing is rendered on the server, or a client entry itself?"""
        return self.reaches(path) and (self.is_entry(path) or _package_kind(self, path) in {"spa", "angular", "expo"})

    def entry_of(self, path: str) -> str | None:
        """The client entry point ``path`` is reached from (itself for an entry)."""
        return self.reached.get(path) if self.reached is not None else None

    def ships(self, path: str, offset: int) -> bool:
        """Does the code at ``offset`` in ``path`` ship to the browser? (Reached, and not inside a Pages
        Router data function, which Next.js strips from the client bundle.)"""
        if not self.reaches(path):
            return False
        facts = self.files.get(path)
        return not (facts and any(start <= offset < end for start, end in facts.data_functions))


def index_browser(ctx: Context) -> None:
    """Index pass for the browser reach (idempotent per artifact): JS/TS modules, tsconfig/jsconfig,
    package.json, HTML pages."""
    reach = ctx.facts.bucket(REACH_BUCKET, BrowserReach)
    art = ctx.artifact
    if art.path in reach.indexed or is_build_output(art.path) or looks_minified(art.text):
        return  # generated code: the bundles source scans it for secrets; its imports are not the project's
    reach.indexed.add(art.path)
    name = posixpath.basename(art.path)
    if art.kind in _JS_KINDS or CONFIG_NAME.fullmatch(name):
        module = index_module(ctx)
        if module is not None:
            reach.files[art.path] = _file_facts(module.tree.root, module.tree, art.text)
    if name == "package.json":
        kind = _framework(art.text)
        if kind:
            reach.packages[_folder(art.path)] = kind
    elif name.endswith((".html", ".htm")):
        reach.html_scripts.extend((art.path, m.group("src")) for m in _SCRIPT_SRC.finditer(art.text))


def wanted(path: str, kind: str) -> bool:
    """Does the browser reach read this artifact in the index pass?"""
    name = posixpath.basename(path)
    return (kind in _JS_KINDS or name.endswith((".html", ".htm"))
            or bool(CONFIG_NAME.fullmatch(name))) and not is_build_output(path)


def browser_reach(facts: ProjectFacts) -> BrowserReach:
    """The project's browser reach, computed on first use after the index pass."""
    reach = facts.bucket(REACH_BUCKET, BrowserReach)
    if reach.reached is None:
        reach.reached = _closure(reach, module_graph(facts))
    return reach


def _file_facts(root, tree, text: str) -> _FileFacts:
    directive = None
    for node in root.children:
        if node.type == "comment":
            continue
        if node.type == "expression_statement" and node.named_children and node.named_children[0].type == "string":
            value = tree.text(node.named_children[0])[1:-1]
            if value in {"use client", "use server"}:
                directive = value
            continue
        break
    data = tuple(_function_extent(text, m.start()) for m in _DATA_FUNCTION.finditer(text)) if "get" in text else ()
    return _FileFacts(directive, bool(_SERVER_ONLY_IMPORT.search(text)),
                      tuple(m.group("spec") for m in _DYNAMIC.finditer(text)), data)


def _function_extent(text: str, start: int) -> tuple[int, int]:
    """From an ``export function getServerSideProps`` to the end of its body (brace matching, strings ignored
    roughly: data functions are short and plain)."""
    brace = text.find("{", start)
    if brace < 0:
        return start, start
    depth = 0
    for index in range(brace, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return start, index + 1
    return start, len(text)


def _framework(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        if isinstance(data.get(key), dict):
            deps.update(data[key])
    return next((kind for dep, kind in _FRAMEWORKS if dep in deps), None)


def _folder(path: str) -> str:
    folder = posixpath.dirname(path)
    return "" if folder == "." else folder


def _is_boundary(path: str, facts: _FileFacts | None) -> bool:
    """Server code the browser never receives, even when a client module imports it."""
    name = posixpath.basename(path)
    stem = name.split(".", 1)[0]
    parts = path.split("/")
    if facts is not None and (facts.directive == "use server" or facts.server_only):
        return True
    if ".server." in name or "+api." in name or stem == "middleware":
        return True
    if any(f"/{folder}/" in f"/{path}" for folder in _SERVER_FOLDERS):
        return True
    if stem == "route" and "app" in parts[:-1]:
        return True
    return "pages" in parts[:-1] and parts[parts.index("pages") + 1:parts.index("pages") + 2] == ["api"]


def _entries(reach: BrowserReach, graph: ModuleGraph) -> dict[str, str]:
    """Client entry points: path -> why it is one."""
    entries: dict[str, str] = {}
    for path, facts in reach.files.items():
        if _is_boundary(path, facts) or is_test_file(path):
            continue
        parts = path.split("/")
        if facts.directive == "use client":
            entries[path] = "'use client'"
        elif _is_page(reach, path):
            entries[path] = "Next.js page"
        elif {"public", "static"} & set(parts[:-1]) and path.endswith((".js", ".mjs", ".cjs")):
            entries[path] = "served as is from public/ or static/"
        elif _package_kind(reach, path) == "expo":
            entries[path] = "Expo / React Native app"
    for html, src in reach.html_scripts:
        if re.match(r"^(?:[a-z]+:)?//", src):
            continue
        found = graph.resolve(src if src.startswith(".") else "./" + src.lstrip("/"), html)
        if found is not None and not _is_boundary(found, reach.files.get(found)):
            entries[found] = f"<script> in {html}"
    for folder, kind in reach.packages.items():
        if kind not in {"spa", "angular"}:
            continue
        for stem in _SPA_ENTRIES:
            found = graph.resolve(f"./{stem}", posixpath.join(folder, "package.json"))
            if found is not None:
                entries.setdefault(found, f"{kind} entry")
    return entries


def _package_folder(reach: BrowserReach, path: str) -> str | None:
    """The folder of the nearest recognised package.json above ``path`` (None when there is none)."""
    folder = _folder(path)
    while True:
        if folder in reach.packages:
            return folder
        if not folder:
            return None
        folder = _folder(folder)


def _package_kind(reach: BrowserReach, path: str) -> str | None:
    """The framework of the nearest recognised package.json above ``path``."""
    folder = _package_folder(reach, path)
    return reach.packages[folder] if folder is not None else None


def _is_page(reach: BrowserReach, path: str) -> bool:
    """A Pages Router page: under ``pages/`` or ``src/pages/`` of a Next.js package (or of the scan root when
    no package.json says otherwise), outside ``pages/api``, not ``_document``."""
    folder = _package_folder(reach, path)
    if reach.packages.get(folder) not in {"next", None}:
        return False
    rel = path[len(folder) + 1:] if folder else path
    return rel.startswith(("pages/", "src/pages/")) and \
        posixpath.basename(path).split(".")[0] not in {"_document", "_middleware"}


def _closure(reach: BrowserReach, graph: ModuleGraph) -> dict[str, str]:
    """Every module reached from an entry point through imports that carry code."""
    entries = {path: f"{path} ({why})" for path, why in _entries(reach, graph).items()}
    reached = dict(entries)
    queue = deque(entries)
    while queue:
        path = queue.popleft()
        module = graph.modules.get(path)
        if module is None:
            continue
        for specifier in _runtime_specifiers(module, reach.files.get(path)):
            target = graph.resolve(specifier, path)
            if target is None or target in reached or _is_boundary(target, reach.files.get(target)):
                continue
            reached[target] = reached[path]
            queue.append(target)
    return reached


def _used_outside_data_functions(module, facts: _FileFacts) -> set[str]:
    """Imported names a page uses outside its import statements and its data functions."""
    text = module.tree.file_text
    kept, last = [], 0
    for start, end in sorted(facts.data_functions):
        kept.append(text[last:start])
        last = max(last, end)
    kept.append(text[last:])
    rest = re.sub(r"^\s*import\b[^;]*?\bfrom\s*['\"][^'\"]*['\"];?", "", "".join(kept), flags=re.MULTILINE)
    return {name for name in module.imports if re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", rest)}


def _runtime_specifiers(module, facts: _FileFacts | None) -> set[str]:
    """Specifiers of every import of ``module`` that carries code (type-only imports do not, nor imports a
    Pages Router page uses only in its data functions, which Next.js removes with them)."""
    used = _used_outside_data_functions(module, facts) if facts is not None and facts.data_functions else None
    specifiers = {i.specifier for i in module.imports.values()
                  if not i.type_only and (used is None or i.local in used)}
    specifiers.update(e.specifier for e in module.exports.values() if e.specifier and not e.type_only)
    specifiers.update(module.star_exports)
    for node in module.tree.root.children:  # side-effect imports: ``import "./polyfills"``
        if node.type == "import_statement" and not any(c.type in {"import_clause", "type"} for c in node.children):
            source = node.child_by_field_name("source")
            if source is not None:
                specifiers.add(module.tree.text(source)[1:-1])
    if facts is not None:
        specifiers.update(facts.dynamic)
    return specifiers
