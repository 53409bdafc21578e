"""HTTP entry points of JavaScript/TypeScript back ends, and what protects them.

Finds Next.js App Router route handlers (``app/**/route.ts`` exporting GET/POST/...), Pages Router API
routes (``pages/api/**`` default export), server actions (exported functions of ``"use server"`` files)
and Express-style routes (``app.get("/path", ...handlers)`` in files that import express, a Router,
fastify, hono or koa-router). For each it reports the URL path, methods, the handler's source, and
whether an identity check is visible: in the handler, in a same-file helper it calls, in an auth-like
wrapper or middleware argument, in Next.js middleware whose matcher covers the path, or in an auth
middleware that an Express app mounts the router behind.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.lang.javascript.parse import JsTree, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.analysis.routes.model import Route

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_EXPRESS_METHODS = {"get", "post", "put", "patch", "delete", "all"}
_JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")

#: Calls and reads that establish who the caller is.
AUTH_EVIDENCE = re.compile(
    r"\b(?:auth|getServerSession|getSession|getIronSession|currentUser|getAuth|getToken|verifyToken|verifyIdToken"
    r"|jwtVerify|validateRequest|validateSession|requireAuth|requireUser|requireSession|authenticate|withAuth"
    r"|withApiAuthRequired|getCurrentUser|getUser|isAuthenticated|ensureAuthenticated)\s*\("
    r"|\b(?:require|ensure|assert|verify|check|validate|get|load)[A-Z]\w*"
    r"(?:User|Session|Auth|Account|Member|Admin|Identity|Viewer|Principal)\w*\s*\("
    r"|\bjwt\.verify\s*\(|\.auth\.(?:getUser|getSession|protect)\s*\(|\.verifyIdToken\s*\(|passport\.authenticate"
    r"|\bauth\.protect\s*\(|\.get\(\s*['\"]authorization['\"]|headers\.authorization|headers\[['\"]authorization"
    r"|\breq\.(?:user|auth)\b|\breq\.session\.user",
    re.IGNORECASE,
)
#: Names of wrappers and middleware that authenticate (``withAuth(handler)``, ``router.get(p, requireAuth, h)``).
AUTH_NAME = re.compile(
    r"auth|login|jwt|session|passport|protect|signedin|clerk|guard|requireuser|currentuser|verifytoken"
    r"|permission|requirerole|isadmin",
    re.IGNORECASE,
)
#: What a handler touches that makes a missing check serious: databases, storage, LLMs, payments.
DATA_ACCESS = re.compile(
    r"\b(?:prisma|db|supabase|knex|pool|sql|mongoose|drizzle|redis|kv|openai|anthropic|stripe|fs|s3)\s*[.(`]"
    r"|\.(?:findMany|findUnique|findFirst|findOne|findById|create|update|delete|upsert|insert|query|from)\s*\("
    r"|\b(?:generateText|streamText|generateObject)\s*\(",
)
#: Path segments that are public by intent.
PUBLIC_SEGMENTS = {
    "login", "logout", "signin", "sign-in", "signout", "sign-out", "signup", "sign-up", "register", "auth",
    "[...nextauth]", "callback", "callbacks", "oauth", "health", "healthz", "healthcheck", "ready", "readyz",
    "live", "livez", "ping", "status", "version", "og", "public", "forgot-password", "reset-password",
    "password-reset", "verify-email", "magic-link", "csrf",
}
#: Adapters that dispatch to tRPC procedures or GraphQL resolvers, where authentication lives per procedure.
DISPATCHER = re.compile(
    r"\b(?:fetchRequestHandler|createNextApiHandler|createYoga|startServerAndCreateNextHandler|ApolloServer"
    r"|createHandler|graphqlHTTP)\b"
)
SIGNATURE_CHECK = re.compile(
    r"constructEvent|verifyWebhook|verifySignature|validateSignature|timingSafeEqual|\bWebhook\s*\(|"
    r"\.verify\s*\(|createHmac",
)


@dataclass(frozen=True)
class JsRoute:
    """One HTTP entry point."""

    framework: str  # "nextjs" | "server-action" | "express"
    path: str
    methods: tuple[str, ...]
    handler: str
    node: Node
    source: str
    #: What visibly protects the route; empty when nothing does.
    protection: tuple[str, ...] = ()

    @property
    def touches_data(self) -> bool:
        return bool(DATA_ACCESS.search(self.source))

    @property
    def is_dispatcher(self) -> bool:
        """tRPC/GraphQL adapters: authentication belongs to the procedures they dispatch to."""
        return bool(DISPATCHER.search(self.source))

    @property
    def is_webhook(self) -> bool:
        return "webhook" in self.path.lower()

    @property
    def public_by_intent(self) -> bool:
        segments = {s.lower() for s in self.path.split("/") if s}
        return bool(segments & PUBLIC_SEGMENTS)


@dataclass
class Middleware:
    """A Next.js middleware (or proxy) file: does it authenticate, and which paths does it run on."""

    authenticates: bool
    matchers: list[str] | None  # None: runs on every path
    path: str = ""  # the middleware file

    def covers(self, url: str) -> bool:
        if self.matchers is None:
            return True
        return any(_matcher_matches(m, url) for m in self.matchers)


@dataclass
class JsProject:
    """Project-wide facts from the index pass."""

    #: app root folder ("" or "apps/web") -> its middleware
    middleware: dict[str, Middleware] = field(default_factory=dict)
    #: module paths (without extension) that an app mounts behind auth middleware
    protected_modules: set[str] = field(default_factory=set)


def module_key(path: str) -> str:
    """``routes/users.ts`` and ``routes/users/index.js`` both become ``routes/users``."""
    posix = PurePosixPath(path)
    stem = posix.with_suffix("") if posix.suffix in _JS_SUFFIXES else posix
    return str(stem.parent) if stem.name == "index" else str(stem)


def _matcher_matches(matcher: str, url: str) -> bool:
    pattern = re.sub(r"/:\w+\*", "(?:/.*)?", matcher)
    pattern = re.sub(r"/:\w+\+", "/.+", pattern)
    pattern = re.sub(r":\w+", "[^/]+", pattern)
    try:
        return re.match(f"^{pattern}$", url) is not None
    except re.error:
        return True  # a matcher we cannot read: assume it covers (no finding beats a false alarm)


_MATCHER = re.compile(r"matcher\s*:\s*(\[[^\]]*\]|'[^']*'|\"[^\"]*\")")
_STRING = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_MIDDLEWARE_AUTH = re.compile(
    r"clerkMiddleware|authMiddleware|withAuth|NextAuth|\bauth\s*\(|\bauth\s+as\s+(?:middleware|proxy|default)"
    r"|export\s+default\s+auth\b|getToken|jwtVerify"
    r"|updateSession|\.auth\.getUser|redirect\([^)]*(?:login|sign-?in)",
    re.IGNORECASE,
)


def app_root(path: str) -> str | None:
    """The Next.js project folder of a file under ``app/``, ``src/app``, ``pages/`` or ``src/pages``."""
    parts = PurePosixPath(path).parts
    for index, part in enumerate(parts[:-1]):
        if part in {"app", "pages"}:
            base = parts[:index - 1] if index and parts[index - 1] == "src" else parts[:index]
            return "/".join(base)
    return None


def index_middleware(tree: JsTree, path: str, project: JsProject) -> None:
    """Record a Next.js ``middleware``/``proxy`` file at an app root (or its ``src/``)."""
    posix = PurePosixPath(path)
    if posix.stem not in {"middleware", "proxy"}:
        return
    parent = posix.parent.as_posix()
    parent = "" if parent == "." else parent
    root = parent[:-len("src")].rstrip("/") if parent == "src" or parent.endswith("/src") else parent
    text = tree.file_text
    matcher = _MATCHER.search(text)
    matchers = None
    if matcher is not None:  # undo JS string escaping: "\\." in source is the regex \.
        matchers = [(a or b).replace("\\\\", "\\") for a, b in _STRING.findall(matcher.group(1))]
    project.middleware[root] = Middleware(bool(_MIDDLEWARE_AUTH.search(text)), matchers, path)


def _is_express_file(text: str) -> bool:
    return bool(re.search(r"""(?:from\s+|require\(\s*)['"](?:express|fastify|hono|koa-router|@koa/router)['"]""",
                          text))


