"""The project's JavaScript/TypeScript module graph: imports, exports, re-exports, and name resolution.

Every JS/TS file of the project is registered once (``ModuleGraph.add``) in the index pass, from the tree
its Context already parsed; ``tsconfig.json``/``jsconfig.json`` files are registered with ``add_config``.
In the detect pass two questions are answered across files:

- ``resolve(specifier, importer)``: which project file an import specifier names. Relative specifiers,
  extensionless ones, ``.js`` written for a ``.ts`` source, ``index`` files, tsconfig/jsconfig ``paths``
  and ``baseUrl`` (nearest config above the importer, ``extends`` followed), and, when no config says
  otherwise, the usual ``@/`` and ``~/`` aliases for the app folder or its ``src/``.
- ``definition(name, path)``: the node that defines a name used in a file, following imports (ESM and
  ``require``), re-exports (``export * from``, ``export { x as y } from``), default exports, and aliases
  (``const requireUser = withAuth``). Members of namespace imports (``security.isAuthorized``) resolve
  through the module's exports.

Type-only imports and exports are kept but flagged; they never resolve to runtime code. Nodes are
tree-sitter nodes of each module's tree (the one its Context parsed, reused by the detect pass).

Memory: a module keeps its summary and text for the whole scan, but not its parsed tree. A module's
declarations are kept as positions (:class:`Declarations`), and the graph keeps at most
:data:`TREE_BUDGET` bytes of source parsed, the most recently used: between files (``Context.release``)
it frees the others' trees (``trim``), and a module whose tree was freed parses again when next used.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.lang.javascript.parse import FUNCTION_TYPES, JsTree, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.context import Context, ProjectFacts

#: Extensions a bare module path may take, in the order a bundler tries them.
EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
#: What a ``.js``-style extension written in an import may stand for in a TypeScript project.
_SOURCE_FOR = {".js": (".ts", ".tsx", ".js", ".jsx"), ".jsx": (".tsx", ".jsx"), ".mjs": (".mts", ".mjs"),
               ".cjs": (".cts", ".cjs")}
_MAX_HOPS = 12
#: Bytes of module source whose trees the graph keeps parsed between files (a tree costs about 18 bytes per
#: byte of source), the most recently used. Measured on documenso (11 MB of TypeScript): peak 322 MB with
#: 8 MB, 182 MB with 2 MB, 140 MB with 0 (every tree freed between files), for about 3% more CPU than with 8 MB.
TREE_BUDGET = 2 * 1024 * 1024


@dataclass(frozen=True)
class Import:
    """One imported binding: ``import { a as b } from "./x"`` is local ``b``, name ``a``, specifier ``./x``.

    ``name`` is ``"default"`` for default imports and ``"*"`` for namespaces and ``require`` of a whole module.
    """

    local: str
    specifier: str
    name: str
    type_only: bool = False
    line: int = 0


@dataclass(frozen=True)
class Export:
    """One exported name: from a local binding (``local``) or re-exported from another module (``specifier``)."""

    name: str
    local: str | None = None
    specifier: str | None = None
    imported: str | None = None
    type_only: bool = False


@dataclass
class Module:
    """What one file imports, exports and declares at top level."""

    path: str
    tree: JsTree
    imports: dict[str, Import] = field(default_factory=dict)
    exports: dict[str, Export] = field(default_factory=dict)
    #: ``export * from "x"``: specifiers whose exports this module passes on.
    star_exports: list[str] = field(default_factory=list)
    #: Top-level name -> its value node (function, class, expression); ``"default"`` for an anonymous default.
    declarations: Declarations = field(init=False)

    def __post_init__(self) -> None:
        self.declarations = Declarations(self.tree)


#: Where a node is: (start byte, end byte, type, which of the nodes of that range and type, innermost first),
#: or the child indices from the root when the range does not find it (zero-width nodes of a broken file).
_Place = tuple[int, int, str, int] | tuple[int, ...]


class Declarations(MutableMapping[str, "Node"]):
    """A module's top-level names and their value nodes, kept as places in the file rather than as nodes (a
    node keeps its whole tree alive): each node is found again in the tree's current parse when asked for."""

    def __init__(self, tree: JsTree):
        self._tree = tree
        self._places: dict[str, _Place] = {}
        self._nodes: dict[str, Node] = {}
        self._parse = -1

    def __setitem__(self, name: str, node: Node) -> None:
        root = self._current()
        self._places[name] = _place(root, node)
        self._nodes[name] = node

    def __getitem__(self, name: str) -> Node:
        place = self._places[name]
        root = self._current()
        node = self._nodes.get(name)
        if node is None:
            node = self._nodes[name] = _find(root, place)
        return node

    def __delitem__(self, name: str) -> None:
        del self._places[name]
        self._nodes.pop(name, None)

    def __contains__(self, name: object) -> bool:  # without finding (or parsing) anything
        return name in self._places

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def forget(self) -> None:
        """Drop the nodes found so far (before the tree they belong to is freed)."""
        self._nodes.clear()

    def _current(self) -> Node:
        root = self._tree.root
        if self._parse != self._tree.parses:  # parsed again: nodes of the old parse are not this tree's
            self._nodes.clear()
            self._parse = self._tree.parses
        return root


