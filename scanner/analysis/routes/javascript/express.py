"""Express-style servers: Express, Koa (koa-router), Hono and Fastify, with routers mounted across files.

The project's server files (those importing one of these frameworks) are read once, lazily, into a
``ServerIndex``:
- route registrations ``OWNER.get("/path", ...middleware, handler)`` (also ``OWNER.route("/p").get(...)``,
  Fastify's ``(path, { preHandler }, handler)`` and ``OWNER.route({ method, url, handler })``);
- guards that run before later routes of an owner: ``OWNER.use([prefix,] auth)``, a guard-only
  registration ``app.get("/api/users", requireAuth())``, Fastify hooks (``addHook("onRequest", ...)``);
- mounts of one owner into another, across files, with their prefixes and the guards in the mount call:
  ``app.use("/api", requireAuth, usersRouter)``, ``app.use(router.routes())``, Hono ``app.route("/api", sub)``,
  Fastify ``register(plugin, { prefix })``, router factories ``app.use("/x", makeRouter())``.
An owner is a variable in a scope: a top-level ``const router = Router()``, or the parameter of the
function that configures it (``function configure(app) {...}``, a Fastify plugin ``async (fastify) => {}``).
A guard counts only when registered before the route (source order within the owner's file), and a
middleware counts as a guard only when its project code establishes identity and rejects (see
``identity``), or, for package middleware, when its name says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.analysis.routes.javascript.base import (
    JsProject,
    JsRoute,
    capability_guard,
    definition_of,
    handler_guards,
)
from scanner.analysis.routes.javascript.fastify import HOOK_NAMES, route_options
from scanner.analysis.routes.javascript.identity import Guard
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module
from scanner.lang.javascript.parse import string_value

if TYPE_CHECKING:
    from tree_sitter import Node

METHODS = {"get", "post", "put", "patch", "delete", "all", "head", "options"}
#: Packages whose import makes a file a server file, and the stack they name.
STACKS = {"express": "express", "koa": "koa", "koa-router": "koa", "@koa/router": "koa", "hono": "hono",
          "fastify": "fastify", "restify": "express", "polka": "express", "router": "express",
          "@hono/node-server": "hono", "hono/factory": "hono"}
OwnerKey = tuple[str, str, int]  # (file, variable, scope: start byte of the function that binds it, or 0)


@dataclass(frozen=True)
class Use:
    """Guards that run before later routes of an owner whose path is under ``prefix`` (any method or one)."""

    prefix: str
    offset: int
    guards: tuple[Guard, ...]
    method: str | None = None
    exact: bool = False


@dataclass(frozen=True)
class Mount:
    """``parent`` mounts a child owner at ``prefix``, behind ``guards``."""

    parent: OwnerKey
    prefix: str
    offset: int
    guards: tuple[Guard, ...]


@dataclass(frozen=True)
class Registration:
    owner: OwnerKey
    method: str
    path: str
    call: Node
    middleware: tuple[Node, ...]
    handler: Node
    option_guards: tuple[Guard, ...] = ()


@dataclass
class ServerIndex:
    uses: dict[OwnerKey, list[Use]] = field(default_factory=dict)
    mounts: dict[OwnerKey, list[Mount]] = field(default_factory=dict)
    prefixes: dict[OwnerKey, str] = field(default_factory=dict)
    registrations: dict[str, list[Registration]] = field(default_factory=dict)
    stacks: dict[str, str] = field(default_factory=dict)


def stack_of(module: Module) -> str | None:
    """The server framework a file imports, or None when it is not a server file."""
    for imported in module.imports.values():
        specifier = imported.specifier
        stack = STACKS.get(specifier) or ("hono" if specifier.startswith("hono/") else None)
        if stack is not None:
            return stack
    return None


def server_index(project: JsProject) -> ServerIndex:
    """The project's server index, built on first use (after the index pass registered every module)."""
    index = project.frameworks.get("express")
    if index is None:
        index = ServerIndex()
        for module in list(project.graph.modules.values()):
            stack = stack_of(module)
            if stack is not None:
                index.stacks[module.path] = stack
                _read_file(project, module, index)
        project.frameworks["express"] = index
    return index


