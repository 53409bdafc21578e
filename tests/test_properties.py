"""Property tests (hypothesis): the components that read untrusted text never crash and keep their
invariants. The "never crashes" properties run the same targets as the coverage-guided fuzzer
(``fuzz/targets.py``, ``make fuzz``); the others check round trips and equivalences."""

from __future__ import annotations

import base64
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import targets
from scanner.context import Hit, Span
from scanner.decoding import encoded_segments
from scanner.detectors.secrets import resolve_overlaps
from scanner.filters import is_generic
from scanner.rules import default_registry
from scanner.sources.git import FilePatch, parse_patch

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Text that looks like what the scanner reads: code-ish characters, keywords, quotes, escapes, newlines.
_WORDS = st.sampled_from(["api_key", "secret", "token", "password", "pwd", "curl -u ", "=", ": ", '"', "'", "%41",
                          "%4", "https://", "@", "AKIA", "sk_live_", "eyJ", ".", "\n", "\\\n", " "])
code_text = st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=60).map("".join)
raw_bytes = st.binary(max_size=2048)


@SETTINGS
@given(st.one_of(code_text.map(str.encode), raw_bytes))
def test_secrets_engine_never_crashes(data):
    targets.secrets_engine(data)


@SETTINGS
@given(st.one_of(code_text.map(str.encode), raw_bytes))
def test_decoders_never_crash(data):
    targets.decoders(data)


@SETTINGS
@given(st.one_of(code_text.map(str.encode), raw_bytes))
def test_filters_never_crash(data):
    targets.filters(data)


@SETTINGS
@given(st.text(targets.SECRET_ALPHABET, min_size=16, max_size=96), st.text(max_size=200))
def test_redaction_leaves_no_slice_of_a_planted_secret(secret, filler):
    targets.redaction(secret.encode() + b" " * (96 - len(secret)) + filler.encode())


@SETTINGS
@given(raw_bytes)
def test_patch_parser_never_crashes(data):
    targets.patch_parser(data)


@SETTINGS
@given(st.one_of(code_text.map(str.encode), st.binary(max_size=512)))
def test_python_parser_falls_back_with_a_notice(data):
    targets.python_parser(data)


@SETTINGS
@given(st.one_of(code_text.map(str.encode), st.binary(max_size=512)))
def test_javascript_parser_never_crashes(data):
    targets.javascript_parser(data)


_LINE = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\0", b""))


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 50), st.lists(_LINE, min_size=1, max_size=5)), min_size=1, max_size=5))
def test_patch_parser_reads_back_the_added_lines_of_a_generated_patch(hunks):
    """A ``-U0`` patch built from hunks (each: a start line, the added lines) yields exactly those lines."""
    lines, expected, numbers, start = [b"diff --git a/f.txt b/f.txt", b"--- a/f.txt", b"+++ b/f.txt"], [], [], 0
    for gap, added in hunks:
        start += gap
        lines.append(b"@@ -%d,0 +%d,%d @@" % (start, start, len(added)))
        lines.extend(b"+" + line for line in added)
        expected.extend(added)
        numbers.extend(range(start, start + len(added)))
        start += len(added)
    (patch,) = [item for item in parse_patch(lines, 1 << 20) if isinstance(item, FilePatch)]
    assert patch.path == b"f.txt"
    assert patch.lines == expected
    assert patch.line_numbers == numbers


_PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=24, max_size=200)


@SETTINGS
@given(_PRINTABLE)
def test_base64_blobs_decode_back_to_their_text(plain):
    blob = base64.b64encode(plain.encode()).decode()
    if blob.rstrip("=").isalpha() or not any(c.isdigit() or c in "+/" for c in blob):
        return  # a run of letters only reads as a word, not as base64 (by design)
    segments = list(encoded_segments(f'value = "{blob}"\n'))
    assert [(s.encoding, s.text) for s in segments] == [("base64", plain)]


@SETTINGS
@given(_PRINTABLE.filter(lambda s: quote(s, safe="") != s))  # "-._~" and alphanumerics are never encoded
def test_percent_encoded_runs_decode_back_to_their_text(plain):
    encoded = quote(plain, safe="")
    segments = [s for s in encoded_segments(f"url {encoded}\n") if s.encoding == "percent"]
    assert [s.text for s in segments] == [plain]


def _pairwise(hits, rules):
    """The original definition of overlap resolution: every pair of hits on a line compared."""
    def rank(hit):
        rule = rules[hit.rule_id]
        return (not is_generic(rule), int(rule.severity))

    def overlaps(a, b):
        return (a.span.line, a.span.column) < (b.span.end_line, b.span.end_column) and \
            (b.span.line, b.span.column) < (a.span.end_line, a.span.end_column)

    return [hit for hit in hits if not (is_generic(rules[hit.rule_id]) and any(
        other is not hit and overlaps(hit, other) and rank(other) > rank(hit) for other in hits))]


_RULES = {rule.id: rule for rule in default_registry().of_kind("secret")}
_RULE_IDS = st.sampled_from(["generic-secret-assignment", "generic-password-assignment", "url-basic-auth",
                             "stripe-secret-key", "aws-secret-access-key", "github-token"])


@st.composite
def _hits(draw):
    line, column = draw(st.integers(1, 4)), draw(st.integers(1, 30))
    end_line = line + draw(st.integers(0, 1))
    end_column = draw(st.integers(column + 1 if end_line == line else 1, 40))
    return Hit(rule_id=draw(_RULE_IDS), span=Span(line, column, end_line, end_column))


@SETTINGS
@given(st.lists(_hits(), max_size=12))
def test_overlap_resolution_matches_the_pairwise_definition(hits):
    assert resolve_overlaps(hits, _RULES) == _pairwise(hits, _RULES)
