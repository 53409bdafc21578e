"""Run a rule's own examples through the real engine; the test suite builds one test per example.

Examples may hold placeholders such as ``{alnum:24}`` that expand, from a generator seeded by the
rule id, into random characters. The repository therefore holds no key-shaped strings, and a
self-scan stays clean, while the tests see realistic secrets.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.config import Config
from scanner.engine import Engine
from scanner.model import Artifact, Finding, Notice, Origin, Rule
from scanner.rules import Registry
from scanner.sources.files import artifact_kind

ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digits": string.digits,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "upperalnum": string.ascii_uppercase + string.digits,
    "loweralnum": string.ascii_lowercase + string.digits,
    "base64": string.ascii_letters + string.digits + "+/",
    "urlsafe": string.ascii_letters + string.digits + "-_",
    "base32": string.ascii_uppercase + "234567",
}
PLACEHOLDER = re.compile(r"\{(" + "|".join(ALPHABETS) + r"):(\d+)\}")
DEFAULT_PATHS = {"secret": "src/settings.txt", "code": "app.py", "semgrep": "app.py"}


def expand(text: str, seed: str) -> str:
    """Replace each ``{alphabet:N}`` with N random characters from that alphabet (deterministic)."""
    rng = random.Random(seed)
    return PLACEHOLDER.sub(lambda m: "".join(rng.choice(ALPHABETS[m.group(1)]) for _ in range(int(m.group(2)))),
                           text)


@dataclass(frozen=True)
class Example:
    """One example of a rule: the files it consists of and what the rule should say about them."""

    rule_id: str
    expect_found: bool
    todo: bool
    files: Mapping[str, str]
    line: int | None = None
    message: str | None = None
    index: int = 0

    @property
    def test_id(self) -> str:
        label = ("todo-" if self.todo else "") + ("positive" if self.expect_found else "negative")
        return f"{self.rule_id}:{label}:{self.index}"


def examples_of(rule: Rule) -> Iterator[Example]:
    """Every example of a rule, expanded and ready to run."""
    groups = (
        (rule.examples.positive, True, False),
        (rule.examples.negative, False, False),
        (rule.examples.todo_positive, True, True),
        (rule.examples.todo_negative, False, True),
    )
    for items, found, todo in groups:
        for index, raw in enumerate(items):
            seed = f"{rule.id}:{found}:{todo}:{index}"
            yield _example(rule, raw, found, todo, index, seed)


def _example(rule: Rule, raw: Any, found: bool, todo: bool, index: int, seed: str) -> Example:
    if isinstance(raw, str):
        files = {DEFAULT_PATHS[rule.kind]: raw}
        return Example(rule.id, found, todo, {p: expand(t, seed) for p, t in files.items()}, index=index)
    files = dict(raw["files"]) if "files" in raw else {raw.get("path", DEFAULT_PATHS[rule.kind]): raw["code"]}
    return Example(rule.id, found, todo, {p: expand(t, seed) for p, t in files.items()},
                   line=raw.get("line"), message=raw.get("message"), index=index)


@dataclass
class MemorySource:
    """Artifacts from an in-memory mapping of path -> text."""

    files: Mapping[str, str]
    origin: Origin = field(default_factory=Origin)
    skipped: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    def artifacts(self) -> Iterator[Artifact]:
        for path, text in self.files.items():
            yield Artifact(path=path, text=text, kind=artifact_kind(path), origin=self.origin)


def run_example(example: Example, registry: Registry) -> list[Finding]:
    """Unsuppressed findings of the example's rule when its files are scanned by the real engine. A detector
    that fails on an example fails the example (a crash must never pass as "no finding")."""
    from scanner.detectors import DETECTORS

    engine = Engine(registry, Config(), DETECTORS, only_rules=[example.rule_id])
    result = engine.run([MemorySource(example.files)], root="<example>", source_names=["example"])
    failures = [f"{n.path}: {n.detail}" for n in result.skipped if n.reason == "analysis-error"]
    assert not failures, f"{example.test_id}: a detector failed: " + "; ".join(failures)
    return [f for f in result.active if f.rule_id == example.rule_id]


def check_example(example: Example, registry: Registry) -> None:
    """Raise AssertionError when the rule does not behave as the example says."""
    findings = run_example(example, registry)
    if not example.expect_found:
        assert not findings, f"{example.test_id}: expected no finding, got " + "; ".join(
            f"{f.location.path}:{f.location.line} {f.message}" for f in findings)
        return
    assert findings, f"{example.test_id}: expected a finding, got none"
    if example.line is not None:
        lines = sorted(f.location.line for f in findings)
        assert example.line in lines, f"{example.test_id}: expected a finding on line {example.line}, got {lines}"
    if example.message is not None:
        messages = [f.message for f in findings]
        assert any(example.message in m for m in messages), (
            f"{example.test_id}: expected a message containing {example.message!r}, got {messages}")
