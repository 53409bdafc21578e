"""Does this code establish who the caller is, and turn them away when it cannot? (JS/TS, across files)

One resolver for every JS/TS extractor. A function *establishes identity* when it calls an identity API
(``auth()``, ``getServerSession``, ``currentUser()``, ``supabase.auth.getUser()``, ``jwt.verify``,
``verifyToken``...) or reads one (``req.user``, ``context.user``, ``ctx.session``, the Authorization
header), directly or through project helpers followed across files (through ``ModuleGraph``), a few levels
deep. It *rejects* when it throws, answers 401/403, redirects, or calls ``notFound()``/``unauthorized()``.
A guard (middleware, wrapper, helper) must do both; a route handler's own code counts when it establishes
identity and either something on the way rejects or the handler touches no data (``whoami`` routes).
Callees that do not resolve to project code (packages) are judged by their names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.analysis.routes.authorization import checks_role_inline
from scanner.lang.javascript.modules import FUNCTION_TYPES, Definition, Module, ModuleGraph

if TYPE_CHECKING:
    from tree_sitter import Node

#: Library calls that establish the caller's identity (judged by the callee's text when not project code).
IDENTITY_CALL = re.compile(
    r"(?:^|\.)(?:auth|getServerSession|getServerAuthSession|getSession|getIronSession|currentUser|getAuth"
    r"|getToken|verifyToken|verifyIdToken|verifyAccessToken|verifySessionCookie|jwtVerify|verifyJwt|validateRequest"
    r"|validateSession|getKindeServerSession|withApiAuthRequired|getUserFromRequest|requireAuth|requireUser"
    r"|requireSession|authenticate|isAuthenticated|ensureAuthenticated|ensureLoggedIn|getClaims)$"
    r"|(?:^|\.)(?:jwt|jsonwebtoken|jose|jws)\.verify$|\.auth\.(?:getUser|getSession|getClaims|protect|api\.getSession)$"
    r"|^(?:require|ensure|assert|verify|check|validate|get|load)(?:Current|Authed|Authenticated|Optional|Logged\w*)?"
    r"(?:User|Session|Auth|Account|Member|Admin|Identity|Viewer|Principal)(?:Id)?$",
    re.IGNORECASE,
)
#: Reads that only exist after authentication (request user, Wasp/tRPC context user, Authorization header).
IDENTITY_READ = re.compile(
    (r"\b(?:req|request)\.(?:user|auth)\b|\b(?:req|request)\.session\.(?:user|userId)\b|\bcontext\.user\b"
     r"|\bctx\.(?:session|user|auth)\b|\bctx\.state\.user\b|\blocals\.(?:user|session)\b|headers\.authorization\b"
     r"|headers\[\s*['\"]authorization['\"]|\.(?:get|header)\(\s*['\"]authorization['\"]|\bc\.get\(\s*['\"]jwtPayload['\"]"
     r"|\bgetAuthUserId\s*\(|\bctx\.auth\.getUserIdentity\s*\("
     r"|(?:header|get)\(\s*['\"](?:x-api-key|api-key|x-auth-token|x-access-token)['\"]"
     r"|headers\[\s*['\"](?:x-api-key|api-key|x-auth-token|x-access-token)['\"]"
     r"|\b(?:req|request)\.(?:cookies|signedCookies)(?:\.|\[\s*['\"])(?:token|session\w*|auth\w*|jwt|access_?token|sid)\b"
     r"|\bcookies(?:\(\))?\.get\(\s*['\"][\w.-]*(?:token|session|auth|jwt|sid)[\w.-]*['\"]"
     # SvelteKit: the session the hook put in locals (``locals.auth.validate()``, ``const { user } = locals``,
     # ``({ locals: { user } })``), or the session a parent layout loaded (``const { session } = await parent()``)
     r"|\blocals\.(?:auth|getSession|safeGetSession)\b"
     r"|\{[^{}]*\b(?:user|session)\b[^{}]*\}\s*=\s*(?:\w+\.)?locals\b|\blocals\s*:\s*\{[^{}]*\b(?:user|session)\b"
     r"|\{[^{}]*\b(?:user|session)\b[^{}]*\}\s*=\s*await\s+parent\(\)"
     r"|=\s*await\s+parent\(\)[^;]*;[^;]*\b\w+\.(?:session|user)\b"
     ).replace(r"\.", r"\??\."),  # optional chaining reads the same: req?.user, headers?.authorization
    re.IGNORECASE,
)
#: Library calls that act on the signed-in caller only and fail without a session (Supabase's
#: ``auth.updateUser``): identity established and enforced by the call itself.
SESSION_BOUND_CALL = re.compile(r"\.auth\.updateUser$")
#: Middleware from packages that establish identity and reject by themselves when it is missing.
GATE_CALL = re.compile(
    r"^(?:expressJwt|expressjwt|jwt|bearerAuth|basicAuth|requiresAuth|ClerkExpressRequireAuth|clerkMiddleware"
    r"|requireAuth|withAuth|authMiddleware|withApiAuthRequired|withPageAuthRequired|ensureLoggedIn|auth)$"
    r"|^passport\.authenticate$|\.protect$|^AuthGuard$",
    re.IGNORECASE,
)
#: Turning the caller away: throw, 401/403, redirect, notFound()/unauthorized()/forbidden().
REJECTS = re.compile(
    r"\bthrow\b|\b40[13]\b|\b(?:redirect|permanentRedirect|notFound|unauthorized|forbidden)\s*\("
    r"|(?i:unauthori[sz]ed|forbidden|unauthenticated|not[ _-]?authenticated|UNAUTHORIZED)"
    r"|\breturn\s+false\b|\bnext\s*\(\s*(?:new\s+)?\w*(?:Error|err)",
)
#: Names of middleware, wrappers and guards that authenticate, when their code is not in the project.
AUTH_NAME = re.compile(
    r"auth|login|jwt|passport|protect|signedin|clerk|guard|requireuser|currentuser|verifytoken|requiresession"
    r"|permission|requirerole|isadmin|loggedin",
    re.IGNORECASE,
)
#: Package middleware whose name looks like authentication but is not (session stores, CSRF, cookies).
NOT_AUTH_NAME = re.compile(r"^(?:session|cookieSession|expressSession|csrf|csurf|cookieParser|passport\.initialize"
                           r"|passport\.session|cors|helmet|frameguard|rateLimit\w*)$|^helmet\.", re.IGNORECASE)
#: A helper that reads the session cookie or headers: its identity-like name is believed.
SESSION_SOURCE = re.compile(r"\bcookies\s*\(|\.cookies\b|\bheaders\s*\(|\bsession\b|\btoken\b", re.IGNORECASE)
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Guard:
    """Something that authenticates a route, and where it came from."""

    #: middleware | matcher (Next.js middleware) | hook (Fastify) | decorator (NestJS guards) | wrapper
    #: (``withAuth(handler)``) | inline (the handler's own check, through the helpers it calls)
    kind: str
    name: str  # what runs, e.g. "getServerProfile -> supabase.auth.getUser"
    path: str
    line: int
    #: Its code also compares the caller's role, permission or membership (``ctx.user.role !== "admin"``).
    role: bool = False

    @property
    def origin(self) -> str:
        """Where it is defined, ``file:line``."""
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({self.origin})"


@dataclass(frozen=True)
class Identity:
    """What a function does about the caller's identity."""

    #: How identity is established ("getUser -> verifyToken"), or None.
    evidence: str | None = None
    #: The function (or a helper it calls) turns the caller away.
    rejects: bool = False
    #: A helper it calls both establishes identity and rejects (a complete guard on its own).
    guarded: bool = False

    @property
    def is_guard(self) -> bool:
        return self.evidence is not None and (self.rejects or self.guarded)


