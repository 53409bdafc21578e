"""CORS policies in Python: Starlette/FastAPI ``CORSMiddleware``, flask-cors ``CORS(app)``/``@cross_origin``,
django-cors-headers settings and hand-written ``Access-Control-Allow-Origin`` headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.web.model import CorsPolicy

if TYPE_CHECKING:
    from scanner.lang.python.parse import PythonModule

MARKERS = re.compile(r"CORS|cross_origin|Access-Control-Allow-Origin", re.IGNORECASE)
ANY_ORIGIN_REGEX = frozenset({".*", ".+", "https?://.*", "https://.*", "http://.*", "^.*$", "*"})
REFLECTED = re.compile(r"request\.(?:headers|META|environ)|\borigin\b", re.IGNORECASE)


def cors_policies(pm: PythonModule) -> Iterator[CorsPolicy]:
    """Every CORS configuration in a parsed Python module."""
    yield from _middleware(pm)
    yield from _settings(pm)


def _middleware(pm: PythonModule) -> Iterator[CorsPolicy]:
    from scanner.analysis.routes.python.facts import keyword, positional
    from scanner.lang.python.walk import call_name, calls, is_true, literal_strings

    for call in calls(pm.module):
        name = call_name(call)
        if name in ("add_middleware", "Middleware"):
            target = positional(call, 0)
            if target is None or not pm.code(target).endswith("CORSMiddleware"):
                continue
            label = "CORSMiddleware"
            origins, credentials = keyword(call, "allow_origins"), keyword(call, "allow_credentials")
            pattern = literal_strings(keyword(call, "allow_origin_regex")) or []
            values = literal_strings(origins)
        elif name in ("CORS", "cross_origin"):
            label = f"{name}()"
            origins = keyword(call, "origins")
            credentials = keyword(call, "supports_credentials")
            resources = keyword(call, "resources")
            if origins is not None:
                values = literal_strings(origins)
            elif resources is None:
                values = ["*"]  # flask-cors allows every origin by default
            else:
                values = ["*"] if '"*"' in pm.code(resources) or "'*'" in pm.code(resources) else []
            pattern = []
        else:
            continue
        any_origin = "any origin" if (values and "*" in values) or any(p in ANY_ORIGIN_REGEX for p in pattern) \
            else None
        explicit = tuple(values) if values and not pattern and any_origin is None else None
        yield CorsPolicy(pm.span(call), label, any_origin=any_origin, credentials=is_true(credentials),
                         origins=explicit)


def _settings(pm: PythonModule) -> Iterator[CorsPolicy]:
    from scanner.lang.python.walk import assignments, is_true, literal_strings

    found = {t: (v, s) for t, v, s in assignments(pm.module)}
    credentials = is_true(found.get("CORS_ALLOW_CREDENTIALS", (None, None))[0])
    allow_all = False
    for name in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"):
        if name not in found:
            continue
        value, statement = found[name]
        on = is_true(value)
        allow_all = allow_all or on
        yield CorsPolicy(pm.span(statement), f"django-cors-headers {name}",
                         any_origin=f"any origin ({name} = True)" if on else None, credentials=credentials)
    for name in ("CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST"):
        if name not in found:
            continue
        value, statement = found[name]
        origins = literal_strings(value) or []
        explicit = tuple(origins) if origins and "*" not in origins and not allow_all else None
        yield CorsPolicy(pm.span(statement), f"django-cors-headers {name}", origins=explicit)
    for target, value, statement in assignments(pm.module):
        if not target.endswith("[Access-Control-Allow-Origin]"):
            continue
        code = pm.code(value)
        if code.strip("'\"") == "*":
            yield CorsPolicy(pm.span(statement), "Access-Control-Allow-Origin header",
                             any_origin="any origin (Access-Control-Allow-Origin: *)", per_response=True)
        elif REFLECTED.search(code):
            yield CorsPolicy(pm.span(statement), "Access-Control-Allow-Origin header", reflected=True,
                             per_response=True)
        else:
            yield CorsPolicy(pm.span(statement), "Access-Control-Allow-Origin header", per_response=True)
