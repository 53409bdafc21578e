"""A per-file time budget: a file that would take forever stops with a notice, the scan goes on, in worker
processes too. The slow file is made slow by a rule with a catastrophically backtracking regex (no shipped
rule is that slow: tests/test_regex_worst_case.py)."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from scanner import parallel
from scanner.budget import BudgetExceeded, time_limit
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.rules import Registry, default_registry
from scanner.sources.worktree import WorktreeSource
from tests.conftest import stripe_key


def registry_with_a_backtracking_rule() -> Registry:
    base = default_registry()
    template = base.get("stripe-secret-key")
    probe = replace(template, id="backtracking-probe", options={
        **template.options, "keywords": ("boom",), "anchored": False, "pair": (), "entropy": None,
        "regex": re.compile(r"boom(?P<secret>(?:a+)+)b")})
    return Registry({**base.rules, probe.id: probe})


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a-keys.env").write_text(f"STRIPE_SECRET_KEY={stripe_key()}\n")
    for index in range(6):
        (root / f"b-notes-{index}.txt").write_text("nothing to see here\n" * 50)
    (root / "c-slow.txt").write_text("boom" + "a" * 64 + "\n")
    (root / "d-keys.env").write_text(f"STRIPE_SECRET_KEY={stripe_key(seed=5)}\n")
    return root


def scan(root: Path, jobs: int = 1, budget: float = 0.5):
    config = Config()
    source = WorktreeSource(root=root, paths=[root], exclude=config.exclude, max_file_size=config.max_file_size)
    engine = Engine(registry_with_a_backtracking_rule(), config, DETECTORS, jobs=jobs, time_budget=budget)
    started = time.perf_counter()
    result = engine.run([source], root=str(root), source_names=["working tree"])
    return result, time.perf_counter() - started


def assert_stopped_with_a_notice(result, seconds: float) -> None:
    assert seconds < 30
    notices = [n for n in result.skipped if n.reason == "time-budget"]
    assert [n.path for n in notices] == ["c-slow.txt"]
    assert "may be incomplete" in notices[0].detail
    # the scan went on: files before and after the slow one are reported
    assert {f.location.path for f in result.findings if f.rule_id == "stripe-secret-key"} == {"a-keys.env",
                                                                                             "d-keys.env"}


def test_a_pathological_file_stops_with_a_notice(tmp_path):
    assert_stopped_with_a_notice(*scan(project(tmp_path)))


@pytest.mark.skipif(not parallel.fork_available(), reason="worker pools need fork")
def test_the_budget_holds_in_worker_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "SERIAL_CHARS", 64)
    monkeypatch.setattr(parallel, "BATCH", 2)
    from_workers = []
    collect = parallel._collect

    def counting(engine, batch):
        findings, notices = collect(engine, batch)
        from_workers.extend(notices)
        return findings, notices

    monkeypatch.setattr(parallel, "_collect", counting)
    result, seconds = scan(project(tmp_path), jobs=2)
    assert_stopped_with_a_notice(result, seconds)
    assert [n.reason for n in from_workers] == ["time-budget"]


def test_without_a_budget_nothing_is_interrupted():
    with time_limit(None):
        time.sleep(0.01)


def test_the_timer_is_cleared_after_the_block():
    with time_limit(0.05):
        pass
    time.sleep(0.1)  # an alarm left behind would raise here


def test_a_block_over_its_limit_is_interrupted():
    with pytest.raises(BudgetExceeded), time_limit(0.05):
        re.match(r"(?:a+)+b", "a" * 64)


def test_a_detector_catching_every_exception_does_not_swallow_the_budget():
    with pytest.raises(BudgetExceeded), time_limit(0.05), contextlib.suppress(Exception):  # a parser's error handling
        re.match(r"(?:a+)+b", "a" * 64)


def test_a_limit_inside_a_limit_keeps_the_outer_deadline_and_leaves_no_timer_armed():
    import signal

    started = time.perf_counter()
    with pytest.raises(BudgetExceeded), time_limit(0.3), time_limit(30.0):
        while time.perf_counter() - started < 10:
            pass
    assert time.perf_counter() - started < 5  # the outer 0.3 s fired, not the inner 30 s
    with time_limit(30.0):
        pass
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
