"""The environment inventory: every variable the project reads, where, and what a new owner must know.

Built in the index pass from each artifact's text (cheap regular expressions, no parse):

- Python: ``os.environ[...]``, ``os.environ.get``, ``os.getenv``, django-environ ``env("X")``,
  python-decouple ``config("X")``, pydantic ``BaseSettings`` fields (with ``env_prefix`` and ``alias``);
- JS/TS: ``process.env.X``, ``process.env["X"]``, ``import.meta.env.X``, destructuring from either,
  ``Deno.env.get("X")``;
- Docker: ``ARG X`` and ``$X`` read; ``ENV X=...`` set; compose ``${X}`` read, ``environment:`` entries set;
- CI workflows: ``${{ secrets.X }}`` (kept in the CI's secret store), ``env:`` entries set;
- hosting configuration (``vercel.json``, ``netlify.toml``, ``fly.toml``, ``render.yaml``...): entries set;
- env files: a template (``.env.example``) documents a name; any other env file sets it.

A row never holds a value: only the name, where it is read and set, and yes/no facts. Whether a read
reaches browser code comes from the browser reach (:mod:`scanner.analysis.browser`).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from scanner.analysis.env.names import client_prefix, looks_secret
from scanner.context import Context, ProjectFacts
from scanner.model import Artifact

BUCKET = "env-inventory"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: Names every toolchain sets itself; reading them tells a new owner nothing.
BUILTIN = frozenset({"NODE_ENV", "MODE", "DEV", "PROD", "SSR", "BASE_URL", "NEXT_RUNTIME", "GITHUB_TOKEN", "PATH",
                     "HOME", "PWD", "CI", "PORT", "HOSTNAME", "TZ", "LANG", "USER", "SHELL", "TERM"})
#: How many places a row lists per kind (a variable read in 200 files is listed with a count).
MAX_PLACES = 10

_JS_READ = re.compile(
    rf"\bprocess\.env\.(?P<a>{_NAME})|\bprocess\.env\[\s*['\"`](?P<b>{_NAME})['\"`]\s*\]|"
    rf"\bimport\.meta\.env\.(?P<c>{_NAME})|\bDeno\.env\.get\(\s*['\"](?P<d>{_NAME})['\"]")
_JS_DESTRUCTURE = re.compile(r"\{(?P<names>[^{}]*)\}\s*=\s*(?:process\.env|import\.meta\.env)\b")
_PY_READ = re.compile(
    rf"\bos\.environ\s*\[\s*[rbuf]?['\"](?P<a>{_NAME})['\"]|\benviron\.get\(\s*['\"](?P<b>{_NAME})['\"]|"
    rf"\bgetenv\(\s*['\"](?P<c>{_NAME})['\"]|\benv(?:\.\w+)?\(\s*['\"](?P<d>[A-Z][A-Z0-9_]*)['\"]|"
    r"\bconfig\(\s*['\"](?P<e>[A-Z][A-Z0-9_]*)['\"]")
_PY_SETTINGS_CLASS = re.compile(r"^class\s+\w+\s*\([^)]*\bBaseSettings\b[^)]*\)\s*:[^\n]*\n", re.MULTILINE)
_PY_FIELD = re.compile(rf"^(?P<indent>[ \t]+)(?P<name>{_NAME})\s*:\s*[^\n=]+(?:=(?P<default>[^\n]*))?$", re.MULTILINE)
_PY_ALIAS = re.compile(r"\b(?:alias|validation_alias|env)\s*=\s*['\"](?P<name>[A-Za-z_]\w*)['\"]")
_PY_PREFIX = re.compile(r"\benv_prefix\s*=\s*['\"](?P<prefix>\w*)['\"]")
_SHELL_REF = re.compile(r"\$\{(?P<a>[A-Za-z_]\w*)(?::?[-?+=][^}]*)?\}|\$(?P<b>[A-Za-z_]\w*)")
_DOCKER_ARG = re.compile(r"^\s*ARG\s+(?P<name>[A-Za-z_]\w*)", re.MULTILINE | re.IGNORECASE)
_DOCKER_ENV = re.compile(r"^\s*ENV\s+(?P<body>.+)$", re.MULTILINE | re.IGNORECASE)
_PAIR = re.compile(rf"(?P<name>{_NAME})(?:=|\s+)(?P<value>\"[^\"]*\"|'[^']*'|\S*)")
_YAML_ENV_ITEM = re.compile(r"^\s*-\s*['\"]?(?P<name>[A-Z_][A-Z0-9_]*)(?:=(?P<value>[^'\"\n]*))?['\"]?\s*$",
                            re.MULTILINE)
_YAML_ENV_KEY = re.compile(r"^\s+(?P<name>[A-Z_][A-Z0-9_]*)\s*:\s*(?P<value>.*)$", re.MULTILINE)
_CI_SECRET = re.compile(r"\$\{\{\s*secrets\.(?P<name>[A-Za-z_]\w*)\s*\}\}")
_RENDER_KEY = re.compile(r"^\s*-?\s*key\s*:\s*['\"]?(?P<name>[A-Za-z_]\w*)", re.MULTILINE)
_TOML_OR_JSON_KEY = re.compile(r"^\s*['\"]?(?P<name>[A-Z_][A-Z0-9_]*)['\"]?\s*[=:]\s*(?P<value>.*?),?\s*$",
                               re.MULTILINE)
_REFERENCE = re.compile(r"^['\"]?(?:\$\{\{|\$\{|\$[A-Za-z_]|@[a-z]|\{\{)")

_HOSTING = frozenset({"vercel.json", "netlify.toml", "fly.toml", "render.yaml", "app.yaml", "railway.json",
                      "railway.toml", "amplify.yml", "app.json", "eas.json", "wrangler.toml"})
_CI_NAMES = frozenset({".gitlab-ci.yml", "bitbucket-pipelines.yml", "cloudbuild.yaml", "azure-pipelines.yml"})


class Place(NamedTuple):
    """Where a variable is read or set: path, 1-based line, and what kind of file says so."""

    path: str
    line: int
    kind: str  # python | javascript | docker | compose | ci | hosting | env-file | ci-secret


@dataclass
class Inventory:
    """Every environment variable seen in the project (names and places only)."""

    reads: dict[str, list[Place]] = field(default_factory=dict)
    #: A committed file gives the variable a literal value (the value is never kept).
    sets: dict[str, list[Place]] = field(default_factory=dict)
    #: A file passes a value from elsewhere: a CI secret store, ``${X}`` interpolation, a Vercel secret.
    passes: dict[str, list[Place]] = field(default_factory=dict)
    documented: dict[str, list[Place]] = field(default_factory=dict)
    indexed: set[str] = field(default_factory=set)

    def add(self, table: dict[str, list[Place]], name: str, place: Place) -> None:
        if name not in BUILTIN:
            table.setdefault(name, []).append(place)


def config_kind(path: str) -> str | None:
    """What kind of configuration file ``path`` is for the inventory (docker, compose, ci, hosting), or None."""
    posix = PurePosixPath(path)
    name = posix.name
    if name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".dockerfile"):
        return "docker"
    if name.startswith(("docker-compose", "compose.")) and name.endswith((".yml", ".yaml")):
        return "compose"
    if (("/.github/workflows/" in f"/{path}" and name.endswith((".yml", ".yaml"))) or name in _CI_NAMES
            or "/.circleci/" in f"/{path}"):
        return "ci"
    if name in _HOSTING:
        return "hosting"
    return None


def reads_env(artifact: Artifact) -> bool:
    """Could this artifact add to the inventory? (Cheap: kind, path and a substring test.)"""
    if artifact.kind in {"javascript", "typescript"}:
        return "env" in artifact.text
    if artifact.kind == "python":
        return "environ" in artifact.text or "getenv" in artifact.text or "env(" in artifact.text or \
            "config(" in artifact.text or "BaseSettings" in artifact.text
    return artifact.kind == "env" or (artifact.kind == "text" and config_kind(artifact.path) is not None)


class EnvRead(NamedTuple):
    """A read of a variable in code, at character offsets of the artifact's text."""

    name: str
    start: int
    end: int


