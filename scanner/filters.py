"""Named false-positive heuristics for secret hits, one small function each.

Each filter gets a :class:`Candidate` (the raw value, the file's path, whether the rule is generic, and
for hits the engine checks, the line the value sits on) and says whether it is *not* a secret. A filter
that fires drops the hit, and its name is counted in the scan statistics (``stats["filtered"]``) so
precision work is measurable.

Provider rules know their key's format, so only value-level filters apply to them (placeholders,
references, templates, encrypted values, documented examples); a provider key under ``tests/`` is still
a key, only with lower confidence. Generic rules guess from a key name, so their hits must also be a
*value* (a string literal in source code, not a type, an expression or a reference), not prose or a UI
string, not a URL to a local or example host, not a cloud resource identifier, and not in minified,
vendored or generated code (see docs/secrets.md, "Precision").

:func:`path_confidence` applies the path policy (:mod:`scanner.paths`) to a finding's confidence.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import PurePosixPath
from typing import NamedTuple

from scanner.decoding import jwt_claims
from scanner.model import Artifact, Confidence, Rule
from scanner.paths import MINIFIED_LINE, is_generated_code, is_non_production

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(?:x{4,}|\*{3,}|\.{3}|your[-_ ]?(?:api[-_ ]?)?(?:key|token|secret|password)|change[-_ ]?(?:me|this)|"
    r"placeholder|example|dummy|redacted|insert[-_ ]|replace[-_ ]?me|<[^>]*>|^\(\w*\)$|^\[\w*\]$|fake|sample|mock[-_]|"
    r"(?:^|[-_])(?:your|my)[-_][a-z0-9_-]*(?:key|token|secret|password|here)(?![a-z])|[-_]here$)"
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
    "6c96130f130ab0d6d158397e24d2bcc1c9a5e73ae081f6e983f1c7b545d24a4c",  # RFC 6749 example access token
    "00cf4c781dc37003f7c7dd7d4c9a6ef1e0f4c62d9a291aa8bc398774e3fefd32",  # RFC 6749 example refresh token
    "9d03b692e941d5ace207a9f8048834439f6de98e5c6c1590c22c4f4577c88a42",  # OAuth 1.0 (RFC 5849) example token
    "b8e148545b13c78bc74da2f1a7275dd71e56ddece129d7d2f7b3ecc06f7994da",  # RFC 6750 example bearer token
    "a71b359a87afde133e6d9731de69f8823d62b012072d43749f5dc976505403f5",  # OAuth MAC token draft example id
    # Azurite's (the Azure Storage emulator's) account key for devstoreaccount1, the same in every install and
    # printed in Microsoft's documentation (learn.microsoft.com/azure/storage/common/storage-use-azurite)
    "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059",
})


#: Source code, where a value that is not a string literal is an expression, a type or a reference. A
#: ``.diff`` or ``.patch`` of such a file counts as the file (``auth.ts.diff``).
SOURCE_SUFFIXES = frozenset({".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue",
                             ".svelte", ".astro", ".go", ".rb", ".java", ".kt", ".kts", ".scala", ".groovy", ".php",
                             ".cs", ".rs", ".swift", ".dart", ".c", ".cc", ".cpp", ".h", ".hpp", ".m", ".ex",
                             ".exs", ".lua"})
_PATCH_SUFFIXES = (".diff", ".patch", ".orig")
#: Folders of UI translations: their "password" keys hold the word for password in each language.
TRANSLATION_DIRS = frozenset({"locales", "locale", "translations", "translation", "i18n", "l10n", "lang", "langs"})
#: Hosts a URL's credentials are only an example for: the local machine, reserved example and test names.
_PLACEHOLDER_HOST = re.compile(
    r"(?i)^(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?|host\.docker\.internal|"
    r"(?:[\w-]+\.)*(?:example(?:\.(?:com|org|net))?|localhost|test|invalid|local))(?::\d+)?$")
_URL_HOST = re.compile(r"@([^\s/?#\"'`,;)}\]\\]+)")
#: The URL a curl command on the line requests, before the value (``curl http://localhost:8080/x -u :pass``).
_COMMAND_URL = re.compile(r"(?i)\bcurl\b[^|;&\n]*?[\s\"'][a-z][a-z0-9+.-]*://(?:[^/\s\"'`@]*@)?([^/\s\"'`?#]+)")
_NEXT_URL = re.compile(r"^[\"'`]?[ \t]+[\"'`]?[a-z][a-z0-9+.-]*://(?:[^/\s\"'`@]*@)?([^/\s\"'`?#]+)", re.IGNORECASE)
#: What precedes a value inside a cloud resource identifier: an AWS ARN, an Azure resource id, a GCP name.
_RESOURCE_ID = re.compile(r"(?i)(?:^|[\s\"'`=(,])(?:arn:aws[\w-]*:|/subscriptions/[0-9a-f-]{36}/|projects/[\w-]+/"
                          r"(?:secrets|locations|keys|serviceAccounts)/)[^\s\"'`]*$")
#: The URL a value sits in: its host alternatives in parentheses (group 1) or its host, user info included (2).
_URL_BEFORE = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?:\(([^()\"'`]*)\)|([^/\s\"'`?#]+))[^\s\"'`]*$")
#: What a generated key is at least (see :func:`looks_machine_generated`).
MACHINE_LENGTH = 20
MACHINE_ENTROPY = 3.7
MACHINE_RUN = 12
_PRESIGNED = re.compile(r"(?i)(?:x-amz-credential|awsaccesskeyid)(?:=|%3d)$")
_DOCSEARCH = re.compile(r"(?i)\b(?:algolia|docsearch)\b")
_API_KEY_NAME = re.compile(r"(?i)\bapi[-_]?key[\"'`]?\s*[:=]\s*[\"'`]?$")
_QUOTE_CHARS = "\"'`"
#: An HTTP header's value is next: ``-H "X-Api-Key: ``, ``Authorization: Bearer ``, ``--header 'apikey: ``.
_HEADER_VALUE = re.compile(r"(?i)(?:(?:-H|--header)[ \t]+[\"']?[\w-]+|authorization|\bx-[\w-]*(?:key|token))[\"']?"
                           r"[ \t]*:[ \t]*(?:(?:bearer|token)[ \t]+)?$")
#: A run of this many consecutive characters (``abcdefgh``, ``87654321``) marks a typed, not random, value.
SEQUENTIAL_RUN = 8


class Candidate(NamedTuple):
    """What a filter sees: the raw value (memory only), where it was found, and the rule's kind.

    ``line`` is the text of the line the value starts on and ``column`` the value's 0-based offset in it
    (-1 when the caller has no line, e.g. a decoded value); ``literal`` says the rule's values must be
    string literals in source code (the rule's ``literal`` option); ``context`` holds the few lines above;
    ``text`` is the whole file and ``offset`` the value's offset in it (-1 when unknown).
    """

    secret: str
    path: str = ""
    generic: bool = False
    line: str = ""
    column: int = -1
    literal: bool = False
    context: str = ""
    #: The line lies inside a string that spans lines (a Python triple-quoted string, a JS template literal).
    in_string_block: bool = False
    #: ... and that string is a docstring (nothing but indentation before its opening quotes): prose.
    in_docstring: bool = False
    #: The rule names providers (a ``names`` table) and checked the value's shape for the provider named.
    named: bool = False

    @property
    def before(self) -> str:
        """The line's text before the value."""
        return self.line[:self.column] if self.column >= 0 else ""

    @property
    def after(self) -> str:
        """The line's text after the value."""
        return self.line[self.column + len(self.secret):] if self.column >= 0 else ""


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s character distribution."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def is_generic(rule: Rule) -> bool:
    """Generic rules (assignments, JWTs, URLs with passwords) guess; provider rules know the format."""
    return str(rule.options.get("provider", "")).lower() == "generic"


def is_placeholder(c: Candidate) -> bool:
    """Documentation stand-ins: ``sk-xxxx``, ``your-api-key``, ``<TOKEN>``, ``changeme``."""
    return bool(_PLACEHOLDER_WORDS.search(c.secret))


#: Separators between a token's components (``xoxp-<team>-<user>-...``, ``<id>.<secret>``).
_COMPONENTS = re.compile(r"[-_.:]")
#: A component typed three times (``xoxp-1234-1234-1234-...``) is a stand-in: generated components differ.
REPEATED_COMPONENTS = 3


def is_repetitive(c: Candidate) -> bool:
    """One character repeated, a typed run like ``abcdefgh``/``12345678`` in the value's body, or the same
    component of three or more characters repeated ``REPEATED_COMPONENTS`` times (``1234-1234-1234``)."""
    body = re.sub(r"^[A-Za-z]+[-_]", "", c.secret)  # ignore a provider prefix such as "sk_live_"
    if len(body) < 8:
        return False
    if len(set(body)) <= 2:
        return True
    components = Counter(part for part in _COMPONENTS.split(body) if len(part) >= 3)
    if components and max(components.values()) >= REPEATED_COMPONENTS:
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
    most often a real secret (measured on the accuracy bench). Nor are UUIDs a named-provider rule found
    next to the name of a provider whose keys are UUIDs (its table says so), nor a UUID sent as an HTTP
    header's value (``curl -H "apikey: <uuid>"``, ``Authorization: <uuid>``): there it is the key.
    """
    if not c.generic or c.named:
        return False
    return bool(_INTEGRITY.match(c.secret) or (_UUID.match(c.secret) and not _HEADER_VALUE.search(c.before)))


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


def is_source_code(path: str) -> bool:
    """Source code by its file name (a ``.diff``/``.patch`` of a source file counts as the file)."""
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    while name.endswith(_PATCH_SUFFIXES):
        name = name.rsplit(".", 1)[0]
    return PurePosixPath(name).suffix in SOURCE_SUFFIXES


def in_string_literal(before: str) -> bool:
    """Whether text following ``before`` (a line's start) is inside a quoted string: an odd count of one
    quote character. Escaped quotes are not counted."""
    unescaped = re.sub(r"\\.", "", before)
    return any(unescaped.count(q) % 2 for q in _QUOTE_CHARS)


def is_expression(c: Candidate) -> bool:
    """A generic assignment's "value" in source code that is not a string literal: a type annotation
    (``password: Optional[str] = None``), a variable or attribute (``password: hashedPassword``,
    ``password=settings.X``, ``env.X``), a call or a declaration. Rules opt in with ``literal: true``."""
    config_line = c.in_string_block and bool(_CONFIG_LINE.match(c.line))
    return c.generic and c.literal and c.column >= 0 and is_source_code(c.path) and not config_line \
        and not in_string_literal(c.before)


#: A whole line that is one configuration assignment (``SMTP_PASSWORD=...``, ``password: ...``): inside a
#: string spanning lines (an env-file or YAML template in code) its value is a value. Prose in a docstring
#: that mentions ``password: hashedPassword`` is not such a line.
_CONFIG_LINE = re.compile(r"^\s*(?:export\s+)?[\w.-]+\s*[=:]\s*\S+\s*$")


_STRING_FENCE = re.compile(r'"""|\'\'\'|`')


def string_block_lines(text: str) -> list[tuple[int, int, bool]]:
    """``(first, last, docstring)`` for each string literal that spans lines (1-based lines): Python
    triple-quoted strings and JS/TS template literals; ``docstring`` when only indentation stands before the
    opening quotes (a docstring, not a value assigned or passed). One pass over the fences; a value on a line
    strictly after ``first`` and up to ``last`` is inside the string (``CONFIG = \"\"\"\\nPASSWORD=...``).
    Comments are not told apart: a stray fence in one only makes a later value count as a string."""
    blocks, opener, opened_at, line, last, docstring = [], None, 0, 1, 0, False
    for match in _STRING_FENCE.finditer(text):
        start = match.start()
        if start and text[start - 1] == "\\":
            continue
        line += text.count("\n", last, start)
        last = start
        fence = match.group(0)
        if opener is None:
            opener, opened_at = fence, line
            docstring = not text[text.rfind("\n", 0, start) + 1:start].strip()
        elif fence == opener:
            if line > opened_at:
                blocks.append((opened_at, line, docstring))
            opener = None
    if opener is not None:
        blocks.append((opened_at, line + text.count("\n", last), docstring))
    return blocks


def is_natural_language(c: Candidate) -> bool:
    """A UI string or translation where a generic rule saw a key name: non-ASCII letters in the value
    (``"password": "パスワードを入力"``), or any value in a translations folder (``locales/fr.json``)."""
    if not c.generic:
        return False
    if any(ch.isalpha() and not ch.isascii() for ch in c.secret):
        return True
    folders = {part.lower() for part in PurePosixPath(c.path.replace("\\", "/")).parts[:-1]}
    return bool(folders & TRANSLATION_DIRS)


def is_placeholder_host(c: Candidate) -> bool:
    """Credentials for the local machine or a reserved example host: in the URL (``user:pass@localhost``,
    ``@db.example.com``) or in a command whose next word is such a URL (``curl --user u:p
    http://example.com/``) or that requested one before (``curl http://localhost:8080/x -u :p``).
    Documentation and development defaults, not access to anything."""
    match = (_URL_HOST.match(c.after) or _NEXT_URL.match(c.after) or _COMMAND_URL.search(c.before)) \
        if c.generic else None
    return bool(match and _PLACEHOLDER_HOST.match(match.group(1)))


def is_in_placeholder_url(c: Candidate) -> bool:
    """A value inside a URL to a local or example host: ``http://localhost:8888/?token=...``,
    ``http://localhost:3000/verify?token=...`` (a development server's printed link), also when the docs
    give the host as alternatives (``http://(<container id> or 127.0.0.1):8888/?token=...``)."""
    if not c.generic:
        return False
    match = _URL_BEFORE.search(c.before)
    hosts = (match.group(1) or match.group(2).rsplit("@", 1)[-1]).split() if match else []
    return any(_PLACEHOLDER_HOST.match(host) for host in hosts)


def looks_machine_generated(secret: str) -> bool:
    """A value long and random enough to be a generated key, not typed by a person (``devpass123``,
    ``refresh_token_123``, ``github_token_1&token_type=bearer``): at least ``MACHINE_LENGTH`` characters and
    ``MACHINE_ENTROPY`` bits per character, with an unbroken run of at least ``MACHINE_RUN`` letters and
    digits that mixes both (generated keys are long runs; typed values are words joined by separators)."""
    if len(secret) < MACHINE_LENGTH or shannon_entropy(secret) < MACHINE_ENTROPY:
        return False
    return any(len(run) >= MACHINE_RUN and not run.isalpha() and not run.isdigit()
               for run in re.findall(r"[A-Za-z0-9]+", secret))


def is_fixture_value(c: Candidate) -> bool:
    """A generic hit in tests, examples, docs or a docstring whose value was typed by a person
    (``testpassword123``, ``PWD=pass``) or is an expired JWT: a fixture or an example, not a credential. A
    generated-looking value there is still reported (a real key pasted into a test is still a key)."""
    if not c.generic:
        return False
    typed = not looks_machine_generated(c.secret) or is_expired_token(c.secret)
    return typed and (is_non_production(c.path) or c.in_docstring)


def is_presigned_credential(c: Candidate) -> bool:
    """An access key ID inside a presigned URL (``X-Amz-Credential=AKIA...``, ``AWSAccessKeyId=``): the
    URL carries it by design, with a signature that expires; the ID alone grants nothing."""
    return bool(_PRESIGNED.search(c.before))


def is_public_search_key(c: Candidate) -> bool:
    """The search-only key of a documentation site's Algolia DocSearch configuration (``algolia: { appId,
    apiKey, indexName }``): a public key, shipped to every visitor's browser by design."""
    return c.generic and bool(_DOCSEARCH.search(c.context + "\n" + c.before)) and bool(_API_KEY_NAME.search(c.before))


def is_resource_id(c: Candidate) -> bool:
    """A cloud resource identifier around the value (an AWS ARN such as ``arn:aws:secretsmanager:...:secret:
    name``, an Azure resource id, a GCP resource name): it names where a secret lives, not the secret."""
    return c.generic and bool(_RESOURCE_ID.search(c.before))


def in_generated_code(c: Candidate) -> bool:
    """A generic hit in build output, vendored third-party code (``paths.is_generated_code``) or on a
    minified line: bundlers and libraries are full of ``{password:!0}``-style code no person wrote.
    Provider rules still run there."""
    return c.generic and (is_generated_code(c.path) or len(c.line) >= MINIFIED_LINE)


def is_expired_token(secret: str) -> bool:
    """A JWT whose ``exp`` claim is in the past: it should grant nothing any more (test and docs tokens are
    often such), so the detector reports it at low confidence rather than dropping it (a server that
    does not check ``exp`` would still take it)."""
    if not (secret.startswith("eyJ") and secret.count(".") == 2):
        return False
    claims = jwt_claims(secret)
    expires = claims.get("exp") if claims else None
    return isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires < time.time()


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
    ("generated-code", in_generated_code),
    ("expression", is_expression),
    ("natural-language", is_natural_language),
    ("placeholder-host", is_placeholder_host),
    ("in-placeholder-url", is_in_placeholder_url),
    ("fixture-value", is_fixture_value),
    ("resource-id", is_resource_id),
    ("presigned-url", is_presigned_credential),
    ("public-search-key", is_public_search_key),
)

