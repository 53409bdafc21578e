"""Unsafe logging: log or print calls that write tokens, passwords, Authorization headers, API keys,
whole request bodies or prompts.

Only values are judged, never the literal text of a message (``"password reset sent"`` is fine).
A value wrapped in ``len()``, ``mask()``, ``redact()``, a hash... is fine, and so are names that hold
metadata about a secret (``token_count``, ``prompt_tokens``, ``api_key_id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact
from scanner.paths import is_development_file

RULE = "web-log-sensitive"
MARKERS = re.compile(r"\blog|print\(")
#: A file is parsed only when it also mentions something worth hiding.
SENSITIVE_WORDS = re.compile(r"password|passwd|secret|token|api_?key|authorization|credential|cookie|prompt"
                             r"|request\.(?:json|get_json|body|data|form|headers|POST)", re.IGNORECASE)
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"})
LOGGER_NAME = re.compile(r"(?:^|\.)(?:logging|_?log|_?logger|LOGGER|LOG|structlog|logfire|loguru)$", re.IGNORECASE)
SENSITIVE = re.compile(
    r"(?:^|_)(?:passwords?|passwd|pwd|secrets?|token|api_?keys?|apikey|authorization|auth_header|bearer"
    r"|credentials?|private_key|cookies?|session_key)$",
    re.IGNORECASE,
)
#: Prompts count only in modules that talk to a language model (elsewhere a "prompt" is a UI prompt).
PROMPT = re.compile(r"(?:^|_)prompts?$", re.IGNORECASE)
LLM_MODULE = re.compile(r"openai|anthropic|langchain|llama_index|litellm|\.completions\.create|\.messages\.create"
                        r"|generate_content|\bllm\b", re.IGNORECASE)
METADATA = re.compile(r"(?:_count|_len|_length|_tokens|_id|_ids|_url|_type|_name|_at|_expires|_expiry|_ttl"
                      r"|_hash|_hashed|_prefix|_suffix|_masked|_redacted|_limit|_max|_min|_uri|_field|_header_name)$"
                      r"|^(?:max|num|n|len|is|has)_", re.IGNORECASE)
SAFE_WRAPPERS = frozenset({"len", "mask", "redact", "redacted", "hash", "sha256", "md5", "hexdigest", "bool", "type",
                           "isinstance", "id", "fingerprint", "masked", "obfuscate", "truncate_secret", "keys"})
WHOLE_REQUEST = re.compile(r"^request\.(?:headers|json|get_json|body|data|form|POST|META|values|stream)$|"
                           r"^request\.(?:get_json|json|body|form)\(\)$")
SENSITIVE_HEADER = re.compile(r"headers(?:\.get\(|\[)\s*['\"](?:authorization|cookie|x-api-key|api-key)['\"]",
                              re.IGNORECASE)


class SensitiveLoggingDetector(Detector):
    """Implements web-log-sensitive."""

    rule_ids = (RULE,)
    kinds = frozenset({"python"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        text = artifact.text
        if is_development_file(artifact.path):
            return
        # a file that names no logger or no sensitive value cannot log one: examined by the prefilter alone
        ctx.examined("logging", "Python file")
        if not MARKERS.search(text) or not SENSITIVE_WORDS.search(text):
            return
        from scanner.lang.python.parse import parse_python
        from scanner.lang.python.walk import calls

        pm = parse_python(ctx)
        if pm is None:
            return
        prompts = bool(LLM_MODULE.search(text))
        for call in calls(pm.module):
            if not _is_log_call(call):
                continue
            ctx.examined("logging", "log call")
            what = _sensitive_value(pm, call, prompts)
            if what:
                yield ctx.finding(RULE, pm.span(call), message=f"Log call writes {what}", value=what)


def _sensitive_name(name: str, prompts: bool) -> bool:
    if METADATA.search(name):
        return False
    return bool(SENSITIVE.search(name) or (prompts and PROMPT.search(name)))


def _is_log_call(call) -> bool:
    from scanner.lang.python.walk import dotted

    func = dotted(call.func)
    if func == "print":
        return True
    head, _, method = func.rpartition(".")
    return method in LOG_METHODS and bool(LOGGER_NAME.search(head))


def _sensitive_value(pm, call, prompts: bool) -> str | None:
    """A description of the first sensitive value among the call's arguments, or None.

    ``request.json`` is the whole body, but ``request.json["email"]`` or ``request.POST.get("event")``
    read one field: an expression that is only the owner of an attribute or subscript is not judged whole.
    """
    import libcst as cst

    from scanner.lang.python.walk import child_nodes, dotted

    stack: list[tuple[cst.CSTNode, bool]] = [(a.value, False) for a in call.args]
    while stack:
        node, accessed = stack.pop()
        what = _describe(pm, node, accessed, prompts)
        if what:
            return what
        if isinstance(node, cst.SimpleString) or (
                isinstance(node, cst.Call) and dotted(node.func).rsplit(".", 1)[-1] in SAFE_WRAPPERS):
            continue
        owner = node.value if isinstance(node, (cst.Attribute, cst.Subscript)) else None
        stack.extend((child, child is owner) for child in child_nodes(node))
    return None


def _describe(pm, node, accessed: bool, prompts: bool) -> str | None:
    import libcst as cst

    from scanner.lang.python.walk import dotted

    if isinstance(node, cst.Call):
        code = pm.code(node)
        if SENSITIVE_HEADER.search(code):
            return "a credential header"
        if not accessed and WHOLE_REQUEST.match(code.replace("await ", "")):
            return f"the whole request ({code})"
    elif isinstance(node, (cst.Name, cst.Attribute)):
        text = dotted(node)
        if not accessed and WHOLE_REQUEST.match(text):
            return f"the whole request ({text})"
        if _sensitive_name(text.rsplit(".", 1)[-1], prompts):
            return f"a secret-looking value ({text})"
    elif isinstance(node, cst.Subscript):
        code = pm.code(node)
        if SENSITIVE_HEADER.search(code):
            return "a credential header"
        key = node.slice[0].slice.value if isinstance(node.slice[0].slice, cst.Index) else None
        word = key.evaluated_value if isinstance(key, cst.SimpleString) else None
        if isinstance(word, str) and _sensitive_name(word.replace("-", "_"), prompts):
            return f"a secret-looking value ({code})"
    return None