def _same_range(root: Node, start: int, end: int) -> list[Node]:
    """The nodes spanning exactly ``[start, end)``, innermost first."""
    chain = []
    node = root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte == start and node.end_byte == end:
        chain.append(node)
        node = node.parent
    return chain


def _place(root: Node, node: Node) -> _Place:
    same = [n for n in _same_range(root, node.start_byte, node.end_byte) if n.type == node.type]
    if node in same:
        return node.start_byte, node.end_byte, node.type, same.index(node)
    indices = []
    while (parent := node.parent) is not None:
        indices.append(parent.children.index(node))
        node = parent
    return tuple(reversed(indices))


def _find(root: Node, place: _Place) -> Node:
    if len(place) == 4 and isinstance(place[2], str):
        start, end, kind, nth = place
        return [n for n in _same_range(root, start, end) if n.type == kind][nth]
    node = root
    for index in place:
        node = node.children[index]
    return node


@dataclass(frozen=True)
class Definition:
    """Where a name is defined: the module and the node (a function, a call such as ``withAuth(h)``, ...)."""

    module: Module
    name: str
    node: Node

    @property
    def path(self) -> str:
        return self.module.path

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    @property
    def is_function(self) -> bool:
        return self.node.type in FUNCTION_TYPES


@dataclass(frozen=True)
class PathConfig:
    """``compilerOptions.baseUrl`` and ``paths`` of one tsconfig/jsconfig, with folders made project-relative."""

    folder: str
    base_url: str | None
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    extends: str | None = None


