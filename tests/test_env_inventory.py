"""The environment inventory end to end: every variable read across languages and configs, never a value."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, fake_key, run_cli

SCHEMA = json.loads((ROOT / "scanner" / "reporters" / "report.schema.json").read_text())


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str]:
    secret = fake_key("", 32, seed=3)
    files = {
        ".gitignore": "node_modules/\n.env*.local\n",
        ".env": f"JWT_SECRET={secret}\nLOG_LEVEL=debug\n",
        ".env.example": "OPENAI_API_KEY=\nNEXT_PUBLIC_SITE_URL=\n",
        "web/app/chat/panel.tsx": "'use client'\nexport const site = process.env.NEXT_PUBLIC_SITE_URL\n",
        "web/app/api/chat/route.ts": ("const key = process.env.OPENAI_API_KEY\n"
                                      "const { STRIPE_SECRET_KEY } = process.env\n"),
        "web/src/main.ts": "export const u = import.meta.env.VITE_API_URL\n",
        "api/settings.py": ("import os\nfrom pydantic_settings import BaseSettings\n\nDB = os.environ['DATABASE_URL']\n"
                            "REDIS = os.getenv('REDIS_URL')\n\nclass Settings(BaseSettings):\n"
                            "    model_config = SettingsConfigDict(env_prefix='APP_')\n    sentry_dsn: str = ''\n"
                            "    resend_api_key: str\n\n    def check(cls, v):\n        if v:\n            return v\n"
                            "        else:\n            return None\n"),
        "Dockerfile": "FROM node:20\nARG NPM_TOKEN\nENV NODE_ENV=production PORT=3000\n",
        "docker-compose.yml": "services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}\n",
        ".github/workflows/deploy.yml": "jobs:\n  d:\n    env:\n      VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}\n",
        "fly.toml": "[env]\n  FEATURE_FLAG = \"on\"\n",
        "app.json": '{\n  "env": {\n    "SESSION_SECRET": {"description": "signs", "required": true}\n  }\n}\n',
    }
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return tmp_path, secret


def _scan(path: Path) -> dict:
    result = run_cli("scan", str(path), "--format", "json", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


def test_inventory_lists_every_variable_with_places_and_facts(project):
    root, secret = project
    document = _scan(root)
    rows = {row["name"]: row for row in document["env_inventory"]}
    assert {"NEXT_PUBLIC_SITE_URL", "OPENAI_API_KEY", "STRIPE_SECRET_KEY", "VITE_API_URL", "DATABASE_URL",
            "REDIS_URL", "APP_SENTRY_DSN", "APP_RESEND_API_KEY", "NPM_TOKEN", "POSTGRES_PASSWORD", "VERCEL_TOKEN",
            "JWT_SECRET", "FEATURE_FLAG"} <= set(rows)
    assert "ELSE" not in rows and "IF" not in rows  # a validator's body is not a settings field
    assert "NODE_ENV" not in rows and "PORT" not in rows  # set by every toolchain: noise for a new owner
    assert rows["NEXT_PUBLIC_SITE_URL"]["browser"] and rows["NEXT_PUBLIC_SITE_URL"]["documented"]
    assert rows["OPENAI_API_KEY"]["secret"] and not rows["OPENAI_API_KEY"]["browser"]
    assert rows["OPENAI_API_KEY"]["read_in"] == [{"path": "web/app/api/chat/route.ts", "line": 1, "kind": "javascript"}]
    assert rows["STRIPE_SECRET_KEY"]["read_in"][0]["line"] == 2
    assert rows["JWT_SECRET"]["committed_value"] == [".env"] and rows["JWT_SECRET"]["read_count"] == 0
    assert rows["VERCEL_TOKEN"]["provided_by"] == [".github/workflows/deploy.yml"]
    assert rows["POSTGRES_PASSWORD"]["secret"] and rows["POSTGRES_PASSWORD"]["provided_by"] == ["docker-compose.yml"]
    assert rows["FEATURE_FLAG"]["committed_value"] == ["fly.toml"] and not rows["FEATURE_FLAG"]["secret"]
    assert rows["SESSION_SECRET"]["provided_by"] == ["app.json"] and not rows["SESSION_SECRET"]["committed_value"]
    assert rows["APP_RESEND_API_KEY"]["secret"] and not rows["APP_SENTRY_DSN"]["secret"]
    assert rows["DATABASE_URL"]["secret"] and rows["REDIS_URL"]["secret"]
    names = [row["name"] for row in document["env_inventory"]]
    assert names.index("OPENAI_API_KEY") < names.index("FEATURE_FLAG")  # secrets first
    assert secret not in json.dumps(document)


def test_env_findings_and_handover_table(project, tmp_path):
    root, secret = project
    document = _scan(root)
    rules = {(f["rule_id"], f["location"]["path"]) for f in document["findings"]}
    assert ("env-file-committed", ".env") in rules and ("env-not-gitignored", ".gitignore") in rules
    assert not any(rule == "env-example-real-value" for rule, _ in rules)
    html = tmp_path / "report.html"
    result = run_cli("scan", str(root), "--html", str(html), "--fail-on", "none", "-q")
    assert result.returncode == 0, result.stderr
    page = html.read_text()
    assert 'id="handover"' in page and "VERCEL_TOKEN" in page and "JWT_SECRET" in page
    assert secret not in page


def test_project_without_environment_has_an_empty_inventory(tmp_path):
    (tmp_path / "app.py").write_text("print('hello')\n")
    assert _scan(tmp_path)["env_inventory"] == []
