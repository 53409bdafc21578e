"""Tables holding tenant data without Postgres row-level security, in projects whose browser code talks to
the database directly (Supabase).

With ``@supabase/supabase-js`` in the front end, the anon key ships to every browser and row-level
security is the only thing between one user and every other user's rows. The index pass reads SQL files
(``CREATE TABLE`` with a tenant/owner key column, ``ALTER TABLE ... ENABLE ROW LEVEL SECURITY``) and
looks for the Supabase browser client; the detect pass reports each such table that never enables RLS.
Only plain SQL migrations are read (Alembic ``op.create_table`` is not), and only tables in the default
``public`` schema. No libcst: regexes on text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.config import Config
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Rule

BUCKET = "tenant-rls"
_CREATE = re.compile(r"\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?(?:\"?(\w+)\"?\.)?\"?(\w+)\"?\s*\(",
                     re.IGNORECASE)
_ENABLE = re.compile(r"\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?:\"?\w+\"?\.)?\"?(\w+)\"?\s+"
                     r"enable\s+row\s+level\s+security", re.IGNORECASE)
_BROWSER_CLIENT = re.compile(r"@supabase/(?:supabase-js|ssr|auth-helpers)")


@dataclass
class RlsFacts:
    uses_browser_client: bool = False
    protected: set[str] = field(default_factory=set)


class TenantRlsDetector(Detector):
    """Reports tenant tables created in SQL without ``ENABLE ROW LEVEL SECURITY`` (Supabase projects)."""

    rule_ids = ("tenant-table-without-rls",)
    needs_index = True

    def __init__(self, rules: list[Rule], config: Config):
        super().__init__(rules, config)
        keys = sorted(set(config.tenant_keys) | set(config.owner_keys))
        self.key_column = re.compile(r"\b(?:" + "|".join(map(re.escape, keys)) + r")\b", re.IGNORECASE) \
            if keys else re.compile("(?!)")

    def wants(self, artifact: Artifact) -> bool:
        """SQL files, and only those other files (package.json, JS/TS) that name the Supabase client."""
        if artifact.path.endswith(".sql"):
            return True
        code = artifact.kind in ("javascript", "typescript") or artifact.path.endswith("package.json")
        return code and _BROWSER_CLIENT.search(artifact.text) is not None

    def index(self, artifact: Artifact, ctx: Context) -> None:
        facts = ctx.facts.bucket(BUCKET, RlsFacts)
        if artifact.path.endswith(".sql"):
            facts.protected.update(m.group(1).lower() for m in _ENABLE.finditer(artifact.text))
        else:
            facts.uses_browser_client = True

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        facts = ctx.facts.bucket(BUCKET, RlsFacts)
        if not artifact.path.endswith(".sql") or not facts.uses_browser_client:
            return
        text = artifact.text
        for match in _CREATE.finditer(text):
            schema, table = (match.group(1) or "public").lower(), match.group(2)
            if schema != "public":
                continue
            key = self.key_column.search(_body(text, match.end() - 1))
            if key is None:
                continue
            ctx.examined("tenant-isolation", "SQL table with a tenant column")
            if table.lower() in facts.protected:
                ctx.evidence("tenant-isolation", f"row-level security enabled on {table} ({artifact.path})")
                continue
            yield ctx.finding(
                "tenant-table-without-rls", ctx.span(match.start(), match.end() - 1),
                message=f"Table {table} holds per-tenant rows ({key.group(0)}) but row-level security is never "
                        f"enabled, and the browser talks to the database with the Supabase client",
                key=f"rls:{table.lower()}", table=table)


def _body(text: str, open_paren: int) -> str:
    """The text between the parenthesis at ``open_paren`` and its match (the column list)."""
    depth = 0
    for index in range(open_paren, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return text[open_paren + 1:index]
    return text[open_paren + 1:]
