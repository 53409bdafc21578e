"""What a CI log prints that it should not: ``ci-log-env-dump`` and ``ci-log-authorization-header``.

Secrets in a CI log are found by the secret rules (the CI-log source blanks timestamps and ANSI codes
first); these rules add what a provider format cannot tell: a secret-named variable printed with its
value (``env``, ``printenv``, ``export``, ``set -x`` traces) and an HTTP trace that shows an
``Authorization`` header (``curl -v``, a ``set -x`` trace of ``curl -H``). GitHub's own masking
(``***``) is not reported. The value is passed to the engine as a secret: masked, hashed, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import ORIGIN_KINDS, Artifact

ENV_RULE = "ci-log-env-dump"
HEADER_RULE = "ci-log-authorization-header"

#: ``NAME=value`` at the start of a line, after a ``set -x`` trace prefix (``+ ``), ``export`` or ``declare -x``.
_ASSIGNMENT = re.compile(
    r"^[ \t]*(?:\++[ \t]+)?(?:export[ \t]+|declare[ \t]+-x[ \t]+|setenv[ \t]+)?"
    r"(?P<name>[A-Z][A-Z0-9_]{2,80})=(?P<q>['\"]?)(?P<value>[^\s'\"]{8,512})", re.MULTILINE)
#: ``Authorization: Bearer <value>`` and API-key headers, in curl -v output or a traced command line.
_HEADER = re.compile(
    r"(?i)(?<![\w-])(?P<name>(?:proxy-)?authorization|x-api-key|api-key|x-auth-token)[ \t]*:[ \t]*"
    r"(?:(?:bearer|basic|token|bot|apikey|digest)[ \t]+)?(?P<value>[A-Za-z0-9._~+/=:-]{8,2048})")
#: Words that make a variable name secret on their own, and those that do beside ``KEY``.
_SECRET_WORDS = frozenset({"SECRET", "SECRETS", "TOKEN", "PASSWORD", "PASSWD", "PWD", "APIKEY", "CREDENTIAL",
                           "CREDENTIALS", "PASSPHRASE"})
_KEY_QUALIFIERS = frozenset({"API", "ACCESS", "PRIVATE", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "SERVICE",
                             "AUTH", "LICENSE", "DEPLOY"})
#: Last words of names that hold something about a secret, not the secret (``GITHUB_TOKEN_FILE``).
_NOT_VALUE = frozenset({"ID", "NAME", "USER", "USERNAME", "FILE", "PATH", "DIR", "URL", "HOST", "TYPE", "TTL",
                        "EXPIRY", "EXPIRES", "LENGTH", "LIMIT", "HEADER", "ENDPOINT", "ENABLED", "REQUIRED",
                        "VERSION", "SCOPE", "SCOPES", "REGION"})
_MASKED = re.compile(r"^\**$")


def is_secret_variable(name: str) -> bool:
    """``OPENAI_API_KEY``, ``NPM_TOKEN``, ``DB_PASSWORD``: yes. ``MAX_TOKENS``, ``TOKEN_FILE``: no."""
    words = name.split("_")
    if words[-1] in _NOT_VALUE:
        return False
    return bool(_SECRET_WORDS & set(words)) or (words[-1] == "KEY" and bool(_KEY_QUALIFIERS & set(words)))


def _printed(value: str) -> bool:
    """A value the log really shows: not masked (``***``), not all digits or a boolean."""
    return not _MASKED.match(value) and "***" not in value and not value.isdigit() \
        and value.lower() not in ("true", "false")


class CiLogDetector(Detector):
    """Implements ci-log-env-dump and ci-log-authorization-header."""

    rule_ids = (ENV_RULE, HEADER_RULE)
    kinds = frozenset({"ci-log"})
    origins = frozenset(ORIGIN_KINDS)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        text = artifact.text
        if ENV_RULE in self.rules:
            for match in _ASSIGNMENT.finditer(text):
                name, value = match.group("name"), match.group("value")
                if is_secret_variable(name) and _printed(value):
                    yield ctx.finding(ENV_RULE, ctx.span(*match.span("value")), secret=value, variable=name,
                                      message=f"{name} printed with its value (environment dump or shell trace)")
        if HEADER_RULE in self.rules:
            for match in _HEADER.finditer(text):
                value = match.group("value")
                if _printed(value) and not value.startswith("$"):
                    header = match.group("name")
                    yield ctx.finding(HEADER_RULE, ctx.span(*match.span("value")), secret=value, header=header,
                                      message=f"HTTP {header} header printed with its credential")
