"""Values of secret-holding manifests, for rules whose secrets are defined by a file's structure rather
than a value's shape (a rule's ``extract`` option names one of :data:`EXTRACTORS`).

A Kubernetes ``kind: Secret`` holds its values under ``data:`` (base64-encoded) and ``stringData:`` (as
they are). Nothing in such a value says it is secret; the manifest does. :func:`kubernetes_secret_values`
reads the manifest line by line (no YAML parser: manifests in the wild carry tabs, Helm templates and
comments that a parser rejects) and yields each value with its offsets in the file and, for ``data:``,
the decoded text. :func:`credential_part` then picks what to judge: the password of a ``user:password``
pair or of a Docker registry config (``.dockerconfigjson``), nothing for a certificate (public by design),
a URL (the URL rules read decoded text) or a non-secret key (``username``, ``host``, ``port``).

The rule's gates (``entropy``, ``allow``) and the false-positive filters then judge that part, so
placeholders (``changeme``, ``admin:password``, ``{{ .Values.password }}``), empty values and SOPS
``ENC[...]`` values are not reported.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple


class ManifestValue(NamedTuple):
    """One value of a manifest: ``[start, end)`` in the file, the text there (``raw``), what it means
    (``value``: decoded for base64 ``data:``), its key and its ``encoding`` (``"base64"`` or ``""``)."""

    start: int
    end: int
    raw: str
    value: str
    key: str
    encoding: str


#: A YAML document separator (``---``, possibly followed by spaces or a comment).
_DOCUMENT = re.compile(r"(?m)^---(?:[ \t].*)?$")
#: The block holding a Secret's values, at its own indentation.
_BLOCK = re.compile(r"""^[ \t]*["']?(?P<kind>data|stringData)["']?[ \t]*:[ \t]*(?:#.*)?$""")
#: One entry of the block: ``key: value``, the value quoted or bare, or ``|``/``>`` for a block scalar.
_ENTRY = re.compile(r"""^[ \t]*["']?(?P<key>[\w.-]+)["']?[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$""")
_BLOCK_SCALAR = re.compile(r"^[|>][+-]?\d?$")
_COMMENT = re.compile(r"[ \t]+#.*$")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _width(line: str) -> int:
    """A line's indentation width (tabs expanded: manifests in the wild mix them with spaces)."""
    return len(line[:len(line) - len(line.lstrip())].expandtabs(8))


def _unquote(value: str) -> tuple[str, int]:
    """The value without its quotes or trailing comment, and the offset of its text within ``value``."""
    if value[:1] in "\"'":
        end = value.find(value[0], 1)
        return (value[1:end], 1) if end > 0 else (value[1:], 1)
    return _COMMENT.sub("", value), 0


def decode(raw: str) -> str:
    """A ``data:`` value's meaning: its UTF-8 text, or, for binary content (a key file, random bytes),
    the base64 itself (judged by its own randomness). Not base64 at all: the raw text."""
    compact = re.sub(r"\s+", "", raw)
    if not _BASE64.fullmatch(compact) or len(compact.rstrip("=")) % 4 == 1:
        return raw
    try:
        data = base64.b64decode(compact + "=" * (-len(compact) % 4))
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):
        return compact
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text.strip() if text and printable == len(text) else compact


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """Each YAML document of ``text`` with its offset."""
    start = 0
    for separator in _DOCUMENT.finditer(text):
        yield start, text[start:separator.start()]
        start = separator.end()
    yield start, text[start:]


def _block_values(lines: list[tuple[int, str]], index: int, block_width: int, kind: str) -> Iterator[ManifestValue]:
    """The entries after a ``data:`` / ``stringData:`` line (``lines[index - 1]``), while more indented."""
    entry_width = None
    while index < len(lines):
        offset, line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry = _ENTRY.match(line)
        width = _width(line)
        if width <= block_width or entry is None:
            return
        if entry_width is None:
            entry_width = width
        if width != entry_width or entry.group("value") is None:
            continue  # a nested mapping's line, or a key without a value
        value = entry.group("value")
        if _BLOCK_SCALAR.match(value):
            first = index
            while index < len(lines) and (not lines[index][1].strip() or _width(lines[index][1]) > entry_width):
                index += 1
            filled = [number for number in range(first, index) if lines[number][1].strip()]
            if not filled:
                continue
            # the text exactly as written (inner indentation included), so that masking finds it in the file
            raw = "\n".join(line for _, line in lines[filled[0]:filled[-1] + 1]).strip()
            start = lines[filled[0]][0] + len(lines[filled[0]][1]) - len(lines[filled[0]][1].lstrip())
            yield _value(start, start + len(raw), raw, entry.group("key"), kind)
            continue
        text, shift = _unquote(value)
        if text:
            start = offset + entry.start("value") + shift
            yield _value(start, start + len(text), text, entry.group("key"), kind)


