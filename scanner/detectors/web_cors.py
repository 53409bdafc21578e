"""Permissive CORS: any origin allowed (worse with credentials), or the request's Origin reflected back.

Covers Starlette/FastAPI ``CORSMiddleware``, flask-cors ``CORS(app)``/``@cross_origin``,
django-cors-headers settings and hand-written ``Access-Control-Allow-Origin`` headers. An explicit
origin list is recorded as positive evidence for the scorecard's ``cors`` check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Severity

RULE = "web-cors-permissive"
MARKERS = re.compile(r"CORS|cross_origin|Access-Control-Allow-Origin", re.IGNORECASE)
ANY_ORIGIN_REGEX = frozenset({".*", ".+", "https?://.*", "https://.*", "http://.*", "^.*$", "*"})
REFLECTED = re.compile(r"request\.(?:headers|META|environ)|\borigin\b", re.IGNORECASE)


class CorsDetector(Detector):
    """Implements web-cors-permissive."""

    rule_ids = (RULE,)
    kinds = frozenset({"python"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        ctx.examined("cors", "Python file")
        if not MARKERS.search(artifact.text):
            return
        from scanner.lang.python.parse import parse_python

        pm = parse_python(ctx)
        if pm is None:
            return
        yield from self._middleware(ctx, pm)
        yield from self._settings(ctx, pm)

    def _middleware(self, ctx: Context, pm) -> Iterator[Hit]:
        from scanner.analysis.routes.python.facts import keyword, positional
        from scanner.lang.python.walk import call_name, calls, is_true, literal_strings

        for call in calls(pm.module):
            name = call_name(call)
            if name in ("add_middleware", "Middleware"):
                target = positional(call, 0)
                if target is None or not pm.code(target).endswith("CORSMiddleware"):
                    continue
                origins, credentials = keyword(call, "allow_origins"), keyword(call, "allow_credentials")
                pattern = literal_strings(keyword(call, "allow_origin_regex")) or []
                values = literal_strings(origins)
            elif name in ("CORS", "cross_origin"):
                origins = keyword(call, "origins")
                credentials = keyword(call, "supports_credentials")
                resources = keyword(call, "resources")
                values = literal_strings(origins) if origins is not None else (
                    ["*"] if resources is None else (["*"] if '"*"' in pm.code(resources) or "'*'" in pm.code(
                        resources) else []))
                pattern = []
            else:
                continue
            ctx.examined("cors", "CORS configuration")
            if (values and "*" in values) or any(p in ANY_ORIGIN_REGEX for p in pattern):
                yield self._hit(ctx, pm, call, "any origin", is_true(credentials))
            elif values and not pattern:
                shown = ", ".join(values[:3]) + (", ..." if len(values) > 3 else "")
                label = "CORSMiddleware" if name in ("add_middleware", "Middleware") else f"{name}()"
                ctx.evidence("cors", f"{label} restricted to explicit origins ({shown}) in {pm.path}")

    def _settings(self, ctx: Context, pm) -> Iterator[Hit]:
        from scanner.lang.python.walk import assignments, is_true, literal_strings

        found = dict((t, (v, s)) for t, v, s in assignments(pm.module))
        credentials = is_true(found.get("CORS_ALLOW_CREDENTIALS", (None, None))[0])
        allow_all = False
        for name in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"):
            value, statement = found.get(name, (None, None))
            if name in found:
                ctx.examined("cors", "CORS configuration")
            if is_true(value):
                allow_all = True
                yield self._hit(ctx, pm, statement, f"any origin ({name} = True)", credentials)
        for name in ("CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST"):
            if name not in found:
                continue
            ctx.examined("cors", "CORS configuration")
            origins = literal_strings(found[name][0]) or []
            if origins and "*" not in origins and not allow_all:
                shown = ", ".join(origins[:3]) + (", ..." if len(origins) > 3 else "")
                ctx.evidence("cors", f"django-cors-headers {name} lists explicit origins ({shown}) in {pm.path}")
        for target, value, statement in assignments(pm.module):
            if target.endswith("[Access-Control-Allow-Origin]"):
                ctx.examined("cors", "CORS configuration")
                code = pm.code(value)
                if code.strip("'\"") == "*":
                    yield self._hit(ctx, pm, statement, "any origin (Access-Control-Allow-Origin: *)", False)
                elif REFLECTED.search(code):
                    yield self._hit(ctx, pm, statement, "any origin by reflecting the request's Origin header",
                                    False, Severity.HIGH)

    def _hit(self, ctx: Context, pm, node, what: str, credentials: bool, severity: Severity | None = None) -> Hit:
        suffix = " together with credentials (cookies, Authorization)" if credentials else ""
        return ctx.finding(RULE, pm.span(node), message=f"CORS allows {what}{suffix}",
                           severity=Severity.HIGH if credentials else severity)
