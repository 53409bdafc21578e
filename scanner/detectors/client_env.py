"""Secrets that reach the browser, judged by where code runs (the browser reach), not only by names.

- ``client-env-secret-exposed`` (critical): a secret-named variable under a public prefix (``NEXT_PUBLIC_``,
  ``VITE_``...) read in code that ships to the browser: the build inlines its value into public JavaScript.
- ``client-env-secret-name`` (medium): the same kind of name read only in server code, or set in an env file,
  CI workflow or hosting config: misnamed, it ships the day a client component reads it.
- ``browser-secret-literal`` (high; critical for a provider key format): a hard-coded credential in browser
  code: an env fallback literal, an SDK constructor argument, a credential-named property or header.
- ``client-env-server-var-in-browser`` (low): a secret-named server-only variable read in browser code: undefined
  at run time there, but it shows the code expects the secret in the browser.
- ``bundler-exposes-server-env``: next.config ``env`` with a secret name, Vite ``envPrefix: ''``, the whole
  ``process.env`` defined into the bundle; ``llm-client-in-browser``: ``dangerouslyAllowBrowser: true``.

Public-by-design names (:func:`scanner.analysis.env.names.public_by_design`, plus the ``public_env``
configuration) are never reported as exposed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from scanner.analysis.env.names import (
    CLIENT_PREFIXES,
    client_prefix,
    is_secret_name,
    looks_secret,
    public_by_design,
    strip_prefix,
)
from scanner.context import Context, Hit, ProjectFacts
from scanner.detectors.base import Detector
from scanner.model import Artifact, Severity

EXPOSED = "client-env-secret-exposed"
MISNAMED = "client-env-secret-name"
LITERAL = "browser-secret-literal"
SERVER_VAR = "client-env-server-var-in-browser"
BUNDLER = "bundler-exposes-server-env"
LLM_CLIENT = "llm-client-in-browser"

_CLIENT_NAME = re.compile(r"(?<![A-Za-z0-9_])(?P<name>(?:" + "|".join(CLIENT_PREFIXES) + r")[A-Z0-9_]+)")
_NEXT_CONFIG_ENV = re.compile(r"(?<![A-Za-z0-9_.])env\s*:\s*\{(?P<body>[^{}]*)\}")
_CONFIG_KEY = re.compile(r"(?P<name>[A-Z][A-Z0-9_]{2,})\s*:")
_EMPTY_ENV_PREFIX = re.compile(r"envPrefix\s*:\s*(?:''|\"\"|``|\[\s*(?:''|\"\"|``))")
_WHOLE_PROCESS_ENV = re.compile(
    r"""['"]process\.env['"]\s*:\s*(?:JSON\.stringify\(\s*)?process\.env\b(?!\s*\.)(?!\s*\[)""")
_BROWSER_LLM_CLIENT = re.compile(r"dangerouslyAllowBrowser\s*:\s*true\b")
_JS_KINDS = frozenset({"javascript", "typescript"})
_SHIPPED_BUCKET = "client-env-shipped-names"


def is_build_config(path: str) -> bool:
    """CI workflows and hosting/container configs, where client-prefixed variables get their values."""
    from scanner.analysis.env.inventory import config_kind

    return config_kind(path) is not None


