"""Debug and exposure settings: debug mode on, a hard-coded ``SECRET_KEY``, ``ALLOWED_HOSTS = ['*']``
(Python); development middleware, stack traces in responses and production source maps (JavaScript/
TypeScript, read by :mod:`scanner.analysis.web.javascript.debug`).

Files that only configure development or tests (``settings/dev.py``, ``local_settings.py``,
``tests/...``) are not read, nor is a setting under a condition on the environment or a debug switch
(``if in_debug_mode(): app = FastAPI(debug=True)``): it is on only where that condition holds. A
hard-coded key is passed to the engine as a secret, so it is masked in the snippet and hashed, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Severity
from scanner.paths import is_build_output, is_development_file, is_non_production, looks_minified

DEBUG_RULE = "web-debug-enabled"
SECRET_RULE = "web-secret-key-hardcoded"
HOSTS_RULE = "web-allowed-hosts-wildcard"
MARKERS = re.compile(r"DEBUG\W*=|debug\s*=\s*True|use_debugger|SECRET_KEY|secret_key\s*=|ALLOWED_HOSTS"
                     r"|DebuggedApplication")
#: ``DEBUG``, ``app.debug``, ``app.config["DEBUG"]``: only objects named like an application (not ``self.debug``).
DEBUG_TARGETS = re.compile(r"^(?:DEBUG|(?:\w*app|application|server)(?:\.debug|\.config\[DEBUG\]))$")
SECRET_TARGETS = re.compile(r"^(?:(?:JWT_)?SECRET_KEY|\w+\.secret_key|\w+(?:\.\w+)*\.config\[(?:JWT_)?SECRET_KEY\])$")
DEBUG_CONSTRUCTORS = frozenset({"FastAPI", "Starlette", "Flask", "Quart"})
#: An ``if`` about the environment or a debug switch: code under it is not what production runs.
ENVIRONMENT_TEST = re.compile(r"debug|\bdev\w*|environ|getenv|\benv\b|ENV\b|settings\.|config\[|testing", re.IGNORECASE)


class DebugExposureDetector(Detector):
    """Implements web-debug-enabled, web-secret-key-hardcoded and web-allowed-hosts-wildcard."""

    rule_ids = (DEBUG_RULE, SECRET_RULE, HOSTS_RULE)
    kinds = frozenset({"python", "javascript", "typescript"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind != "python":
            yield from self._javascript(artifact, ctx)
            return
        if is_development_file(artifact.path) or not MARKERS.search(artifact.text):
            return
        from scanner.lang.python.parse import parse_python

        pm = parse_python(ctx)
        if pm is None:
            return
        hits = [*self._assignments(ctx, pm), *self._calls(ctx, pm)]
        yield from (h for h in hits if h.rule_id in self.rules)

    def _javascript(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.web.javascript.debug import MARKERS as JS_MARKERS
        from scanner.analysis.web.javascript.debug import debug_settings
        from scanner.lang.javascript.parse import parse_js

        if DEBUG_RULE not in self.rules or is_non_production(artifact.path) or is_development_file(artifact.path) \
                or is_build_output(artifact.path) or not JS_MARKERS.search(artifact.text) \
                or looks_minified(artifact.text):
            return
        ctx.examined("logging", "JavaScript/TypeScript server setting")
        for setting in debug_settings(parse_js(ctx)):
            tree = parse_js(ctx)
            yield ctx.finding(DEBUG_RULE, tree.span(setting.node), message=setting.message,
                              severity=Severity.LOW if setting.low else None)

    def _assignments(self, ctx: Context, pm) -> Iterator[Hit]:
        from scanner.lang.python.walk import assignments, is_true, literal_strings

        for target, value, statement in assignments(pm.module):
            if DEBUG_TARGETS.match(target):
                ctx.examined("logging", "debug setting")
            elif target == "ALLOWED_HOSTS":
                ctx.examined("input-validation", "ALLOWED_HOSTS setting")
            if DEBUG_TARGETS.match(target) and is_true(value) and not _under_environment_test(pm, statement):
                yield ctx.finding(DEBUG_RULE, pm.span(statement), message=f"Debug mode is on ({target} = True)")
            elif SECRET_TARGETS.match(target):
                yield from self._secret(ctx, pm, target, value)
            elif target == "ALLOWED_HOSTS" and "*" in (literal_strings(value) or []):
                yield ctx.finding(HOSTS_RULE, pm.span(statement),
                                  message="ALLOWED_HOSTS accepts any Host header ('*')")

    def _secret(self, ctx: Context, pm, target: str, value) -> Iterator[Hit]:
        from scanner.lang.python.walk import literal_strings

        strings = literal_strings(value)
        if strings and len(strings) == 1 and strings[0].strip():
            yield ctx.finding(SECRET_RULE, pm.span(value), secret=strings[0],
                              message=f"{target} is hard-coded in the source")

    def _calls(self, ctx: Context, pm) -> Iterator[Hit]:
        from scanner.analysis.routes.python.facts import keyword
        from scanner.lang.python.walk import call_name, calls, is_true

        for call in calls(pm.module):
            name = call_name(call)
            if name in ("run", "run_simple", *DEBUG_CONSTRUCTORS):
                ctx.examined("logging", "app or server start")
            if name in ("run", "run_simple", *DEBUG_CONSTRUCTORS) and (
                    is_true(keyword(call, "debug")) or is_true(keyword(call, "use_debugger"))) \
                    and not _under_environment_test(pm, call):
                yield ctx.finding(DEBUG_RULE, pm.span(call), message=f"Debug mode is on ({name}(debug=True))")
            elif name == "DebuggedApplication":
                yield ctx.finding(DEBUG_RULE, pm.span(call),
                                  message="The Werkzeug debugger (interactive console) is mounted")
            elif name == "update" and pm.code(call.func).endswith("config.update"):
                if is_true(keyword(call, "DEBUG")):
                    yield ctx.finding(DEBUG_RULE, pm.span(call), message="Debug mode is on (config DEBUG=True)")
                secret = keyword(call, "SECRET_KEY")
                if secret is not None:
                    yield from self._secret(ctx, pm, "SECRET_KEY", secret)


def _under_environment_test(pm, node) -> bool:
    """``node`` runs only under an ``if`` about the environment or a debug switch (not ``if __name__ ==
    "__main__":``, which is how the server is started)."""
    import libcst as cst

    current = pm.parent(node)
    while current is not None:
        if isinstance(current, cst.If) and ENVIRONMENT_TEST.search(pm.code(current.test)):
            return True
        current = pm.parent(current)
    return False
