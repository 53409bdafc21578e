"""The language-neutral data-access model: which tables hold tenant data, and every read, update and delete on
them with the keys it constrains and where its ids come from.

Per-language extractors (``javascript/``, ``python/access.py``) build :class:`TenantTable`\\ s and
:class:`DataAccess`\\ es; the tenant detector decides over these alone. Names are compared by
:func:`table_name` (``BasketModel``, ``baskets``,
``prisma.basket``, ``basketRepository`` are one table) and keys by :func:`snake` (``teamId``, ``TeamId`` and
``team_id`` are one key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.context import ProjectFacts, Span

#: Owner columns every project spells alike, beyond the configured keys (who wrote or created a row).
AUTHOR_KEYS = ("author", "author_id", "created_by", "creator_id")
TABLES_BUCKET = "tenant-tables"

#: Where an id that selects rows comes from.
REQUEST = "request"  # path, query, body, headers, form data, a server action's arguments
TOOL_ARGUMENT = "tool argument"  # filled by the model in an LLM tool call
SCOPED_ROW = "scoped row"  # a value loaded by a query scoped to the caller
SESSION = "session"  # the signed-in user or their tenant
CAPABILITY = "capability"  # a secret the caller holds (an API key, a signed token): holding it authorizes
#: An argument of a function nothing in the project calls (a view the route model does not know, a handler
#: registered at run time): whoever calls it chooses the id, but it is not known to be the request.
ENTRY_ARGUMENT = "entry argument"
UNKNOWN = "unknown"
#: Origins that an attacker chooses: an unscoped load by one of these reaches other tenants' rows.
CLIENT_CHOSEN = frozenset({REQUEST, TOOL_ARGUMENT})

READ, UPDATE, DELETE, UPSERT, CALL = "read", "update", "delete", "upsert", "call"
VERBS = {READ: "loads", UPDATE: "updates", DELETE: "deletes", UPSERT: "upserts", CALL: "calls"}


@lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """``teamId``/``TeamId``/``team_id``/``teamID`` -> ``team_id``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip("\"'`"))
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


_SUFFIXES = ("model", "collection", "repository", "repo", "table", "entity", "schema", "store")


@lru_cache(maxsize=4096)
def table_name(name: str) -> str:
    """One spelling per table: ``BasketModel``, ``baskets``, ``basketRepository``, ``team_members``,
    ``TeamMember`` -> ``basket``, ``basket``, ``basket``, ``teammember``, ``teammember``."""
    text = re.sub(r"[^a-z0-9]", "", name.lower())
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            text = text[: -len(suffix)]
            break
    if text.endswith("ies") and len(text) > 4:
        return text[:-3] + "y"
    if text.endswith("s") and not text.endswith("ss") and len(text) > 2:
        return text[:-1]
    return text


@dataclass(frozen=True)
class KeyPolicy:
    """The tenant and owner keys of the configuration, in snake case, with the relation names they imply
    (``user_id`` -> a ``user`` relation)."""

    tenant: frozenset[str]
    owner: frozenset[str]

    @classmethod
    def of(cls, config: Config) -> KeyPolicy:
        return cls(frozenset(snake(k) for k in config.tenant_keys),
                   frozenset(snake(k) for k in (*config.owner_keys, *AUTHOR_KEYS)))

    @property
    def keys(self) -> frozenset[str]:
        return self.tenant | self.owner

    def key_of(self, field_name: str) -> str | None:
        """The key a field or column names: itself (``teamId`` -> ``team_id``), or the key of the relation it
        is (``team`` -> ``team_id``, ``owner`` -> ``owner_id``); None for other fields."""
        name = snake(field_name)
        if name in self.keys:
            return name
        return f"{name}_id" if f"{name}_id" in self.keys else None

    def words(self) -> re.Pattern[str]:
        """Any key in any spelling, as a word: ``team_id``, ``teamId``, ``TeamId``."""
        return _words(self.keys)

    def owner_check(self) -> re.Pattern[str]:
        """Code that checks a loaded row belongs to the caller: compares an owner or tenant key, a row's
        ``email`` or ``owner`` (``if (doc.userId !== session.user.id) throw``), or calls an access-check helper
        (``assertCanAccess(doc, user)``)."""
        return _owner_check(self.keys)


@lru_cache(maxsize=16)
def _words(keys: frozenset[str]) -> re.Pattern[str]:
    spellings = set()
    for key in keys:
        parts = key.split("_")
        spellings.update({key, parts[0] + "".join(p.title() for p in parts[1:]), "".join(p.title() for p in parts)})
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, spellings))) + r")\b")


@lru_cache(maxsize=16)
def _owner_check(keys: frozenset[str]) -> re.Pattern[str]:
    words = _words(keys).pattern[len(r"\b(?:"):-len(r")\b")]
    compare = r"(?:!==?|===?)"
    caller = r"(?:user\.id|session\.\w+(?:\.\w+)*|auth\.uid\(\))"
    return re.compile(rf"(?:\b(?:{words})|\.(?:email|owner)|\b{caller})\s*{compare}|"
                      rf"{compare}\s*[\w.?()]*\b(?:{words}|email)\b|{compare}\s*[\w.?()]*\b{caller}|"
                      r"\b(?:assert|check|verify|ensure|require|can|has|is|throwIf|throwUnless)\w*(?:Own|Access|"
                      r"Permission|Member|Belong|Author|Allowed)\w*\(|\bauthoriz\w*\(|"
                      r"\.(?:isPublic|public|visibility|isShared|shared|published|isPublished)\b")