def routes(module: Module, project: JsProject) -> Iterator[JsRoute]:
    index = server_index(project)
    stack = index.stacks.get(module.path)
    if stack is None or project.graph.modules.get(module.path) is not module:
        return
    for reg in index.registrations.get(module.path, []):
        prefix, inherited = _mounted(index, reg.owner, 0)
        local = _own_guards(index, reg.owner, reg.path, reg.method, reg.call.start_byte)
        middleware = tuple(g for g in (project.resolver.guard_of(module, m, "middleware") for m in reg.middleware)
                           if g is not None)
        guards, handler_module, handler = handler_guards(project, module, reg.handler)
        source = handler_module.tree.text(handler)
        full = _join(prefix, reg.path)
        all_guards = inherited + local + reg.option_guards + middleware + guards + \
            capability_guard(full, handler_module, handler)
        name = module.tree.text(reg.handler)[:40] if reg.handler.type not in FUNCTION_TYPES else "inline handler"
        yield JsRoute("express", full, (reg.method.upper(),), name, _registered_at(reg.call), source,
                      all_guards, stack=stack)


def _registered_at(call: Node) -> Node:
    """Where a registration reads as one: the call, or, in a chain (``new Hono().get(...).post(...)``), its own
    arguments (the chain's call starts where the chain does)."""
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and \
        function.type == "member_expression" else None
    arguments = call.child_by_field_name("arguments")
    chained = receiver is not None and receiver.type in ("call_expression", "new_expression")
    return arguments if chained and arguments is not None else call


# -- reading one server file ----------------------------------------------------------------------------------
def _read_file(project: JsProject, module: Module, index: ServerIndex) -> None:
    tree = module.tree
    for node in tree.walk():
        if node.type == "new_expression" or node.type == "call_expression":
            _read_prefix_constructor(module, node, index)
        if node.type != "call_expression":
            continue
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or function.type != "member_expression" or arguments is None:
            continue
        prop, owner = function.child_by_field_name("property"), function.child_by_field_name("object")
        if prop is None or owner is None:
            continue
        method = tree.text(prop)
        args = [a for a in arguments.named_children if a.type != "comment"]
        route_path = None
        if owner.type == "call_expression":  # app.route("/p").get(...).post(...)
            route_path, chained = _chained_route(module, owner)
            owner = chained if route_path is not None and chained is not None else _chain_root(module, owner)
        if owner.type in ("new_expression", "call_expression"):  # export const files = new Hono().get(...)...
            owner = _declared_name(node) or owner
        key = _owner_key(module, owner)
        if method in METHODS:
            _read_registration(project, module, index, key, method, node, args, route_path)
        elif method == "use" and args:
            _read_use(project, module, index, key, node, args)
        elif method == "route" and len(args) >= 2:  # hono: app.route("/api", sub)
            prefix = string_value(tree, args[0])
            child = _child_key(project, module, args[1])
            if prefix is not None and child is not None:
                index.mounts.setdefault(child, []).append(Mount(key, prefix, node.start_byte, ()))
        elif method == "route" and len(args) == 1 and args[0].type == "object":  # fastify.route({...})
            _read_fastify_route(project, module, index, key, node, args[0])
        elif method == "register" and args:  # fastify.register(plugin, { prefix })
            child = _child_key(project, module, args[0], plugin=True)
            prefix = _object_string(module, args[1], "prefix") if len(args) > 1 else ""
            if child is not None:
                index.mounts.setdefault(child, []).append(Mount(key, prefix or "", node.start_byte, ()))
        elif method == "addHook" and len(args) == 2 and string_value(tree, args[0]) in HOOK_NAMES:
            guard = project.resolver.guard_of(module, args[1], "hook")
            if guard is not None:
                index.uses.setdefault(key, []).append(Use("", node.start_byte, (guard,)))
        elif method == "basePath" and args:  # hono: new Hono().basePath("/api")
            base = string_value(tree, args[0])
            declarator = node.parent
            if base and declarator is not None and declarator.type == "variable_declarator":
                name = declarator.child_by_field_name("name")
                if name is not None:
                    index.prefixes[_owner_key(module, name)] = base


