"""The secrets detector answers an artifact it has seen before (same path, origin kind and text) from memory:
the same hits and the same recognised values, and never an answer meant for another path or origin."""

from __future__ import annotations

from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.detectors.secrets import SecretsDetector
from scanner.model import Artifact, Origin
from scanner.rules import default_registry
from scanner.testing import examples_of

REGISTRY = default_registry()


def _rule(rule_id: str):
    return next(r for r in REGISTRY if r.id == rule_id)


def _positives(rule_id: str) -> list[str]:
    """The texts of a rule's positive examples (placeholders expanded)."""
    return [text for e in examples_of(_rule(rule_id)) if e.expect_found and not e.todo for text in e.files.values()]


def _detect(detector: SecretsDetector, text: str, path: str, origin: Origin) -> tuple[list, set[str]]:
    ctx = Context(Artifact(path=path, text=text, kind="text", origin=origin), ProjectFacts(Config()))
    hits = detector.detect(ctx.artifact, ctx)
    return hits, ctx.recognised


def test_a_text_seen_in_another_commit_gets_the_same_hits_and_recognised_values():
    # the key ID and the secret access key of a credential pair: the pair's other half is recognised too
    text = next(t for t in _positives("aws-secret-access-key") if "AWS.Credentials" in t)
    detector = SecretsDetector([r for r in REGISTRY if r.kind == "secret"], Config())
    first = _detect(detector, text, "src/aws.js", Origin("history", commit="a" * 40))
    again = _detect(detector, text, "src/aws.js", Origin("history", commit="b" * 40))
    assert first[0] and first[1]
    assert again == first


def test_the_same_text_under_another_path_or_origin_is_scanned_again():
    text = _positives("pypirc-password")[0]  # a rule limited to .pypirc files by its paths option
    detector = SecretsDetector([_rule("pypirc-password")], Config())
    history = Origin("history", commit="c" * 40)
    assert _detect(detector, text, ".pypirc", history)[0]
    assert not _detect(detector, text, "notes.txt", history)[0]
    assert _detect(detector, text, ".pypirc", Origin("worktree"))[0]
    assert _detect(detector, text, ".pypirc", history)[0]