def _imports(tree: JsTree, path: str) -> dict[str, str]:
    """Local name -> module key, for relative imports and requires of this file."""
    text = tree.file_text
    names: dict[str, str] = {}
    found = re.findall(r"""import\s+(\w+)\s+from\s+['"](\.[^'"]+)['"]""", text)
    found += re.findall(r"""(?:const|let|var)\s+(\w+)\s*=\s*require\(\s*['"](\.[^'"]+)['"]\s*\)""", text)
    folder = PurePosixPath(path).parent
    for name, target in found:
        names[name] = module_key(posixpath.normpath(str(folder / target)))
    return names


def index_express_mounts(tree: JsTree, path: str, project: JsProject) -> None:
    """Record routers that ``app.use(..., authMiddleware, router)`` mounts behind authentication."""
    text = tree.file_text
    if ".use(" not in text:
        return
    imports = _imports(tree, path)
    for call in _calls(tree):
        method, args = _member_call(tree, call)
        if method != "use" or len(args) < 2:
            continue
        last = args[-1]
        if last.type == "identifier" and tree.text(last) in imports:
            middleware = [a for a in args[:-1] if a.type in {"identifier", "call_expression", "member_expression"}]
            if any(AUTH_NAME.search(tree.text(a)) for a in middleware):
                project.protected_modules.add(imports[tree.text(last)])


