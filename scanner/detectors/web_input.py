"""Input validation on routes of both languages: bodies read without a schema, bodies or privileged fields
stored as the client sent them (mass assignment), unchecked uploads, missing or raised body size limits,
catastrophic regular expressions applied to input, and numeric fields without the bound the code needs.

Route-level questions (a raw body read without a schema) are judged per route of the route model, on the
handler's own code and, for JS/TS, its registration (a validation middleware); FastAPI parameters typed
with pydantic models, tRPC ``.input(...)`` and NestJS DTOs under a ``ValidationPipe`` are validated by the
framework. Code-level questions (mass assignment, ReDoS, uploads, body parsers) are judged where the code
is, by the per-language readers in :mod:`scanner.analysis.web.python.input` and
:mod:`scanner.analysis.web.javascript.input`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from scanner.analysis.routes.intent import is_webhook
from scanner.analysis.routes.model import Route
from scanner.context import Context, Hit, Span
from scanner.detectors.route_detector import RouteDetector, route_kind
from scanner.model import Artifact, Confidence, Severity
from scanner.paths import is_development_file, is_non_production, looks_minified

UNVALIDATED = "web-input-unvalidated"
UPLOAD = "web-upload-unchecked"
SIZE = "web-body-size-unlimited"
MASS = "web-mass-assignment"
REDOS = "web-regex-redos"
UNBOUNDED = "web-input-unbounded"
BUCKET = "body-size-limits"

RAW_BODY = re.compile(r"request\.get_json\(|request\.json\b|request\.form\b|await\s+request\.(?:json|form|body)\(\)"
                      r"|request\.body\b|request\.data\b|request\.POST\b|json\.loads\(\s*request\.")
SCHEMA = re.compile(
    r"Schema\(|\.load\(|\.model_validate(?:_json)?\(|\.parse_obj\(|\.parse_raw\(|\.validate\(|Serializer\("
    r"|serializer|Form\(|validate_on_submit\(|\.is_valid\(|TypeAdapter\(|jsonschema|validate_json\("
    r"|\b[A-Z]\w*(?:Model|Request|Payload|Body|Input|In|Create|Update|Params)\(\*\*", re.IGNORECASE)
UPLOAD_READ = re.compile(r"request\.files\b|request\.FILES\b|\bUploadFile\b|await\s+request\.form\(\)")
UPLOAD_WRITE = re.compile(r"\.save\(|\.write\(|copyfileobj\(|upload_fileobj\(|put_object\(|\.read\(\)")
UPLOAD_CHECK = re.compile(r"secure_filename|allowed_file|content_type|mimetype|\.size\b|content_length|ALLOWED_"
                          r"|MAX_\w*(?:SIZE|BYTES|LENGTH)|splitext|\.suffix\b|endswith\(|filetype\.|magic\.|imghdr"
                          r"|FileExtensionValidator|validate_\w*file", re.IGNORECASE)
#: A body size limit actually set to a number: ``MAX_CONTENT_LENGTH = 16 * 1024 * 1024``,
#: ``app.config["MAX_CONTENT_LENGTH"] = ...`` (not ``None``, not a read of the setting).
SIZE_LIMIT_SET = re.compile(r"MAX_CONTENT_LENGTH['\"]?\]?\s*=\s*\(?\s*\d")
UNLIMITED_SETTINGS = re.compile(r"^\s*(DATA_UPLOAD_MAX_MEMORY_SIZE|DATA_UPLOAD_MAX_NUMBER_FILES)\s*=\s*None\b",
                                re.MULTILINE)
#: A NestJS app that validates ``@Body()`` DTOs: a global ``ValidationPipe`` (or a zod pipe).
NEST_GLOBAL_PIPE = re.compile(r"useGlobalPipes\([^)]*(?:ValidationPipe|ZodValidationPipe)"
                              r"|provide:\s*APP_PIPE\s*,\s*useClass:\s*\w*ValidationPipe")


@dataclass
class BodyLimits:
    flask_limit: bool = False
    #: A NestJS global validation pipe checks every ``@Body()`` DTO.
    nest_pipe: bool = False
    #: DRF serializers with count or amount fields lacking ``min_value``: class name -> field names.
    unbounded: dict[str, list[str]] | None = None


class InputValidationDetector(RouteDetector):
    """Implements web-input-unvalidated, web-mass-assignment, web-upload-unchecked, web-body-size-unlimited,
    web-regex-redos and web-input-unbounded."""

    rule_ids = (UNVALIDATED, UPLOAD, SIZE, MASS, REDOS, UNBOUNDED)
    languages = frozenset({"python", "javascript"})

    def index(self, artifact: Artifact, ctx: Context) -> None:
        super().index(artifact, ctx)
        limits = ctx.facts.bucket(BUCKET, BodyLimits)
        if artifact.kind != "python":
            if NEST_GLOBAL_PIPE.search(artifact.text):
                limits.nest_pipe = True
            return
        if "MAX_CONTENT_LENGTH" in artifact.text:
            limits.flask_limit = True
            if SIZE_LIMIT_SET.search(artifact.text):
                ctx.evidence("input-validation", f"request body size limit MAX_CONTENT_LENGTH set ({artifact.path})")
        if "serializers." in artifact.text and not is_non_production(artifact.path):
            from scanner.analysis.web.python.input import unbounded_serializer_fields
            from scanner.lang.python.parse import parse_python

            pm = parse_python(ctx)
            if pm is not None:
                limits.unbounded = {**(limits.unbounded or {}), **unbounded_serializer_fields(pm)}

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        limits = ctx.facts.bucket(BUCKET, BodyLimits)
        if artifact.kind == "python":
            hits = [*self._settings(artifact, ctx), *self._python_code(artifact, ctx, limits)]
        else:
            hits = list(self._javascript_code(artifact, ctx))
        reading = validated = 0
        for route in self.routes(artifact, ctx):
            if route.language == "javascript":
                route_hits = list(self._js_route(artifact, ctx, route, limits))
                takes_body = bool(self._js_body(route)) or _trpc_input(artifact.text, route)
            else:
                ctx.examined("input-validation", route_kind(route))
                route_hits = list(self._route(ctx, route, limits))
                takes_body = bool(RAW_BODY.search(route.code) or route.input_params or SCHEMA.search(route.code))
            hits.extend(route_hits)
            if takes_body:
                reading += 1
                validated += not any(h.rule_id == UNVALIDATED for h in route_hits) and not is_webhook(route)
        if validated:
            ctx.evidence("input-validation", f"request input validated by a schema or typed parameters: {validated} "
                                             f"of {reading} route{'s' if reading != 1 else ''} taking input in "
                                             f"{artifact.path}")
        yield from (h for h in hits if h.rule_id in self.rules)

    # -- Python ---------------------------------------------------------------------------------------------------
    def _settings(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if is_development_file(artifact.path):
            return
        if "DATA_UPLOAD_MAX" in artifact.text:
            ctx.examined("input-validation", "Django upload setting", artifact.text.count("DATA_UPLOAD_MAX"))
        for match in UNLIMITED_SETTINGS.finditer(artifact.text):
            yield ctx.finding(SIZE, ctx.span(match.start(1), match.end()),
                              message=f"{match.group(1)} = None removes Django's request size limit")

    def _route(self, ctx: Context, route: Route, limits: BodyLimits) -> Iterator[Hit]:
        code = route.code
        evidence = route.evidence()
        raw = RAW_BODY.search(code)
        if is_webhook(route):
            pass  # a webhook reads the raw body on purpose: its signature check is judged by auth rules
        elif raw and not SCHEMA.search(code):
            yield ctx.finding(UNVALIDATED, route.span, message=f"Route {route.label} ({route.handler}) reads "
                              f"{raw.group(0).strip()} without validating it against a schema", **evidence)
        if not UPLOAD_READ.search(code):
            return
        if UPLOAD_WRITE.search(code) and not UPLOAD_CHECK.search(code):
            yield ctx.finding(UPLOAD, route.span, message=f"Upload route {route.label} ({route.handler}) stores "
                              "files without checking their type or size", **evidence)
        if route.framework == "flask" and not limits.flask_limit:
            yield ctx.finding(SIZE, route.span, message=f"Upload route {route.label} ({route.handler}) accepts "
                              "bodies of any size: MAX_CONTENT_LENGTH is not set", **evidence)

    def _python_code(self, artifact: Artifact, ctx: Context, limits: BodyLimits) -> Iterator[Hit]:
        """Handlers defined in this file (wherever their route is declared), helpers and regexes."""
        from scanner.analysis.routes.python.index import routes_of
        from scanner.analysis.web.python import input as python_input
        from scanner.lang.python.parse import parse_python

        if is_non_production(artifact.path):
            return
        routes = routes_of(ctx.facts)
        seen: set[tuple[int, str]] = set()  # one view mounted at two paths is one finding
        for route in routes:
            if route.module is None or route.module.path != artifact.path or not route.code:
                continue
            misuses = [*python_input.mass_assignments(route.code, _administrative(route))]
            if limits.unbounded:
                misuses.extend(python_input.unbounded_uses(route.code, limits.unbounded))
            for misuse in misuses:
                span = _locate(artifact.text, route.module.span(route.node).line, route.code[misuse.start:misuse.end],
                               ctx)
                if span is not None and (span.line, misuse.message) not in seen:
                    seen.add((span.line, misuse.message))
                    rule = UNBOUNDED if "min_value" in misuse.message else MASS
                    yield ctx.finding(rule, span, message=f"Route {route.label} ({route.handler}) {misuse.message}",
                                      **route.evidence())
        for start, end in python_input.prose_only_bounds(artifact.text):
            yield ctx.finding(UNBOUNDED, ctx.span(start, end), message="A pydantic Field states a maximum only in its "
                              "description: the model or client can send any value (add le= or max_length=)",
                              confidence=Confidence.LOW)
        pm = parse_python(ctx) if python_input.worth_parsing(artifact.text) else None
        if pm is None:
            return
        for literal, pattern in python_input.redos_patterns(pm):
            yield ctx.finding(REDOS, pm.span(literal), message=f"A handler applies the regular expression "
                              f"{pattern[:60]!r}, which has nested unbounded repetition, to request input: a crafted "
                              "string makes it backtrack for minutes (ReDoS)")
        for helper in python_input.upload_writers(pm, UPLOAD_CHECK):
            name = helper.name.value
            callers = [r for r in routes if UPLOAD_READ.search(r.code) and re.search(rf"\b{name}\(", r.code)]
            if callers:
                yield ctx.finding(UPLOAD, pm.span(helper.name), message=f"{name}, which stores the file uploaded to "
                                  f"{callers[0].label} ({callers[0].handler}), writes it without checking its type "
                                  "or size")

    # -- JavaScript / TypeScript ----------------------------------------------------------------------------------
    @staticmethod
    def _js_body(route: Route) -> str | None:
        from scanner.analysis.web.javascript.input import body_read

        if route.framework == "server-action" or route.dispatcher or set(route.methods) <= {"GET", "HEAD", "OPTIONS"}:
            return None  # tRPC validates with .input(...); server actions take arguments; GET has no body
        return body_read(route.code, fetch_style=PurePosixPath(route.file).stem == "route")

    def _js_route(self, artifact: Artifact, ctx: Context, route: Route, limits: BodyLimits) -> Iterator[Hit]:
        from scanner.analysis.web.javascript.input import validated

        if route.framework == "server-action" and not (route.path or "").startswith("tRPC"):
            return  # server-action arguments are not examined (the scorecard says so)
        ctx.examined("input-validation", route_kind(route))
        read = self._js_body(route)
        if read is None or is_webhook(route):
            return
        lines = artifact.text.split("\n")
        registration = "\n".join(lines[max(0, route.span.line - 3):route.span.end_line])
        if route.code and route.code in registration:
            registration = registration.replace(route.code, "")
        if not validated(route.code, registration, limits.nest_pipe):
            yield ctx.finding(UNVALIDATED, route.span, message=f"Route {route.label} ({route.handler}) reads "
                              f"{read} without validating it against a schema", **route.evidence())

    def _javascript_code(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.web.javascript import input as js_input
        from scanner.lang.javascript.parse import parse_js

        if is_non_production(artifact.path) or is_development_file(artifact.path) or looks_minified(artifact.text):
            return
        tree = parse_js(ctx)
        if not tree.source:
            return
        seen: set[tuple[str, int]] = set()

        def once(rule: str, node, message: str, **extra) -> Iterator[Hit]:
            span = tree.span(node)
            if (rule, span.line) not in seen:
                seen.add((rule, span.line))
                yield ctx.finding(rule, span, message=message, **extra)

        for site in js_input.mass_assignments(tree):
            yield from once(MASS, site.node, f"A handler {site.message}")
        for site in [*js_input.ignored_size_checks(tree), *js_input.multer_without_limit(tree),
                     *js_input.unchecked_form_uploads(tree)]:
            yield from once(UPLOAD, site.node, f"Upload: {site.message}")
        for node, size in js_input.large_body_limits(tree):
            megabytes = size / 1024 ** 2
            yield from once(SIZE, node, f"The request body limit is raised to {megabytes:g} MB: one request can "
                            "hold that much in memory", severity=Severity.MEDIUM if megabytes >= 100 else Severity.LOW)
        for site in js_input.redos_literals(tree):
            yield from once(REDOS, site.node, f"A handler {site.message}")
        for start, end, kind in js_input.prose_only_bounds(artifact.text):
            yield ctx.finding(UNBOUNDED, ctx.span(start, end), message=f"A zod {kind} field states a maximum only in "
                              "its description: the model or client can send any value (add .max())",
                              confidence=Confidence.LOW)


def _administrative(route: Route) -> bool:
    """An administrator's route (by its path or a guard's name): setting roles and flags there is the point."""
    names = " ".join([route.path or "", *(g.name for g in route.guards)])
    return bool(re.search(r"admin|superuser|staff", names, re.IGNORECASE))


def _locate(text: str, from_line: int, snippet: str, ctx: Context) -> Span | None:
    """The span of ``snippet``'s first line in ``text`` at or after line ``from_line`` (handler code is
    re-rendered by the parser, so its offsets are not the file's)."""
    first = snippet.strip().split("\n", 1)[0].strip()
    start = sum(len(line) + 1 for line in text.split("\n")[:max(0, from_line - 1)])
    found = text.find(first, start) if first else -1
    return None if found == -1 else ctx.span(found, found + len(first))


def _trpc_input(text: str, route: Route) -> bool:
    """A tRPC procedure declared with ``.input(schema)``: its input is validated by the schema."""
    if not (route.path or "").startswith("tRPC"):
        return False
    lines = text.split("\n")[route.span.line - 1:route.span.end_line]
    return ".input(" in "\n".join(lines)
