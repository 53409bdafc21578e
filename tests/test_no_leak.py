"""No recognised secret reaches any output: every secret rule, every format, every source.

For each secret rule, its first positive example is written into a Flask module and a Next.js route
handler two lines above an unauthenticated route, so the route finding's excerpt covers the secret's
line. The project is scanned as a working tree (serially and through the worker pool), as git history
and as staged changes, and rendered as text, JSON, SARIF and HTML. Neither a secret nor any 12-character
slice of it may appear anywhere in the output; slices that are static text of the rules themselves
(a ``-----BEGIN`` header, a provider prefix spelled out in a title) are not secret material and are
left out of the comparison.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ahocorasick

from scanner import parallel
from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.detectors import DETECTORS
from scanner.detectors.secrets import SecretsDetector
from scanner.engine import Engine
from scanner.model import Artifact
from scanner.reporters import get_reporter
from scanner.rules import default_registry, rules_dir
from scanner.sources.files import artifact_kind
from scanner.testing import MemorySource, examples_of, expand
from tests.gitrepo import Repo

SLICE = 12
FORMATS = ("text", "json", "sarif", "html")

REGISTRY = default_registry()
SECRET_RULES = [r for r in REGISTRY if r.kind == "secret"]
RULES_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in sorted(rules_dir().rglob("*.yaml")))


def _first_positive(rule):
    return next((e for e in examples_of(rule) if e.expect_found and not e.todo), None)


def _secrets_in(text: str, path: str) -> set[str]:
    """Every value the secret rules recognise in ``text`` (the detector's own reading, raw)."""
    detector = SecretsDetector(SECRET_RULES, Config())
    ctx = Context(Artifact(path=path, text=text, kind=artifact_kind(path)), ProjectFacts(Config()))
    hits = detector.detect(ctx.artifact, ctx)
    return {h.secret for h in hits if h.secret} | ctx.recognised


def _python_module(index: int, example: str) -> str:
    return (f'from flask import Flask\napp = Flask(__name__)\nCONFIG_{index} = """\n{example}\n"""\n\n'
            f'@app.route("/r{index}")\ndef r{index}():\n    return open("data.txt").read()\n')


def _route_handler(example: str) -> str:
    return (f"const CONFIG = `\n{example}\n`;\n\n"
            "export async function GET() {\n  return Response.json(await db.user.findMany());\n}\n")


def _project() -> tuple[dict[str, str], dict[str, set[str]], list[str]]:
    """The files to scan, by rule id the secret values planted for that rule, and the examples' texts."""
    files: dict[str, str] = {}
    planted: dict[str, set[str]] = {}
    examples: list[str] = []
    for index, rule in enumerate(SECRET_RULES):
        example = _first_positive(rule)
        if example is None:
            continue
        for path, text in example.files.items():
            secrets = _secrets_in(text, path)
            if not secrets:
                continue
            planted.setdefault(rule.id, set()).update(secrets)
            examples.append(text)
            if rule.options.get("paths") is not None:
                files[f"r{index}/{path}"] = text  # a file type of its own (.npmrc, .pypirc...)
                continue
            if '"""' not in text and "\\" not in text:
                files[f"py/mod_{index}.py"] = _python_module(index, text)
            if "`" not in text and "${" not in text and "\\" not in text:
                files[f"app/api/r{index}/route.ts"] = _route_handler(text)
            else:
                files[f"cfg/r{index}.txt"] = text
    return files, planted, examples


FILES, PLANTED, EXAMPLES = _project()


def _slice_automaton():
    """One automaton over every planted secret's 12-character slices (whole secrets when shorter)."""
    automaton = ahocorasick.Automaton()
    for rule_id, secrets in PLANTED.items():
        for secret in secrets:
            slices = {secret} if len(secret) < SLICE else {secret[i:i + SLICE] for i in range(len(secret) - SLICE + 1)}
            for piece in slices - STATIC:
                automaton.add_word(piece, rule_id)
    automaton.make_automaton()
    return automaton


def _static_slices() -> set[str]:
    """Slices that are the rules' own static text (headers, prefixes), not secret material."""
    pieces = set()
    for secrets in PLANTED.values():
        for secret in secrets:
            pieces.update(secret[i:i + SLICE] for i in range(max(1, len(secret) - SLICE + 1)))
    return {p for p in pieces if p in RULES_TEXT}


STATIC = _static_slices()
SLICES = _slice_automaton()


def _leaks(output: str) -> list[str]:
    """The rules whose planted secret (or a 12-character slice of its secret material) is in ``output``."""
    return sorted({rule_id for _, rule_id in SLICES.iter(output)})


def _all_examples() -> str:
    """Every planted example, one after another in one file."""
    return "\n".join(EXAMPLES)


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _cli(cwd: Path, *args: str) -> str:
    """Run the real CLI writing every format; return everything it printed and wrote."""
    outputs = {fmt: cwd.parent / f"out.{fmt}" for fmt in FORMATS}
    written = [arg for fmt in FORMATS for arg in (f"--{fmt}", str(outputs[fmt]))]
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", *args, *written, "--verbose",
                           "--fail-on", "none"], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr + "".join(p.read_text(encoding="utf-8") for p in outputs.values())


def test_every_secret_rule_is_planted():
    """The test covers (nearly) every secret rule; a rule missing here has no usable positive example."""
    assert len(PLANTED) >= 0.97 * len(SECRET_RULES), sorted({r.id for r in SECRET_RULES} - set(PLANTED))