def _calls(tree: JsTree) -> Iterator[Node]:
    return (node for node in tree.walk() if node.type == "call_expression")


def _member_call(tree: JsTree, call: Node) -> tuple[str | None, list[Node]]:
    """(method name, argument nodes) for ``obj.method(args)``; (None, []) otherwise."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or function.type != "member_expression" or arguments is None:
        return None, []
    prop = function.child_by_field_name("property")
    args = [a for a in arguments.named_children if a.type != "comment"]
    return (tree.text(prop) if prop is not None else None), args


def _declared(tree: JsTree, declaration: Node) -> Iterator[tuple[str, Node]]:
    """(name, function or value node) declared by a function or ``const``/``let``/``var`` declaration."""
    if declaration.type in {"function_declaration", "generator_function_declaration"}:
        name = declaration.child_by_field_name("name")
        if name is not None:
            yield tree.text(name), declaration
    elif declaration.type in {"lexical_declaration", "variable_declaration"}:
        for declarator in declaration.named_children:
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is not None and value is not None:
                yield tree.text(name), value


def _local_functions(tree: JsTree) -> dict[str, Node]:
    """Top-level function declarations and ``const f = (...) => ...`` in the file, by name."""
    functions: dict[str, Node] = {}
    for node in tree.root.children:
        target = node.child_by_field_name("declaration") if node.type == "export_statement" else node
        if target is not None:
            functions.update(_declared(tree, target))
    return functions


def protection_in(tree: JsTree, node: Node, functions: dict[str, Node]) -> tuple[str, ...]:
    """Identity checks visible in ``node``'s source, or in same-file helpers it calls (one level)."""
    source = tree.text(node)
    match = AUTH_EVIDENCE.search(source)
    if match:
        return (match.group(0).rstrip("( "),)
    for name, helper in functions.items():
        if helper is not node and re.search(rf"\b{re.escape(name)}\s*\(", source):
            inner = AUTH_EVIDENCE.search(tree.text(helper))
            if inner:
                return (f"{name} -> {inner.group(0).rstrip('( ')}",)
    return ()


def _nextjs_url(path: str) -> str:
    parts = list(PurePosixPath(path).parts)
    start = max(i for i, p in enumerate(parts) if p in {"app", "pages"}) + 1
    segments = [p for p in parts[start:-1] if not (p.startswith("(") and p.endswith(")")) and not p.startswith("@")]
    stem = PurePosixPath(path).stem
    if parts[start - 1] == "pages" and stem != "index":
        segments.append(stem)
    return "/" + "/".join(segments)


def _has_directive(tree: JsTree, directive: str) -> bool:
    for node in tree.root.children:
        if node.type == "comment":
            continue
        if node.type == "expression_statement" and node.named_children:
            return string_value(tree, node.named_children[0]) == directive
        return False
    return False


