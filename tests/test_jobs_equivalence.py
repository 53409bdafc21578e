"""One result whatever the core count: a scan with worker processes reports what a serial scan reports,
scorecard included (evidence and what was examined come back from workers with the findings)."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from scanner import parallel
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.reporters import get_reporter
from scanner.sources.worktree import WorktreeSource
from tests.conftest import ROOT, stripe_key

pytestmark = pytest.mark.skipif(not parallel.fork_available(), reason="worker pools need fork")

FLASK_APP = """
    import sentry_sdk
    from flask import Flask, request
    from flask_cors import CORS
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    sentry_sdk.init(dsn="https://public@o0.ingest.sentry.io/0")
    app = Flask(__name__)
    CORS(app, origins=["https://app.example.com"])
    limiter = Limiter(get_remote_address, app=app)
    RATE_LIMIT_DELAY = 2

    @app.post("/chat")
    @limiter.limit("5/minute")
    def chat():
        return {"answer": llm.complete(request.get_json()["q"])}

    @app.post("/login")
    def login():
        return {}
"""
DJANGO_SETTINGS = """
    INSTALLED_APPS = ["corsheaders"]
    ALLOWED_HOSTS = ["example.com"]
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
"""
ZONE = """
    @       IN TXT "v=spf1 include:_spf.google.com -all"
    _dmarc  IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
    mail._domainkey IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    files = {
        "app.py": FLASK_APP,
        "mysite/settings.py": DJANGO_SETTINGS,
        "dns/example.com.zone": ZONE,
        "requirements.txt": "flask\nflask-limiter\nflask-cors\nsentry-sdk==2.14.0\n",
        ".env": f"STRIPE_SECRET_KEY={stripe_key()}\nNEXT_PUBLIC_STRIPE_SECRET=x\n",
        "config/deploy.yaml": "replicas: 2\nhealthcheck: /health\n",
    }
    for index in range(12):  # enough text to go past a forced-small SERIAL_CHARS, in many batches
        files[f"docs/notes-{index:02}.txt"] = "Deployment notes, nothing secret here.\n" * 40
    files["docs/notes-07.txt"] += f"old key: {stripe_key(seed=3)}\n"
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


def scan(root: Path, jobs: int, only_rules=None):
    config = Config()
    source = WorktreeSource(root=root, paths=[root], exclude=config.exclude, max_file_size=config.max_file_size)
    engine = Engine(_registry(), config, DETECTORS, jobs=jobs, only_rules=only_rules)
    return engine.run([source], root=str(root), source_names=["working tree"])


_REGISTRY = []


def _registry():
    from scanner.rules import default_registry

    if not _REGISTRY:
        _REGISTRY.append(default_registry())
    return _REGISTRY[0]


def normalised_json(text: str) -> dict:
    doc = json.loads(text)
    doc["scan"]["started_at"] = doc["scan"]["duration_seconds"] = None
    return doc


def normalised_sarif(text: str) -> dict:
    doc = json.loads(text)
    for invocation in doc["runs"][0]["invocations"]:
        invocation.pop("startTimeUtc", None)
        invocation.pop("endTimeUtc", None)
    return doc


@pytest.fixture
def pooled(monkeypatch):
    """Force the worker pool on a small project: almost no text is scanned before it starts, two
    artifacts per batch; counts the batches that came back from workers."""
    monkeypatch.setattr(parallel, "SERIAL_CHARS", 64)
    monkeypatch.setattr(parallel, "BATCH", 2)
    batches = []
    collect = parallel._collect

    def counting(engine, result):
        batches.append(result)
        return collect(engine, result)

    monkeypatch.setattr(parallel, "_collect", counting)
    return batches


