"""Named false-positive heuristics for secret hits, one small function each.

Each filter gets a :class:`Candidate` (the raw value, the file's path, whether the rule is generic)
and says whether it is *not* a secret. A filter that fires drops the hit, and its name is counted in
the scan statistics (``stats["filtered"]``) so precision work is measurable. Path heuristics for
test and example folders do not drop: a key under ``tests/`` is still a key, only with lower confidence.

:func:`path_confidence` applies the path policy (:mod:`scanner.paths`) to a finding's confidence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import PurePosixPath
from typing import NamedTuple

from scanner.decoding import jwt_claims
from scanner.model import Artifact, Confidence, Rule
from scanner.paths import is_generated_code, is_non_production

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(?:x{4,}|\*{3,}|\.{3}|your[-_ ]?(?:api[-_ ]?)?(?:key|token|secret|password)|change[-_ ]?me|"
    r"placeholder|example|dummy|redacted|insert[-_ ]|replace[-_ ]?me|<[^>]*>|fake|sample)"
)
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_.]*\}?|\$\([^)]*\)|process\.env\.|os\.environ|os\.getenv|import\.meta\.env\.|"
    r"env\(|getenv\(|ENV\[|secrets\.|vault:|%env\()"
)
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|"
                       r"\$\{[^}]*\}|%\(\w+\)[sd]|%[sd](?![A-Za-z0-9])|\{\d*\}|\{[A-Za-z_][\w.:]*(?:\}|:\d+)|^\{[A-Za-z_]|<%=?.*?%>|#\{[^}]*\}")
_ENCRYPTED = re.compile(r"^(?:ENC\[[A-Z0-9_]+,|\$ANSIBLE_VAULT;|AgB[A-Za-z0-9+/]{200})")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_INTEGRITY = re.compile(r"^(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+=*$")

#: Lock files and baselines: their integrity hashes, checksums and secret hashes look like secrets to a
#: generic rule.
HASH_FILES = frozenset({".launchready-baseline.json", ".secrets.baseline",
                        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "poetry.lock", "pipfile.lock",
                        "pnpm-lock.yaml", "go.sum", "cargo.lock", "composer.lock", "gemfile.lock", "uv.lock",
                        "bun.lock", "packages.lock.json", "flake.lock", "podfile.lock", "mix.lock"})

#: SHA-256 of publicly documented example credentials (kept as hashes so no key-shaped text is here).
KNOWN_PUBLIC_SHA256 = frozenset({
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",  # Stripe API docs test key
    "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",  # jwt.io debugger sample token
})


#: A run of this many consecutive characters (``abcdefgh``, ``87654321``) marks a typed, not random, value.
SEQUENTIAL_RUN = 8


class Candidate(NamedTuple):
    """What a filter sees: the raw value (memory only), where it was found, and the rule's kind."""

    secret: str
    path: str = ""
    generic: bool = False


def is_generic(rule: Rule) -> bool:
    """Generic rules (assignments, JWTs, URLs with passwords) guess; provider rules know the format."""
    return str(rule.options.get("provider", "")).lower() == "generic"


def is_placeholder(c: Candidate) -> bool:
    """Documentation stand-ins: ``sk-xxxx``, ``your-api-key``, ``<TOKEN>``, ``changeme``."""
    return bool(_PLACEHOLDER_WORDS.search(c.secret))


def is_repetitive(c: Candidate) -> bool:
    """One character repeated, or a typed run like ``abcdefgh``/``12345678`` in the value's body."""
    body = re.sub(r"^[A-Za-z]+[-_]", "", c.secret)  # ignore a provider prefix such as "sk_live_"
    if len(body) < 8:
        return False
    if len(set(body)) <= 2:
        return True
    run = longest = 1
    for a, b in pairwise(body):
        run = run + 1 if abs(ord(b) - ord(a)) == 1 and a.isalnum() and b.isalnum() else 1
        longest = max(longest, run)
    return longest >= min(SEQUENTIAL_RUN, len(body))


def is_reference(c: Candidate) -> bool:
    """A variable or environment reference rather than a value: ``${API_KEY}``, ``process.env.X``."""
    return bool(_REFERENCE.match(c.secret))


def is_template(c: Candidate) -> bool:
    """Template or format syntax inside the value: ``{{ token }}``, ``%s``, ``{0}``, ``<%= key %>``."""
    return bool(_TEMPLATE.search(c.secret))


def is_hash_or_uuid(c: Candidate) -> bool:
    """A UUID or a subresource-integrity hash (``sha512-...``), where a generic rule guessed "secret".

    Hex digests are not dropped: many providers' keys are hex, and a secret-named key holding one is
    most often a real secret (measured on the accuracy bench).
    """
    return c.generic and bool(_UUID.match(c.secret) or _INTEGRITY.match(c.secret))


def is_encrypted(c: Candidate) -> bool:
    """A value already encrypted for the repository: SOPS ``ENC[...]``, Ansible Vault, Sealed Secrets."""
    return bool(_ENCRYPTED.match(c.secret))


def is_in_hash_file(c: Candidate) -> bool:
    """A generic hit in a dependency lock file (integrity hashes, checksums) or a secrets baseline."""
    return c.generic and PurePosixPath(c.path).name.lower() in HASH_FILES


def is_known_public(c: Candidate) -> bool:
    """A provider-documented example value, or a demo JWT (jwt.io's sample, Supabase's local-dev keys)."""
    if hashlib.sha256(c.secret.encode("utf-8", "surrogatepass")).hexdigest() in KNOWN_PUBLIC_SHA256:
        return True
    if c.secret.startswith("eyJ") and c.secret.count(".") == 2:
        claims = jwt_claims(c.secret)
        return claims is not None and claims.get("iss") == "supabase-demo"
    return False


def generic_rules_apply(artifact: Artifact) -> bool:
    """Whether generic rules run on an artifact: not on build output (origin ``bundle``, the original files
    a source map embeds included: a library's map carries its own sources) and not in generated or
    vendored code (``paths.is_generated_code``), where minified libraries are full of
    ``password:e.password.value`` and high-entropy identifiers. The secrets detector does not even try
    them there (a 5 MB bundle holds thousands of such guesses); provider rules still run."""
    return artifact.origin.kind != "bundle" and not is_generated_code(artifact.path)


#: (name, predicate) in the order they are tried.
SECRET_FILTERS: tuple[tuple[str, Callable[[Candidate], bool]], ...] = (
    ("placeholder", is_placeholder),
    ("repetitive", is_repetitive),
    ("reference", is_reference),
    ("template", is_template),
    ("hash-or-uuid", is_hash_or_uuid),
    ("encrypted", is_encrypted),
    ("lock-or-baseline-file", is_in_hash_file),
    ("known-public", is_known_public),
)

def false_positive_reason(secret: str, path: str = "", rule: Rule | None = None) -> str | None:
    """The name of the first filter that says ``secret`` (found by ``rule`` in ``path``) is not a secret."""
    candidate = Candidate(secret, path, rule is not None and is_generic(rule))
    for name, predicate in SECRET_FILTERS:
        if predicate(candidate):
            return name
    return None


def path_confidence(path: str, confidence: Confidence) -> Confidence:
    """Confidence for a finding at ``path``: lowered under test, example and docs folders."""
    return Confidence.LOW if is_non_production(path) else confidence