def _value(start: int, end: int, raw: str, key: str, kind: str) -> ManifestValue:
    """A value as written (``raw``) and as meant: decoded for ``data:``, a block scalar's lines dedented."""
    if kind == "data":
        return ManifestValue(start, end, raw, decode(raw), key, "base64")
    return ManifestValue(start, end, raw, "\n".join(line.strip() for line in raw.split("\n")), key, "")


def kubernetes_secret_values(text: str, secret_kind: re.Pattern[str]) -> Iterator[ManifestValue]:
    """Every ``data:`` and ``stringData:`` value of each Kubernetes Secret in ``text``: a YAML document that
    ``secret_kind`` (the rule's regex, ``kind: Secret``) matches in, or a JSON manifest (or ``List``) whose
    ``kind`` is ``Secret``."""
    if not secret_kind.search(text):
        return
    if text.lstrip().startswith("{"):
        yield from _json_values(text)
        return
    for base, document in _documents(text):
        if not secret_kind.search(document):
            continue
        lines, offset = [], base
        for line in document.split("\n"):
            lines.append((offset, line))
            offset += len(line) + 1
        for index, (_, line) in enumerate(lines):
            block = _BLOCK.match(line)
            if block:
                yield from _block_values(lines, index + 1, _width(line), block.group("kind"))


def _json_values(text: str) -> Iterator[ManifestValue]:
    """``data`` / ``stringData`` values of a JSON Secret manifest (or a ``List`` of them), located in the
    text by their key and quoted value."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return
    items = document.get("items", [document]) if isinstance(document, dict) else []
    for item in items:
        if not (isinstance(item, dict) and str(item.get("kind", "")).lower() == "secret"):
            continue
        for kind in ("data", "stringData"):
            block = item.get(kind)
            for key, value in (block.items() if isinstance(block, dict) else ()):
                if not isinstance(value, str) or not value:
                    continue
                found = re.search(rf'"{re.escape(key)}"\s*:\s*"({re.escape(json.dumps(value)[1:-1])})"', text)
                if found:
                    yield _value(found.start(1), found.end(1), found.group(1), key, kind)


#: Keys of a Secret's data that are not secret themselves (the rest of a connection's settings).
_PUBLIC_KEY = re.compile(r"(?i)(?:^|[._-])(?:user(?:name)?|login|email|host(?:name)?|port|database|db(?:name)?|"
                         r"name(?:space)?|region|endpoint|bucket|url|uri|ca[._-]?crt|tls[._-]?crt|[\w-]*\.crt)$")
_CERTIFICATE = re.compile(r"-----BEGIN [A-Z ]*CERTIFICATE-----")
_USER_PASSWORD = re.compile(r"^[^:\s/@]{1,64}:(?P<password>\S+)$")


def credential_part(value: ManifestValue) -> str | None:
    """What of a Secret's value is the credential to judge: the value, the password of a ``user:password``
    pair or of a Docker registry config, or None (a non-secret key, a certificate, a URL)."""
    if _PUBLIC_KEY.search(value.key):
        return None
    text = value.value.strip()
    if ("PRIVATE KEY" not in text and _CERTIFICATE.search(text)) or ("://" in text and "\n" not in text):
        return None
    if text.startswith("{"):
        return _registry_password(text)
    pair = _USER_PASSWORD.match(text)
    return pair.group("password") if pair else text


def _registry_password(text: str) -> str | None:
    """The password in a Docker registry config (``{"auths": {host: {"auth": base64("user:password")}}}``)."""
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return text
    auths = config.get("auths", config) if isinstance(config, dict) else None
    for entry in auths.values() if isinstance(auths, dict) else ():
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("password"), str):
            return entry["password"]
        if isinstance(entry.get("auth"), str):
            pair = _USER_PASSWORD.match(decode(entry["auth"]))
            return pair.group("password") if pair else None
    return None


#: Extractors by the name a rule's ``extract`` option gives.
EXTRACTORS: dict[str, Callable[[str, re.Pattern[str]], Iterator[ManifestValue]]] = {
    "kubernetes-secret": kubernetes_secret_values,
}