class ModuleGraph:
    """Every registered JS/TS module of the project and the path configuration that resolves their imports."""

    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        self.configs: dict[str, PathConfig] = {}  # folder -> its tsconfig/jsconfig
        self._config_files: dict[str, PathConfig] = {}  # path -> config, for ``extends``
        self._nearest: dict[str, PathConfig | None] = {}  # folder -> the config that applies to it
        self._resolved: dict[tuple[str, str], str | None] = {}  # (specifier, importer's folder) -> file
        self.imports: dict[str, PathConfig] = {}  # folder -> its package.json's subpath imports
        self._parsed: OrderedDict[str, Module] = OrderedDict()  # modules with a parsed tree, least recently used first
        self._parsed_bytes = 0

    # -- building (index pass) ------------------------------------------------------------------------------
    def add(self, tree: JsTree, path: str) -> Module:
        """Register ``path`` from its parsed tree (the first version seen wins: history repeats paths)."""
        if path in self.modules:
            return self.modules[path]
        module = summarise(tree, path)
        self.modules[path] = module
        self._resolved.clear()
        tree.on_use = lambda used, module=module: self._used(module)
        self._used(module)
        return module

    def _used(self, module: Module) -> None:
        if module.path in self._parsed:
            self._parsed.move_to_end(module.path)
        else:
            self._parsed[module.path] = module
            self._parsed_bytes += len(module.tree.source)

    def trim(self) -> None:
        """Free the trees of the least recently used modules beyond :data:`TREE_BUDGET` bytes of source (called
        between files, never while a file is being analysed: nodes found in one file's pass stay valid)."""
        while self._parsed_bytes > TREE_BUDGET and self._parsed:
            _, module = self._parsed.popitem(last=False)
            self._parsed_bytes -= len(module.tree.source)
            module.declarations.forget()
            module.tree.drop()

    def add_config(self, path: str, text: str) -> None:
        """Register a ``tsconfig*.json`` or ``jsconfig.json`` (JSON with comments and trailing commas), or a
        ``package.json``'s subpath imports (``"imports": {"#app/*": "./app/*"}``)."""
        data = read_jsonc(text)
        if posixpath.basename(path) == "package.json":
            self._add_imports(path, data.get("imports") if isinstance(data, dict) else None)
            return
        options = data.get("compilerOptions") if isinstance(data, dict) else None
        options = options if isinstance(options, dict) else {}
        folder = _folder(path)
        base_url = options.get("baseUrl")
        paths = options.get("paths") if isinstance(options.get("paths"), dict) else {}
        extends = data.get("extends") if isinstance(data, dict) and isinstance(data.get("extends"), str) else None
        config = PathConfig(
            folder,
            _join(folder, base_url) if isinstance(base_url, str) else None,
            tuple((k, tuple(v for v in targets if isinstance(v, str)))
                  for k, targets in paths.items() if isinstance(targets, list)),
            _join(folder, extends) if extends and extends.startswith(".") else None,
        )
        self._config_files[path] = config
        self._nearest.clear()
        self._resolved.clear()
        if folder not in self.configs or posixpath.basename(path) in {"tsconfig.json", "jsconfig.json"}:
            self.configs[folder] = config

    def _add_imports(self, path: str, imports: object) -> None:
        """Node subpath imports: each ``#name`` pattern and its file target (a string, or the ``import``,
        ``node`` or ``default`` condition of an object)."""
        if not isinstance(imports, dict):
            return
        paths = []
        for pattern, target in imports.items():
            while isinstance(target, dict):
                target = next((target[c] for c in ("import", "node", "default", "require") if c in target), None)
            if isinstance(pattern, str) and pattern.startswith("#") and isinstance(target, str):
                paths.append((pattern, (target,)))
        if paths:
            self.imports[_folder(path)] = PathConfig(_folder(path), None, tuple(paths))
            self._resolved.clear()

    # -- resolving (detect pass) ----------------------------------------------------------------------------
    def resolve(self, specifier: str, importer: str) -> str | None:
        """The project file that ``specifier``, imported from ``importer``, names; None for packages and misses."""
        key = (specifier, _folder(importer))
        if key not in self._resolved:
            self._resolved[key] = self._resolve(specifier, importer)
        return self._resolved[key]

    def _resolve(self, specifier: str, importer: str) -> str | None:
        if specifier.startswith("."):
            return self._file(_join(_folder(importer), specifier))
        if specifier.startswith("#") and not specifier.startswith("#/"):  # a package.json subpath import
            package = next((self.imports[f] for f in _ancestors(_folder(importer)) if f in self.imports), None)
            found = self._through_config(specifier, package) if package is not None else None
            if found is not None:
                return found
        config = self._config_for(importer)
        if config is not None:
            found = self._through_config(specifier, config)
            if found is not None:
                return found
        if specifier.startswith(("@/", "~/", "#/", "$lib/")):  # conventional app aliases (SvelteKit: ``$lib``)
            rest = specifier.split("/", 1)[1]
            for folder in _ancestors(_folder(importer)):
                bases = (_join(folder, "src/lib"),) if specifier.startswith("$") else (folder, _join(folder, "src"))
                for base in bases:
                    found = self._file(_join(base, rest))
                    if found is not None:
                        return found
            return None
        return self._workspace_package(specifier, importer)

    def _workspace_package(self, specifier: str, importer: str) -> str | None:
        """A monorepo's own package (``@acme/auth``, ``@acme/db/schema``) in ``packages/``, ``apps/`` or
        ``libs/`` of a folder above the importer, entry ``src/index`` or ``index``."""
        parts = specifier.split("/")
        name, rest = (parts[1], parts[2:]) if specifier.startswith("@") and len(parts) > 1 else (parts[0], parts[1:])
        for folder in _ancestors(_folder(importer)):
            for group in ("packages", "apps", "libs"):
                package = _join(folder, f"{group}/{name}")
                for base in (_join(package, "src"), package):
                    found = self._file(_join(base, "/".join(rest) or "index"))
                    if found is not None:
                        return found
        return None

    def current(self, tree: JsTree, path: str) -> Module:
        """The registered module of ``path`` while its text is ``tree``'s; otherwise (not indexed, or another
        version of the path, as in history) a summary of ``tree`` itself."""
        module = self.modules.get(path)
        return module if module is not None and module.tree.source == tree.source else summarise(tree, path)

    def module_of(self, specifier: str, importer: str) -> Module | None:
        target = self.resolve(specifier, importer)
        return self.modules.get(target) if target is not None else None

    def definition(self, name: str, path: str) -> Definition | None:
        """Where ``name`` (``f``, ``ns.f``, ``ns.obj.f``) used at top level of ``path`` is defined, across files."""
        module = self.modules.get(path)
        if module is None:
            return None
        head, *members = name.split(".")
        found = self._local(module, head, 0)
        for member in members:
            if found is None:
                return None
            if found.name == "*":  # a namespace: resolve the member among its exports
                found = self._exported(found.module, member, 0)
            elif found.node.type == "object":
                value = _object_member(found.module.tree, found.node, member)
                if value is not None and value.type == "shorthand_property_identifier":  # { getNote }
                    found = self._local(found.module, member, 0)
                else:
                    found = self._follow(found.module, member, value, 0) if value is not None else None
            else:
                return None
        return found if found is not None and found.name != "*" else None

    def function(self, name: str, path: str) -> Definition | None:
        """Like ``definition``, but only when the name finally denotes a function."""
        found = self.definition(name, path)
        return found if found is not None and found.is_function else None

    def exported(self, path: str, name: str) -> Definition | None:
        """What module ``path`` exports as ``name`` (``"default"`` for its default export)."""
        module = self.modules.get(path)
        return self._exported(module, name, 0) if module is not None else None

    def exported_by(self, module: Module, name: str) -> Definition | None:
        """What ``module`` (registered or not, e.g. an older version of a file) exports as ``name``."""
        return self._exported(module, name, 0)

    # -- internals ------------------------------------------------------------------------------------------
    def _local(self, module: Module, name: str, hops: int) -> Definition | None:
        if hops > _MAX_HOPS:
            return None
        if name in module.declarations:
            return self._follow(module, name, module.declarations[name], hops)
        imported = module.imports.get(name)
        if imported is None or imported.type_only:
            return None
        target = self.module_of(imported.specifier, module.path)
        if target is None:
            return None
        if imported.name == "*":
            default = target.exports.get("default")
            if default is not None and default.local is not None and default.specifier is None \
                    and _is_commonjs_value(target, default.local):
                return self._exported(target, "default", hops + 1)  # ``module.exports = fn`` required whole
            return Definition(target, "*", target.tree.root)
        return self._exported(target, imported.name, hops + 1)

    def _exported(self, module: Module, name: str, hops: int, seen: frozenset[str] = frozenset()) -> Definition | None:
        if hops > _MAX_HOPS or module.path in seen:
            return None
        seen = seen | {module.path}
        export = module.exports.get(name)
        if export is not None and not export.type_only:
            if export.specifier is None:
                return self._local(module, export.local or name, hops + 1)
            target = self.module_of(export.specifier, module.path)
            if target is None:
                return None
            if export.imported == "*":
                return Definition(target, "*", target.tree.root)
            return self._exported(target, export.imported or name, hops + 1, seen)
        if name == "default":
            return None
        for specifier in module.star_exports:
            target = self.module_of(specifier, module.path)
            if target is not None:
                found = self._exported(target, name, hops + 1, seen)
                if found is not None:
                    return found
        return None

    def _follow(self, module: Module, name: str, node: Node, hops: int) -> Definition:
        """Follow aliases: ``const requireUser = withAuth`` resolves to ``withAuth``'s definition."""
        value = _unwrap(node)
        if value.type == "identifier" and hops <= _MAX_HOPS:
            alias = module.tree.text(value)
            if alias != name:
                found = self._local(module, alias, hops + 1)
                if found is not None:
                    return found
        return Definition(module, name, value)

    def _config_for(self, importer: str) -> PathConfig | None:
        folder = _folder(importer)
        if folder not in self._nearest:
            self._nearest[folder] = next((self.configs[f] for f in _ancestors(folder) if f in self.configs), None)
        return self._nearest[folder]

    def _through_config(self, specifier: str, config: PathConfig) -> str | None:
        for _ in range(4):  # ``extends`` chains, bounded
            base = config.base_url if config.base_url is not None else config.folder
            for pattern, targets in config.paths:
                captured = _match_path_pattern(pattern, specifier)
                if captured is None:
                    continue
                for target in targets:
                    found = self._file(_join(base, target.replace("*", captured)))
                    if found is not None:
                        return found
            if config.base_url is not None:
                found = self._file(_join(config.base_url, specifier))
                if found is not None:
                    return found
            parent = None
            if config.extends:
                parent = self._config_files.get(config.extends) or self._config_files.get(config.extends + ".json")
            if parent is None or parent is config:
                return None
            if config.paths or config.base_url is not None:  # a child's own settings replace the parent's
                parent = PathConfig(config.folder, parent.base_url, () if config.paths else parent.paths)
            config = parent
        return None

    def _file(self, stem: str) -> str | None:
        """The registered file for a path as written: exact, with an extension, ``.js`` for ``.ts``, or index."""
        if stem in self.modules:
            return stem
        root, ext = posixpath.splitext(stem)
        for candidate in _SOURCE_FOR.get(ext, ()):
            if root + candidate in self.modules:
                return root + candidate
        for candidate in EXTENSIONS:
            if stem + candidate in self.modules:
                return stem + candidate
        for candidate in EXTENSIONS:
            index = posixpath.join(stem, "index" + candidate) if stem else "index" + candidate
            if index in self.modules:
                return index
        return None