def js_env_reads(text: str) -> Iterator[EnvRead]:
    """Every ``process.env``/``import.meta.env`` read in JS/TS text, at the variable name's offsets."""
    if "env" not in text:
        return
    for match in _JS_READ.finditer(text):
        group = next(g for g in "abcd" if match.group(g))
        yield EnvRead(match.group(group), match.start(group), match.end(group))
    for match in _JS_DESTRUCTURE.finditer(text):
        body_start = match.start("names")
        for part in re.finditer(rf"(?:^|,)\s*(?P<name>{_NAME})", match.group("names")):
            yield EnvRead(part.group("name"), body_start + part.start("name"), body_start + part.end("name"))


def _python_reads(text: str) -> Iterator[EnvRead]:
    for match in _PY_READ.finditer(text):
        group = next(g for g in "abcde" if match.group(g))
        yield EnvRead(match.group(group), match.start(group), match.end(group))
    for cls in _PY_SETTINGS_CLASS.finditer(text):
        body_end = _class_end(text, cls.end())
        body = text[cls.end():body_end]
        prefix_match = _PY_PREFIX.search(body)
        prefix = prefix_match.group("prefix") if prefix_match else ""
        fields = list(_PY_FIELD.finditer(body))
        indent = min((f.group("indent") for f in fields), key=len, default="")
        for fld in fields:  # class-level annotations only: not ``else:`` or a nested block's lines
            name = fld.group("name")
            if fld.group("indent") != indent or keyword.iskeyword(name) or name == "model_config" \
                    or name.startswith("_"):
                continue
            alias = _PY_ALIAS.search(fld.group("default") or "")
            name = alias.group("name") if alias else (prefix + fld.group("name")).upper()
            start = cls.end() + fld.start("name")
            yield EnvRead(name, start, start + len(fld.group("name")))