def _exports(tree: JsTree) -> Iterator[tuple[str, Node]]:
    """(exported name, value node) for named exports; ``export { a as GET }`` resolves ``a`` in the file."""
    functions = _local_functions(tree)
    for node in tree.root.children:
        if node.type != "export_statement":
            continue
        declaration = node.child_by_field_name("declaration")
        if declaration is not None:
            yield from _declared(tree, declaration)
            continue
        for clause in node.named_children:
            if clause.type != "export_clause":
                continue
            for spec in clause.named_children:
                local = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias") or local
                if local is not None and tree.text(local) in functions:
                    yield tree.text(alias), functions[tree.text(local)]


def _default_export(tree: JsTree) -> Node | None:
    functions = _local_functions(tree)
    for node in tree.root.children:
        if node.type == "export_statement" and any(c.type == "default" for c in node.children):
            value = node.child_by_field_name("declaration") or node.child_by_field_name("value")
            if value is None:
                continue
            if value.type == "identifier" and tree.text(value) in functions:
                return functions[tree.text(value)]
            return value
    return None


def routes_in(tree: JsTree, path: str, project: JsProject) -> Iterator[JsRoute]:
    """Every HTTP entry point defined in one file, with its visible protection."""
    functions = _local_functions(tree)
    posix = PurePosixPath(path)
    root = app_root(path)
    in_app_router = root is not None and posix.stem == "route" and "app" in posix.parts
    in_pages_api = root is not None and "pages" in posix.parts and "api" in posix.parts
    if in_app_router or in_pages_api:
        url = _nextjs_url(path)
        middleware = project.middleware.get(root or "")
        guarded = ("middleware",) if middleware and middleware.authenticates and middleware.covers(url) else ()
        if in_app_router:
            for name, node in _exports(tree):
                if name in HTTP_METHODS:
                    yield _route("nextjs", url, (name,), name, node, tree, functions, guarded)
        else:
            node = _default_export(tree)
            if node is not None:
                yield _route("nextjs", url, ("ANY",), "default export", node, tree, functions, guarded)
    elif _has_directive(tree, "use server"):
        for name, node in _exports(tree):
            if node.type in {"function_declaration", "arrow_function", "function_expression", "function",
                             "call_expression"}:
                yield _route("server-action", f"server action {name}", ("POST",), name, node, tree, functions, ())
    elif _is_express_file(tree.file_text):
        yield from _express_routes(tree, path, project, functions)


def _route(framework: str, url: str, methods: tuple[str, ...], handler: str, node: Node, tree: JsTree,
           functions: dict[str, Node], guarded: tuple[str, ...]) -> JsRoute:
    protection = guarded or protection_in(tree, node, functions)
    if not protection and node.type == "call_expression":  # export const GET = withAuth(async () => ...)
        wrapper = node.child_by_field_name("function")
        if wrapper is not None and AUTH_NAME.search(tree.text(wrapper)):
            protection = (f"wrapper {tree.text(wrapper)}",)
    return JsRoute(framework, url, methods, handler, node, tree.text(node), protection)


def _express_routes(tree: JsTree, path: str, project: JsProject, functions: dict[str, Node]) -> Iterator[JsRoute]:
    mounted = ("mounted behind auth middleware",) if module_key(path) in project.protected_modules else ()
    guards: dict[str, list[tuple[str, int]]] = {}  # object -> [(path prefix, byte offset of the use() call)]
    for call in _calls(tree):
        method, args = _member_call(tree, call)
        function = call.child_by_field_name("function")
        owner = function.child_by_field_name("object") if function is not None else None
        if method is None or owner is None:
            continue
        owner_name = tree.text(owner)
        if method == "use" and args:
            prefix = string_value(tree, args[0]) or ""
            middleware = args[1:] if prefix else args
            if any(a.type != "string" and AUTH_NAME.search(tree.text(a)) and not _is_router_arg(tree, a)
                   for a in middleware):
                guards.setdefault(owner_name, []).append((prefix, call.start_byte))
            continue
        if method not in _EXPRESS_METHODS or len(args) < 2:
            continue
        route_path = string_value(tree, args[0])
        if route_path is None or not route_path.startswith(("/", "*")):
            continue
        handlers = args[1:]
        if handlers[-1].type not in {"arrow_function", "function_expression", "function", "identifier"}:
            continue
        middleware_names = [tree.text(h) for h in handlers[:-1]]
        protection = mounted or tuple(n for n in middleware_names if AUTH_NAME.search(n))
        if not protection:
            protection = tuple(f"{owner_name}.use guard" for prefix, offset in guards.get(owner_name, [])
                               if offset < call.start_byte and route_path.startswith(prefix or "/"))[:1]
        last = handlers[-1]
        body = functions.get(tree.text(last)) if last.type == "identifier" else last
        if not protection and body is not None:
            protection = protection_in(tree, body, functions)
        yield JsRoute("express", route_path, (method.upper(),), tree.text(last)[:40] if last.type == "identifier"
                      else "inline handler", call, tree.text(body if body is not None else call), protection)