# -- summarising one file -------------------------------------------------------------------------------------
def summarise(tree: JsTree, path: str) -> Module:
    """Imports, exports and top-level declarations of one parsed file."""
    module = Module(path, tree)
    for node in tree.root.children:
        if node.type == "import_statement":
            _read_import(tree, node, module)
        elif node.type == "export_statement":
            _read_export(tree, node, module)
        elif node.type in {"lexical_declaration", "variable_declaration"}:
            _read_declaration(tree, node, module)
        elif node.type in {"function_declaration", "generator_function_declaration", "class_declaration",
                           "abstract_class_declaration"}:
            name = node.child_by_field_name("name")
            if name is not None:
                module.declarations[tree.text(name)] = node
        elif node.type == "expression_statement" and node.named_children:
            _read_commonjs_export(tree, node.named_children[0], module)
    return module


def _read_import(tree: JsTree, node: Node, module: Module) -> None:
    source = node.child_by_field_name("source")
    specifier = string_value(tree, source) if source is not None else None
    if specifier is None:
        return
    type_only = any(c.type == "type" for c in node.children)
    line = node.start_point[0] + 1
    for clause in node.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                module.imports[tree.text(part)] = Import(tree.text(part), specifier, "default", type_only, line)
            elif part.type == "namespace_import":
                names = [c for c in part.named_children if c.type == "identifier"]
                if names:
                    module.imports[tree.text(names[0])] = Import(tree.text(names[0]), specifier, "*", type_only, line)
            elif part.type == "named_imports":
                for name, alias, spec_type_only in _specifiers(tree, part, "import_specifier", type_only):
                    module.imports[alias] = Import(alias, specifier, name, spec_type_only, line)


