"""The Kubernetes Secret extractor: which values it reads, where they are, and what of them is judged."""

from __future__ import annotations

import base64

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters import get_reporter
from scanner.rules import RuleError, default_registry, parse_rule
from scanner.secrets_manifests import ManifestValue, credential_part, decode, kubernetes_secret_values
from scanner.testing import MemorySource
from tests.conftest import fake_key

#: The rule's regex: which documents are Kubernetes Secrets.
KIND = default_registry().get("kubernetes-secret-manifest").options["regex"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def values(text: str) -> list[ManifestValue]:
    return list(kubernetes_secret_values(text, KIND))


def test_data_values_are_decoded_and_located_where_written():
    token = b64("q7Zr2x9LmT4vW8pK")
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  token: \"{token}\"\n  # a comment\n  username: {b64('deploy')}\n"
    found = values(text)
    assert [(v.key, v.value, v.encoding) for v in found] == [("token", "q7Zr2x9LmT4vW8pK", "base64"),
                                                             ("username", "deploy", "base64")]
    assert text[found[0].start:found[0].end] == token


def test_string_data_block_scalars_tabs_and_kind_after_data():
    text = ("apiVersion: v1\ndata:\n\tkey.pem: |\n\t\tAAAA\n\t\tBBBB\n"
            "stringData:\n\tpassword: 'Zx8!kq2Lw'\nkind: 'secret'\n")
    found = values(text)
    assert [(v.key, v.value) for v in found] == [("key.pem", "AAAABBBB"), ("password", "Zx8!kq2Lw")]
    assert all(text[v.start:v.end] == v.raw for v in found)  # as written: masking finds it in the file
    assert found[0].raw == "AAAA\n\t\tBBBB"
    assert found[1].encoding == ""


def test_only_secret_documents_are_read():
    text = ("kind: ConfigMap\ndata:\n  a: b\n---\nkind: Secret\ndata:\n  c: ZA==\n---\n"
            "kind: SealedSecret\ndata:\n  e: f\n")
    assert [v.key for v in values(text)] == ["c"]
    assert values("kind: ExternalSecret\nspec:\n  data:\n    - secretKey: x\n") == []


def test_json_manifest_and_list():
    token = b64("Tq9!x2ZpLm0w")
    text = '{"kind": "List", "items": [{"kind": "Secret", "data": {"token": "' + token + '"}}]}'
    assert [(v.key, v.value) for v in values(text)] == [("token", "Tq9!x2ZpLm0w")]


def test_binary_content_is_judged_as_its_base64():
    blob = base64.b64encode(bytes(range(200, 232))).decode()
    assert decode(blob) == blob


def test_credential_part():
    def part(value: str, key: str = "password") -> str | None:
        return credential_part(ManifestValue(0, 0, value, value, key, ""))

    assert part("deploy:Zx8!kq2Lw") == "Zx8!kq2Lw"
    assert part("anything", key="username") is None
    assert part("postgres://u:p@db:5432/app", key="url-for-app") is None
    assert part("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----") is None
    config = '{"auths": {"registry.acme.io": {"auth": "' + b64("ci:Hq2!zP0wLx") + '"}}}'
    assert part(config, key=".dockerconfigjson") == "Hq2!zP0wLx"


def test_unknown_extractor_is_a_rule_error():
    rule = {"id": "x-rule", "kind": "secret", "provider": "Generic", "title": "t", "severity": "high",
            "check": "secrets", "description": "d", "remediation": "r", "regex": "(?P<secret>kind)",
            "keywords": ["kind"], "extract": "helm-values", "examples": {"positive": ["a"], "negative": ["b"]}}
    with pytest.raises(RuleError, match="extract"):
        parse_rule(rule, "test.yaml")


@pytest.mark.parametrize("fmt", ["json", "sarif", "html", "text"])
def test_a_block_scalar_value_never_leaks_line_by_line(registry, fmt):
    """A value written over several lines is reported as written, so every report masks all of it."""
    first, second = fake_key("", 64, seed=11), fake_key("", 64, seed=12)
    manifest = f"apiVersion: v1\nkind: Secret\ndata:\n  tls.key: |\n    {first}\n    {second}\n"
    engine = Engine(registry, Config(), DETECTORS)
    result = engine.run([MemorySource({"deploy/tls.yaml": manifest})], root="/x", source_names=["test"])
    assert [f.rule_id for f in result.findings] == ["kubernetes-secret-manifest"]
    output = get_reporter(fmt, verbose=True).render(result)
    assert first not in output and second not in output
