"""Streaming detection across CPU cores for large scans, with bounded memory.

The engine hands every artifact to :class:`StreamingDetection`. The first ``PARALLEL_AFTER_BYTES`` of
text are scanned in this process, so small scans (the pre-commit hook, a single app) never pay a
pool's start-up. Past that, artifacts are batched into chunks of about ``CHUNK_BYTES`` and sent to a
pool of forked workers; at most two chunks per worker are in flight, so memory stays bounded however
large the tree. Workers are forked from the engine's process and so inherit its detectors with rules
already compiled (nothing to pickle or load again); only artifacts go out and findings come back.
Where ``fork`` is unavailable (not Linux) or ``jobs`` is 1, everything runs in this process.
"""

from __future__ import annotations

import os
import sys
from collections import Counter, deque
from dataclasses import replace
from typing import TYPE_CHECKING

from scanner.detectors.base import Context, Detector, ProjectFacts
from scanner.model import Artifact, Finding, Notice, frozen_mapping

if TYPE_CHECKING:  # multiprocessing is imported only when a pool starts: small scans stay light
    from concurrent.futures import Future, ProcessPoolExecutor

    from scanner.engine import Engine

#: Text scanned in-process before the pool starts (a pool costs ~100 ms to start).
PARALLEL_AFTER_BYTES = 16 * 1024 * 1024
#: Text per chunk sent to a worker.
CHUNK_BYTES = 4 * 1024 * 1024
#: Chunks in flight per worker: enough to keep workers busy, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 2

#: The engine a forked worker inherits (set in the parent just before the pool forks).
_ENGINE: Engine | None = None
_DETECTORS: list[Detector] = []


def default_jobs() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _portable(finding: Finding) -> Finding:
    """A finding that pickles (read-only mappings do not)."""
    return replace(finding, evidence=dict(finding.evidence))


def _detect_chunk(artifacts: list[Artifact]) -> tuple[list[Finding], list[Notice], Counter, dict[str, list[str]]]:
    """Worker side: streaming detection of one chunk; returns findings, notices, filter counts, positives."""
    engine = _ENGINE
    assert engine is not None, "worker started without an engine"
    engine.filtered = Counter()
    facts = ProjectFacts(engine.config)
    findings: list[Finding] = []
    notices: list[Notice] = []
    for art in artifacts:
        ctx = Context(art, facts)
        findings.extend(_portable(f) for f in engine.detect_artifact(ctx, _DETECTORS))
        notices.extend(ctx.notices)
    return findings, notices, engine.filtered, facts.positive


class StreamingDetection:
    """Runs the streaming detectors over every artifact, in this process or in a pool of workers."""

    def __init__(self, engine: Engine, detectors: list[Detector], facts: ProjectFacts, jobs: int):
        self.engine = engine
        self.detectors = detectors
        self.facts = facts
        self.jobs = jobs if sys.platform.startswith("linux") else 1
        self.findings: list[Finding] = []
        self.notices: list[Notice] = []
        self._seen_bytes = 0
        self._chunk: list[Artifact] = []
        self._chunk_bytes = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[Future] = deque()
        #: Worker processes used (0: everything ran in this process).
        self.workers = 0

    def submit(self, ctx: Context) -> None:
        """Detect in ``ctx``'s artifact now (in-process) or queue it for a worker."""
        if not self.detectors:
            return
        size = len(ctx.artifact.text)
        self._seen_bytes += size
        if self._pool is None and self.jobs > 1 and self._seen_bytes > PARALLEL_AFTER_BYTES:
            self._start_pool()
        if self._pool is None:
            self.findings.extend(self.engine.detect_artifact(ctx, self.detectors))
            return
        self._chunk.append(ctx.artifact)
        self._chunk_bytes += size
        if self._chunk_bytes >= CHUNK_BYTES:
            self._send()

    def finish(self) -> None:
        """Wait for every chunk and shut the pool down."""
        if self._pool is None:
            return
        if self._chunk:
            self._send()
        while self._pending:
            self._collect(self._pending.popleft())
        self._pool.shutdown()
        self._pool = None

    def _start_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _ENGINE, _DETECTORS
        _ENGINE, _DETECTORS = self.engine, self.detectors
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        self.workers = self.jobs

    def _send(self) -> None:
        while len(self._pending) >= self.jobs * IN_FLIGHT_PER_WORKER:
            self._collect(self._pending.popleft())
        self._pending.append(self._pool.submit(_detect_chunk, self._chunk))
        self._chunk, self._chunk_bytes = [], 0

    def _collect(self, future: Future) -> None:
        findings, notices, filtered, positive = future.result()
        self.findings.extend(replace(f, evidence=frozen_mapping(f.evidence)) for f in findings)
        self.notices.extend(notices)
        self.engine.filtered.update(filtered)
        for check, items in positive.items():
            for item in items:
                self.facts.add_positive(check, item)