def _read_registration(project: JsProject, module: Module, index: ServerIndex, key: OwnerKey, method: str,
                       call: Node, args: list[Node], route_path: str | None) -> None:
    path = route_path if route_path is not None else string_value(module.tree, args[0]) if args else None
    rest = list(args if route_path is not None else args[1:])
    if path is None or not rest or not (path.startswith(("/", "*")) or path == ""):
        return
    option_guards: tuple[Guard, ...] = ()
    if len(rest) >= 2 and rest[0].type == "object":  # fastify: (path, { preHandler: [...] }, handler)
        option_guards = route_options(project, module, rest[0])
        rest = rest[1:]
    handler = rest[-1]
    if handler.type not in FUNCTION_TYPES | {"identifier", "member_expression", "call_expression"}:
        return
    guards = [project.resolver.guard_of(module, a, "middleware") for a in rest]
    if all(g is not None for g in guards) and _is_middleware(project, module, handler):
        # app.get("/api/users", requireAuth()): a guard for the route registered later, not a route
        index.uses.setdefault(key, []).append(Use(path, call.start_byte, tuple(guards), method, exact=True))
        return
    target_module, target = _endpoint(project, module, handler)
    if target is None:
        return  # package middleware (``cors()``, ``express.static(...)``): no endpoint of the project's own
    if _passes_on(target_module, target):
        return  # ``(req, res, next) => { ...; next() }``: a step before the real endpoint, not the endpoint
    index.registrations.setdefault(module.path, []).append(
        Registration(key, method, path, call, tuple(rest[:-1]), handler, option_guards))


def _endpoint(project: JsProject, module: Module, handler: Node) -> tuple[Module, Node | None]:
    """The code a handler expression ends in, through names and wrappers (``asyncHandler(getX())``); None
    when that is a call into package code (``cors()``, ``express.static(...)``)."""
    target_module, target = definition_of(project, module, handler)
    return target_module, None if target.type == "call_expression" else target


def _is_middleware(project: JsProject, module: Module, node: Node) -> bool:
    """A middleware factory call (``requireAuth()``) or a function taking ``next``."""
    if node.type == "call_expression":
        return True
    found = project.graph.function(module.tree.text(node), module.path) if node.type in {"identifier",
                                                                                         "member_expression"} else None
    function = found.node if found is not None else node
    params = function.child_by_field_name("parameters") if function.type in FUNCTION_TYPES else None
    if found is None and function.type not in FUNCTION_TYPES:
        return True  # package middleware
    return params is not None and len(params.named_children) >= 3


def _passes_on(module: Module, node: Node) -> bool:
    """A middleware, not an endpoint: it takes ``next`` and hands over to it, Express style (``(req, res, next)``
    ending in ``next()``) or onion style (Koa, Hono: ``async (c, next) => { ...; await next(); ... }``)."""
    if node.type not in FUNCTION_TYPES:
        return False
    returned = _returned_function(node)
    if returned is not None:  # a factory: ``export const step = () => (req, res, next) => {...; next()}``
        node = returned
    params = node.child_by_field_name("parameters")
    names = [module.tree.text(p).split(":")[0].strip() for p in params.named_children] if params is not None else []
    body = node.child_by_field_name("body")
    statements = [module.tree.text(c) for c in body.named_children if c.type != "comment"] if body is not None else []
    if len(names) >= 3 and statements and _HANDS_OVER.fullmatch(statements[-1]):
        return True
    return len(names) == 2 and names[1] == "next" and any(_HANDS_OVER.fullmatch(s) for s in statements)


#: A statement that hands the request over to the next handler (``next()``, ``await next();``, ``return next()``).
_HANDS_OVER = re.compile(r"(?:return\s+)?(?:await\s+)?next\(\s*\);?")


