"""Whether, and which schemas of, a project's database browsers reach through PostgREST.

Signals: the Supabase browser client (``@supabase/supabase-js``, ``@supabase/ssr``, the auth helpers) named in
``package.json`` or JavaScript/TypeScript; a Supabase project folder (``supabase/config.toml`` or
``supabase/migrations/``); a PostgREST configuration (``db-schemas`` in a ``postgrest*.conf``,
``PGRST_DB_SCHEMAS`` in a compose file or environment). Exposed schemas are those of ``[api] schemas`` in
``supabase/config.toml`` or PostgREST's ``db-schemas``, else ``public``; schemas Supabase manages itself
(``storage``, ``auth``, ``graphql_public``...) are left out: their tables are not in the project's SQL.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

BROWSER_CLIENT = re.compile(r"@supabase/(?:supabase-js|ssr|auth-helpers)")
_POSTGREST_SCHEMAS = re.compile(r"(?:\bdb-schemas?|\bPGRST_DB_SCHEMAS?)\s*[=:]\s*[\"']?(?P<schemas>[\w\s,]+)")
#: Schemas Supabase runs itself: never in a project's migrations as its own tables.
MANAGED_SCHEMAS = frozenset({"auth", "storage", "graphql", "graphql_public", "realtime", "extensions", "vault",
                             "pgsodium", "supabase_functions", "supabase_migrations", "net", "cron"})
DEFAULT_SCHEMAS = frozenset({"public"})


@dataclass
class Exposure:
    """What the index pass learned about how the database is reached."""

    #: Why the database is reachable from browsers (first signal seen), or None.
    reason: str | None = None
    #: Schemas listed by a Supabase or PostgREST configuration, by the folder the configuration applies to.
    schemas: dict[str, frozenset[str]] = field(default_factory=dict)

    def read(self, path: str, text: str) -> None:
        """Learn from one SQL file or one file that :func:`signals` chose."""
        posix = PurePosixPath(path)
        if posix.name == "config.toml" and posix.parent.name == "supabase":
            self.reason = self.reason or f"Supabase project ({path})"
            listed = _toml_schemas(text)
            if listed is not None:
                self.schemas[_root_of(posix.parent)] = listed
        elif posix.suffix == ".sql":
            if "supabase" in posix.parts[:-1]:
                self.reason = self.reason or f"Supabase migrations ({posix.parent})"
        elif match := _POSTGREST_SCHEMAS.search(text):
            self.reason = self.reason or f"PostgREST configuration ({path})"
            self.schemas[_root_of(posix.parent)] = frozenset(
                s.strip().lower() for s in match.group("schemas").split(",") if s.strip())
        elif BROWSER_CLIENT.search(text):
            self.reason = self.reason or f"Supabase browser client ({path})"

    def exposed(self, root: str) -> frozenset[str]:
        """The exposed schemas of the database whose SQL lives under ``root`` (none if nothing exposes it)."""
        if self.reason is None:
            return frozenset()
        listed = next((schemas for folder, schemas in sorted(self.schemas.items(), key=lambda i: -len(i[0]))
                       if root.startswith(folder)), None)
        return (listed if listed is not None else DEFAULT_SCHEMAS) - MANAGED_SCHEMAS


def signals(path: str, kind: str, text: str) -> bool:
    """Whether a file (other than SQL) may tell how the database is reached: cheap, on the path first."""
    posix = PurePosixPath(path)
    if posix.name == "config.toml":
        return posix.parent.name == "supabase"
    if kind in ("javascript", "typescript") or posix.name == "package.json":
        return BROWSER_CLIENT.search(text) is not None
    if "postgrest" in posix.name.lower() or posix.name.startswith(("docker-compose", "compose")) or \
            posix.name.startswith(".env"):
        return _POSTGREST_SCHEMAS.search(text) is not None
    return False


def database_root(path: str) -> str:
    """The folder a migration belongs to, so that SQL of separate apps in one repository (examples, a monorepo)
    makes separate databases: the part before ``supabase/``, ``migrations/``, ``prisma/``, ``drizzle/``,
    ``db/``..., else the file's folder."""
    posix = PurePosixPath(path)
    for index, part in enumerate(posix.parts[:-1]):
        if part.lower() in _DATABASE_FOLDERS:
            return "/".join(posix.parts[:index])
    return str(posix.parent) if str(posix.parent) != "." else ""


_DATABASE_FOLDERS = frozenset({"supabase", "migrations", "migration", "prisma", "drizzle", "db", "database", "sql",
                               "schema", "schemas"})


def _root_of(folder: PurePosixPath) -> str:
    """The database root a configuration folder (``app/supabase``, ``deploy``) applies to."""
    parts = folder.parts[:-1] if folder.name == "supabase" else folder.parts
    return "/".join(parts)


def _toml_schemas(text: str) -> frozenset[str] | None:
    try:
        api = tomllib.loads(text).get("api", {})
    except (tomllib.TOMLDecodeError, AttributeError):
        return None
    schemas = api.get("schemas") if isinstance(api, dict) else None
    if not isinstance(schemas, list):
        return None
    return frozenset(s.lower() for s in schemas if isinstance(s, str))
