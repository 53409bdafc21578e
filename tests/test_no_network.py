"""No network, no scanned code run: the CLI scans a hostile project (working tree, history, staged changes,
every report format) with socket creation patched to fail, and nothing the project holds is imported,
evaluated or loaded unsafely."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import stripe_key
from tests.gitrepo import Repo

#: Installed as sitecustomize.py on the CLI's PYTHONPATH: any socket other than a local (AF_UNIX) one fails,
#: and every attempt is written to NETWORK_LOG, so a caught-and-ignored attempt still fails the test.
SITECUSTOMIZE = """
    import os, socket

    _real = socket.socket

    class _NoNetwork(_real):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None and family != socket.AF_UNIX:
                with open(os.environ["NETWORK_LOG"], "a") as log:
                    log.write(f"socket({family}, {type})\\n")
                raise OSError("network disabled by the test")
            super().__init__(family, type, proto, fileno)

    def _refuse(*args, **kwargs):
        with open(os.environ["NETWORK_LOG"], "a") as log:
            log.write(f"getaddrinfo{args[:2]}\\n")
        raise OSError("network disabled by the test")

    socket.socket = _NoNetwork
    socket.getaddrinfo = _refuse
    socket.create_connection = _refuse
    os.environ["NO_NETWORK_ACTIVE"] = "1"
"""

#: Files that leave a mark in MARKERS if anything imports, executes or unsafely loads them.
HOSTILE = {
    "app.py": "import os; open(os.path.join({markers!r}, 'imported-app'), 'w').close()\n"
              "from flask import Flask\napp = Flask(__name__)\n\n@app.post('/chat')\ndef chat():\n    return {{}}\n",
    "conftest.py": "open({markers!r} + '/imported-conftest', 'w').close()\n",
    "setup.py": "open({markers!r} + '/executed-setup', 'w').close()\n",
    # shadow modules the scanner imports: a scanner that put the scanned folder on sys.path would run them
    "yaml.py": "open({markers!r} + '/imported-yaml', 'w').close()\n",
    "click.py": "open({markers!r} + '/imported-click', 'w').close()\n",
    "json.py": "open({markers!r} + '/imported-json', 'w').close()\n",
    "openapi.yaml": "openapi: 3.0.0\npaths:\n  /x: !!python/object/apply:os.system ['touch {markers}/yaml-executed']\n",
    "swagger.yaml": "swagger: '2.0'\npaths: !!python/object/new:os.system ['touch {markers}/yaml-new']\n",
    ".github/workflows/ci.yml": "on: push\njobs: !!python/name:os.system\n",
    ".launchready.toml": "exclude = ['nothing/']\n",
    "pyproject.toml": "[project]\nname = 'x'\n[tool.launchready]\nfail_on = 'high'\n",
    "web/route.ts": "eval('require(\"fs\").writeFileSync(\"{markers}/js-evaluated\", \"\")')\n"
                    "export async function POST(req: Request) {{ return Response.json({{}}) }}\n",
    ".env": f"STRIPE_SECRET_KEY={stripe_key()}\n",
}


@pytest.fixture
def offline(tmp_path):
    """An environment for the CLI with the socket patch on its path; returns (env, network log)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    log = tmp_path / "network.log"
    env = {**os.environ, "PYTHONPATH": str(site), "NETWORK_LOG": str(log), "NO_COLOR": "1"}
    return env, log


def launchready() -> str:
    """The installed console script: it does not put the current directory on sys.path (``python -m`` would)."""
    script = Path(sys.executable).with_name("launchready")
    assert script.exists(), "the console script is installed by `pip install -e .`"
    return str(script)


def hostile_repo(tmp_path: Path) -> tuple[Repo, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = Repo(tmp_path / "project")
    files = {path: text.format(markers=str(markers)) for path, text in HOSTILE.items()}
    repo.commit("hostile project", files)
    repo.write("staged.py", f"KEY = '{stripe_key(seed=11)}'\n")
    repo.git("add", "staged.py")
    return repo, markers


def test_the_socket_patch_works(offline, tmp_path):
    env, log = offline
    proc = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('example.com', 80))"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "network disabled" in proc.stderr
    assert log.read_text()


def test_a_full_scan_needs_no_network_and_runs_nothing_it_scans(offline, tmp_path):
    env, log = offline
    repo, markers = hostile_repo(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    runs = {
        "worktree": ["scan", ".", "--jobs", "2", "--text", str(out / "w.txt"), "--json", str(out / "w.json"),
                     "--sarif", str(out / "w.sarif"), "--html", str(out / "w.html")],
        "history": ["scan", ".", "--history", "--jobs", "2", "--json", str(out / "h.json"),
                    "--sarif", str(out / "h.sarif"), "--html", str(out / "h.html")],
        "staged": ["scan", ".", "--staged", "--json", str(out / "s.json")],
    }
    for name, args in runs.items():
        proc = subprocess.run([launchready(), *args, "--fail-on", "high"], cwd=repo.path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, (name, proc.stderr[-2000:])  # the planted keys are found
        assert "Traceback" not in proc.stderr, name
    for report in ("w.txt", "w.json", "w.sarif", "w.html", "h.json", "h.sarif", "h.html", "s.json"):
        assert (out / report).stat().st_size > 0, report
    assert '"stripe-secret-key"' in (out / "s.json").read_text()
    assert not log.exists(), log.read_text()
    assert sorted(p.name for p in markers.iterdir()) == []
