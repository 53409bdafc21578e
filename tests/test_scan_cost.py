"""The work a scan does per file: what is parsed, how often, and what is asked (counted, never timed; the
timings are in bench/code_checks_speed.py)."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from scanner.config import Config
from scanner.context import Context, ProjectFacts, Span
from scanner.detectors import DETECTORS
from scanner.detectors.base import Detector
from scanner.engine import Engine
from scanner.lang.python import parse as python_parse
from scanner.lang.python.parse import CACHE_KEY, PythonModule
from scanner.lang.python.walk import walk
from scanner.model import Artifact
from scanner.sources.worktree import WorktreeSource

APP = {
    "app/api/chat/route.ts": """
        import { requireUser } from "@/lib/auth";
        export async function POST(req: Request) {
          const user = await requireUser();
          console.log("chat", user.id);
          return Response.json({ ok: true });
        }
    """,
    "lib/auth.ts": """
        import { getSession } from "./session";
        export async function requireUser() {
          const session = await getSession();
          if (!session) throw new Error("unauthorised");
          return session.user;
        }
    """,
    "lib/session.ts": "export async function getSession() { return null; }\n",
    "server/index.js": """
        const express = require("express");
        const app = express();
        app.get("/health", (req, res) => res.send("ok"));
        app.post("/notes", (req, res) => { console.log(req.body.password); res.send("x"); });
        module.exports = app;
    """,
    "server.py": """
        from flask import Flask
        from security.checks import check_caller

        app = Flask(__name__)

        @app.route("/admin", methods=["POST"])
        @check_caller
        def admin():
            return "ok"

        @app.route("/open", methods=["POST"])
        def open_door():
            return "ok"
    """,
    "security/checks.py": """
        from functools import wraps
        from flask import abort, session

        def check_caller(f):
            @wraps(f)
            def wrapper(*args, **kwargs):
                if not session.get("user_id"):
                    abort(401)
                return f(*args, **kwargs)
            return wrapper
    """,
}


def _tree(root: Path) -> Path:
    for path, text in APP.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


def _scan(root: Path):
    config = Config()
    source = WorktreeSource(root=root, paths=[root], exclude=config.exclude, max_file_size=config.max_file_size)
    from scanner.rules import default_registry

    return Engine(default_registry(), config, DETECTORS, jobs=1).run([source], root=str(root),
                                                                     source_names=["working tree"])


def test_each_js_file_is_parsed_at_most_once_per_scan(tmp_path, monkeypatch):
    """The module graph keeps the trees it registers (within its budget, ``modules.TREE_BUDGET``), so the detect
    pass reuses them (it used to parse again)."""
    from scanner.lang.javascript import parse as js_parse

    parsed: Counter[str] = Counter()
    root_property = js_parse.JsTree.root

    def counting_root(tree):
        if not tree.parsed:
            parsed[tree.ctx.artifact.path] += 1
        return root_property.fget(tree)

    monkeypatch.setattr(js_parse.JsTree, "root", property(counting_root))
    result = _scan(_tree(tmp_path))
    assert {"app/api/chat/route.ts", "server/index.js"} <= set(parsed)
    assert max(parsed.values()) == 1, parsed
    assert any(f.location.path == "server/index.js" for f in result.findings)  # the checks still ran


def test_detectors_are_asked_once_per_artifact_whether_they_read_it(tmp_path, monkeypatch):
    """The file name scanned for secrets is an artifact of its own (its text is the path)."""
    asked: Counter[tuple[str, str, bool]] = Counter()
    reads = Detector.reads

    def counting_reads(self, artifact):
        asked[(type(self).__name__, artifact.path, artifact.text == artifact.path)] += 1
        return reads(self, artifact)

    monkeypatch.setattr(Detector, "reads", counting_reads)
    _scan(_tree(tmp_path))
    assert asked and max(asked.values()) == 1, asked.most_common(3)


def test_a_module_that_only_defines_a_decorator_is_parsed_when_a_route_uses_it(tmp_path, monkeypatch):
    """security/checks.py matches no route marker: the index pass defers it, and resolving ``@check_caller`` on
    the route parses it then, so the guarded route is protected and the open one is reported."""
    parsed: list[str] = []
    parse = python_parse._parse

    def counting_parse(ctx):
        parsed.append(ctx.artifact.path)
        return parse(ctx)

    monkeypatch.setattr(python_parse, "_parse", counting_parse)
    result = _scan(_tree(tmp_path))
    unauthenticated = {f.location.line for f in result.findings if f.rule_id == "auth-route-unauthenticated"
                       and f.location.path == "server.py"}
    assert unauthenticated == {12}  # /open only: /admin (line 7) is guarded
    assert parsed.count("security/checks.py") == 1
    assert parsed.index("server.py") < parsed.index("security/checks.py")


def test_tls_check_parses_only_files_that_can_turn_verification_off():
    from scanner.detectors.launch_checks import TransportSecurityDetector
    from scanner.rules import default_registry

    registry = default_registry()
    detector = TransportSecurityDetector([r for r in registry if TransportSecurityDetector.implements(r)], Config())
    texts = {
        "tokens.py": "def verify_token(token):\n    return token.verify(key, verify_exp=True)\n",
        "client.py": "import requests\n\nrequests.get('https://api.example.com', verify=False)\n",
    }
    parsed = {}
    for path, text in texts.items():
        ctx = Context(Artifact(path, text, "python"), ProjectFacts(Config()))
        hits = list(detector.detect(ctx.artifact, ctx))
        parsed[path] = (CACHE_KEY in ctx._cache, len(hits))
    assert parsed == {"tokens.py": (False, 0), "client.py": (True, 1)}


def test_python_parents_and_spans_are_libcsts_for_every_node():
    """Parents from our walk, spans from a compact map of code nodes: both as libcst's metadata says."""
    source = textwrap.dedent("""
        import os
        from .x import (a as b, c)

        @decorator(arg=1)
        async def handler(request, *args, key: int = 3, **kw) -> dict:
            async with session() as s, other():
                data = [x async for x in s.stream() if x.ok] or {k: v for k, v in kw.items()}
            try:
                return {"a": (yield from g()), **data}
            except (ValueError, KeyError) as exc:
                raise RuntimeError(f"{exc!r:>10}") from exc
            finally:
                lambda q=1, /, *r: q[1:2, ::3]

        class Model(Base, metaclass=Meta):
            user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
            match command.split():
                case [Point(x=0) as p, *rest] if p:
                    del rest
        """)
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected = wrapper.resolve(ParentNodeProvider)
    ours = PythonModule("m.py", wrapper)
    nodes = [n for n in walk(module) if n is not module]
    assert len(nodes) > 150
    assert all(ours.parent(node) is expected[node] for node in nodes)
    assert ours.parent(module) is None
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    punctuation = [n for n in ranges if n not in set(nodes)][:10]  # outside the compact map: looked up afresh
    assert punctuation
    for node in [*nodes, *punctuation]:
        rng = ranges[node]
        assert ours.span(node) == Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)
