"""The pipeline: sources -> index -> detectors -> filters -> suppressions -> dedupe -> history aggregation -> result.

Detectors only say what and where (a :class:`~scanner.detectors.base.Hit`); the engine turns a hit
into a :class:`~scanner.model.Finding`: severity and check from the rule (and configuration),
confidence, a redacted snippet, the secret's hash, a stable fingerprint and any suppression.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Protocol

from scanner.budget import FILE_SECONDS, BudgetExceeded, time_limit
from scanner.config import Config
from scanner.context import Context, Hit, ProjectFacts
from scanner.coverage import Coverage
from scanner.detectors.base import Detector
from scanner.filters import STILL_MASKED, false_positive_reason, path_confidence, string_block_lines
from scanner.history import aggregate_history
from scanner.model import Artifact, Finding, Location, Notice, Origin, Suppression, frozen_mapping
from scanner.redact import Redactor, mask, secret_hash, secret_sha1
from scanner.result import ScanResult
from scanner.rules import Registry
from scanner.sources import Source
from scanner.sources.files import artifact_kind, os_display_path
from scanner.suppress import inline_suppression

#: Longest snippet kept around a finding (minified bundles have megabyte-long lines).
SNIPPET_WIDTH = 160
#: Lines of context kept before and after a finding in its excerpt, and the most lines an excerpt holds.
EXCERPT_CONTEXT = 2
EXCERPT_MAX_LINES = 9
#: Lines above a secret hit that the false-positive filters see (a config block's name: ``algolia: {``).
FILTER_CONTEXT_LINES = 3


class Baseline(Protocol):
    """Known findings that should be reported as suppressed rather than new."""

    def match(self, finding: Finding) -> Suppression | None: ...


def _masked_lines(text: str, secrets: Iterable[str]) -> list[str]:
    """``text`` split into lines with every secret masked, multi-line secrets included.

    Masking runs on the whole text before splitting, so a secret that spans lines (a private key) can
    never leak line by line; the redaction keeps the secret's line breaks, so line numbers still match.
    """
    return mask(text, secrets).split("\n")


def _cut(line: str, column: int) -> str:
    """A masked line cut to ``SNIPPET_WIDTH`` characters around ``column``.

    Lines are masked before they are cut, so a cut can never leave half a secret in plain text.
    """
    line = line.rstrip("\r")
    if len(line) <= SNIPPET_WIDTH:
        return line
    start = max(0, column - 1 - SNIPPET_WIDTH // 3)
    end = start + SNIPPET_WIDTH
    return ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")


def _excerpt(masked: list[str], art: Artifact, hit: Hit) -> tuple[tuple[int, str], ...]:
    """Redacted lines around a hit, numbered as in the scanned file."""
    first = max(1, hit.span.line - EXCERPT_CONTEXT)
    last = min(len(masked), hit.span.end_line + EXCERPT_CONTEXT, first + EXCERPT_MAX_LINES - 1)
    return tuple((art.real_line(n), _cut(masked[n - 1], hit.span.column if n == hit.span.line else 1))
                 for n in range(first, last + 1))


def _normalise_code(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Engine:
    """Runs detectors for the enabled rules over artifacts from sources."""

    def __init__(self, registry: Registry, config: Config, detector_classes: Sequence[type[Detector]],
                 baseline: Baseline | None = None, only_rules: Iterable[str] | None = None, jobs: int = 1,
                 time_budget: float | None = FILE_SECONDS):
        self.registry = registry
        #: Seconds one file may take per pass (``scanner.budget``); None: no limit.
        self.time_budget = time_budget
        #: Worker processes for streaming detection (the index pass and indexed detectors stay in this process).
        self.jobs = jobs
        self.config = config
        self.baseline = baseline
        wanted = set(only_rules) if only_rules is not None else None
        enabled = [r for r in registry if r.id not in config.disable and (wanted is None or r.id in wanted)]
        self.detectors: list[Detector] = []
        for cls in detector_classes:
            rules = [r for r in enabled if cls.implements(r)]
            if rules:
                self.detectors.append(cls(rules, config))
        #: Detectors that need no project index (they may run in workers), and those that do.
        self.streaming = [d for d in self.detectors if not d.needs_index]
        self.indexing = [d for d in self.detectors if d.needs_index]
        self.rules_run = sorted(r.id for d in self.detectors for r in d.rules.values())
        self.filtered = Counter()
        self.applied: set[str] = set()
        self.applied_by: set[Detector] = set()
        #: Every secret value recognised in this scan (memory only): masked everywhere in the result.
        self.recognised: set[str] = set()
        #: What detectors examined and the evidence they saw, merged per finished artifact (workers' too).
        self.coverage = Coverage()

    def run(self, sources: Sequence[Source], root: str, source_names: Sequence[str]) -> ScanResult:
        started = datetime.now(timezone.utc)
        clock = time.perf_counter()
        facts = ProjectFacts(self.config)
        findings: list[Finding] = []
        deferred: deque[Context] = deque()
        notices: list[Notice] = []
        names: dict[str, Origin] = {}  # every artifact's path: file names are scanned for secrets too
        count = 0
        self.coverage = Coverage()
        if self.jobs > 1:
            count = self._detect_in_pool(sources, findings, notices,
                                         self._in_process(facts, findings, deferred, names))
        for source in () if self.jobs > 1 else sources:
            for art in source.artifacts():
                count += 1
                names.setdefault(art.path, art.origin)
                self._first_pass(Context(art, facts), findings, notices, deferred)
        while deferred:  # each artifact let go once detected (its routes and caches with it)
            ctx = deferred.popleft()
            names.setdefault(ctx.artifact.path, ctx.artifact.origin)
            findings.extend(self._detect(ctx, self.indexing))
            ctx.release()
            notices.extend(ctx.notices)
            self.coverage.merge(ctx.coverage)
        findings = _dedupe(findings)
        for source in sources:  # a source's own step over its findings (bundles: one per secret across files)
            refine = getattr(source, "refine", None)
            findings = refine(findings) if refine is not None else findings
        findings = self._aggregate_history(findings, sources)
        skipped = [n for s in sources for n in s.skipped] + notices
        warnings = [n for s in sources for n in s.warnings]
        names.update((n.path, Origin()) for n in skipped + warnings if n.path not in names)
        findings.extend(self._secrets_in_names(names, [f.origin.author for f in findings if f.origin.author]))
        redactor = Redactor(self.recognised)  # the last word: no recognised value anywhere in the result
        findings = _with_fingerprints([redactor.value(f) for f in findings])
        if self.baseline is not None:
            findings = [self._apply_baseline(f) for f in findings]
        findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
        return ScanResult(
            root=os_display_path(root)[0],  # a folder name that is not UTF-8 must not break a report
            registry=self.registry,
            config=self.config,
            findings=findings,
            skipped=redactor.value(skipped),
            warnings=redactor.value(warnings),
            sources=list(source_names),
            started_at=started.isoformat(timespec="seconds"),
            duration_seconds=round(time.perf_counter() - clock, 3),
            artifacts_scanned=count,
            rules_run=self.rules_run,
            rules_applied=sorted(self.applied),
            stats={"filtered": dict(sorted(self.filtered.items()))},
            evidence=redactor.value(self.coverage.evidence_by_check()),
            examined=redactor.value(self.coverage.examined_by_check()),
            tables=redactor.value({name: table for d in self.indexing for name, table in d.tables(facts).items()}),
        )

    def _first_pass(self, ctx: Context, findings: list[Finding], notices: list[Notice],
                    deferred: deque[Context]) -> None:
        """Streaming detection and the index pass on one artifact, sharing one Context (and so its parse,
        its recognised secrets and its coverage); an artifact an indexing detector wants is kept for its
        detect pass (and finished there)."""
        findings.extend(self._detect(ctx, self.streaming))
        if not _index(ctx, self.indexing, deferred, self.time_budget):
            notices.extend(ctx.notices)
            self.coverage.merge(ctx.coverage)

    def _in_process(self, facts: ProjectFacts, findings: list[Finding], deferred: deque[Context],
                    names: dict[str, Origin]) -> Callable[[Iterable[Artifact]], Iterator[Artifact]]:
        """A filter for artifacts on their way to the pool: those an indexing detector wants are scanned
        wholly in this process (every finding of an artifact must see every secret found in it)."""
        def keep_indexed(artifacts: Iterable[Artifact]) -> Iterator[Artifact]:
            for art in artifacts:
                names.setdefault(art.path, art.origin)
                ctx = Context(art, facts)
                if any(_reads(d, ctx) for d in self.indexing):
                    self._first_pass(ctx, findings, [], deferred)
                else:
                    yield art
        return keep_indexed

    def _secrets_in_names(self, names: dict[str, Origin], authors: list[str]) -> list[Finding]:
        """Secrets in file names (reported at that file) and in commit authors (masked wherever shown)."""
        secret_rules = [d for d in self.detectors if d.rule_kind == "secret"]
        findings = []
        for path, origin in sorted(names.items()):
            ctx = Context(Artifact(path=path, text=path, kind="text", origin=origin), ProjectFacts(self.config))
            for finding in self._detect(ctx, secret_rules):
                findings.append(replace(finding, message=f"{finding.message} in the file name"))
        for author in sorted(set(authors)):
            self._detect(Context(Artifact(path="", text=author, kind="text"), ProjectFacts(self.config)),
                         secret_rules)
        return findings

    def _detect_in_pool(self, sources: Sequence[Source], findings: list[Finding], notices: list[Notice],
                        index: Callable[[Iterable[Artifact]], Iterator[Artifact]]) -> int:
        """Streaming detection in worker processes (see ``scanner.parallel``) while ``index`` runs here;
        returns the artifact count."""
        from scanner.parallel import detect_in_pool  # multiprocessing: only for scans that fan out

        count = 0
        for source in sources:
            counted = _Counted(source.artifacts())
            for batch_findings, batch_notices in detect_in_pool(self, index(counted), self.jobs):
                findings.extend(batch_findings)
                notices.extend(batch_notices)
            count += counted.count
        return count

    def detect_streaming(self, artifacts: Iterable[Artifact]) -> tuple[list[Finding], list[Notice]]:
        """Run the detectors that need no project index over ``artifacts`` (a worker's share of a scan)."""
        facts = ProjectFacts(self.config)
        findings: list[Finding] = []
        notices: list[Notice] = []
        for art in artifacts:
            ctx = Context(art, facts)
            findings.extend(self._detect(ctx, self.streaming))
            notices.extend(ctx.notices)
            self.coverage.merge(ctx.coverage)
        return findings, notices

    def _aggregate_history(self, findings: list[Finding], sources: Sequence[Source]) -> list[Finding]:
        """One finding per secret per file across commits (sources with a ``head`` view scan history)."""
        head = next((s.head for s in sources if getattr(s, "head", None) is not None), None)
        if head is None:
            return findings

        def secrets_at_head(path: str) -> set[tuple[str, str]]:
            text = head.text(path)
            if text is None:
                return set()
            art = Artifact(path=path, text=text, kind=artifact_kind(path), origin=Origin("history"))
            filtered = self.filtered.copy()  # HEAD is re-read, not scanned: keep the statistics as they were
            found = self._detect(Context(art, ProjectFacts(self.config)), self.detectors)
            self.filtered = filtered
            return {(f.rule_id, f.secret_hash) for f in found if f.secret_hash}

        return aggregate_history(findings, head.path_at_head, secrets_at_head)

    def _apply_baseline(self, finding: Finding) -> Finding:
        if finding.suppression is not None:
            return finding
        suppression = self.baseline.match(finding)
        return replace(finding, suppression=suppression) if suppression else finding

    def _detect(self, ctx: Context, detectors: list[Detector]) -> list[Finding]:
        art = ctx.artifact
        hits: list[Hit] = []
        budget = _Budget(ctx, self.time_budget)
        for detector in detectors:
            if _reads(detector, ctx):
                if detector not in self.applied_by:  # its rules examined a file (once per detector, not per file)
                    self.applied_by.add(detector)
                    self.applied.update(detector.rules)
                if detector.examined_as:
                    for check in detector.checks:
                        ctx.examined(check, detector.examined_as)
                budget.run(detector, self._detect_into, hits, detector, ctx)
        ctx.recognised.update(h.secret for h in hits if h.secret)
        self.recognised |= ctx.recognised
        if not hits:
            return []
        lines = art.text.split("\n")
        masked = _masked_lines(art.text, ctx.recognised)
        return [self._finding(art, lines, masked, hit, ctx.recognised) for hit in hits]

    def _detect_into(self, hits: list[Hit], detector: Detector, ctx: Context) -> None:
        """Append ``detector``'s filtered hits on ``ctx`` to ``hits`` as they come (a file stopped by its time
        budget keeps the hits found in time)."""
        _guarded(ctx, detector, lambda art, c: self._filtered(detector.detect(art, c), c), into=hits)

    def _filtered(self, hits: Iterable[Hit], ctx: Context) -> Iterator[Hit]:
        """Drop hits a false-positive filter rejects, given the line each sits on (decoded hits were
        filtered on their decoded value); a dropped value that may still be a credential stays masked."""
        art = ctx.artifact
        lines: list[str] | None = None
        blocks: list[tuple[int, int, bool]] | None = None
        for hit in hits:
            checked = hit.secret and "encoding" not in hit.evidence
            reason = None
            if checked:
                lines = art.text.split("\n") if lines is None else lines
                number = hit.span.line
                line = lines[number - 1] if 0 < number <= len(lines) else ""
                above = "\n".join(lines[max(0, number - 1 - FILTER_CONTEXT_LINES):max(0, number - 1)])
                rule = self.registry.get(hit.rule_id)
                if blocks is None and rule.options.get("literal"):
                    blocks = string_block_lines(art.text)
                block = next((b for b in blocks or () if b[0] < number <= b[1]), None)
                reason = false_positive_reason(hit.secret, art.path, rule, line, hit.span.column - 1, above,
                                               block is not None, block is not None and block[2])
            if reason:
                self.filtered[reason] += 1
                if reason in STILL_MASKED:
                    ctx.recognise(hit.secret)
            else:
                yield hit

    def _finding(self, art: Artifact, lines: list[str], masked: list[str], hit: Hit, secrets: set[str]) -> Finding:
        rule = self.registry.get(hit.rule_id)
        span = hit.span
        snippet = _cut(masked[span.line - 1], span.column) if 0 < span.line <= len(masked) else ""
        hashed = secret_hash(hit.secret) if hit.secret else None
        location = Location(
            path=art.path,
            line=art.real_line(span.line),
            column=span.column,
            end_line=art.real_line(span.end_line),
            end_column=span.end_column,
            snippet=snippet,
            excerpt=_excerpt(masked, art, hit),
        )
        believed = rule.confidence if hit.confidence is None else hit.confidence
        confidence = path_confidence(art.path, believed)
        evidence = hit.evidence
        if hit.secret and confidence < believed:
            evidence = frozen_mapping({**evidence, "confidence_lowered": "test, example or documentation path"})
        return Finding(
            rule_id=rule.id,
            message=mask(hit.message or rule.title, secrets),
            location=location,
            origin=art.origin,
            severity=self.config.severity.get(rule.id, rule.severity if hit.severity is None else hit.severity),
            confidence=confidence,
            check=rule.check,
            fingerprint=hashed or hit.key or _normalise_code(snippet),  # identity; hashed below
            secret_hash=hashed,
            secret_sha1=secret_sha1(hit.secret) if hit.secret else None,
            evidence=evidence,
            suppression=inline_suppression(lines, span.line, rule.id, art.path),
        )


def _index(ctx: Context, indexing: list[Detector], deferred: deque[Context], time_budget: float | None) -> bool:
    """Run the index pass of every indexing detector that wants ``ctx``'s artifact; keep ``ctx`` for detect."""
    wanting = [d for d in indexing if _reads(d, ctx)]
    budget = _Budget(ctx, time_budget)
    for detector in wanting:
        budget.run(detector, _guarded, ctx, detector, lambda art, c, d=detector: d.index(art, c) or ())
    ctx.release()
    if wanting:
        deferred.append(ctx)
    return bool(wanting)


def _reads(detector: Detector, ctx: Context) -> bool:
    """``detector.reads(ctx.artifact)``, asked once per artifact: the engine asks in the index pass, the detect
    pass and (for a pool) when sorting artifacts, and some ``wants`` search the whole text."""
    answers: dict[int, bool] = ctx.cached("engine:reads", dict)
    key = id(detector)
    if key not in answers:
        answers[key] = detector.reads(ctx.artifact)
    return answers[key]


def _guarded(ctx: Context, detector: Detector, step: Callable[[Artifact, Context], Iterable[Hit] | None],
             into: list[Hit] | None = None) -> list[Hit]:
    """One detector's pass over one artifact, its hits (appended to ``into`` as they come) up to any failure.
    Whatever that file makes a parser or walker raise (too deep for Python's recursion limit, a libcst
    internal error on syntax it does not know) becomes a notice that the file was skipped by that check, and
    the scan goes on (``LAUNCHREADY_DEBUG=1`` re-raises, for a traceback). A time budget running out is a
    ``BaseException`` and passes through."""
    hits: list[Hit] = [] if into is None else into
    try:
        hits.extend(step(ctx.artifact, ctx) or ())
    except RecursionError:
        ctx.skip("too-deeply-nested", f"{type(detector).__name__}: too deeply nested to analyse; code checks skipped")
    except Exception as exc:  # one hostile file must not end the scan
        if os.environ.get("LAUNCHREADY_DEBUG"):
            raise
        ctx.skip("analysis-error", f"{type(detector).__name__} failed on this file ({type(exc).__name__}: "
                                   f"{str(exc)[:160]}); its other checks ran")
    return hits


class _Budget:
    """One pass over one file within ``seconds``: each detector gets what is left; past it, the file gets a
    ``time-budget`` notice and the pass goes on with the next file (see ``scanner.budget``)."""

    def __init__(self, ctx: Context, seconds: float | None):
        self.ctx = ctx
        self.seconds = seconds
        self.deadline = None if seconds is None else time.perf_counter() + seconds

    def run(self, detector: Detector, work: Callable[..., object], *args: object) -> None:
        """``work(*args)`` within what is left of the budget (``detector`` names it in the notice)."""
        left = None if self.deadline is None else self.deadline - time.perf_counter()
        try:
            if left is not None and left <= 0:
                raise BudgetExceeded
            with time_limit(left):
                work(*args)
        except BudgetExceeded:
            self.ctx.skip("time-budget", f"stopped after {self.seconds:g} s ({type(detector).__name__}): "
                                         "findings in this file may be incomplete")


class _Counted:
    """An iterator that counts what passes through it."""

    def __init__(self, items: Iterable[Artifact]):
        self._items = iter(items)
        self.count = 0

    def __iter__(self) -> Iterator[Artifact]:
        return self

    def __next__(self) -> Artifact:
        item = next(self._items)
        self.count += 1
        return item


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop exact repeats: same rule, place, identity, origin kind and commit (a source map's original file
    and the checked-in file of the same path are two facts)."""
    seen: set[tuple] = set()
    unique = []
    for f in findings:
        key = (f.rule_id, f.location.path, f.location.line, f.location.column, f.fingerprint, f.origin.kind,
               f.origin.commit)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _with_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Replace each finding's identity with sha256(rule, path, identity, occurrence index).

    No line numbers go in, so unrelated edits that move code do not make old findings "new"; the
    occurrence index tells apart the same code or secret repeated within one file.
    """
    occurrences: Counter[tuple[str, str, str]] = Counter()
    ordered = sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column))
    result = []
    for f in ordered:
        identity = (f.rule_id, f.location.path, f.fingerprint)
        index = occurrences[identity]
        occurrences[identity] += 1
        digest = hashlib.sha256("\0".join([*identity, str(index)]).encode("utf-8", "surrogatepass"))
        result.append(replace(f, fingerprint=digest.hexdigest()))
    return result
