"""Bounded memory changes no result: a scan that frees every JS/TS tree between files (and parses it again when
another file looks into it) reports exactly what a scan that keeps them reports."""

from __future__ import annotations

import json

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.lang.javascript import modules
from scanner.lang.javascript.parse import JsTree
from scanner.reporters import get_reporter
from scanner.rules import default_registry
from scanner.sources.worktree import WorktreeSource
from tests.conftest import ROOT


def scan_json(root) -> dict:
    config = Config()
    source = WorktreeSource(root=root, paths=[root], exclude=config.exclude, max_file_size=config.max_file_size)
    result = Engine(default_registry(), config, DETECTORS).run([source], root=str(root), source_names=["working tree"])
    doc = json.loads(get_reporter("json").render(result))
    doc["scan"]["started_at"] = doc["scan"]["duration_seconds"] = None
    return doc


@pytest.mark.parametrize("app", ["nextjs-bundle", "demo-app"])
def test_freeing_every_tree_between_files_changes_nothing(app, monkeypatch):
    kept = scan_json(ROOT / "fixtures" / app)
    drops = []
    drop = JsTree.drop
    monkeypatch.setattr(JsTree, "drop", lambda tree: (drops.append(tree), drop(tree)))
    monkeypatch.setattr(modules, "TREE_BUDGET", 0)
    freed = scan_json(ROOT / "fixtures" / app)
    assert drops, "no tree was freed"
    assert kept["findings"], "nothing to compare"
    assert json.dumps(freed, indent=1, sort_keys=True) == json.dumps(kept, indent=1, sort_keys=True)
