"""What every JS/TS route extractor shares: the route record, the project facts, and judging a handler.

A ``JsRoute`` is one HTTP (or RPC) entry point with the guards that run before it, each with its origin.
``framework`` is the rule family the detector maps to a rule id (``nextjs``, ``server-action``,
``express``); ``stack`` names the framework that defined it (express, koa, hono, fastify, nestjs, trpc,
wasp, nextjs...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from scanner.analysis.routes.javascript.identity import REJECTS, Guard, IdentityResolver, handler_identity
from scanner.lang.javascript.modules import FUNCTION_TYPES, Module, ModuleGraph

if TYPE_CHECKING:
    from tree_sitter import Node

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: What a handler touches that makes a missing check serious: databases, storage, LLMs, payments.
DATA_ACCESS = re.compile(
    r"\b(?:prisma|db|supabase|knex|pool|sql|mongoose|drizzle|redis|kv|openai|anthropic|stripe|fs|s3)\s*[.(`]"
    r"|\.(?:findMany|findUnique|findFirst|findOne|findById|findAll|findAndCountAll|create|update|delete|upsert"
    r"|insert|query|from|save|remove|destroy|bulkCreate)\s*\("
    r"|\b(?:generateText|streamText|generateObject|streamObject)\s*\(",
)
#: Path segments that are public by intent.
PUBLIC_SEGMENTS = {
    "login", "logout", "signin", "sign-in", "signout", "sign-out", "signup", "sign-up", "register", "auth",
    "[...nextauth]", "callback", "callbacks", "oauth", "health", "healthz", "healthcheck", "ready", "readyz",
    "live", "livez", "ping", "status", "version", "og", "public", "forgot-password", "reset-password",
    "password-reset", "verify-email", "magic-link", "csrf", "refresh-token", "refresh-tokens", "token", "authorize",
    "webauthn",
}
#: Words in a server action's name that make it public on purpose (``handleResetPassword``, ``signUp``).
_PUBLIC_ACTION_WORDS = ("login", "log-in", "logout", "log-out", "sign-in", "signin", "sign-up", "signup", "sign-out",
                        "signout", "register", "reset-password", "forgot-password", "verify-email", "magic-link")
_CALLEE = re.compile(r"(?<![\w.])(?!(?:if|for|while|switch|catch|return|typeof|await)\b)([\w.]+)\s*\(")
_SIGN_IN_OUT = re.compile(r"^(?:signIn|signOut|signUp)\w*$")
_SETS_COOKIE = re.compile(r"['\"]set-cookie['\"]|\bcookies(?:\(\))?\.set\(", re.IGNORECASE)
#: Entry points answering a form post from the app's own pages: server actions, Remix and SvelteKit actions.
FORM_ACTIONS = frozenset({"server-action", "remix", "sveltekit"})
_HARMLESS = re.compile(r"^(?:redirect|headers|cookies|String|Object|Error|URL|encodeURIComponent|revalidatePath)$")


_RESPONDERS = frozenset({"send", "json", "text", "status", "end", "sendStatus", "html", "Response", "body", "redirect"})
_CONSTANT_WORDS = _RESPONDERS | {"req", "res", "request", "response", "c", "ctx", "reply", "next", "return", "new",
                                 "true", "false", "null", "undefined", "async", "function", "throw"}
_STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`$]*`")


def _answers_a_constant(source: str) -> bool:
    """A handler that reads nothing and only sends literals (``res.send("alive")``, ``c.json({ ok: true })``,
    a NestJS ``return 'Hello World!'``)."""
    body = re.sub(r"[\w$]+\s*:(?!:)", "", _STRING_LITERAL.sub('""', _body(source)))  # literals and object keys
    words = set(re.findall(r"[A-Za-z_$][\w$]*", body))
    returns_a_literal = words == {"return"} and '""' in body
    return (bool(words & _RESPONDERS) or returns_a_literal) and words <= _CONSTANT_WORDS


def _body(source: str) -> str:
    """A function's text after its signature (what it calls, not its own name)."""
    start = source.find("{")
    return source[start + 1:] if start != -1 else source


def _only_starts_or_ends_sign_in(source: str) -> bool:
    """A server action that only starts or ends a sign-in (``async () => { "use server"; await signOut() }``)."""
    names = [m.group(1).rsplit(".", 1)[-1] for m in _CALLEE.finditer(_body(source))]
    return any(_SIGN_IN_OUT.match(n) for n in names) and all(_SIGN_IN_OUT.match(n) or _HARMLESS.match(n)
                                                              for n in names)


