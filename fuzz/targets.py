"""Fuzz targets: one function per component that reads untrusted text, taking raw bytes.

Each must return normally for every input (a skip notice is fine, an exception is a crash) and checks the
component's own invariants. ``fuzz/run.py`` drives them with atheris (coverage-guided, ``make fuzz``);
``tests/test_properties.py`` drives them with hypothesis in the test suite.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import cache

from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.model import Artifact

#: Characters a planted secret is made of in the redaction target (none occur in a redacted stand-in's
#: fixed text, so finding the secret in masked text is a leak, not a coincidence).
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/_-"


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _context(path: str, text: str) -> Context:
    return Context(Artifact(path=path, text=text, kind="text"), ProjectFacts(Config()))


@cache
def _secrets_detector():
    from scanner.detectors.secrets import SecretsDetector
    from scanner.rules import default_registry

    return SecretsDetector(default_registry().of_kind("secret"), Config())


def secrets_engine(data: bytes) -> None:
    """Every secret rule, decoding and overlap resolution over arbitrary text; a reported secret is in it."""
    text = _text(data)
    ctx = _context(".env", text)
    for hit in _secrets_detector().detect(ctx.artifact, ctx):
        assert hit.secret, hit.rule_id
        if "encoding" not in hit.evidence:
            assert hit.secret in text, hit.rule_id
        assert 1 <= hit.span.line <= hit.span.end_line <= text.count("\n") + 1


def decoders(data: bytes) -> None:
    """Base64 and percent decoding, JWT claims: segments lie in the text and decode to what they claim."""
    from urllib.parse import unquote

    from scanner.decoding import decode_base64, encoded_segments, jwt_claims

    text = _text(data)
    for segment in encoded_segments(text):
        assert 0 <= segment.start < segment.end <= len(text)
        encoded = text[segment.start:segment.end]
        if segment.encoding == "base64":
            assert decode_base64(encoded) == segment.text
        else:
            assert unquote(encoded, errors="strict") == segment.text
    claims = jwt_claims(text.strip())
    assert claims is None or isinstance(claims, dict)


def filters(data: bytes) -> None:
    """The false-positive filters on any value and path (the first line is the path, the rest the value)."""
    from scanner.filters import false_positive_reason
    from scanner.rules import default_registry

    path, _, secret = _text(data).partition("\n")
    for rule in (None, default_registry().get("generic-secret-assignment")):
        reason = false_positive_reason(secret, path, rule)
        assert reason is None or isinstance(reason, str)


def redaction(data: bytes) -> None:
    """No 12-character slice of a planted secret survives masking, by ``mask`` or by ``Redactor``."""
    from scanner.redact import Redactor, mask

    secret = "".join(c for c in _text(data[:96]) if c in SECRET_ALPHABET)
    if len(secret) < 16:
        return
    filler = "".join(c for c in _text(data[96:]) if c not in SECRET_ALPHABET)
    # apart, and overlapping: ``tail`` starts inside ``secret`` and runs past its end (two recognised values
    # sharing characters are masked as one run, so neither shows in part)
    tail = secret[len(secret) // 2:] + secret[::-1][:8]
    secrets = list(dict.fromkeys([secret, secret[::-1], tail]))
    text = filler + " " + secret + " " + filler + " " + secret[::-1] + "\n" + secret + " " + filler \
        + " " + secret + secret[::-1][:8] + " " + filler
    for masked in (mask(text, secrets), Redactor(secrets).text(text)):
        for value in secrets:
            for start in range(len(value) - 11):
                assert value[start:start + 12] not in masked


def patch_parser(data: bytes) -> None:
    """The ``git log -p -U0`` reader on arbitrary bytes: every file's lines and line numbers pair up."""
    from scanner.sources.git import FilePatch, parse_patch

    for item in parse_patch(data.split(b"\n"), 4096, header=b"\x01commit ", preamble=True):
        if isinstance(item, FilePatch):
            assert len(item.lines) == len(item.line_numbers)
            assert not (item.too_large and item.lines)
            assert sum(map(len, item.lines)) <= 4096


def python_parser(data: bytes) -> None:
    """libcst on arbitrary text: a module, or None with a skip notice."""
    from scanner.lang.python.parse import parse_python

    ctx = _context("app.py", _text(data))
    assert parse_python(ctx) is not None or ctx.notices


def javascript_parser(data: bytes) -> None:
    """tree-sitter on arbitrary text, in each dialect: a tree whose nodes can all be walked."""
    from scanner.lang.javascript.parse import parse_js

    text = _text(data)
    for path in ("app.js", "app.ts", "app.tsx"):
        tree = parse_js(_context(path, text))
        for _ in tree.walk():
            pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "secrets": secrets_engine,
    "decoders": decoders,
    "filters": filters,
    "redaction": redaction,
    "patch": patch_parser,
    "python": python_parser,
    "javascript": javascript_parser,
}
