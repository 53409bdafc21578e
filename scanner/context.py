"""What a detector receives and returns: spans, hits, the per-artifact Context and the project's facts."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from scanner.config import Config
from scanner.coverage import Coverage
from scanner.model import Artifact, Confidence, Notice, Severity, frozen_mapping

T = TypeVar("T")


class Span(NamedTuple):
    """A 1-based region of an artifact's text (end column is exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Hit:
    """What a detector reports. ``secret`` is the raw value: it never leaves the engine."""

    rule_id: str
    span: Span
    message: str | None = None
    secret: str | None = None
    #: Identity of the finding for its fingerprint when there is no secret (normalised matched code).
    key: str | None = None
    confidence: Confidence | None = None
    evidence: Mapping[str, Any] = field(default_factory=frozen_mapping)
    #: Overrides the rule's severity for this hit (e.g. a route that touches user data); config still wins.
    severity: Severity | None = None


@dataclass
class ProjectFacts:
    """What the index pass learned about the whole project, one namespace per detector.

    Facts steer detection only. What the scorecard shows (evidence, what was examined) goes through
    the artifact's :class:`Context` instead, so it survives worker processes.
    """

    config: Config
    buckets: dict[str, Any] = field(default_factory=dict)
    #: Called whenever a pass over an artifact ends (:meth:`Context.release`): a fact that caches what it can
    #: rebuild (the JS/TS module graph's parsed trees) trims itself there, between files.
    on_release: list[Callable[[], None]] = field(default_factory=list)

    def bucket(self, name: str, factory: Callable[[], T]) -> T:
        """The shared object stored under ``name``, created by ``factory`` on first use."""
        if name not in self.buckets:
            self.buckets[name] = factory()
        return self.buckets[name]


class Context:
    """Per-artifact helpers for detectors: positions, parse caches, and making hits."""

    def __init__(self, artifact: Artifact, facts: ProjectFacts):
        self.artifact = artifact
        self.facts = facts
        #: What a detector could not read in this artifact (e.g. a syntax error), reported as skipped.
        self.notices: list[Notice] = []
        #: Every secret value recognised in this artifact, by any detector in any pass: masked in every
        #: snippet, excerpt and message of every finding of this artifact (raw values, memory only).
        self.recognised: set[str] = set()
        #: What detectors examined in this artifact and the evidence they saw, for the scorecard
        #: (merged by the engine when the artifact is done, in whichever process scanned it).
        self.coverage = Coverage()
        self._line_starts: list[int] | None = None
        self._cache: dict[str, Any] = {}
        self._transient: set[str] = set()

    def skip(self, reason: str, detail: str) -> None:
        """Report that this artifact could not be analysed (once per reason), e.g. ``("syntax-error", ...)``."""
        if all(n.reason != reason for n in self.notices):
            self.notices.append(Notice(self.artifact.path, reason, detail))

    def recognise(self, value: str) -> None:
        """Mark ``value`` as a secret to mask, whether or not a finding reports it (e.g. the other half
        of a credential pair, or a value whose finding a rule resolved in favour of another)."""
        if value:
            self.recognised.add(value)

    def evidence(self, check: str, text: str) -> None:
        """Record that this artifact shows ``check`` is met, in words the scorecard prints as they are:
        ``ctx.evidence("tls", "SECURE_SSL_REDIRECT = True in settings.py")``. Say only what was seen
        (how many of how many, where); an absence of findings is not evidence."""
        self.coverage.add_evidence(check, self.artifact.path, text)

    def examined(self, check: str, what: str, count: int = 1) -> None:
        """Record that ``count`` items of kind ``what`` (singular: "Flask route", "agent tool", "file")
        in this artifact were examined for ``check``: the scorecard's "no issue found in 14 Flask routes"."""
        self.coverage.add_examined(check, what, self.artifact.path, count)

    @property
    def config(self) -> Config:
        return self.facts.config

    def cached(self, key: str, factory: Callable[[], T], transient: bool = False) -> T:
        """Parse once per artifact: ``ctx.cached("libcst", lambda: parse(...))``. A ``transient`` value (a tree
        nothing in the project facts points into) is dropped by :meth:`release` when a pass over the artifact
        ends, so artifacts kept between the index and detect passes do not keep their trees."""
        if key not in self._cache:
            self._cache[key] = factory()
            if transient:
                self._transient.add(key)
        return self._cache[key]

    def keep(self, key: str) -> None:
        """Keep the cached ``key`` past :meth:`release` after all: something that lives for the whole scan (the
        JS/TS module graph) holds the value, so dropping it here would free nothing and cost a second parse."""
        self._transient.discard(key)

    def release(self) -> None:
        """Drop transient cached values (the engine calls this after each pass over the artifact) and let the project's
        facts trim their caches."""
        for key in self._transient:
            self._cache.pop(key, None)
        self._transient.clear()
        self._line_starts = None  # a Python int per line; cheap to rebuild for the next pass
        for trim in self.facts.on_release:
            trim()

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset in the artifact's text."""
        if self._line_starts is None:
            text = self.artifact.text
            starts = [0]
            index = text.find("\n")
            while index != -1:
                starts.append(index + 1)
                index = text.find("\n", index + 1)
            self._line_starts = starts
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of the character offsets ``[start, end)``."""
        line, column = self.position(start)
        end_line, end_column = self.position(max(end, start))
        return Span(line, column, end_line, end_column)

    def finding(self, rule_id: str, span: Span, *, message: str | None = None, secret: str | None = None,
                key: str | None = None, confidence: Confidence | None = None, severity: Severity | None = None,
                **evidence: Any) -> Hit:
        return Hit(rule_id, span, message, secret, key, confidence, frozen_mapping(evidence), severity)