def _class_end(text: str, body_start: int) -> int:
    """Where a class body ends: the first non-blank line back at column 0."""
    match = re.compile(r"^\S", re.MULTILINE).search(text, body_start)
    return match.start() if match else len(text)


def index_env(ctx: Context) -> None:
    """Add one artifact's reads, sets and documentation to the project's inventory (once per artifact)."""
    inventory = ctx.facts.bucket(BUCKET, Inventory)
    art = ctx.artifact
    if art.path in inventory.indexed:
        return
    inventory.indexed.add(art.path)
    line = lambda offset: art.real_line(ctx.position(offset)[0])  # noqa: E731 - local shorthand
    text = art.text
    if art.kind in {"javascript", "typescript"}:
        for read in js_env_reads(text):
            inventory.add(inventory.reads, read.name, Place(art.path, line(read.start), "javascript"))
    elif art.kind == "python":
        for read in _python_reads(text):
            inventory.add(inventory.reads, read.name, Place(art.path, line(read.start), "python"))
    elif art.kind == "env":
        from scanner.analysis.env.dotenv import assignments, is_template_file

        template = is_template_file(art.path)
        for a in assignments(text):
            table = inventory.documented if template else inventory.sets if a.value else None
            if table is not None:
                inventory.add(table, a.name, Place(art.path, line(a.start), "env-file"))
    else:
        kind = config_kind(art.path)
        if kind is not None:
            _index_config(inventory, text, art.path, kind, line)


def _index_config(inventory: Inventory, text: str, path: str, kind: str, line) -> None:
    """Docker, compose, CI and hosting files: what they read, set or pass through."""
    def assign(name: str, value: str | None, offset: int) -> None:
        value = (value or "").strip()
        declared = not value or value.startswith(("{", "[")) or _REFERENCE.match(value)  # app.json: {"description"}
        table = inventory.passes if declared else inventory.sets
        inventory.add(table, name, Place(path, line(offset), kind))

    for match in _CI_SECRET.finditer(text):
        inventory.add(inventory.passes, match.group("name"), Place(path, line(match.start()), "ci-secret"))
    for match in _SHELL_REF.finditer(text):
        name = match.group("a") or match.group("b")
        if kind in {"docker", "compose"} and name:
            inventory.add(inventory.reads, name, Place(path, line(match.start()), kind))
    if kind == "docker":
        for match in _DOCKER_ARG.finditer(text):
            inventory.add(inventory.reads, match.group("name"), Place(path, line(match.start("name")), kind))
        for match in _DOCKER_ENV.finditer(text):
            for pair in _PAIR.finditer(match.group("body")):
                assign(pair.group("name"), pair.group("value"), match.start("body") + pair.start())
        return
    if kind == "hosting" and PurePosixPath(path).name == "render.yaml":
        for match in _RENDER_KEY.finditer(text):
            inventory.add(inventory.passes, match.group("name"), Place(path, line(match.start("name")), kind))
        return
    pattern_set = (_YAML_ENV_ITEM, _YAML_ENV_KEY) if kind in {"compose", "ci"} or path.endswith((".yml", ".yaml")) \
        else (_TOML_OR_JSON_KEY,)
    for pattern in pattern_set:
        for match in pattern.finditer(text):
            assign(match.group("name"), match.group("value"), match.start("name"))


def inventory_rows(facts: ProjectFacts) -> list[dict[str, Any]]:
    """The inventory as JSON-ready rows, one per variable, secrets first, then by name."""
    from scanner.analysis.browser.reach import browser_reach

    inventory = facts.bucket(BUCKET, Inventory)
    reach = browser_reach(facts)
    names = set(inventory.reads) | set(inventory.sets) | set(inventory.passes) | set(inventory.documented)
    rows = []
    for name in names:
        reads = inventory.reads.get(name, [])
        # A value reaches the browser when a client-prefixed name is read in browser code (bundlers inline
        # only those; an unprefixed read there is undefined at run time).
        browser_reads = [p for p in reads if p.kind == "javascript" and client_prefix(name) and reach.reaches(p.path)]
        rows.append({
            "name": name,
            "secret": looks_secret(name),
            "client_prefix": client_prefix(name),
            "browser": bool(browser_reads),
            "documented": name in inventory.documented,
            "committed_value": sorted({p.path for p in inventory.sets.get(name, [])}),
            "provided_by": sorted({p.path for p in inventory.passes.get(name, [])}),
            "read_count": len(reads),
            "read_in": [_place(p, browser=p in browser_reads) for p in _first(reads)],
            "set_in": [_place(p) for p in _first(inventory.sets.get(name, []) + inventory.passes.get(name, []))],
        })
    rows.sort(key=lambda r: (not r["secret"], not r["browser"], r["name"]))
    return rows


def _first(places: list[Place]) -> list[Place]:
    return sorted(set(places))[:MAX_PLACES]


def _place(place: Place, *, browser: bool = False) -> dict[str, Any]:
    row = {"path": place.path, "line": place.line, "kind": place.kind}
    if browser:
        row["browser"] = True
    return row
