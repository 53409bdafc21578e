"""Every example in every rule runs through the real engine: positives found, negatives not."""

from __future__ import annotations

import pytest

from scanner.rules import default_registry
from scanner.testing import check_example, examples_of


def _params():
    for rule in default_registry():
        for example in examples_of(rule):
            marks = [pytest.mark.xfail(strict=True, reason="known gap (todo_ example)")] if example.todo else []
            yield pytest.param(example, id=example.test_id, marks=marks)


@pytest.mark.parametrize("example", list(_params()))
def test_rule_example(example, registry):
    check_example(example, registry)


def test_every_rule_has_positive_and_negative_examples(registry):
    for rule in registry:
        assert rule.examples.positive and rule.examples.negative, rule.id