def test_jobs_1_and_2_give_byte_identical_json_and_sarif(tmp_path, pooled):
    root = project(tmp_path)
    serial, parallel_result = scan(root, jobs=1), scan(root, jobs=2)
    assert len(pooled) > 2, "the pool was not used"
    for fmt, normalise in (("json", normalised_json), ("sarif", normalised_sarif)):
        one, two = (get_reporter(fmt).render(r) for r in (serial, parallel_result))
        assert json.dumps(normalise(one), indent=1) == json.dumps(normalise(two), indent=1), fmt
    # and the scorecard did see things, in both
    assert serial.evidence and serial.evidence == parallel_result.evidence
    assert serial.examined == parallel_result.examined
    assert serial.examined["secrets"][0].files == 18  # every file was scanned for secrets, in whichever process
    assert "email-auth" in serial.evidence and "tls" in serial.evidence and "monitoring" in serial.evidence


def test_evidence_from_files_scanned_in_workers_is_kept(tmp_path, pooled):
    """Without the route detectors no code check indexes Python, so settings go to the workers too."""
    root = project(tmp_path)
    only = ["tls-verification-disabled", "tls-insecure-django-setting", "web-cors-permissive",
            "stripe-secret-key", "client-env-secret-name"]
    serial, pooled_result = scan(root, jobs=1, only_rules=only), scan(root, jobs=2, only_rules=only)
    from scanner.coverage import Coverage

    worker_evidence = Coverage()
    for batch in pooled:
        worker_evidence.merge(batch[-1])
    assert ("tls", "mysite/settings.py") in {(c, p) for c, p, _ in worker_evidence.evidence}
    assert pooled_result.evidence == serial.evidence
    assert "SECURE_SSL_REDIRECT = True in mysite/settings.py" in pooled_result.evidence["tls"]
    assert pooled_result.examined == serial.examined
    assert [f.fingerprint for f in pooled_result.findings] == [f.fingerprint for f in serial.findings]


CLI = "import sys; import scanner.parallel as p; p.SERIAL_CHARS = 64; from scanner.cli import main; " \
      "sys.argv[0] = 'launchready'; main()"


def _cli(*args: str) -> str:
    import subprocess

    run = subprocess.run([sys.executable, "-c", CLI, "scan", *args], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert run.returncode in (0, 1), run.stderr
    return run.stdout


@pytest.mark.parametrize("fmt, normalise", [("json", normalised_json), ("sarif", normalised_sarif)])
def test_cli_jobs_1_and_2_agree_on_the_demo_app(fmt, normalise):
    """The real CLI (with the serial head forced small, so ``--jobs 2`` does start workers)."""
    app = str(ROOT / "fixtures" / "demo-app")
    one = _cli(app, "--format", fmt, "--jobs", "1", "--fail-on", "none")
    two = _cli(app, "--format", fmt, "--jobs", "2", "--fail-on", "none")
    assert normalise(one) == normalise(two)
    assert json.dumps(normalise(one), sort_keys=False) == json.dumps(normalise(two), sort_keys=False)


_TIMES = re.compile(r'"(started_at|duration_seconds|startTimeUtc|endTimeUtc)": ("[^"]*"|[0-9.]+)')


def _without_times(report: str) -> str:
    """The report's text with only its timestamps and durations blanked: what must be byte-identical."""
    return _TIMES.sub(r'"\1": null', report)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_history_reports_are_byte_identical_across_runs_and_jobs(tmp_path, fmt):
    """Two runs with ``--jobs 2`` and one with ``--jobs 1`` over a history: the same bytes, timestamps aside."""
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    for index in range(8):
        repo.commit(f"change {index}", {f"svc/{index % 3}.env": f"STRIPE_SECRET_KEY={stripe_key(seed=index)}\n",
                                        f"docs/n{index}.md": "notes\n" * 30,
                                        "app.py": f"VERSION = {index}\n"})
    runs = [_cli(str(repo.path), "--history", "--format", fmt, "--jobs", jobs, "--fail-on", "none")
            for jobs in ("2", "2", "1")]
    assert '"stripe-secret-key"' in runs[0]
    assert _without_times(runs[0]) == _without_times(runs[1]) == _without_times(runs[2])
    assert _TIMES.search(runs[0])  # the fields blanked are the ones in the report