class IdentityResolver:
    """Judges functions and middleware expressions, following project helpers through the module graph."""

    def __init__(self, graph: ModuleGraph):
        self.graph = graph
        self._memo: dict[tuple[str, int, int], Identity] = {}

    def of_function(self, module: Module, node: Node, depth: int = 0) -> Identity:
        """Identity facts of a function (or any code) ``node`` of ``module``, helpers followed."""
        key = (module.path, node.start_byte, node.end_byte)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = Identity()  # recursion guard
        result = self._judge(module, node, depth)
        self._memo[key] = result
        return result

    def guard_of(self, module: Module, expression: Node, kind: str) -> Guard | None:
        """A guard when ``expression`` (a middleware, wrapper or guard reference, call or inline function)
        authenticates: its project code establishes identity and rejects, or, outside the project, its name
        says so."""
        tree = module.tree
        node = _strip(expression)
        if node.type in FUNCTION_TYPES:
            identity = self.of_function(module, node)
            return Guard(kind, identity.evidence or "inline", module.path, _line(node),
                         checks_role_inline(tree.text(node))) if identity.is_guard else None
        callee = node.child_by_field_name("function") if node.type in {"call_expression", "new_expression"} else node
        if node.type == "new_expression":
            callee = node.child_by_field_name("constructor")
        if callee is None or callee.type not in {"identifier", "member_expression"}:
            return None
        name = tree.text(callee)
        definition = self._resolve(module, name)
        if definition is not None and definition.node.type in FUNCTION_TYPES | {"class_declaration", "class"}:
            identity = self.of_function(definition.module, definition.node)
            if identity.is_guard:
                return Guard(kind, f"{name} -> {identity.evidence}", definition.path, definition.line,
                             checks_role_inline(definition.module.tree.text(definition.node)))
            return None
        if definition is not None and definition.node.type == "call_expression":  # ``const auth = jwt({...})``
            identity = self.of_function(definition.module, definition.node)  # ``t.middleware(({ ctx }) => ...)``
            if identity.is_guard:
                return Guard(kind, f"{name} -> {identity.evidence}", definition.path, definition.line,
                             checks_role_inline(definition.module.tree.text(definition.node)))
            inner = definition.node.child_by_field_name("function")
            if inner is not None and _named_gate(definition.module.tree.text(inner)):
                return Guard(kind, name, definition.path, definition.line)
            return None
        if definition is None and _named_gate(name):
            return Guard(kind, name, module.path, _line(node))
        return None

    def _judge(self, module: Module, node: Node, depth: int) -> Identity:
        tree = module.tree
        text = tree.text(node)
        evidence: str | None = None
        guarded = False
        read = IDENTITY_READ.search(text)
        if read:
            evidence = read.group(0).rstrip("( ")
        for call in _calls(node):
            callee = call.child_by_field_name("function")
            callee = _strip(callee) if callee is not None else None
            if callee is None or callee.type not in {"identifier", "member_expression"}:
                continue
            name = tree.text(callee)
            definition = self._resolve(module, name) if depth < _MAX_DEPTH else None
            if definition is not None and definition.node.type in FUNCTION_TYPES and definition.node != node:
                inner = self.of_function(definition.module, definition.node, depth + 1)
                arguments = call.child_by_field_name("arguments")
                given = IDENTITY_READ.search(tree.text(arguments)) if arguments is not None else None
                if given and inner.rejects:  # ``await resolveApiToken(c.req.header("authorization"))``: the
                    # helper is handed the caller's credential and throws when it does not check out
                    return Identity(f"{name}({given.group(0).rstrip('( ')})", True, True)
                if inner.evidence is not None:
                    if inner.is_guard:
                        return Identity(f"{name} -> {inner.evidence}", True, True)
                    evidence = evidence or f"{name} -> {inner.evidence}"
                elif IDENTITY_CALL.search(name) and SESSION_SOURCE.search(definition.module.tree.text(definition.node)):
                    evidence = evidence or name  # a project ``auth()`` over its own session store
                continue
            if IDENTITY_CALL.search(name) or GATE_CALL.search(name) or SESSION_BOUND_CALL.search(name):
                if (GATE_CALL.search(name) and not IDENTITY_CALL.search(name)) or SESSION_BOUND_CALL.search(name):
                    guarded = True
                evidence = evidence or name
        rejects = bool(REJECTS.search(text))
        return Identity(evidence, rejects, guarded and evidence is not None)

    def _resolve(self, module: Module, name: str) -> Definition | None:
        """A project definition for a callee; methods of a namespace import (``security.isAuthorized``)."""
        found = self.graph.definition(name, module.path)
        if found is None or found.node.type not in FUNCTION_TYPES | {"call_expression", "class_declaration"}:
            return None
        return found


def handler_identity(resolver: IdentityResolver, module: Module, node: Node, touches_data: bool) -> Guard | None:
    """The route handler's own check: identity established and (rejected on failure, or no data touched)."""
    identity = resolver.of_function(module, node)
    if identity.evidence is None or not (identity.is_guard or not touches_data):
        return None
    return Guard("inline", identity.evidence, module.path, _line(node))


def _named_gate(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    if NOT_AUTH_NAME.search(name) or NOT_AUTH_NAME.search(last):
        return False
    return bool(AUTH_NAME.search(name) or GATE_CALL.search(name))


def _calls(node: Node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            yield current
        stack.extend(reversed(current.children))


def _strip(node: Node) -> Node:
    while node.type in {"parenthesized_expression", "as_expression", "non_null_expression", "await_expression"} \
            and node.named_children:
        node = node.named_children[0]
    return node


def _line(node: Node) -> int:
    return node.start_point[0] + 1