def _specifiers(tree: JsTree, clause: Node, kind: str, type_only: bool) -> Iterator[tuple[str, str, bool]]:
    """``(name, alias, type_only)`` of each ``{ name as alias }`` specifier of an import or export clause."""
    for spec in clause.named_children:
        if spec.type != kind:
            continue
        name = spec.child_by_field_name("name")
        alias = spec.child_by_field_name("alias") or name
        if name is not None and alias is not None:
            yield tree.text(name), tree.text(alias), type_only or any(c.type == "type" for c in spec.children)


def _read_export(tree: JsTree, node: Node, module: Module) -> None:
    source = node.child_by_field_name("source")
    specifier = string_value(tree, source) if source is not None else None
    type_only = any(c.type == "type" for c in node.children)
    if any(c.type == "default" for c in node.children):
        value = node.child_by_field_name("declaration") or node.child_by_field_name("value")
        if value is None:
            return
        name = value.child_by_field_name("name") if value.type in {"function_declaration", "class_declaration",
                                                                     "generator_function_declaration"} else None
        if value.type == "identifier":
            module.exports["default"] = Export("default", local=tree.text(value))
        elif name is not None:
            module.declarations[tree.text(name)] = value
            module.exports["default"] = Export("default", local=tree.text(name))
        else:
            module.declarations["default"] = value
            module.exports["default"] = Export("default", local="default")
        return
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        before = set(module.declarations)
        if declaration.type in {"lexical_declaration", "variable_declaration"}:
            _read_declaration(tree, declaration, module)
        else:
            name = declaration.child_by_field_name("name")
            if name is not None and declaration.type not in {"type_alias_declaration", "interface_declaration"}:
                module.declarations[tree.text(name)] = declaration
        for name in set(module.declarations) - before:
            module.exports[name] = Export(name, local=name)
        return
    if specifier is not None and any(c.type == "*" for c in node.children):
        module.star_exports.append(specifier)
        return
    for clause in node.named_children:
        if clause.type == "namespace_export":  # export * as ns from "x"
            names = [c for c in clause.named_children if c.type == "identifier"]
            if names and specifier is not None:
                module.exports[tree.text(names[0])] = Export(tree.text(names[0]), None, specifier, "*", type_only)
        elif clause.type == "export_clause":
            for inner, exported, spec_type_only in _specifiers(tree, clause, "export_specifier", type_only):
                if specifier is not None:
                    module.exports[exported] = Export(exported, None, specifier, inner, spec_type_only)
                else:
                    module.exports[exported] = Export(exported, inner, type_only=spec_type_only)