def _only_navigates(source: str) -> bool:
    """A form action whose only calls are a redirect and its plumbing (``return redirect(path)``)."""
    names = [m.group(1).rsplit(".", 1)[-1] for m in _CALLEE.finditer(_body(source))]
    return "redirect" in names and all(_HARMLESS.match(n) for n in names) and not DATA_ACCESS.search(source)


def _only_sets_a_cookie(source: str) -> bool:
    """A form action that only stores a preference in the caller's own cookie (``cookies().set(...)``, a
    ``Set-Cookie`` header) and touches no data."""
    names = [m.group(1) for m in _CALLEE.finditer(_body(source))]
    only_the_cookie_jar = bool(names) and any(n.endswith(".set") for n in names) and all(
        n == "cookies" or n.endswith((".set", ".get")) for n in names)
    return (only_the_cookie_jar or bool(_SETS_COOKIE.search(source))) and not DATA_ACCESS.search(source)


#: Adapters that dispatch to tRPC procedures, GraphQL resolvers or Remix/React Router loaders and actions,
#: where authentication lives per procedure, resolver or loader.
DISPATCHER = re.compile(
    r"\b(?:fetchRequestHandler|createNextApiHandler|createYoga|startServerAndCreateNextHandler|ApolloServer"
    r"|createHandler|graphqlHTTP|createExpressMiddleware|fastifyTRPCPlugin|trpcServer|toNextJsHandler"
    r"|toNodeHandler|createRequestHandler)\b"
)
_SIGNATURE_HEADER = re.compile(r"['\"]x-[\w-]*signature[\w-]*['\"]", re.IGNORECASE)
#: Two secrets compared (``stored.token !== input.token``): the caller proves it holds a shared secret.
_SECRET_NAME = r"[\w.?]*(?:token|secret|apikey|api_key)\w*"
_SHARED_SECRET = re.compile(rf"{_SECRET_NAME}\s*[!=]==?\s*{_SECRET_NAME}", re.IGNORECASE)
SIGNATURE_CHECK = re.compile(
    r"constructEvent|verifyWebhook|verifySignature|validateSignature|timingSafeEqual|\bWebhook\s*\(|"
    r"\.verify\s*\(|createHmac",
)


@dataclass(frozen=True)
class JsRoute:
    """One HTTP entry point and what runs before it."""

    framework: str  # rule family: "nextjs" | "server-action" | "express"
    path: str
    methods: tuple[str, ...]
    handler: str
    node: Node
    source: str
    #: What authenticates the route, outermost first, each with where it is defined; empty when nothing does.
    guards: tuple[Guard, ...] = ()
    #: The framework that defined it: nextjs, express, koa, hono, fastify, nestjs, trpc, wasp.
    stack: str = ""
    #: Declared public by the framework's own idiom (NestJS ``@Public()``, a tRPC ``publicProcedure`` query).
    declared_public: bool = False
    #: Only hands the request to the server's own handler (a Remix loader calling into its load context), whose
    #: code carries the checks.
    delegates: bool = False

    @property
    def protection(self) -> tuple[str, ...]:
        """The guards in words (``"wrapper withAuth -> auth (lib/auth.ts:4)"``)."""
        return tuple(str(g) for g in self.guards)

    @property
    def touches_data(self) -> bool:
        return bool(DATA_ACCESS.search(self.source))

    @property
    def is_dispatcher(self) -> bool:
        """tRPC/GraphQL adapters and delegating loaders: authentication belongs to the code they dispatch to."""
        return self.delegates or bool(DISPATCHER.search(self.source))

    @property
    def is_webhook(self) -> bool:
        return "webhook" in self.path.lower()

    @property
    def public_purpose(self) -> str | None:
        """Why this entry point is public on purpose, in its framework's idiom, or None."""
        if self.declared_public:
            return f"declared public ({self.stack or self.framework})"
        segments = {s.lower() for s in re.split(r"[/\s.]", self.path) if s}
        if segments & PUBLIC_SEGMENTS:
            return "authentication, health or callback endpoint"
        if self.methods == ("OPTIONS",):
            return "CORS preflight (answers carry no data)"
        if _answers_a_constant(self.source):  # ``app.all("/", (req, res) => res.send("ok"))``: a ping
            return "answers a constant (a ping)"
        if self.framework not in FORM_ACTIONS:
            return None
        words = "-" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", "-", self.handler).lower() + "-"
        if any(f"-{word}-" in words for word in _PUBLIC_ACTION_WORDS) or _only_starts_or_ends_sign_in(self.source):
            return "starts or ends a sign-in"
        if _only_sets_a_cookie(self.source):
            return "only stores a preference in the caller's own cookie"
        if _only_navigates(self.source):
            return "only sends the caller elsewhere (redirect)"
        return None


