"""Web-config checklist: positive evidence for the scorecard, and the lazy-import promise."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.testing import MemorySource

HARDENED = {
    "main.py": """
        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware
        from pydantic import BaseModel
        from slowapi import Limiter
        from slowapi.util import get_remote_address

        limiter = Limiter(key_func=get_remote_address)
        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"])

        class Question(BaseModel):
            text: str

        @app.post("/ask")
        @limiter.limit("5/minute")
        def ask(question: Question):
            return {}
    """,
}


def run(files: dict[str, str], registry):
    engine = Engine(registry, Config(), DETECTORS)
    source = MemorySource({p: textwrap.dedent(t) for p, t in files.items()})
    return engine.run([source], root="<memory>", source_names=["memory"])


def test_verified_controls_are_recorded_as_positive_evidence(registry):
    result = run(HARDENED, registry)
    assert result.evidence["cors"] == ("CORSMiddleware restricted to explicit origins (https://app.example.com) "
                                       "in main.py",)
    assert result.evidence["rate-limits"] == ("inbound rate limit on the route: 1 of 1 route in main.py (none of "
                                              "them chat or auth routes)",)
    assert result.evidence["input-validation"] == ("request input validated by a schema or typed parameters: 1 of 1 "
                                                   "route taking input in main.py",)
    web_rules = {f.rule_id for f in result.findings if f.rule_id.startswith("web-")}
    assert web_rules == set()
    assert "auth" not in result.evidence  # /ask is public: nothing to credit


def test_protected_routes_are_credited_to_the_auth_check(registry):
    files = {"main.py": HARDENED["main.py"].replace("def ask(question: Question):",
                                                   "def ask(question: Question, user=Depends(get_current_user)):")
             .replace("from fastapi import FastAPI", "from fastapi import Depends, FastAPI")}
    result = run(files, registry)
    assert result.evidence["auth"] == ("authentication required (Depends(get_current_user)): 1 of 1 route in main.py",)


def test_permissive_app_reports_and_records_no_positive_evidence(registry):
    files = {"main.py": HARDENED["main.py"].replace('["https://app.example.com"]', '["*"]')
             .replace('        @limiter.limit("5/minute")\n', "")}
    result = run(files, registry)
    assert "cors" not in result.evidence and "rate-limits" not in result.evidence
    assert {f.rule_id for f in result.findings if f.rule_id.startswith("web-")} == {"web-cors-permissive"}


def test_importing_every_detector_does_not_import_libcst():
    code = "import sys, scanner.detectors; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('libcst', 'jinja2', 'semgrep')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


EXPRESS = {
    "src/server.ts": """
        import express from "express";
        import cors from "cors";

        const app = express();
        app.use(cors({ origin: ["https://app.example.com", "https://admin.example.com"], credentials: true }));

        app.post("/login", (req, res) => {
          logger.info("login attempt", req.body.email);
          res.json({ ok: true });
        });
    """,
}


def test_typescript_cors_allowlist_is_evidence_and_log_calls_are_examined(registry):
    result = run(EXPRESS, registry)
    assert result.evidence["cors"] == ("cors() restricted to explicit origins (https://app.example.com, "
                                       "https://admin.example.com) in src/server.ts",)
    assert not [f for f in result.findings if f.rule_id in ("web-cors-permissive", "web-log-sensitive")]
    examined = {(e.what, e.count) for e in result.examined["logging"]}
    assert ("log call", 1) in examined and ("JavaScript/TypeScript file", 1) in examined


def test_typescript_reflected_origin_with_credentials_and_logged_body_are_high_and_medium(registry):
    files = {"src/server.ts": EXPRESS["src/server.ts"]
             .replace('origin: ["https://app.example.com", "https://admin.example.com"]', "origin: true")
             .replace("req.body.email", "req.body")}
    result = run(files, registry)
    found = {f.rule_id: f for f in result.findings}
    assert found["web-cors-permissive"].severity.label == "high"
    assert "reflecting the request's Origin header together with credentials" in found["web-cors-permissive"].message
    assert found["web-log-sensitive"].message == "Log call writes the whole request (req.body)"
    assert found["web-log-sensitive"].location.line == 9
    assert "cors" not in result.evidence