@dataclass
class TenantTable:
    """A table, model or collection that holds tenant or owner data."""

    name: str  # as declared: ``Basket``, ``notes``, ``reviewsCollection``
    keys: tuple[str, ...]  # snake-case tenant/owner keys it carries
    origin: str  # ``path:line`` where it was learned
    how: str  # prisma, drizzle, typeorm, sequelize, mongoose, sql, document insert


@dataclass
class TableIndex:
    """Every tenant table of the project, by :func:`table_name`."""

    tables: dict[str, TenantTable] = field(default_factory=dict)
    #: Names in code that denote a table (a Drizzle variable, a Sequelize class) -> normalised table name.
    aliases: dict[str, str] = field(default_factory=dict)
    _pattern: tuple[int, re.Pattern[str]] | None = field(default=None, repr=False)

    def add(self, table: TenantTable, *names: str) -> None:
        key = table_name(table.name)
        known = self.tables.get(key)
        if known is None:
            self.tables[key] = table
        else:
            known.keys = tuple(dict.fromkeys((*known.keys, *table.keys)))
        for name in names:
            self.aliases[name] = key

    def find(self, name: str | None) -> TenantTable | None:
        if not name:
            return None
        return self.tables.get(self.aliases.get(name) or table_name(name))

    def mention_pattern(self) -> re.Pattern[str] | None:
        """Text that may name one of the tables (a cheap prefilter for the detect pass): each declared name and
        alias as written, with its first letter in either case (``Note`` and ``prisma.note``)."""
        if not self.tables:
            return None
        if self._pattern is None or self._pattern[0] != len(self.aliases) + len(self.tables):
            names = {t.name for t in self.tables.values()} | set(self.aliases)
            variants = {v for n in names if n for v in (n, n[0].lower() + n[1:], n[0].upper() + n[1:])}
            pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, variants), key=len, reverse=True)) + ")")
            self._pattern = (len(self.aliases) + len(self.tables), pattern)
        return self._pattern[1]


def table_index(facts: ProjectFacts) -> TableIndex:
    """The project's tenant tables (filled in the index pass)."""
    return facts.bucket(TABLES_BUCKET, TableIndex)


@dataclass(frozen=True)
class IdInput:
    """A value that selects rows: its expression, where it comes from, and how (``req.params.id``)."""

    name: str
    origin: str
    detail: str = ""


@dataclass
class DataAccess:
    """One read, update, delete or upsert (or a stored-procedure call) on a table."""

    table: str | None  # the table as written (None for an RPC whose tables are unknown)
    operation: str  # READ, UPDATE, DELETE, UPSERT, CALL
    call: str  # the call as written, shortened: ``BasketModel.findOne``, ``supabase.from("files").update``
    #: Columns the query constrains, snake case (``id``, ``team_id``).
    constrained: frozenset[str]
    inputs: tuple[IdInput, ...]
    span: Span
    function: str  # enclosing function's name, or ""
    #: The query's own text mentions a tenant/owner key (a join, a relation filter, a helper's where).
    mentions_key: bool = False
    #: The loaded row's owner is compared with the caller in the function before use.
    owner_checked: bool = False
    #: The client bypasses row-level security (Supabase service role).
    bypasses_rls: bool = False
    #: The function called (a project helper) when the access happens inside it, with the argument passed.
    via: str = ""
    #: Where the enclosing function starts (byte offset): accesses of one function share it.
    scope: int = 0
    #: The row is only tested for existence (a uniqueness check before a create): it discloses nothing.
    existence_only: bool = False
    #: Only administrators reach it (a branch on an admin flag, an admin-only route guard).
    privileged: bool = False
    #: The route whose handler holds the access, when the extractor resolved it (else the detector looks).
    route: object | None = None
    #: The criteria name an id (``id``, ``*_id``); False for searches by content.
    by_id: bool = True
    #: A raw SQL statement rather than an ORM or client call.
    raw_sql: bool = False

    def client_chosen(self) -> list[IdInput]:
        return [i for i in self.inputs if i.origin in CLIENT_CHOSEN]

    def entry_arguments(self) -> list[IdInput]:
        return [i for i in self.inputs if i.origin == ENTRY_ARGUMENT]

    def parents(self) -> set[str]:
        """Foreign keys the filter constrains besides the row's own id (``project_id`` in ``{ id, projectId }``):
        the rows are selected through a parent row."""
        own = {"id", "_id", "uuid", "pk"} | ({f"{snake(table_name(self.table))}_id"} if self.table else set())
        return {c for c in self.constrained if c.endswith("_id") and c not in own}

    def scoped_to(self, table: TenantTable | None) -> bool:
        """The access constrains one of the table's keys (or any key, through a join or relation)."""
        if self.mentions_key or self.owner_checked:
            return True
        return table is not None and bool(self.constrained & set(table.keys))


def owner_check_pattern(tenant_keys: tuple[str, ...], owner_keys: tuple[str, ...]) -> re.Pattern[str]:
    """Code that compares or filters by an owner or tenant key (either spelling), or compares a row's owner or
    email with the caller: the ownership check after a load (``if (doc.userId !== session.user.id)``)."""
    words = set()
    for key in (*tenant_keys, *owner_keys, "user_id", "owner_id", "author_id", "created_by"):
        words.add(re.escape(key))
        parts = key.split("_")
        words.add(re.escape(parts[0] + "".join(p.title() for p in parts[1:])))
    alternation = "|".join(sorted(words))
    return re.compile(rf"\b(?:{alternation})\b\s*(?::|!==?|===?)|(?:!==?|===?)\s*[\w.?]*\b(?:{alternation}|user\.id)\b"
                      rf"|\.(?:email|owner)\s*!==?|\buser\.id\b\s*(?:!==?|===?)")