def _returned_function(node: Node) -> Node | None:
    body = node.child_by_field_name("body")
    if body is not None and body.type in FUNCTION_TYPES:
        return body
    statements = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if len(statements) == 1 and statements[0].type == "return_statement" and statements[0].named_children \
            and statements[0].named_children[0].type in FUNCTION_TYPES:
        return statements[0].named_children[0]
    return None


def _read_use(project: JsProject, module: Module, index: ServerIndex, key: OwnerKey, call: Node,
              args: list[Node], in_loop: bool = False) -> None:
    tree = module.tree
    loop = None if in_loop else _for_each_item(module, call)
    if loop is not None:  # routes.forEach((r) => router.use(r.path, r.route)) over a literal array of objects
        param, items = loop
        for item in items:
            resolved = [_item_value(module, item, param, arg) for arg in args]
            if all(r is not None for r in resolved):
                _read_use(project, module, index, key, call, resolved, in_loop=True)
        return
    prefix = string_value(tree, args[0])
    middleware = args[1:] if prefix is not None else args
    guards: list[Guard] = []
    for arg in middleware:
        child = _child_key(project, module, arg)
        if child is not None:
            index.mounts.setdefault(child, []).append(Mount(key, prefix or "", call.start_byte, tuple(guards)))
            continue
        guard = project.resolver.guard_of(module, arg, "middleware")
        if guard is not None:
            guards.append(guard)
    if guards:
        index.uses.setdefault(key, []).append(Use(prefix or "", call.start_byte, tuple(guards)))
    last = middleware[-1] if middleware else None
    if prefix is not None and last is not None and len(guards) < len(middleware) and _child_key(project, module, last) \
            is None and project.resolver.guard_of(module, last, "middleware") is None:
        target_module, target = definition_of(project, module, last)
        if target is not last and target.type in FUNCTION_TYPES and not _passes_on(target_module, target):
            # app.use("/logs/:file", serveLogFiles()); a step that ends in ``next()`` is not the endpoint
            index.registrations.setdefault(module.path, []).append(
                Registration(key, "all", prefix, call, tuple(middleware[:-1]), last))


def _for_each_item(module: Module, call: Node) -> tuple[str, list[Node]] | None:
    """When ``call`` runs in ``ITEMS.forEach((item) => ...)`` over a top-level array literal of objects: the
    callback's parameter name and the objects."""
    function = call.parent
    while function is not None and function.type not in FUNCTION_TYPES:
        function = function.parent
    arguments = function.parent if function is not None else None
    loop = arguments.parent if arguments is not None and arguments.type == "arguments" else None
    callee = loop.child_by_field_name("function") if loop is not None and loop.type == "call_expression" else None
    if callee is None or callee.type != "member_expression":
        return None
    items, method = callee.child_by_field_name("object"), callee.child_by_field_name("property")
    if items is None or method is None or module.tree.text(method) != "forEach" or items.type != "identifier":
        return None
    array = module.declarations.get(module.tree.text(items))
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    names = re.findall(r"\w+", module.tree.text(params)) if params is not None else []
    if array is None or array.type != "array" or not names:
        return None
    return names[0], [e for e in array.named_children if e.type == "object"]


def _item_value(module: Module, item: Node, param: str, arg: Node) -> Node | None:
    """``route.path`` in the loop body, read from one object of the array; other arguments stay as they are."""
    if arg.type != "member_expression":
        return arg
    owner, prop = arg.child_by_field_name("object"), arg.child_by_field_name("property")
    if owner is None or prop is None or module.tree.text(owner) != param:
        return arg
    return _object_value(module, item, module.tree.text(prop))


def _read_fastify_route(project: JsProject, module: Module, index: ServerIndex, key: OwnerKey, call: Node,
                        options: Node) -> None:
    url = _object_string(module, options, "url") or _object_string(module, options, "path")
    methods = _object_value(module, options, "method")
    handler = _object_value(module, options, "handler")
    if url is None or handler is None:
        return
    method = (string_value(module.tree, methods) or "get").lower() if methods is not None else "get"
    index.registrations.setdefault(module.path, []).append(
        Registration(key, method if method in METHODS else "all", url, call, (), handler,
                     route_options(project, module, options)))