@dataclass
class Middleware:
    """A Next.js middleware (or proxy) file: does it authenticate, and which paths does it run on."""

    authenticates: bool
    matchers: list[str] | None  # None: runs on every path
    path: str = ""
    line: int = 1
    #: Whether its code was followed through the project's helpers (done once, in the detect pass).
    judged: bool = False

    def covers(self, url: str) -> bool:
        if self.matchers is None:
            return True
        return any(_matcher_matches(m, url) for m in self.matchers)


def _matcher_matches(matcher: str, url: str) -> bool:
    pattern = re.sub(r"/:\w+\*", "(?:/.*)?", matcher)
    pattern = re.sub(r"/:\w+\+", "/.+", pattern)
    pattern = re.sub(r":\w+", "[^/]+", pattern)
    try:
        return re.match(f"^{pattern}$", url) is not None
    except re.error:
        return True  # a matcher we cannot read: assume it covers (no finding beats a false alarm)


@dataclass
class JsProject:
    """Project-wide facts from the index pass."""

    #: app root folder ("" or "apps/web") -> its middleware
    middleware: dict[str, Middleware] = field(default_factory=dict)
    #: every JS/TS module of the project
    graph: ModuleGraph = field(default_factory=ModuleGraph)
    #: per-framework facts, e.g. "express" -> mounts of routers across files, "nestjs" -> global guards
    frameworks: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def resolver(self) -> IdentityResolver:
        return IdentityResolver(self.graph)


_NAMES = frozenset({"identifier", "member_expression"})
_CAPABILITY_SEGMENT = re.compile(r"(?:\[(?:\.\.\.)?|:)(\w*(?:token|secret|signature|apikey|api_key|hash)\w*)",
                                 re.IGNORECASE)


def capability_guard(path: str, module: Module, node: Node) -> tuple[Guard, ...]:
    """A secret in the URL the handler reads (``/api/deploy/[refreshToken]``): a capability URL, not a public one."""
    match = _CAPABILITY_SEGMENT.search(path)
    if match is None or match.group(1) not in module.tree.text(node):
        return ()
    return (Guard("inline", f"secret in path ({match.group(1)})", module.path, node.start_point[0] + 1),)


def handler_guards(project: JsProject, module: Module, node: Node) -> tuple[tuple[Guard, ...], Module, Node]:
    """Guards of a handler expression: auth wrappers around it (``withAuth(async () => ...)``), then the
    innermost handler's own identity check. The handler is followed to its definition when it is a name
    (``ctl.getX``, ``const getX = catchAsync(async ...)``) or a factory call (``asyncHandler(getX())``),
    across files. Returns the guards and the innermost handler's module and node."""
    guards: list[Guard] = []
    current = node
    for _ in range(8):
        if current.type in _NAMES:
            found = project.graph.definition(module.tree.text(current), module.path)
            if found is None or found.node.type not in FUNCTION_TYPES | {"call_expression"} or found.node == current:
                break
            module, current = found.module, found.node
            continue
        if current.type != "call_expression":
            break
        guard = project.resolver.guard_of(module, current, "wrapper")
        if guard is not None:
            guards.append(guard)
        callee = current.child_by_field_name("function")
        factory = project.graph.function(module.tree.text(callee), module.path) \
            if callee is not None and callee.type in _NAMES else None
        arguments = current.child_by_field_name("arguments")
        inner = [a for a in arguments.named_children if a.type in FUNCTION_TYPES | _NAMES | {"call_expression"}] \
            if arguments is not None else []
        if not inner and factory is not None:  # getX(): the factory's code is the handler's
            module, current = factory.module, factory.node
            break
        if not inner:
            break
        current = inner[-1]
    if not guards:
        own = handler_identity(project.resolver, module, current, touches_data(module, current))
        if own is not None:
            guards.append(own)
    if not guards:
        text = module.tree.text(current)
        signature = SIGNATURE_CHECK.search(text) or _SIGNATURE_HEADER.search(text) or _SHARED_SECRET.search(text)
        if signature and REJECTS.search(text):  # a signed callback or a shared secret authenticates the sender
            what = "signature " + signature.group(0).rstrip("( ")
            guards.append(Guard("inline", what, module.path, current.start_point[0] + 1))
    return tuple(guards), module, current


def definition_of(project: JsProject, module: Module, node: Node) -> tuple[Module, Node]:
    """The code a handler expression ends in (see ``handler_guards``): a function, or the node itself."""
    _, module, node = handler_guards(project, module, node)
    return module, node


def touches_data(module: Module, node: Node) -> bool:
    return bool(DATA_ACCESS.search(module.tree.text(node)))
