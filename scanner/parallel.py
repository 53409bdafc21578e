"""Streaming detection fanned out to worker processes, for scans of many small artifacts (git history).

The parent keeps reading its sources (for history: git's patch stream, itself a separate process)
and sends batches of artifacts to forked workers, which inherit the engine with its rules compiled
and prefilters built. At most ``2 × jobs`` batches are in flight, so memory stays bounded however long
the history; results are taken in submission order, so findings keep the order of the source.
Only detectors that need no project index run here (the engine checks). A batch's result carries
everything its detectors produced: findings (hashes and masked snippets only), notices, filter counts,
the rules that examined a file, the scorecard coverage (what was examined, positive evidence) and the
secret values recognised, which travel back to the parent over the pool's pipe (memory only), so the
engine can mask them wherever else they appear in the result. Nothing a detector learns stays behind
in a worker.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from scanner.coverage import Coverage
from scanner.model import Artifact, Finding, Notice, frozen_mapping

if TYPE_CHECKING:
    from scanner.engine import Engine

#: A task holds up to this many artifacts or characters of text: enough to amortise the round trip,
#: little enough that a few big files still spread over the workers.
BATCH = 256
BATCH_CHARS = 128 * 1024

#: Text scanned in-process before a pool starts (starting one costs ~100 ms; small scans never pay it).
SERIAL_CHARS = 16 * 1024 * 1024

#: The engine the workers use: set in the parent just before the pool forks.
_ENGINE: Engine | None = None


def fork_available() -> bool:
    """Workers are forked (they inherit the compiled rules); platforms without fork scan serially."""
    return "fork" in multiprocessing.get_all_start_methods()


_Batch = tuple[list[Finding], list[Notice], Counter, set[str], set[str], Coverage]


def _detect_batch(batch: list[Artifact]) -> _Batch:
    engine = _ENGINE
    before = engine.filtered.copy()
    engine.recognised = set()
    engine.coverage = Coverage()
    findings, notices = engine.detect_streaming(batch)
    # mapping proxies do not pickle: evidence travels as a dict
    return ([replace(f, evidence=dict(f.evidence)) for f in findings], notices, engine.filtered - before,
            engine.applied, engine.recognised, engine.coverage)


def detect_in_pool(engine: Engine, artifacts: Iterable[Artifact], jobs: int
                   ) -> Iterator[tuple[list[Finding], list[Notice]]]:
    """Findings and notices per batch of ``artifacts``, detected by ``jobs`` worker processes.

    The first ``SERIAL_CHARS`` of text are scanned in this process: a scan that small (one app, a
    pre-commit run) finishes before a pool would have started.
    """
    artifacts = iter(artifacts)
    first, chars = [], 0
    for art in artifacts:
        first.append(art)
        chars += len(art.text)
        if chars >= SERIAL_CHARS:
            break
    yield engine.detect_streaming(first)
    if chars < SERIAL_CHARS:
        return
    if not fork_available():
        yield from (engine.detect_streaming(batch) for batch in _batches(artifacts))
        return
    global _ENGINE
    _ENGINE = engine
    # Objects that exist now are left out of the workers' garbage collections: a collection writes to the
    # header of every object it visits, which would copy each page of the parent's memory into every worker
    # (forked pages are shared only until written).
    gc.freeze()
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        pending: deque = deque()
        for batch in _batches(artifacts):
            pending.append(pool.apply_async(_detect_batch, (batch,)))
            if len(pending) >= 2 * jobs:
                yield _collect(engine, pending.popleft().get())
        while pending:
            yield _collect(engine, pending.popleft().get())
    finally:
        pool.terminate()
        pool.join()
        gc.unfreeze()
        _ENGINE = None


def _batches(artifacts: Iterable[Artifact]) -> Iterator[list[Artifact]]:
    batch: list[Artifact] = []
    chars = 0
    for art in artifacts:
        batch.append(art)
        chars += len(art.text)
        if len(batch) >= BATCH or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _collect(engine: Engine, result: _Batch) -> tuple[list[Finding], list[Notice]]:
    findings, notices, filtered, applied, recognised, coverage = result
    engine.filtered.update(filtered)
    engine.recognised |= recognised
    engine.applied.update(applied)  # which rules examined a file
    engine.coverage.merge(coverage)  # what they examined and the evidence they saw: the scorecard
    return [replace(f, evidence=frozen_mapping(f.evidence)) for f in findings], notices