def _read_prefix_constructor(module: Module, node: Node, index: ServerIndex) -> None:
    """Koa ``new Router({ prefix: "/api" })`` and Express-style ``Router({ ... })`` bound to a variable."""
    declarator = node.parent
    if declarator is None or declarator.type != "variable_declarator":
        return
    constructor = node.child_by_field_name("constructor") or node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if constructor is None or arguments is None or not module.tree.text(constructor).endswith("Router"):
        return
    options = [a for a in arguments.named_children if a.type == "object"]
    prefix = _object_string(module, options[0], "prefix") if options else None
    name = declarator.child_by_field_name("name")
    if prefix and name is not None:
        index.prefixes[_owner_key(module, name)] = prefix


# -- owners, children, paths ----------------------------------------------------------------------------------
def _owner_key(module: Module, owner: Node) -> OwnerKey:
    name = module.tree.text(owner)
    if owner.type == "identifier":
        scope = owner.parent
        while scope is not None:
            if scope.type in FUNCTION_TYPES:
                params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
                if params is not None and re.search(rf"\b{re.escape(name)}\b", module.tree.text(params)):
                    return module.path, name, scope.start_byte
            scope = scope.parent
    return module.path, name, 0


def _child_key(project: JsProject, module: Module, arg: Node, plugin: bool = False) -> OwnerKey | None:
    """The owner a mount argument names: a router variable (local or imported), ``router.routes()``,
    ``require("./routes")``, a router factory call, or (``plugin``) a Fastify plugin function."""
    tree = module.tree
    if arg.type == "call_expression":
        function = arg.child_by_field_name("function")
        if function is None:
            return None
        text = tree.text(function)
        if text.endswith((".routes", ".middleware")) and function.type == "member_expression":  # koa
            inner = function.child_by_field_name("object")
            return _child_key(project, module, inner) if inner is not None else None
        if text == "require":
            args = arg.child_by_field_name("arguments")
            spec = string_value(tree, args.named_children[0]) if args is not None and args.named_children else None
            target = project.graph.resolve(spec, module.path) if spec else None
            found = project.graph.exported(target, "default") if target else None
            return (found.path, found.name, 0) if found is not None and _is_router_value(found.module, found.node) \
                else None
        found = project.graph.function(text, module.path)
        if found is not None:  # a router factory: the variable it returns
            returned = re.search(r"\breturn\s+(\w+)\s*;?\s*\}?\s*$", found.module.tree.text(found.node))
            if returned:
                return found.path, returned.group(1), 0
        return None
    if arg.type in FUNCTION_TYPES:  # fastify.register(async (instance) => {...})
        return _plugin_key(module, arg) if plugin else None
    if arg.type != "identifier":
        return None
    name = tree.text(arg)
    found = project.graph.definition(name, module.path)
    if found is None:
        return None
    if found.node.type in FUNCTION_TYPES:
        return _plugin_key(found.module, found.node) if plugin else None
    if plugin and found.node.type == "call_expression" and _is_plugin_wrapper(found.module, found.node):
        inner = [a for a in found.node.child_by_field_name("arguments").named_children if a.type in FUNCTION_TYPES]
        return _plugin_key(found.module, inner[0]) if inner else None
    if _is_router_value(found.module, found.node):
        return found.path, found.name, 0
    return None


def _plugin_key(module: Module, function: Node) -> OwnerKey | None:
    params = function.child_by_field_name("parameters")
    first = next((p for p in params.named_children if p.type != "comment"), None) if params is not None else None
    if first is None:
        return None
    name = first.child_by_field_name("pattern") or first
    if name.type != "identifier":
        return None
    return module.path, module.tree.text(name), function.start_byte


def _is_router_value(module: Module, node: Node) -> bool:
    text = module.tree.text(node)[:200]
    return bool(re.match(r"(?:new\s+)?(?:\w+\.)?(?:Router|Hono|express|Koa|fastify|createRouter|OpenAPIHono)\b",
                         text)) or bool(re.search(r"\.basePath\(", text))