def test_worktree_scan_leaks_nothing_in_any_format(tmp_path):
    root = tmp_path / "app"
    _write(root, FILES)
    output = _cli(root, ".")
    assert _leaks(output) == []
    report = json.loads((tmp_path / "out.json").read_text())
    routes = {f["location"]["path"] for f in report["findings"] if f["check"] == "auth"}
    # the route findings whose excerpts hold the secrets really were made
    assert sum(p.startswith("py/") for p in routes) >= 0.9 * sum(p.startswith("py/") for p in FILES)
    assert sum(p.startswith("app/api/") for p in routes) >= 0.9 * sum(p.startswith("app/api/") for p in FILES)


def test_pooled_scan_leaks_nothing(monkeypatch):
    """Worker processes (forced: no serial head start) mask as the serial path does."""
    monkeypatch.setattr(parallel, "SERIAL_CHARS", 0)
    monkeypatch.setattr(parallel, "BATCH", 8)
    engine = Engine(REGISTRY, Config(), DETECTORS, jobs=2)
    result = engine.run([MemorySource(FILES)], root=".", source_names=["worktree"])
    assert len(result.findings) > len(PLANTED)
    for fmt in FORMATS:
        assert _leaks(get_reporter(fmt, verbose=True).render(result)) == [], fmt


def test_history_scan_leaks_nothing(tmp_path):
    repo = Repo(tmp_path / "repo")
    # one file holding every example in a row: each secret's excerpt shows its neighbours' lines
    repo.commit("add config", {**FILES, "all.txt": _all_examples()})
    for path in FILES:  # gone from HEAD: still leaked, still masked
        (repo.path / path).unlink()
    repo.commit("remove config")
    assert _leaks(_cli(repo.path, "--history", ".")) == []


def test_staged_scan_leaks_nothing(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("start", {"README.md": "start\n"})
    _write(repo.path, {**FILES, "all.txt": _all_examples()})
    repo.git("add", "-A")
    assert _leaks(_cli(repo.path, "--staged")) == []


def _stripe_key(seed: str) -> str:
    return expand("sk_live_{alnum:32}", seed)


def test_secret_in_a_file_name_is_reported_and_masked(tmp_path):
    key = _stripe_key("file-name")
    root = tmp_path / "app"
    root.mkdir()
    (root / f"{key}.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")  # skipped as binary: listed under skipped
    (root / f"notes-{key}.txt").write_text("nothing here\n")
    output = _cli(root, ".")
    assert key not in output and key[8:20] not in output
    report = json.loads((tmp_path / "out.json").read_text())
    named = [f for f in report["findings"] if f["rule_id"] == "stripe-secret-key"]
    assert {f["message"].endswith("in the file name") for f in named} == {True} and len(named) == 2
    assert any(n["reason"] == "binary" for n in report["skipped"])


def test_secrets_in_commit_message_and_author_are_masked(tmp_path):
    key, other = _stripe_key("message"), _stripe_key("author")
    repo = Repo(tmp_path / "repo")
    repo.commit(f"deploy with {key}", {"app.py": 'print("hi")\n'})
    repo.git("-c", f"user.name=Dev {other}", "commit", "-q", "--allow-empty", "--author",
             f"Dev {other} <dev@example.test>", "-m", "empty")
    output = _cli(repo.path, "--history", ".")
    for secret in (key, other):
        assert secret not in output and secret[8:20] not in output
    report = json.loads((tmp_path / "out.json").read_text())
    assert {f["location"]["path"] for f in report["findings"]} == {"COMMIT_MSG"}


def test_overlapping_recognised_values_are_masked_whole():
    """Two recognised values sharing characters (the end of one is the start of another): no part of either
    is left, by ``mask`` or by the report-wide ``Redactor`` (found by fuzzing)."""
    from scanner.redact import Redactor, mask

    first, second = "Kq7Zr2Lw9Xv4Pn8M", "Pn8MtY3uJ6hB1sD5"  # second starts with the last 4 characters of first
    text = f"config={first}tY3uJ6hB1sD5 end"
    for masked in (mask(text, [first, second]), Redactor([first, second]).text(text)):
        assert "Kq7Zr2" in masked and "Lw9Xv4" not in masked and "tY3uJ6" not in masked and masked.endswith(" end")


def test_a_recognised_value_that_spells_a_rule_id_is_masked_in_text_but_not_in_our_vocabulary():
    """A docs page setting ``SMTP_PASSWORD=smtp-password`` made the value a recognised secret, and masking it
    everywhere rewrote the rule id ``smtp-password`` in every finding: the JSON report then failed to look the
    rule up. Rule ids, checks, hashes, reason codes and mapping keys are ours, never scanned text."""
    from scanner.model import Confidence, Finding, Location, Notice, Origin, Severity
    from scanner.redact import Redactor

    value = "smtp-password"
    finding = Finding(rule_id=value, message=f"{value} found", location=Location("docs/email.mdx", 3, 1),
                      origin=Origin(), severity=Severity.MEDIUM, confidence=Confidence.LOW, check="secrets",
                      fingerprint="f" * 16, evidence={value: value})
    masked = Redactor([value]).value(finding)
    assert masked.rule_id == value and masked.check == "secrets"
    assert value not in masked.message
    assert list(masked.evidence) == [value] and value not in masked.evidence[value]
    notice = Redactor(["binary-file"]).value(Notice("a/binary-file.bin", "binary", "binary-file"))
    assert notice.reason == "binary" and "binary-file" not in notice.path and "binary-file" not in notice.detail
