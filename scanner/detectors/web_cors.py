"""Permissive CORS: any origin allowed (worse with credentials), or the request's Origin reflected back.

One decision over the CORS policies each language's extractor reads (:mod:`scanner.analysis.web`):
Python (Starlette/FastAPI, flask-cors, django-cors-headers, hand-written headers) and JavaScript/
TypeScript (cors, @fastify/cors, Hono, NestJS, response headers, next.config), plus ``vercel.json``
header rules. An explicit origin list is recorded as positive evidence for the scorecard's ``cors`` check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from scanner.analysis.web.model import FILE_KIND, CorsPolicy, covers_api_path
from scanner.context import Context, Hit, Span
from scanner.detectors.base import Detector
from scanner.model import Artifact, Severity
from scanner.paths import is_build_output, is_test_file, looks_minified

RULE = "web-cors-permissive"


class CorsDetector(Detector):
    """Implements web-cors-permissive."""

    rule_ids = (RULE,)
    kinds = frozenset({"python", "javascript", "typescript", "text"})

    def wants(self, artifact: Artifact) -> bool:
        if artifact.kind == "text":
            return PurePosixPath(artifact.path).name == "vercel.json"
        return super().wants(artifact) and not is_build_output(artifact.path) and not is_test_file(artifact.path)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        ctx.examined("cors", FILE_KIND.get(artifact.kind, "hosting configuration"))
        for policy in self._policies(artifact, ctx):
            ctx.examined("cors", "CORS configuration")
            hit = self._judge(ctx, policy)
            if hit is not None:
                yield hit

    def _policies(self, artifact: Artifact, ctx: Context) -> Iterable[CorsPolicy]:
        if artifact.kind == "python":
            from scanner.analysis.web.python.cors import MARKERS, cors_policies
            from scanner.lang.python.parse import parse_python

            if not MARKERS.search(artifact.text):
                return ()
            pm = parse_python(ctx)
            return () if pm is None else cors_policies(pm)
        if artifact.kind == "text":
            return _vercel_policies(artifact, ctx)
        from scanner.analysis.web.javascript.cors import MARKERS, cors_policies
        from scanner.lang.javascript.parse import parse_js

        if not MARKERS.search(artifact.text) or looks_minified(artifact.text):
            return ()
        return cors_policies(parse_js(ctx))

    def _judge(self, ctx: Context, policy: CorsPolicy) -> Hit | None:
        suffix = " together with credentials (cookies, Authorization)" if policy.credentials else ""
        # Without credentials any site can read what an anonymous caller could: low. With them it acts as the user.
        severity = Severity.HIGH if policy.credentials else Severity.LOW
        if policy.reflected:
            return ctx.finding(RULE, policy.span, severity=severity,
                               message=f"CORS allows any origin by reflecting the request's Origin header{suffix}")
        if policy.any_origin and not (policy.per_response and not policy.credentials):
            return ctx.finding(RULE, policy.span, severity=severity, message=f"CORS allows {policy.any_origin}{suffix}")
        if policy.origins:
            shown = ", ".join(policy.origins[:3]) + (", ..." if len(policy.origins) > 3 else "")
            ctx.evidence("cors", f"{policy.label} restricted to explicit origins ({shown}) in {ctx.artifact.path}")
        return None


def _vercel_policies(artifact: Artifact, ctx: Context) -> Iterator[CorsPolicy]:
    """``headers`` rules of ``vercel.json`` that set ``Access-Control-Allow-Origin``."""
    try:
        config = json.loads(artifact.text)
    except (ValueError, RecursionError):
        return
    rules = config.get("headers") if isinstance(config, dict) else None
    for rule in rules if isinstance(rules, list) else ():
        headers = rule.get("headers") if isinstance(rule, dict) else None
        pairs = {str(h.get("key", "")).lower(): str(h.get("value", "")) for h in headers or ()
                 if isinstance(h, dict)} if isinstance(headers, list) else {}
        value = pairs.get("access-control-allow-origin")
        if value is None:
            continue
        credentials = pairs.get("access-control-allow-credentials", "").lower() == "true"
        span = _line_span(artifact.text, "Access-Control-Allow-Origin", ctx)
        source = str(rule.get("source", "?"))
        if value.strip() == "*" and covers_api_path(source):
            yield CorsPolicy(span, "vercel.json headers",
                             any_origin=f"any origin (Access-Control-Allow-Origin: * for {source})")
        else:
            yield CorsPolicy(span, "vercel.json headers", credentials=credentials, origins=(value,))


def _line_span(text: str, needle: str, ctx: Context) -> Span:
    offset = max(text.find(needle), 0)
    return ctx.span(offset, offset + len(needle))
