"""Launch checks with precise static evidence: TLS verification and settings, and error tracking.

- ``tls-verification-disabled``: ``requests``/``httpx`` calls with ``verify=False`` and
  ``ssl._create_unverified_context()``.
- ``tls-insecure-django-setting``: ``SECURE_SSL_REDIRECT``, ``SESSION_COOKIE_SECURE`` or
  ``CSRF_COOKIE_SECURE`` set to ``False`` in Django settings that are not development-only;
  ``SECURE_SSL_REDIRECT = True`` or a positive ``SECURE_HSTS_SECONDS`` is positive evidence.
- ``monitoring-error-tracking-missing``: a Flask/FastAPI/Django app in a project where no error
  tracking or tracing (Sentry, OpenTelemetry, Datadog, New Relic...) appears in code or dependency
  files; each one found is positive evidence for the scorecard instead.

libcst is imported lazily (inside the methods), so the pre-commit path never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact
from scanner.paths import is_development_file

if TYPE_CHECKING:
    import libcst as cst

    from scanner.lang.python.parse import PythonModule

HTTP_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"})
INSECURE_SETTINGS = {
    "SECURE_SSL_REDIRECT": "plain-HTTP requests are served instead of redirected to HTTPS",
    "SESSION_COOKIE_SECURE": "the session cookie is also sent over plain HTTP",
    "CSRF_COOKIE_SECURE": "the CSRF cookie is also sent over plain HTTP",
}
HTTP_CLIENT_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:requests|httpx)\b", re.M)
#: Text that can hold a finding of ``tls-verification-disabled`` (only a literal ``verify=False`` or the
#: unverified context is reported): other files are not parsed, and no qualified names are resolved there.
VERIFY_OFF = re.compile(r"\bverify\s*=\s*False\b|_create_unverified_context")
DJANGO_SETTINGS_MARKERS = ("INSTALLED_APPS", "ALLOWED_HOSTS", "MIDDLEWARE", "ROOT_URLCONF")


def _is_settings_path(path: str) -> bool:
    """``settings.py``, ``settings_prod.py``, ``settings/production.py``."""
    posix = PurePosixPath(path)
    return posix.stem.startswith("settings") or "settings" in posix.parts[:-1]


def _is_false(node: cst.BaseExpression) -> bool:
    import libcst as cst

    return isinstance(node, cst.Name) and node.value == "False"


def _calls(module: PythonModule) -> Iterator[cst.Call]:
    import libcst as cst

    class Calls(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.Call] = []

        def visit_Call(self, node: cst.Call) -> None:
            self.found.append(node)

    visitor = Calls()
    module.module.visit(visitor)
    return iter(visitor.found)


def _is_client_method(module: PythonModule, func: cst.BaseExpression) -> bool:
    """``session.get``, ``self.http_client.post``...: an HTTP method on something named like a session or client."""
    import libcst as cst

    if not isinstance(func, cst.Attribute) or func.attr.value not in HTTP_CALLS:
        return False
    receiver = module.code(func.value).lower()
    return "session" in receiver or "client" in receiver


class TransportSecurityDetector(Detector):
    """TLS certificate checks switched off, and Django settings that allow plain HTTP."""

    rule_ids: ClassVar[tuple[str, ...]] = ("tls-verification-disabled", "tls-insecure-django-setting")
    kinds = frozenset({"python"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        text = artifact.text
        if "tls-verification-disabled" in self.rules and HTTP_CLIENT_IMPORT.search(text):
            ctx.examined("tls", "file using requests or httpx")
        wants_verify = "tls-verification-disabled" in self.rules and VERIFY_OFF.search(text) is not None
        wants_settings = any(s in text for s in (*INSECURE_SETTINGS, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                                                 *DJANGO_SETTINGS_MARKERS))
        if not (wants_verify or wants_settings):
            return
        from scanner.lang.python.parse import parse_python

        module = parse_python(ctx)
        if module is None:
            return
        if wants_verify:
            yield from self._verification(module, ctx)
        if wants_settings:
            yield from self._settings(module, artifact, ctx)

    def _verification(self, module: PythonModule, ctx: Context) -> Iterator[Hit]:

        uses_http_client = bool(HTTP_CLIENT_IMPORT.search(module.module.code))
        for call in _calls(module):
            names = module.qualified_names(call.func)
            if "ssl._create_unverified_context" in names:
                yield ctx.finding("tls-verification-disabled", module.span(call), key="ssl-unverified-context",
                                  message="TLS certificate checks are off (ssl._create_unverified_context())")
                continue
            http = any(n.split(".")[0] in {"requests", "httpx"} for n in names)
            if not (http or (uses_http_client and _is_client_method(module, call.func))):
                continue
            verify = next((arg for arg in call.args if arg.keyword and arg.keyword.value == "verify"), None)
            if verify is not None and _is_false(verify.value):
                yield ctx.finding("tls-verification-disabled", module.span(verify),
                                  key=f"verify-false:{module.code(call.func)}",
                                  message=f"TLS certificate checks are off ({module.code(call.func)}(verify=False))")

    def _settings(self, module: PythonModule, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        import libcst as cst

        if is_development_file(artifact.path):
            return
        assignments = {}
        for statement in module.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (isinstance(small, cst.Assign) and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)):
                    assignments[small.targets[0].target.value] = small
        if not (any(marker in assignments for marker in DJANGO_SETTINGS_MARKERS) or _is_settings_path(artifact.path)):
            return
        ctx.examined("tls", "Django settings file")
        redirect = assignments.get("SECURE_SSL_REDIRECT")
        hsts = assignments.get("SECURE_HSTS_SECONDS")
        if redirect is not None and isinstance(redirect.value, cst.Name) and redirect.value.value == "True":
            ctx.evidence("tls", f"SECURE_SSL_REDIRECT = True in {artifact.path}")
        if hsts is not None and isinstance(hsts.value, cst.Integer) and int(hsts.value.value) > 0:
            ctx.evidence("tls", f"HSTS enabled (SECURE_HSTS_SECONDS) in {artifact.path}")
        if "tls-insecure-django-setting" not in self.rules:
            return
        for name, harm in INSECURE_SETTINGS.items():
            node = assignments.get(name)
            if node is not None and _is_false(node.value):
                yield ctx.finding("tls-insecure-django-setting", module.span(node), key=name,
                                  message=f"{name} = False: {harm}")


#: Error tracking and tracing tools: name -> patterns of their imports or package names.
MONITORING_TOOLS: dict[str, tuple[str, ...]] = {
    "Sentry": ("sentry_sdk", "sentry-sdk", "@sentry/", "raven"),
    "OpenTelemetry": ("opentelemetry", "@opentelemetry/"),
    "Datadog": ("ddtrace", "dd-trace", "@datadog/"),
    "New Relic": ("newrelic",),
    "Rollbar": ("rollbar",),
    "Bugsnag": ("bugsnag", "@bugsnag/"),
    "Honeybadger": ("honeybadger", "@honeybadger-io/"),
    "Logfire": ("logfire",),
    "Elastic APM": ("elasticapm", "elastic-apm", "elastic-apm-node"),
    "Highlight": ("highlight_io", "@highlight-run/"),
}
#: Calls that initialise a tool in code: positive evidence (a listed dependency or an import is not).
MONITORING_INIT: dict[str, str] = {
    "Sentry": r"sentry_sdk\.init\(|\bSentry\.init\(",
    "OpenTelemetry": r"\b(?:TracerProvider|NodeSDK)\(|\w+Instrumentor\(\)\.instrument|configure_azure_monitor\(",
    "Datadog": r"\bpatch_all\(|import\s+ddtrace\.auto|['\"]dd-trace['\"]\)\.init\(|\btracer\.init\(",
    "New Relic": r"newrelic\.agent\.initialize\(|require\(\s*['\"]newrelic['\"]\s*\)",
    "Rollbar": r"\brollbar\.init\(|new\s+Rollbar\(",
    "Bugsnag": r"\bbugsnag\.configure\(|\bBugsnag\.start\(",
    "Honeybadger": r"\b[hH]oneybadger\.configure\(",
    "Logfire": r"\blogfire\.configure\(",
    "Elastic APM": r"\bElasticAPM\(|elasticapm\.Client\(|\bapm\.start\(",
    "Highlight": r"\bH\.init\(",
}
_INIT = re.compile("|".join(f"(?P<t{i}>{pattern})" for i, pattern in enumerate(MONITORING_INIT.values())))
MANIFESTS = re.compile(r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|pyproject\.toml|Pipfile|setup\.cfg|package\.json)$")
_TOOL_PATTERN = "|".join(re.escape(p) for patterns in MONITORING_TOOLS.values() for p in patterns)
#: Import lines in Python or JavaScript/TypeScript that load one of the tools.
CODE_EVIDENCE = re.compile(
    rf"^\s*(?:import\s+(?P<py1>{_TOOL_PATTERN})|from\s+(?P<py2>{_TOOL_PATTERN})"
    rf"|.*(?:from\s+|require\(\s*|import\s+)['\"](?P<js>{_TOOL_PATTERN}))",
    re.M)
#: A dependency line or JSON key naming one of the tools.
MANIFEST_EVIDENCE = re.compile(rf"^\s*['\"]?(?P<dep>{_TOOL_PATTERN})", re.M)
APP_FACTORIES = {"flask.Flask": "Flask", "fastapi.FastAPI": "FastAPI"}


def _tool(name: str) -> str:
    return next(tool for tool, patterns in MONITORING_TOOLS.items()
                if any(name.startswith(p) for p in patterns))


class MonitoringDetector(Detector):
    """Error tracking present (positive evidence), or a web app with none anywhere in the project."""

    rule_ids: ClassVar[tuple[str, ...]] = ("monitoring-error-tracking-missing",)
    needs_index = True
    BUCKET = "launch-checks:monitoring"

    def wants(self, artifact: Artifact) -> bool:
        """Only files that can matter: ones naming a tool, and Python files creating an app.

        So a project with neither leaves the monitoring check "not checked" rather than passing it.
        """
        if artifact.kind not in {"python", "javascript", "typescript"} and not MANIFESTS.search(artifact.path):
            return False
        text = artifact.text
        return (artifact.kind == "python" and ("Flask(" in text or "FastAPI(" in text)) \
            or any(p in text for patterns in MONITORING_TOOLS.values() for p in patterns)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        manifest = MANIFESTS.search(artifact.path) is not None
        pattern = MANIFEST_EVIDENCE if manifest else CODE_EVIDENCE
        found: set[str] = ctx.facts.bucket(self.BUCKET, set)
        for match in pattern.finditer(artifact.text):
            tool = _tool(next(group for group in match.groups() if group))
            found.add(tool)
            ctx.examined("monitoring", "dependency on an error tracker" if manifest else "error tracker import")
        if manifest:
            return
        tools = list(MONITORING_INIT)
        for match in _INIT.finditer(artifact.text):
            tool = tools[int(match.lastgroup[1:])]
            ctx.evidence("monitoring", f"{tool} initialised in {artifact.path}")

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind != "python" or is_development_file(artifact.path):
            return
        if "Flask(" not in artifact.text and "FastAPI(" not in artifact.text:
            return
        from scanner.lang.python.parse import parse_python

        module = parse_python(ctx)
        if module is None:
            return
        for call in _calls(module):
            framework = next((APP_FACTORIES[n] for n in module.qualified_names(call.func) if n in APP_FACTORIES), None)
            if framework:
                ctx.examined("monitoring", f"{framework} app")
            if framework and not ctx.facts.bucket(self.BUCKET, set):
                yield ctx.finding(
                    "monitoring-error-tracking-missing", module.span(call), key=f"app:{framework}",
                    message=f"{framework} app without error tracking: no Sentry, OpenTelemetry, Datadog or similar "
                            "in the project's code or dependencies")
