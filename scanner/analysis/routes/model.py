"""One language-neutral HTTP entry point: the ``Route`` every route check reads, whatever the language.

Per-language, per-framework extractors build routes (``routes/python/``, ``routes/javascript/``); the
decisions above them (what a route is for: :mod:`~scanner.analysis.routes.intent`; is it protected, how
severe: the detectors) are written once, against this model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from scanner.context import Span


@dataclass(frozen=True)
class Exemption:
    """A path a global guard lets through unchecked (an auth middleware's allowlist entry).

    ``match``: exact | prefix | regex | glob, as the guard compares it; ``origin``: ``file:line`` of the entry.
    """

    pattern: str
    match: str
    origin: str

    def covers(self, path: str | None) -> bool:
        if path is None:
            return False
        if self.match == "prefix":
            return path.startswith(self.pattern)
        if self.match == "regex":
            try:
                return re.match(self.pattern, path) is not None
            except re.error:
                return False
        if self.match == "glob":
            return fnmatchcase(path, self.pattern)
        return path.rstrip("/") == self.pattern.rstrip("/") or (path == "/" and self.pattern == "/")


@dataclass(frozen=True)
class Guard:
    """Something that runs before (or at the top of) a handler and refuses callers it cannot identify.

    ``kind``: middleware | matcher | hook | dependency | decorator | wrapper | permission | inline (a check
    in the handler's own body). ``origin``: where it comes from, ``file:line``. ``role``: it also checks a
    role, a permission or a membership, not only that someone is signed in.
    """

    kind: str
    name: str
    origin: str
    role: bool = False
    #: Paths a global guard skips; a route whose path one covers is not protected by this guard.
    exemptions: tuple[Exemption, ...] = ()

    def exempts(self, path: str | None) -> Exemption | None:
        return next((e for e in self.exemptions if e.covers(path)), None)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class OptOut:
    """An explicit public marker (``permission_classes = [AllowAny]``, ``security: []``, an auth
    middleware's allowlist entry), with where it is written (``file:line``)."""

    what: str
    origin: str

    def __str__(self) -> str:
        return f"{self.what} at {self.origin}" if self.origin else self.what


@dataclass(eq=False)
class Route:
    """One HTTP entry point (or server action / RPC operation) and what runs before its handler."""

    language: str  # python | javascript
    framework: str  # flask, fastapi, starlette, django, drf, connexion; nextjs, server-action, express...
    path: str | None  # as mounted, with router and mount prefixes
    methods: tuple[str, ...]
    handler: str  # function name, ``Class``, ``Class.method``, ``default export``...
    #: Where the route is declared (its decorator, registration, file-based route or spec operation):
    #: findings about the route are reported there.
    file: str
    span: Span
    #: Source of the handler function or view class ("" when it is not in the project).
    code: str = ""
    #: What refuses anonymous callers before (or at the top of) the handler, in order; empty when nothing does.
    guards: list[Guard] = field(default_factory=list)
    #: Explicit opt-outs of authentication.
    public: list[OptOut] = field(default_factory=list)
    path_params: tuple[str, ...] = ()
    #: Handler parameters filled from the request (body models, query values), FastAPI style.
    input_params: tuple[str, ...] = ()
    #: tRPC/GraphQL adapters: authentication belongs to the procedures or resolvers they dispatch to.
    dispatcher: bool = False
    #: Why the extractor saw the route as public by purpose in its framework's idiom (NestJS ``@Public()``,
    #: a tRPC ``publicProcedure``, a keep-alive handler answering a constant, a sign-in server action), or
    #: None; the intent policy honours it.
    purpose: str | None = None
    #: The handler's syntax node in its language's tree (libcst ``FunctionDef``/``ClassDef``, tree-sitter
    #: ``Node``), and the parsed file holding it, for detectors that read syntax.
    node: Any = field(default=None, repr=False)
    module: Any = field(default=None, repr=False)
    #: Source of the project functions in other files the handler calls directly (one level), for checks
    #: a handler delegates whole (a webhook handing its request to a helper that verifies the signature).
    delegate_code: str = ""
    #: Where a guard belongs when this route has none: the declaration of a view class none of whose
    #: methods is guarded (the fix is ``permission_classes`` or a decorator on the class, not on one
    #: method); None: the route's own declaration (``span``).
    guard_site: Span | None = None

    @property
    def label(self) -> str:
        """``GET,POST /path`` for messages."""
        return f"{','.join(self.methods)} {self.path or '?'}"

    @property
    def name(self) -> str:
        return self.handler.rsplit(".", 1)[-1]

    @property
    def authenticated(self) -> bool:
        """Something establishes who the caller is and refuses anonymous callers."""
        return bool(self.guards)

    @property
    def guarded(self) -> bool:
        """Something refuses anonymous callers before the handler runs (not only a check in its body)."""
        return any(g.kind != "inline" for g in self.guards)

    @property
    def role_checked(self) -> bool:
        """A guard checks a role, permission or membership, not only that someone is signed in."""
        return any(g.role for g in self.guards)

    def apply_exemptions(self) -> None:
        """Drop the guards whose allowlist lets this route's path through, recording each entry as an opt-out."""
        kept = []
        for guard in self.guards:
            exemption = guard.exempts(self.path)
            if exemption is None:
                kept.append(guard)
            else:
                self.public.append(OptOut(f"{guard.name} skips '{exemption.pattern}'", exemption.origin))
        self.guards = kept

    def evidence(self) -> dict[str, str]:
        """``ctx.finding`` keywords that identify this route: fingerprint key, route and handler."""
        if self.language == "javascript":  # the key JS findings had before the model was shared
            key = f"{self.path}:{'/'.join(self.methods)}:{self.handler}"
        else:
            key = f"{self.framework}:{self.label}:{self.handler}"
        return {"key": key, "route": self.label, "handler": self.handler, "framework": self.framework}