def _is_router_arg(tree: JsTree, node: Node) -> bool:
    """``app.use("/api", apiRouter)``: a router, not middleware (its name says router/routes)."""
    return bool(re.search(r"router|routes", tree.text(node), re.IGNORECASE))


#: A helper that refuses callers it cannot identify (throws, redirects, answers 401/403).
_REFUSES = re.compile(r"\bthrow\b|\bredirect\s*\(|\bnotFound\s*\(|\b40[13]\b|[Uu]nauthori[sz]ed")
_METHOD_TEST = re.compile(r"""(?:\bcase\s*|\bmethod\s*(?:===?|!==?)\s*)['"](GET|POST|PUT|PATCH|DELETE)['"]""")


def index_identity_helpers(tree: JsTree, path: str, helpers: dict[str, str]) -> None:
    """Record the file's exported functions that establish the caller's identity and refuse without one
    (``getServerProfile`` calling ``supabase.auth.getUser()`` and throwing), by name -> ``file:line``."""
    if not AUTH_EVIDENCE.search(tree.file_text):
        return
    for name, node in _exports(tree):
        text = tree.text(node)
        if AUTH_EVIDENCE.search(text) and _REFUSES.search(text):
            helpers.setdefault(name, f"{path}:{tree.span(node).line}")


def _imported(text: str, name: str) -> bool:
    return bool(re.search(rf"""import\s+(?:\w+\s*,\s*)?\{{[^}}]*\b{re.escape(name)}\b[^}}]*\}}\s*from"""
                          rf"""|import\s+{re.escape(name)}\s+from""", text))


def neutral_routes(tree: JsTree, path: str, project: JsProject, helpers: dict[str, str]) -> Iterator[Route]:
    """The file's routes as language-neutral :class:`~scanner.analysis.routes.model.Route`s (the boundary
    between this extractor and the shared intent policy and detectors). ``helpers``: identity helpers of
    the project (:func:`index_identity_helpers`), followed when the file imports and calls one."""
    from scanner.analysis.routes.authorization import checks_role_inline, is_role_guard
    from scanner.analysis.routes.model import Guard, Route

    functions = _local_functions(tree)
    for js in routes_in(tree, path, project):
        where = f"{path}:{tree.span(js.node).line}"
        # the handler and the same-file helpers it calls (``handleGET``, ``requireCoach``): one level
        called = [tree.text(f) for name, f in functions.items()
                  if f is not js.node and re.search(rf"\b{re.escape(name)}\s*\(", js.source)]
        code = "\n".join([js.source, *called])
        guards = []
        for name in js.protection:
            if name == "middleware":
                middleware = project.middleware.get(app_root(path) or "")
                at = middleware.path if middleware is not None and middleware.path else where
                guards.append(Guard("matcher", "middleware matcher covers the path", at))
            elif name.startswith("wrapper "):
                guards.append(Guard("wrapper", name[len("wrapper "):], where, is_role_guard(name)))
            elif name.split(" -> ")[0] in js.source:
                guards.append(Guard("inline", name, where, is_role_guard(name) or checks_role_inline(code)))
            else:
                guards.append(Guard("middleware", name, where, is_role_guard(name)))
        if not guards:
            guards = [Guard("inline", f"{name} (checks identity)", at, checks_role_inline(code))
                      for name, at in helpers.items()
                      if re.search(rf"\b{re.escape(name)}\s*\(", code) and _imported(tree.file_text, name)][:1]
        methods = js.methods
        if methods == ("ANY",):  # a Pages Router handler that dispatches on req.method
            methods = tuple(dict.fromkeys(_METHOD_TEST.findall(code))) or methods
        yield Route("javascript", js.framework, js.path, methods, js.handler, path, tree.span(js.node), code,
                    guards, dispatcher=js.is_dispatcher, node=js.node, module=tree)
