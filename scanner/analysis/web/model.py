"""Language-neutral web settings that per-language extractors read from code and detectors judge once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.context import Span

#: What each language's files count as on the scorecard ("no issue found in 140 Python files").
FILE_KIND = {"python": "Python file", "javascript": "JavaScript/TypeScript file",
             "typescript": "JavaScript/TypeScript file"}


@dataclass(frozen=True)
class CorsPolicy:
    """One CORS configuration: who may call the API from a browser, as written at ``span``.

    ``any_origin`` says why every origin is allowed (None when it is not); ``reflected`` is true when the
    request's own ``Origin`` is echoed back (any site, and credentials work with it); ``origins`` lists
    explicit literal origins when the configuration names them (None when it does not or cannot be read).
    ``per_response`` marks a header one handler sets on its own response (a deliberate choice for that
    route, e.g. public discovery JSON) rather than an app-wide middleware or configuration.
    """

    span: Span
    label: str
    any_origin: str | None = None
    reflected: bool = False
    credentials: bool = False
    origins: tuple[str, ...] | None = None
    per_response: bool = False


@dataclass(frozen=True)
class LogCall:
    """A log or print call, and the first sensitive value it writes (None when it writes none)."""

    span: Span
    writes: str | None


#: Hosting header rules for these paths serve files, not an API: any origin may read them.
STATIC_SOURCE = re.compile(r"^/(?:_next/static|static|assets|fonts|images|img|icons|generated|public|favicon|robots"
                           r"|sitemap|\.well-known)\b|\.(?:js|css|png|jpe?g|svg|webp|ico|woff2?|ttf|json|txt|xml)$",
                           re.IGNORECASE)


def covers_api_path(source: str) -> bool:
    """Whether a hosting header rule's ``source`` pattern (next.config, vercel.json) reaches more than static files."""
    return not STATIC_SOURCE.search(source)
