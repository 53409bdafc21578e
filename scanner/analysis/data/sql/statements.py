"""Recognise the DDL that decides what a browser can reach through PostgREST: tables, row-level security,
policies, functions, views, and the privileges granted or revoked on them.

:func:`recognise` turns one :class:`~scanner.analysis.data.sql.lexer.Statement` into zero or more of the small
records below; anything else (DML, indexes, extensions, ``DO`` blocks) yields nothing. Names are lower-cased
with quotes removed; an unqualified name is in ``public``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.analysis.data.sql.lexer import Statement, split_statements

_NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_QNAME = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_FLAGS = re.IGNORECASE | re.DOTALL

MAX_STATEMENT = 100_000
_DO = re.compile(r"do\s*(?:language\s+\w+\s*)?\$", re.IGNORECASE)
_DDL_START = re.compile(r"\b(?:create|alter|drop|grant|revoke)\s", re.IGNORECASE)
_EXECUTE = re.compile(r"\bexecute\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(rf"create\s+(?:(?:global|local)\s+)?(?P<temp>temp\s+|temporary\s+)?(?:unlogged\s+)?"
                           rf"table\s+(?:if\s+not\s+exists\s+)?(?P<name>{_QNAME})\s*", _FLAGS)
_ALTER_TABLE = re.compile(rf"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<name>{_QNAME})\s+(?P<rest>.*)", _FLAGS)
_RLS_SWITCH = re.compile(r"\b(?P<verb>enable|disable)\s+row\s+level\s+security\b", re.IGNORECASE)
_ADD_COLUMN = re.compile(rf"\badd\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?(?P<column>{_NAME})", re.IGNORECASE)
_RENAME_TABLE = re.compile(rf"^rename\s+to\s+(?P<name>{_NAME})", re.IGNORECASE)
_DROP = re.compile(r"drop\s+(?P<kind>table|function|view|materialized\s+view)\s+(?:if\s+exists\s+)?(?P<names>.*)",
                   _FLAGS)
_CREATE_POLICY = re.compile(rf"create\s+policy\s+(?P<policy>{_NAME})\s+on\s+(?P<table>{_QNAME})(?P<rest>.*)", _FLAGS)
_ALTER_POLICY = re.compile(rf"alter\s+policy\s+(?P<policy>{_NAME})\s+on\s+(?P<table>{_QNAME})(?P<rest>.*)", _FLAGS)
_DROP_POLICY = re.compile(rf"drop\s+policy\s+(?:if\s+exists\s+)?(?P<policy>{_NAME})\s+on\s+(?P<table>{_QNAME})",
                          _FLAGS)
_POLICY_AS = re.compile(r"\bas\s+(?P<kind>permissive|restrictive)\b", re.IGNORECASE)
_POLICY_FOR = re.compile(r"\bfor\s+(?P<command>all|select|insert|update|delete)\b", re.IGNORECASE)
_POLICY_TO = re.compile(r"\bto\s+(?P<roles>.+?)(?=\busing\b|\bwith\s+check\b|$)", _FLAGS)
_USING = re.compile(r"\busing\s*\(", re.IGNORECASE)
_WITH_CHECK = re.compile(r"\bwith\s+check\s*\(", re.IGNORECASE)
_CREATE_FUNCTION = re.compile(rf"create\s+(?:or\s+replace\s+)?function\s+(?P<name>{_QNAME})\s*\(", _FLAGS)
_ALTER_FUNCTION = re.compile(rf"alter\s+function\s+(?P<name>{_QNAME})\s*(?P<rest>.*)", _FLAGS)
_RETURNS = re.compile(r"\breturns\s+\"?(?P<type>\w+)", re.IGNORECASE)
_RETURNS_TRIGGER = re.compile(r"\breturns\s+\"?(?:event_)?trigger\b", re.IGNORECASE)
_DEFINER = re.compile(r"\bsecurity\s+(?P<kind>definer|invoker)\b", re.IGNORECASE)
_SEARCH_PATH = re.compile(r"\bset\s+search_path\b", re.IGNORECASE)
_AS_STRING = re.compile(r"\bas\s+'((?:[^']|'')*)'", re.IGNORECASE)
_CREATE_VIEW = re.compile(rf"create\s+(?:or\s+replace\s+)?(?:temp\s+|temporary\s+)?(?:recursive\s+)?"
                          rf"(?P<materialized>materialized\s+)?view\s+(?:if\s+not\s+exists\s+)?(?P<name>{_QNAME})"
                          rf"(?P<rest>.*)", _FLAGS)
_ALTER_VIEW = re.compile(rf"alter\s+view\s+(?:if\s+exists\s+)?(?P<name>{_QNAME})\s+(?P<rest>.*)", _FLAGS)
_VIEW_OPTIONS = re.compile(r"^\s*(?:\([^)]*\)\s*)?with\s*\((?P<options>[^)]*)\)", _FLAGS)
_INVOKER_ON = re.compile(r"security_invoker\s*(?:=\s*'?(?:true|on|yes|1)'?)?\s*(?:,|\)|$)", re.IGNORECASE)
_FROM_TABLE = re.compile(rf"\b(?:from|join)\s+(?P<name>{_QNAME})", re.IGNORECASE)
_GRANT_HEAD = re.compile(r"(?P<verb>grant|revoke)\s+(?:grant\s+option\s+for\s+)?", re.IGNORECASE)
_ON = re.compile(r"\s+on\s+", re.IGNORECASE)
_TO_FROM = re.compile(r"\s+(?:to|from)\s+", re.IGNORECASE)
_GRANT_TAIL = re.compile(r"\s+(?:cascade|restrict|with\s+grant\s+option|granted\s+by\s+.*)\s*$", _FLAGS)
_DEFAULT_PRIVILEGES = re.compile(r"alter\s+default\s+privileges\s+(?:for\s+(?:role|user)\s+.+?\s+)?"
                                 rf"(?:in\s+schema\s+(?P<schemas>{_NAME}(?:\s*,\s*{_NAME})*)\s+)?"
                                 r"(?P<grant>(?:grant|revoke)\s+.*)", _FLAGS)
_ALL_IN_SCHEMA = re.compile(rf"^all\s+(?P<kind>tables|functions|routines)\s+in\s+schema\s+"
                            rf"(?P<schemas>{_NAME}(?:\s*,\s*{_NAME})*)\s*$", _FLAGS)
_OBJECT_KIND = re.compile(r"^(?P<kind>table|function|routine|functions|tables|routines|sequence|schema|procedure)\s+",
                          re.IGNORECASE)
#: What a function body does beyond reading rows: writes, dynamic SQL, HTTP calls, Supabase's own tables.
EFFECTS = re.compile(r"\b(?:insert\s+into|update\s+[\w\".]+\s+set|delete\s+from|truncate|execute|http\w*\s*\(|"
                     r"net\s*\.\s*http|pg_net|storage\s*\.\s*objects|auth\s*\.\s*users|vault\s*\.)", re.IGNORECASE)
#: A body that reads a relation (or does more, see ``EFFECTS``).
_TOUCHES = re.compile(r"\b(?:from|join)\s+[\w\"]|" + EFFECTS.pattern, re.IGNORECASE)
_CALL = re.compile(r"(?P<name>[A-Za-z_][\w.]*)\s*\(")
#: What reads the caller's identity: a body or filter using it acts for the caller, not for everyone.
CALLER = re.compile(r"\bauth\s*\.\s*(?:uid|jwt|role|email)\s*\(|request\.jwt\.claim|\bcurrent_user\b|\bsession_user\b|"
                    r"current_setting\s*\(\s*'role'", re.IGNORECASE)


@dataclass(frozen=True)
class Where:
    """Where a statement is: the file and the offset of its first keyword."""

    path: str
    offset: int


@dataclass(frozen=True)
class CreateTable:
    schema: str
    name: str
    columns: frozenset[str]
    where: Where


@dataclass(frozen=True)
class AlterTable:
    schema: str
    name: str
    rls: bool | None = None
    added: frozenset[str] = frozenset()
    renamed: str | None = None


@dataclass(frozen=True)
class EnableRlsEverywhere:
    """Row-level security enabled by dynamic SQL on tables it does not name (a loop in a ``DO`` block)."""


@dataclass(frozen=True)
class Drop:
    kind: str  # table | function | view
    schema: str
    name: str


@dataclass(frozen=True)
class Policy:
    name: str
    schema: str
    table: str
    command: str = "all"
    roles: frozenset[str] = frozenset({"public"})
    using: str | None = None
    check: str | None = None
    permissive: bool = True
    where: Where | None = None


@dataclass(frozen=True)
class AlterPolicy:
    name: str
    schema: str
    table: str
    roles: frozenset[str] | None = None
    using: str | None = None
    check: str | None = None


@dataclass(frozen=True)
class DropPolicy:
    name: str
    schema: str
    table: str


@dataclass(frozen=True)
class CreateFunction:
    schema: str
    name: str
    definer: bool
    search_path: bool
    trigger: bool
    checks_caller: bool
    effects: bool
    #: The return type's first word (``boolean``, ``setof``, ``trigger``), or "" when not seen.
    returns: str
    #: The body reads or writes some relation (``FROM``, ``JOIN``, or an effect): else it only computes.
    touches: bool
    #: Names the body calls (``public.remove_object``, ``now``), to follow effects into other functions.
    calls: frozenset[str]
    where: Where


@dataclass(frozen=True)
class AlterFunction:
    schema: str
    name: str
    definer: bool | None = None
    search_path: bool = False


@dataclass(frozen=True)
class CreateView:
    schema: str
    name: str
    invoker: bool
    materialized: bool
    reads: frozenset[tuple[str, str]]
    checks_caller: bool
    where: Where


@dataclass(frozen=True)
class AlterView:
    schema: str
    name: str
    invoker: bool | None


@dataclass(frozen=True)
class Privilege:
    """``GRANT``/``REVOKE`` on named objects (``kind`` is ``table`` or ``function``) or on all of a kind in
    some schemas (``objects`` empty, ``schemas`` set), or a default for objects created later."""

    grant: bool
    kind: str
    roles: frozenset[str]
    objects: tuple[tuple[str, str], ...] = ()
    schemas: tuple[str, ...] = ()
    default: bool = False
    #: For tables: the privileges include reading rows (``ALL`` or ``SELECT``).
    reads: bool = True


Recognised = (CreateTable | AlterTable | EnableRlsEverywhere | Drop | Policy | AlterPolicy | DropPolicy
              | CreateFunction | AlterFunction | CreateView | AlterView | Privilege)


def recognise(statement: Statement, path: str) -> Iterator[Recognised]:
    """The records ``statement`` amounts to (none for statements that do not matter here, nor for statements
    longer than ``MAX_STATEMENT``: DDL is never that long, data is)."""
    if len(statement.code) <= MAX_STATEMENT:
        yield from _recognise(statement.code.strip(), statement, Where(path, statement.offset))


def _recognise(code: str, statement: Statement, where: Where) -> Iterator[Recognised]:
    head = code[:7].lower()
    if _DO.match(code):
        yield from _do_block(statement, where)
    elif head.startswith("create"):
        yield from _create(code, statement, where)
    elif head.startswith("alter"):
        yield from _alter(code)
    elif head.startswith("drop"):
        yield from _drop(code)
    elif head.startswith(("grant", "revoke")):
        parts = _grant_parts(code)
        if parts:
            yield from _privilege(parts, default=False)


def _do_block(statement: Statement, where: Where) -> Iterator[Recognised]:
    """DDL inside ``DO $$ ... $$`` (``IF NOT EXISTS (...) THEN CREATE POLICY ...``), and a dynamic
    ``EXECUTE '... ENABLE ROW LEVEL SECURITY'`` (a loop over tables), which enables it on every table so far."""
    for body in statement.bodies:
        for inner in split_statements(body):
            code = inner.code
            if _EXECUTE.search(code) and _RLS_SWITCH.search(code):
                if _RLS_SWITCH.search(code).group("verb").lower() == "enable":
                    yield EnableRlsEverywhere()
            elif start := _DDL_START.search(code):
                yield from _recognise(code[start.start():].strip(), inner, where)


def _create(code: str, statement: Statement, where: Where) -> Iterator[Recognised]:
    if match := _CREATE_TABLE.match(code):
        if not match.group("temp"):
            schema, name = qualified(match.group("name"))
            yield CreateTable(schema, name, frozenset(_columns(code, match.end())), where)
    elif match := _CREATE_POLICY.match(code):
        schema, table = qualified(match.group("table"))
        yield _policy(unquote(match.group("policy")), schema, table, match.group("rest"), where)
    elif match := _CREATE_FUNCTION.match(code):
        yield _function(match, code, statement, where)
    elif match := _CREATE_VIEW.match(code):
        yield _view(match, statement, where)


def _alter(code: str) -> Iterator[Recognised]:
    if match := _ALTER_TABLE.match(code):
        schema, name = qualified(match.group("name"))
        rest = match.group("rest")
        switch = list(_RLS_SWITCH.finditer(rest))
        renamed = _RENAME_TABLE.match(rest.strip())
        yield AlterTable(schema, name, rls=switch[-1].group("verb").lower() == "enable" if switch else None,
                         added=frozenset(unquote(m.group("column")) for m in _ADD_COLUMN.finditer(rest)
                                         if unquote(m.group("column")) not in ("constraint", "primary", "foreign")),
                         renamed=unquote(renamed.group("name")) if renamed else None)
    elif match := _ALTER_POLICY.match(code):
        schema, table = qualified(match.group("table"))
        rest = match.group("rest")
        roles = _POLICY_TO.search(rest)
        yield AlterPolicy(unquote(match.group("policy")), schema, table,
                          roles=_roles(roles.group("roles")) if roles else None,
                          using=_clause(_USING, rest), check=_clause(_WITH_CHECK, rest))
    elif match := _ALTER_FUNCTION.match(code):
        schema, name = qualified(match.group("name"))
        rest = match.group("rest")
        definer = _DEFINER.search(rest)
        yield AlterFunction(schema, name, definer=definer.group("kind").lower() == "definer" if definer else None,
                            search_path=_SEARCH_PATH.search(rest) is not None)
    elif match := _ALTER_VIEW.match(code):
        schema, name = qualified(match.group("name"))
        rest = match.group("rest")
        invoker = None
        if re.search(r"\bsecurity_invoker\b", rest, re.IGNORECASE):
            invoker = bool(re.match(r"set\s*\(", rest, re.IGNORECASE)) and _INVOKER_ON.search(rest) is not None
        yield AlterView(schema, name, invoker)
    elif match := _DEFAULT_PRIVILEGES.match(code):
        inner = _grant_parts(match.group("grant"))
        if inner:
            schemas = match.group("schemas")
            yield from _privilege(inner, default=True,
                                  schemas=tuple(unquote(s) for s in schemas.split(",")) if schemas else ("public",))


def _drop(code: str) -> Iterator[Recognised]:
    if policy := _DROP_POLICY.match(code):
        yield DropPolicy(unquote(policy.group("policy")), *qualified(policy.group("table")))
        return
    match = _DROP.match(code)
    if not match:
        return
    kind = "view" if "view" in match.group("kind").lower() else match.group("kind").lower()
    for item in split_top_level(re.sub(r"\s+(?:cascade|restrict)\s*$", "", match.group("names"), flags=re.I)):
        name = re.match(_QNAME, item.strip())
        if name:
            yield Drop(kind, *qualified(name.group(0)))


def _policy(name: str, schema: str, table: str, rest: str, where: Where) -> Policy:
    head = _USING.split(rest, maxsplit=1)[0]
    head = _WITH_CHECK.split(head, maxsplit=1)[0]
    kind = _POLICY_AS.search(head)
    command = _POLICY_FOR.search(head)
    roles = _POLICY_TO.search(head)
    return Policy(name, schema, table, command=command.group("command").lower() if command else "all",
                  roles=_roles(roles.group("roles")) if roles else frozenset({"public"}),
                  using=_clause(_USING, rest), check=_clause(_WITH_CHECK, rest),
                  permissive=not (kind and kind.group("kind").lower() == "restrictive"), where=where)


def _function(match: re.Match[str], code: str, statement: Statement, where: Where) -> CreateFunction:
    schema, name = qualified(match.group("name"))
    header = code[_paren_end(code, match.end() - 1):]
    definer = [m.group("kind").lower() for m in _DEFINER.finditer(header)]
    source = " ".join(statement.bodies) or " ".join(m.group(1) for m in _AS_STRING.finditer(header))
    returns = _RETURNS.search(header)
    return CreateFunction(schema, name, definer=bool(definer) and definer[-1] == "definer",
                          search_path=_SEARCH_PATH.search(header) is not None,
                          trigger=_RETURNS_TRIGGER.search(header) is not None,
                          checks_caller=CALLER.search(source) is not None,
                          effects=EFFECTS.search(source) is not None,
                          returns=returns.group("type").lower() if returns else "",
                          touches=_TOUCHES.search(source) is not None,
                          calls=frozenset(m.group("name").split(".")[-1].lower() for m in _CALL.finditer(source)),
                          where=where)


def _view(match: re.Match[str], statement: Statement, where: Where) -> CreateView:
    schema, name = qualified(match.group("name"))
    rest = match.group("rest")
    options = _VIEW_OPTIONS.match(rest)
    invoker = bool(options) and _INVOKER_ON.search(options.group("options").strip() + ",") is not None
    reads = frozenset(qualified(m.group("name")) for m in _FROM_TABLE.finditer(rest))
    return CreateView(schema, name, invoker=invoker, materialized=bool(match.group("materialized")), reads=reads,
                      checks_caller=CALLER.search(rest) is not None, where=where)


@dataclass(frozen=True)
class _GrantParts:
    verb: str
    privileges: str
    target: str
    roles: str


def _grant_parts(code: str) -> _GrantParts | None:
    """``GRANT|REVOKE privileges ON target TO|FROM roles``, cut at the first ``ON`` and the ``TO``/``FROM``
    after it (linear: no backtracking over long statements)."""
    head = _GRANT_HEAD.match(code)
    on = _ON.search(code, head.end()) if head else None
    to = _TO_FROM.search(code, on.end()) if on else None
    if not (head and on and to):
        return None
    return _GrantParts(head.group("verb").lower(), code[head.end():on.start()], code[on.end():to.start()].strip(),
                       _GRANT_TAIL.sub("", code[to.end():]))


def _privilege(parts: _GrantParts, default: bool, schemas: tuple[str, ...] = ()) -> Iterator[Privilege]:
    grant = parts.verb == "grant"
    privileges = parts.privileges.lower()
    roles = _roles(parts.roles)
    target = parts.target
    reads = bool(re.search(r"\b(?:all|select)\b", privileges))
    if default:
        kind = target.lower()
        if kind in ("tables", "functions", "routines"):
            yield Privilege(grant, "table" if kind == "tables" else "function", roles, schemas=schemas,
                            default=True, reads=reads)
        return
    if every := _ALL_IN_SCHEMA.match(target):
        kind = "table" if every.group("kind").lower() == "tables" else "function"
        yield Privilege(grant, kind, roles, schemas=tuple(unquote(s) for s in every.group("schemas").split(",")),
                        reads=reads)
        return
    kind_match = _OBJECT_KIND.match(target)
    kind = kind_match.group("kind").lower() if kind_match else "table"
    if kind in ("schema", "sequence", "procedure"):
        return
    kind = "function" if kind in ("function", "routine") else "table"
    names = target[kind_match.end():] if kind_match else target
    objects = tuple(qualified(m.group(0)) for item in split_top_level(names)
                    if (m := re.match(_QNAME, item.strip())))
    if objects:
        yield Privilege(grant, kind, roles, objects=objects, reads=reads)


def _columns(code: str, at: int) -> list[str]:
    """Column names of a ``CREATE TABLE`` whose column list opens at or after ``at``."""
    if at >= len(code) or code[at] != "(":
        return []
    columns = []
    for item in split_top_level(code[at + 1:_paren_end(code, at) - 1]):
        name = re.match(_NAME, item.strip())
        if name and name.group(0).lower() not in ("constraint", "primary", "foreign", "unique", "check", "exclude",
                                                   "like"):
            columns.append(unquote(name.group(0)))
    return columns


def _clause(keyword: re.Pattern[str], text: str) -> str | None:
    """The parenthesised expression after ``keyword`` (``USING (...)``), without its outer parentheses."""
    match = keyword.search(text)
    if not match:
        return None
    open_paren = match.end() - 1
    return text[open_paren + 1:_paren_end(text, open_paren) - 1].strip()


def _roles(text: str) -> frozenset[str]:
    return frozenset(unquote(role.strip()) for role in text.split(",") if role.strip())


def _paren_end(text: str, open_paren: int) -> int:
    """Offset just past the parenthesis matching the one at ``open_paren`` (quotes respected)."""
    depth, index, quote = 0, open_paren, None
    while index < len(text):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def split_top_level(text: str) -> list[str]:
    """``text`` split at commas outside parentheses and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name.lower()


def qualified(name: str) -> tuple[str, str]:
    """``(schema, name)`` of a possibly schema-qualified name; unqualified names are in ``public``."""
    parts = split_dotted(name)
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])


def split_dotted(name: str) -> list[str]:
    return [unquote(part) for part in re.findall(_NAME, name)]

