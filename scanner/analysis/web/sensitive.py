"""What a log line must not carry, for every language: secret-looking names, prompts in LLM code.

Only names are judged here (``accessToken``, ``api_key``, ``req.body``...); each language's extractor
decides which expressions of a log call are values and applies these names to them.
"""

from __future__ import annotations

import re

#: A file is parsed only when it also mentions something worth hiding.
SENSITIVE_WORDS = re.compile(r"password|passwd|secret|token|api_?key|authorization|credential|cookie|prompt"
                             r"|request\.(?:json|get_json|body|data|form|headers|POST)|req\.(?:body|headers)",
                             re.IGNORECASE)
SENSITIVE = re.compile(
    r"(?:^|_)(?:passwords?|passwd|pwd|secrets?|token|api_?keys?|apikey|authorization|auth_header|bearer"
    r"|credentials?|private_key|cookies?|session_key)$",
    re.IGNORECASE,
)
#: Prompts count only in modules that talk to a language model (elsewhere a "prompt" is a UI prompt).
PROMPT = re.compile(r"(?:^|_)prompts?$", re.IGNORECASE)
LLM_MODULE = re.compile(r"openai|anthropic|langchain|llama_index|litellm|\.completions\.create|\.messages\.create"
                        r"|generate_content|\bllm\b|@ai-sdk/|\b(?:generateText|streamText|generateObject)\b",
                        re.IGNORECASE)
METADATA = re.compile(r"(?:_count|_len|_length|_tokens|_id|_ids|_url|_type|_name|_at|_expires|_expiry|_ttl"
                      r"|_hash|_hashed|_prefix|_suffix|_masked|_redacted|_limit|_max|_min|_uri|_field|_header_name"
                      r"|_usage|_exists|_present|_set|_valid|_status)$"
                      r"|^(?:max|num|n|len|is|has)_", re.IGNORECASE)
#: Calls whose result says something about a secret without being it.
SAFE_WRAPPERS = frozenset({"len", "mask", "redact", "redacted", "hash", "sha256", "md5", "hexdigest", "bool", "type",
                           "isinstance", "id", "fingerprint", "masked", "obfuscate", "truncate_secret", "keys",
                           "Boolean", "typeof", "maskSecret", "redactSecret", "mask_secret", "hashToken"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """``accessToken`` -> ``access_token``, ``X-Api-Key`` -> ``x_api_key``."""
    return _CAMEL.sub("_", name).replace("-", "_").lower()


def sensitive_name(name: str, prompts: bool) -> bool:
    """Whether a value called ``name`` (any case style) is a secret, or a prompt in LLM code."""
    name = snake(name)
    if METADATA.search(name):
        return False
    return bool(SENSITIVE.search(name) or (prompts and PROMPT.search(name)))