class ClientEnvDetector(Detector):
    """Implements the client-exposure rules over the browser reach, env files and bundler configs."""

    rule_ids = (EXPOSED, MISNAMED, LITERAL, SERVER_VAR, BUNDLER, LLM_CLIENT)
    kinds = frozenset({"env", "javascript", "typescript", "text"})
    needs_index = True

    def wants(self, artifact: Artifact) -> bool:
        from scanner.analysis.browser.reach import wanted

        if artifact.kind in {"env", *_JS_KINDS}:
            return True
        return artifact.kind == "text" and (is_build_config(artifact.path) or wanted(artifact.path, artifact.kind))

    def index(self, artifact: Artifact, ctx: Context) -> None:
        from scanner.analysis.browser.reach import index_browser, wanted

        if wanted(artifact.path, artifact.kind):
            index_browser(ctx)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind in _JS_KINDS:
            yield from self._reads(artifact, ctx)
            if LITERAL in self.rules:
                yield from self._literals(artifact, ctx)
            if BUNDLER in self.rules:
                yield from self._bundler_config(artifact, ctx)
            if LLM_CLIENT in self.rules and "dangerouslyAllowBrowser" in artifact.text \
                    and not _known_server_code(artifact.path, ctx.facts):
                for match in _BROWSER_LLM_CLIENT.finditer(artifact.text):
                    yield ctx.finding(LLM_CLIENT, ctx.span(*match.span()),
                                      message="LLM SDK client created with dangerouslyAllowBrowser: true: "
                                              "its API key ships to every visitor")
        elif MISNAMED in self.rules and (artifact.kind == "env" or is_build_config(artifact.path)):
            yield from self._definitions(artifact, ctx)

    # -- reads in code ----------------------------------------------------------------------------------------
    def _public(self, name: str) -> bool:
        return public_by_design(name, self.config.public_env)

    def _reads(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.browser.reach import browser_reach
        from scanner.analysis.env.inventory import BUILTIN, js_env_reads

        reach = browser_reach(ctx.facts)
        entry = reach.entry_of(artifact.path)
        sdk_keys: set[str] | None = None  # env variables used as a credential here, computed on first need
        seen: set[str] = set()
        server_only: dict[str, int] = {}  # server-only secrets read in browser code: name -> first offset
        for read in js_env_reads(artifact.text):
            name = read.name
            if _in_comment(artifact.text, read.start) or name in BUILTIN or self._public(name):
                continue
            ships = reach.ships(artifact.path, read.start)
            if client_prefix(name) and not is_secret_name(strip_prefix(name)):
                sdk_keys = self._used_as_credential(ctx) if sdk_keys is None else sdk_keys
            if client_prefix(name) and (is_secret_name(strip_prefix(name)) or name in (sdk_keys or ())):
                rule = EXPOSED if ships else MISNAMED
                if rule not in self.rules or name in seen:
                    continue
                seen.add(name)
                message = (f"{name} looks like a secret and is read in browser code (reached from {entry}): "
                           "the build inlines its value into public JavaScript" if ships else
                           f"{name} looks like a secret but its prefix makes it public: read here only in "
                           "server code, it ships the day a client module reads it")
                yield ctx.finding(rule, ctx.span(read.start, read.end), key=name, message=message, variable=name,
                                  **({"entry": entry} if ships else {}))
            elif not client_prefix(name) and looks_secret(name) and ships \
                    and reach.runs_only_in_browser(artifact.path) and "createEnv(" not in artifact.text:
                server_only.setdefault(name, read.start)
        if server_only and SERVER_VAR in self.rules:
            names = sorted(server_only, key=server_only.get)
            start = server_only[names[0]]
            yield ctx.finding(SERVER_VAR, ctx.span(start, start + len(names[0])), key=",".join(sorted(names)),
                              variables=names, entry=entry,
                              message=f"Browser code (reached from {entry}) reads server-only secret(s) "
                                      f"{', '.join(names)}: undefined there at run time, but the code expects "
                                      "the secret in the browser")

    @staticmethod
    def _used_as_credential(ctx: Context) -> set[str]:
        """Env variables this module hands to an SDK or a credential header (secret whatever the name)."""
        from scanner.analysis.browser.literals import sdk_key_env_names
        from scanner.lang.javascript.parse import parse_js

        return sdk_key_env_names(parse_js(ctx))

    def _literals(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.browser.literals import secret_literals
        from scanner.analysis.browser.reach import browser_reach
        from scanner.analysis.env.dotenv import provider_format
        from scanner.lang.javascript.parse import parse_js

        reach = browser_reach(ctx.facts)
        if not reach.reaches(artifact.path):
            return
        tree = parse_js(ctx)
        entry = reach.entry_of(artifact.path)
        for literal in secret_literals(tree):
            span = tree.span(literal.node)
            offset = len(tree.source[:literal.node.start_byte].decode("utf-8", errors="replace"))
            if not reach.ships(artifact.path, offset):
                continue
            value = literal.value
            yield ctx.finding(LITERAL, span, secret=value, variable=literal.name, entry=entry,
                              severity=Severity.CRITICAL if provider_format(value) else None,
                              message=f"Hard-coded credential ({literal.how}) in browser code (reached from "
                                      f"{entry}): it ships to every visitor")

    # -- definitions in env files and build configuration ------------------------------------------------------
    def _definitions(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        shipped = _shipped_names(ctx.facts)
        seen: set[str] = set()
        for match in _CLIENT_NAME.finditer(artifact.text):
            name = match.group("name")
            if name in seen or name in shipped or self._public(name) or not is_secret_name(strip_prefix(name)):
                continue
            if artifact.kind == "env" and _in_comment(artifact.text, match.start(), "#"):
                continue
            seen.add(name)
            yield ctx.finding(MISNAMED, ctx.span(*match.span("name")), key=name, variable=name,
                              message=f"{name} looks like a secret but its prefix makes it public: it ships as "
                                      "soon as browser code reads it")

    def _bundler_config(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        name = PurePosixPath(artifact.path).name
        text = artifact.text
        if name.startswith("next.config."):
            for block in _NEXT_CONFIG_ENV.finditer(text):
                for key in _CONFIG_KEY.finditer(block.group("body")):
                    variable = key.group("name")
                    if is_secret_name(variable):
                        start = block.start("body") + key.start("name")
                        yield ctx.finding(BUNDLER, ctx.span(start, start + len(variable)),
                                          key=f"next-env:{variable}", variable=variable,
                                          message=f"next.config `env` inlines {variable} into client JavaScript")
        if name.startswith("vite.config."):
            for match in _EMPTY_ENV_PREFIX.finditer(text):
                yield ctx.finding(BUNDLER, ctx.span(*match.span()), key="vite-env-prefix",
                                  message="Vite envPrefix '' exposes every environment variable to client code")
        for match in _WHOLE_PROCESS_ENV.finditer(text):
            yield ctx.finding(BUNDLER, ctx.span(*match.span()), key="define-process-env",
                              message="The whole process.env is defined into the client bundle")


def _known_server_code(path: str, facts: ProjectFacts) -> bool:
    """Code the browser reach knows does not ship: the project has client entry points and none reaches it."""
    from scanner.analysis.browser.reach import browser_reach

    reach = browser_reach(facts)
    return bool(reach.reached) and not reach.reaches(path)


def _shipped_names(facts: ProjectFacts) -> frozenset[str]:
    """Variables read in browser code anywhere in the project (their exposure is reported at the read)."""
    def build() -> frozenset[str]:
        from scanner.analysis.browser.reach import browser_reach
        from scanner.analysis.env.inventory import js_env_reads
        from scanner.lang.javascript.modules import module_graph

        reach = browser_reach(facts)
        graph = module_graph(facts)
        names = set()
        for path in reach.reached or {}:
            module = graph.modules.get(path)
            if module is not None:
                text = module.tree.file_text
                names.update(r.name for r in js_env_reads(text) if reach.ships(path, r.start))
        return frozenset(names)

    return facts.bucket(_SHIPPED_BUCKET, build)


def _in_comment(text: str, offset: int, markers: tuple[str, ...] | str = ("//", "*", "/*")) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start:offset].lstrip().startswith(markers)
