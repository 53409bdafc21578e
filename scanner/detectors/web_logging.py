"""Unsafe logging: log or print calls that write tokens, passwords, Authorization headers, API keys,
whole request bodies or prompts.

One decision over the log calls each language's extractor reads (:mod:`scanner.analysis.web`): Python
(``logging``, loggers, ``print``) and JavaScript/TypeScript (``console.*``, loggers). Names are judged
by one policy for both (:mod:`scanner.analysis.web.sensitive`). Development-only files, tests and build
output are not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from scanner.analysis.web.model import FILE_KIND, LogCall
from scanner.analysis.web.sensitive import LLM_MODULE, SENSITIVE_WORDS
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact
from scanner.paths import is_build_output, is_development_file, looks_minified

RULE = "web-log-sensitive"


class SensitiveLoggingDetector(Detector):
    """Implements web-log-sensitive."""

    rule_ids = (RULE,)
    kinds = frozenset({"python", "javascript", "typescript"})

    def wants(self, artifact: Artifact) -> bool:
        return super().wants(artifact) and not is_development_file(artifact.path) \
            and not is_build_output(artifact.path)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        # a file that names no logger or no sensitive value cannot log one: examined by the prefilter alone
        ctx.examined("logging", FILE_KIND[artifact.kind])
        for call in self._log_calls(artifact, ctx):
            ctx.examined("logging", "log call")
            if call.writes:
                yield ctx.finding(RULE, call.span, message=f"Log call writes {call.writes}", value=call.writes)

    def _log_calls(self, artifact: Artifact, ctx: Context) -> Iterable[LogCall]:
        text = artifact.text
        if not SENSITIVE_WORDS.search(text):
            return ()
        prompts = bool(LLM_MODULE.search(text))
        if artifact.kind == "python":
            from scanner.analysis.web.python.logs import MARKERS, log_calls
            from scanner.lang.python.parse import parse_python

            if not MARKERS.search(text):
                return ()
            pm = parse_python(ctx)
            return () if pm is None else log_calls(pm, prompts)
        from scanner.analysis.web.javascript.logs import MARKERS, log_calls
        from scanner.lang.javascript.parse import parse_js

        if not MARKERS.search(text) or looks_minified(text):
            return ()
        return log_calls(parse_js(ctx), prompts)
