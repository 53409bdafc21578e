"""Decoding helpers: which runs are decoded, where they are, and JWT claims."""

from __future__ import annotations

import base64
import json

from scanner.decoding import MAX_SEGMENTS, decode_base64, encoded_segments, jwt_claims


def test_base64_segment_has_the_offsets_of_the_encoded_run():
    blob = base64.b64encode(b'{"user": "svc", "note": "plain words, nothing secret"}').decode()
    text = f"x = '{blob}'\n"
    [segment] = list(encoded_segments(text))
    assert segment.encoding == "base64" and text[segment.start:segment.end] == blob
    assert "plain words" in segment.text


def test_urlsafe_base64_is_decoded():
    blob = base64.urlsafe_b64encode(b"\xfb\xff" + b"token=" + b"abc" * 12).decode()
    assert decode_base64(blob) is None  # starts with bytes that are not UTF-8
    blob = base64.urlsafe_b64encode(("é?" * 20).encode()).decode()
    assert "-" in blob or "_" in blob
    assert decode_base64(blob) == "é?" * 20


def test_hex_words_and_binary_are_not_decoded():
    text = "sha = '" + "ab12" * 16 + "'\nname = '" + "abcdefgh" * 5 + "'\n"
    assert list(encoded_segments(text)) == []
    assert decode_base64(base64.b64encode(bytes(range(200))).decode()) is None


def test_percent_encoded_run_is_decoded():
    text = "see https://x.test/cb?next=%2Fhome%3Fa%3D1 now"
    [segment] = list(encoded_segments(text))
    assert segment.encoding == "percent" and segment.text.endswith("next=/home?a=1")


def test_invalid_percent_sequence_is_skipped_not_raised():
    assert list(encoded_segments("x = '%ff%fe%00abc'")) == []


def test_segments_are_capped_per_artifact():
    blob = base64.b64encode(b"plain text that decodes fine!!").decode()
    text = "\n".join(f"v{i} = '{blob}'" for i in range(MAX_SEGMENTS + 50))
    assert len(list(encoded_segments(text))) == MAX_SEGMENTS


def test_jwt_claims_decodes_payload_only_when_json():
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    assert jwt_claims(f"{part({'alg': 'none'})}.{part({'role': 'anon'})}.sig") == {"role": "anon"}
    assert jwt_claims("a.b") is None
    assert jwt_claims(f"{part({'alg': 'none'})}.bm90IGpzb24.sig") is None
    assert jwt_claims(f"{part({'alg': 'none'})}.{part([1, 2])}.sig") is None