def _read_declaration(tree: JsTree, node: Node, module: Module) -> None:
    """``const f = ...`` declarations, and ``const x = require("./y")`` / ``const { a, b: c } = require(...)``."""
    line = node.start_point[0] + 1
    for declarator in node.named_children:
        if declarator.type != "variable_declarator":
            continue
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or value is None:
            continue
        required = _required(tree, value)
        if required is not None:
            if name.type == "identifier":
                local = tree.text(name)
                module.imports[local] = Import(local, required, "*", line=line)
            elif name.type == "object_pattern":
                for part in name.named_children:
                    if part.type == "shorthand_property_identifier_pattern":
                        module.imports[tree.text(part)] = Import(tree.text(part), required, tree.text(part), line=line)
                    elif part.type == "pair_pattern":
                        key, target = part.child_by_field_name("key"), part.child_by_field_name("value")
                        if key is not None and target is not None and target.type == "identifier":
                            module.imports[tree.text(target)] = Import(tree.text(target), required, tree.text(key),
                                                                       line=line)
            continue
        if name.type == "identifier":
            module.declarations[tree.text(name)] = value


def _read_commonjs_export(tree: JsTree, node: Node, module: Module) -> None:
    """``module.exports = x``, ``module.exports = { a, b }``, ``exports.f = ...``, ``module.exports.f = ...``."""
    if node.type != "assignment_expression":
        return
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None or left.type != "member_expression":
        return
    target = tree.text(left)
    if target == "module.exports":
        if right.type == "identifier":
            module.exports["default"] = Export("default", local=tree.text(right))
        else:
            module.declarations.setdefault("default", right)
            module.exports["default"] = Export("default", local="default")
        if right.type == "object":
            for pair in right.named_children:
                if pair.type == "shorthand_property_identifier":
                    module.exports[tree.text(pair)] = Export(tree.text(pair), local=tree.text(pair))
                elif pair.type == "pair":
                    key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                    if key is not None and value is not None:
                        exported = tree.text(key).strip("'\"")
                        module.declarations.setdefault(f"{exported}", value)
                        module.exports[exported] = Export(exported, local=exported)
                elif pair.type == "method_definition":
                    key = pair.child_by_field_name("name")
                    if key is not None:
                        module.declarations.setdefault(tree.text(key), pair)
                        module.exports[tree.text(key)] = Export(tree.text(key), local=tree.text(key))
        return
    match = re.fullmatch(r"(?:module\.)?exports\.(\w+)", target)
    if match:
        name = match.group(1)
        if right.type == "identifier":
            module.exports[name] = Export(name, local=tree.text(right))
        else:
            module.declarations.setdefault(name, right)
            module.exports[name] = Export(name, local=name)