def _is_plugin_wrapper(module: Module, node: Node) -> bool:
    function = node.child_by_field_name("function")
    return function is not None and module.tree.text(function) in {"fp", "fastifyPlugin"}


def _chained_route(module: Module, node: Node) -> tuple[str | None, Node | None]:
    """``app.route("/p")`` (possibly followed by ``.get(...)`` calls): the path and the owner node."""
    current = node
    while current is not None and current.type == "call_expression":
        function = current.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            return None, None
        prop = function.child_by_field_name("property")
        owner = function.child_by_field_name("object")
        if prop is not None and module.tree.text(prop) == "route":
            args = current.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            return (string_value(module.tree, first) if first is not None else None), owner
        current = owner
    return None, None


def _chain_root(module: Module, node: Node) -> Node:
    """``new Hono().get(...).post(...)``: the object a chain of registrations starts from."""
    current = node
    while current.type == "call_expression":
        function = current.child_by_field_name("function")
        prop = function.child_by_field_name("property") if function is not None and function.type == \
            "member_expression" else None
        if prop is None or module.tree.text(prop) not in METHODS | {"use"}:
            return current
        current = function.child_by_field_name("object")
    return current


def _declared_name(call: Node) -> Node | None:
    """The variable a chain of calls is assigned to (``export const sessions = new Hono().get(...).get(...)``)."""
    top = call
    while top.parent is not None and top.parent.type == "member_expression" and top.parent.parent is not None \
            and top.parent.parent.type == "call_expression":
        top = top.parent.parent
    declarator = top.parent
    return declarator.child_by_field_name("name") if declarator is not None and \
        declarator.type == "variable_declarator" else None


def _object_value(module: Module, node: Node, key: str) -> Node | None:
    for pair in node.named_children:
        if pair.type == "pair":
            name = pair.child_by_field_name("key")
            if name is not None and module.tree.text(name).strip("'\"") == key:
                return pair.child_by_field_name("value")
        elif pair.type == "shorthand_property_identifier" and module.tree.text(pair) == key:
            return pair
    return None


def _object_string(module: Module, node: Node, key: str) -> str | None:
    if node.type != "object":
        return None
    value = _object_value(module, node, key)
    return string_value(module.tree, value) if value is not None else None


def _mounted(index: ServerIndex, owner: OwnerKey, depth: int) -> tuple[str, tuple[Guard, ...]]:
    """The path prefix an owner is mounted at and the guards that run before it, through its mounts."""
    own_prefix = index.prefixes.get(owner, "")
    mounts = index.mounts.get(owner, [])
    if not mounts or depth > 6:
        return own_prefix, ()
    mount = mounts[0]
    parent_prefix, inherited = _mounted(index, mount.parent, depth + 1)
    before = _own_guards(index, mount.parent, mount.prefix, None, mount.offset)
    return _join(_join(parent_prefix, mount.prefix), own_prefix), inherited + before + mount.guards


def _own_guards(index: ServerIndex, owner: OwnerKey, path: str, method: str | None, offset: int) -> tuple[Guard, ...]:
    """Guards an owner registered before ``offset`` that cover ``path`` (and ``method``)."""
    found: list[Guard] = []
    for use in index.uses.get(owner, []):
        if use.offset >= offset:
            continue
        if use.method is not None and method is not None and use.method not in {method, "all"}:
            continue
        if _covers(use.prefix, path, use.exact):
            found.extend(use.guards)
    return tuple(found)


def _covers(prefix: str, path: str, exact: bool) -> bool:
    if prefix in {"", "/", "*", "/*"}:
        return True
    pattern = re.escape(prefix.rstrip("/"))
    pattern = re.sub(r"\\\*", ".*", pattern)
    pattern = re.sub(r":\w+", "[^/]+", pattern)
    tail = "/?$" if exact else "(?:/.*)?$"
    try:
        return re.match(f"^{pattern}{tail}", path) is not None or prefix == path
    except re.error:
        return False


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path or "/"
    if not path or path == "/":
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")
