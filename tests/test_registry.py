"""Rule loading is strict, and every rule has exactly one implementation."""

from __future__ import annotations

import textwrap

import pytest

from scanner.detectors import DETECTORS
from scanner.rules import RuleError, load_rules

GOOD = """
id: demo-rule
kind: secret
provider: Demo
title: Demo key
severity: high
check: secrets
cwe: [CWE-798]
description: Finds demo keys.
remediation: Rotate it.
regex: '(?P<secret>demo_[a-z]{8})'
keywords: [demo_]
examples:
  positive: ['demo_{lower:8}']
  negative: ['nothing here']
"""


def _load(tmp_path, text):
    (tmp_path / "rule.yaml").write_text(textwrap.dedent(text))
    return load_rules(tmp_path)


def test_valid_rule_loads(tmp_path):
    registry = _load(tmp_path, GOOD)
    assert [r.id for r in registry] == ["demo-rule"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("title: Demo key", ""), "missing required key"),
        (("severity: high", "severity: urgent"), "unknown severity"),
        (("check: secrets", "check: vibes"), "check must be one of"),
        (("id: demo-rule", "id: Demo_Rule"), "kebab-case"),
        (("(?P<secret>demo_[a-z]{8})", "demo_[a-z]{8}"), "named group"),
        (("(?P<secret>demo_[a-z]{8})", "(?P<secret>demo_[a-z"), "does not compile"),
        (("keywords: [demo_]", "keywords: [demo_]\ncolour: blue"), "unknown key"),
        (("  negative: ['nothing here']", "  negative: []"), "at least one"),
        (("cwe: [CWE-798]", "cwe: [798]"), "CWE ids"),
        (("kind: secret", "kind: magic"), "kind must be one of"),
    ],
)
def test_malformed_rule_fails_loudly(tmp_path, change, message):
    with pytest.raises(RuleError, match=message) as info:
        _load(tmp_path, GOOD.replace(*change))
    assert "rule.yaml" in str(info.value)


def test_duplicate_ids_fail(tmp_path):
    (tmp_path / "a.yaml").write_text(textwrap.dedent(GOOD))
    (tmp_path / "b.yaml").write_text(textwrap.dedent(GOOD))
    with pytest.raises(RuleError, match="duplicate rule id"):
        load_rules(tmp_path)


def test_not_yaml_fails(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: [unclosed")
    with pytest.raises(RuleError, match="cannot load"):
        load_rules(tmp_path)


def test_every_rule_has_exactly_one_detector(registry):
    for rule in registry:
        owners = [d.__name__ for d in DETECTORS if d.implements(rule)]
        assert len(owners) == 1, f"{rule.id} is implemented by {owners or 'nothing'}"


def test_every_implemented_rule_id_has_a_rule_file(registry):
    for detector in DETECTORS:
        for rule_id in detector.rule_ids:
            assert rule_id in registry, f"{detector.__name__} implements {rule_id}, which has no rule file"


def test_paths_and_allow_options(tmp_path):
    from scanner.testing import Example, check_example

    rule = GOOD.replace("keywords: [demo_]", "keywords: [demo_]\npaths: ['*.cfg']\nallow: ['^demo_aaaa']")
    registry = _load(tmp_path, rule)
    check_example(Example("demo-rule", True, False, {"x.cfg": "k = demo_qzkwmxpt"}), registry)
    check_example(Example("demo-rule", False, False, {"x.py": "k = demo_qzkwmxpt"}), registry)
    check_example(Example("demo-rule", False, False, {"x.cfg": "k = demo_aaaabbbb"}), registry)