def _required(tree: JsTree, value: Node) -> str | None:
    """The specifier of ``require("x")`` (also under ``await import("x")``), else None."""
    value = _unwrap(value)
    if value.type == "await_expression" and value.named_children:
        value = value.named_children[0]
    if value.type != "call_expression":
        return None
    function, arguments = value.child_by_field_name("function"), value.child_by_field_name("arguments")
    if function is None or arguments is None or tree.text(function) not in {"require", "import"}:
        return None
    args = arguments.named_children
    return string_value(tree, args[0]) if len(args) == 1 else None


def _unwrap(node: Node) -> Node:
    """Strip parentheses and TypeScript ``as``/``satisfies``/``!`` wrappers around an expression."""
    while node.type in {"parenthesized_expression", "as_expression", "satisfies_expression",
                        "non_null_expression"} and node.named_children:
        node = node.named_children[0]
    return node


def _object_member(tree: JsTree, node: Node, member: str) -> Node | None:
    for pair in node.named_children:
        if pair.type == "pair":
            key = pair.child_by_field_name("key")
            if key is not None and tree.text(key).strip("'\"") == member:
                return pair.child_by_field_name("value")
        elif pair.type == "method_definition":
            key = pair.child_by_field_name("name")
            if key is not None and tree.text(key) == member:
                return pair
        elif pair.type == "shorthand_property_identifier" and tree.text(pair) == member:
            return pair
    return None


def _is_commonjs_value(module: Module, local: str) -> bool:
    """True when ``module.exports = local`` made the whole module a single value (a function, a router)."""
    node = module.declarations.get(local)
    return node is not None and node.type != "object"


# -- paths --------------------------------------------------------------------------------------------------
def _folder(path: str) -> str:
    folder = posixpath.dirname(path)
    return "" if folder == "." else folder


def _join(folder: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, relative)) if folder else posixpath.normpath(relative)
    return "" if joined == "." else joined


def _ancestors(folder: str) -> list[str]:
    """``a/b`` -> ``["a/b", "a", ""]``."""
    found = [folder]
    while folder:
        folder = _folder(folder)
        found.append(folder)
    return found


def _match_path_pattern(pattern: str, specifier: str) -> str | None:
    """What ``*`` captured when ``specifier`` matches a tsconfig ``paths`` key; None when it does not match."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, _, suffix = pattern.partition("*")
    if specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
        return specifier[len(prefix):len(specifier) - len(suffix)]
    return None


_JSONC_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)


def read_jsonc(text: str) -> object:
    """Parse JSON with comments and trailing commas (tsconfig's dialect); ``{}`` when it is not valid."""
    cleaned = _JSONC_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    try:
        return json.loads(cleaned)
    except ValueError:
        return {}


GRAPH_BUCKET = "js-module-graph"
#: tsconfig.json, tsconfig.base.json, jsconfig.json, package.json: path configuration the graph resolves
#: imports with (``paths``/``baseUrl``; a package's subpath ``imports``).
CONFIG_NAME = re.compile(r"(?:tsconfig|jsconfig)[\w.-]*\.json|package\.json")


def module_graph(facts: ProjectFacts) -> ModuleGraph:
    """The project's one JS/TS module graph, shared by every analysis that reads across files (routes,
    browser reach, agent tools)."""
    def new_graph() -> ModuleGraph:
        graph = ModuleGraph()
        facts.on_release.append(graph.trim)
        return graph

    return facts.bucket(GRAPH_BUCKET, new_graph)


def index_module(ctx: Context) -> Module | None:
    """Index pass: register a JS/TS artifact or a tsconfig/jsconfig in the project's graph (idempotent).
    Build output and minified files are not the project's modules and are left out."""
    from scanner.lang.javascript.parse import CACHE_KEY, parse_js
    from scanner.paths import is_build_output, looks_minified

    graph = module_graph(ctx.facts)
    path = ctx.artifact.path
    if CONFIG_NAME.fullmatch(posixpath.basename(path)):
        graph.add_config(path, ctx.artifact.text)
        return None
    if ctx.artifact.kind not in ("javascript", "typescript") or is_build_output(path) \
            or looks_minified(ctx.artifact.text):
        return None
    tree = parse_js(ctx)
    module = graph.add(tree, path)
    if module.tree is tree:  # the graph keeps this tree for the scan: the detect pass reuses it, no re-parse
        ctx.keep(CACHE_KEY)
    return module
