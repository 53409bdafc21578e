"""Input validation on routes: raw bodies read without a schema, unchecked file uploads, missing body
size limits (Flask ``MAX_CONTENT_LENGTH``, Django ``DATA_UPLOAD_MAX_MEMORY_SIZE = None``).

Judged per route handler (from the route model) on the handler's own code; FastAPI parameters typed
with pydantic models are validated by the framework and are never "raw".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.analysis.routes.intent import is_webhook
from scanner.analysis.routes.model import Route
from scanner.context import Context, Hit
from scanner.detectors.route_detector import RouteDetector, route_kind
from scanner.model import Artifact
from scanner.paths import is_development_file

UNVALIDATED = "web-input-unvalidated"
UPLOAD = "web-upload-unchecked"
SIZE = "web-body-size-unlimited"
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


@dataclass
class BodyLimits:
    flask_limit: bool = False


class InputValidationDetector(RouteDetector):
    """Implements web-input-unvalidated, web-upload-unchecked and web-body-size-unlimited."""

    rule_ids = (UNVALIDATED, UPLOAD, SIZE)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        super().index(artifact, ctx)
        if artifact.kind == "python" and "MAX_CONTENT_LENGTH" in artifact.text:
            ctx.facts.bucket(BUCKET, BodyLimits).flask_limit = True
            if SIZE_LIMIT_SET.search(artifact.text):
                ctx.evidence("input-validation", f"request body size limit MAX_CONTENT_LENGTH set ({artifact.path})")

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        hits = [*self._settings(artifact, ctx)]
        limits = ctx.facts.bucket(BUCKET, BodyLimits)
        reading = validated = 0
        for route in self.routes(artifact, ctx):
            ctx.examined("input-validation", route_kind(route))
            route_hits = list(self._route(ctx, route, limits))
            hits.extend(route_hits)
            if RAW_BODY.search(route.code) or route.input_params or SCHEMA.search(route.code):
                reading += 1
                validated += not any(h.rule_id == UNVALIDATED for h in route_hits) and not is_webhook(route)
        if validated:
            ctx.evidence("input-validation", f"request input validated by a schema or typed parameters: {validated} "
                                             f"of {reading} route{'s' if reading != 1 else ''} taking input in "
                                             f"{artifact.path}")
        yield from (h for h in hits if h.rule_id in self.rules)

    def _settings(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind != "python" or is_development_file(artifact.path):
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