#: Filters that drop a value from the report for where it is, not for what it is: it may still be a
#: credential (a password reused in a test, a key in a bundle), so it stays masked wherever it is shown.
STILL_MASKED = frozenset({"generated-code", "placeholder-host", "in-placeholder-url", "fixture-value",
                          "resource-id", "presigned-url", "public-search-key"})


def false_positive_reason(secret: str, path: str = "", rule: Rule | None = None, line: str = "",
                          column: int = -1, context: str = "", in_string_block: bool = False,
                          in_docstring: bool = False) -> str | None:
    """The name of the first filter that says ``secret`` (found by ``rule`` in ``path``, at ``column`` of
    ``line`` below the lines ``context`` when known; ``in_string_block``: that line is inside a string
    spanning lines) is not a secret."""
    candidate = Candidate(secret, path, rule is not None and is_generic(rule), line, column,
                          rule is not None and bool(rule.options.get("literal")), context, in_string_block,
                          in_docstring, rule is not None and "names" in rule.options)
    for name, predicate in SECRET_FILTERS:
        if predicate(candidate):
            return name
    return None


def path_confidence(path: str, confidence: Confidence) -> Confidence:
    """Confidence for a finding at ``path``: lowered under test, example and docs folders."""
    return Confidence.LOW if is_non_production(path) else confidence
