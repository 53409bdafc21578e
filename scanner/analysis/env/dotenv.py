"""What a dotenv file holds: its assignments, whether it is a template, and which values look real.

A value "looks real" when it could be a working credential: not empty, not a reference (``${X}``), not a
placeholder (``your-api-key``, ``changeme``, ``<token>``), not a local development default
(``postgres://postgres:postgres@localhost``), and either random enough (entropy, length) or in a
provider's key format. Only values under secret-looking names (or in a provider format) count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import urlsplit

from scanner.analysis.env.names import looks_secret, public_by_design
from scanner.decoding import jwt_claims
from scanner.detectors.secrets import shannon_entropy
from scanner.filters import false_positive_reason

#: ``NAME=value`` or ``export NAME=value``, with the value possibly quoted.
_ASSIGNMENT = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?P<value>.*)$",
                         re.MULTILINE)
#: File-name words of templates meant to be committed: ``.env.example``, ``.env.sample``, ``example.env``.
_TEMPLATE_WORDS = {"example", "examples", "sample", "samples", "template", "tpl", "dist", "defaults", "default",
                   "schema", "skeleton"}
#: Key formats that are credentials whatever the variable is called (prefixes only, lengths checked).
_PROVIDER_FORMAT = re.compile(
    r"^(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|sk_live_\w{16,}|rk_live_\w{16,}|ghp_\w{30,}|github_pat_\w{30,}|"
    r"xox[abpr]-[\w-]{20,}|AKIA[0-9A-Z]{16}|AIza[\w-]{35}|gsk_\w{30,}|hf_\w{30,}|re_\w{20,}|SG\.[\w-]{20,}\.[\w-]{20,}|"
    r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,})$")
#: Words of a stand-in value: ``sk-ant-your-key-here``, ``lsv2_enter_token``, ``paste-key``.
_STAND_IN = re.compile(r"(?i)(?:^|[-_.])(?:your|here|enter|insert|paste|replace|goes|todo|tbd)(?=[-_.]|$)")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal", "::1", "db", "postgres", "mysql",
                "redis", "mongo", "mongodb"}
#: JWT ``role`` claims of keys made to be public (Supabase's anon key).
PUBLIC_JWT_ROLES = frozenset({"anon", "anonymous", "public"})
#: Below these a value is a word someone typed (``secret``, ``password123``), not a generated key.
MIN_LENGTH = 16
MIN_ENTROPY = 3.0


class Assignment(NamedTuple):
    """One ``NAME=value`` line: the name, the unquoted value, and the value's offsets in the file."""

    name: str
    value: str
    start: int
    end: int


def assignments(text: str) -> Iterator[Assignment]:
    """Every assignment of a dotenv file, comments skipped, quotes and trailing comments removed."""
    for match in _ASSIGNMENT.finditer(text):
        raw = match.group("value").rstrip("\r")
        start = match.start("value")
        if raw[:1] in {'"', "'", "`"}:
            close = raw.find(raw[0], 1)
            value = raw[1:close] if close > 0 else raw[1:]
            start += 1
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        yield Assignment(match.group("name"), value, start, start + len(value))


def is_template_file(path: str) -> bool:
    """``.env.example``, ``.env.sample``, ``.env.local.template``, ``example.env``: meant to be committed."""
    name = PurePosixPath(path).name.lower()
    return bool(set(re.split(r"[._-]", name)) & _TEMPLATE_WORDS)


def _local_url(value: str) -> bool:
    """A URL to a local or docker-compose service: a development default, not a production credential."""
    if "://" not in value:
        return False
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return False
    return host in _LOCAL_HOSTS or host.endswith(".local")


def provider_format(value: str) -> bool:
    """Is ``value`` in a provider's key format (``sk-...``, ``ghp_...``, a JWT)? A credential whatever its name."""
    return bool(_PROVIDER_FORMAT.match(value))


def looks_real(name: str, value: str) -> bool:
    """Could ``value`` (assigned to ``name``) be a working credential?"""
    if not value or false_positive_reason(value) or _STAND_IN.search(value) or _local_url(value):
        return False
    claims = jwt_claims(value) if value.startswith("eyJ") else None
    if claims is not None:  # a JWT says what it is: Supabase's anon key is public, its service_role key is not
        return claims.get("role") not in PUBLIC_JWT_ROLES
    if public_by_design(name):
        return False
    if provider_format(value):
        return True
    if not looks_secret(name):
        return False
    if "://" in value:  # a connection string: real when it carries a password for a remote host
        parts = urlsplit(value)
        return bool(parts.password) and len(parts.password) >= 8
    return (len(value) >= MIN_LENGTH and " " not in value and shannon_entropy(value) >= MIN_ENTROPY
            and _character_classes(value) >= 2)


def _character_classes(value: str) -> int:
    """How many of lower case, upper case and digits a value mixes (``generate-with-openssl`` has one)."""
    return sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))


def real_values(text: str) -> list[Assignment]:
    """The assignments of a dotenv file whose values look like working credentials."""
    return [a for a in assignments(text) if looks_real(a.name, a.value)]
