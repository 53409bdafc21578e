"""Tenant tables declared by JS/TS projects: Prisma schemas, Drizzle tables, TypeORM entities, Sequelize and
Mongoose models, SQL migrations (``CREATE TABLE``), and schemaless collections that code inserts owned
documents into (``reviews.insert({ author: ... })``).

Read from text with regexes and a brace matcher (index pass, every file once): declarations are regular
enough, and no tree is needed to learn a table's columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.analysis.data.model import KeyPolicy, TableIndex, TenantTable, snake

#: Files that may declare tables: a cheap prefilter before the regexes below.
MARKERS = re.compile(r"@Entity\b|\bmodel\s+\w+\s*\{|Table\(|\.define\(|\.init\(|Schema\(|belongsTo\(|"
                     r"\b(?:create|CREATE)\s+(?:table|TABLE)\b|\.insert(?:One|Many)?\(")

_PRISMA_MODEL = re.compile(r"^\s*model\s+(\w+)\s*\{", re.MULTILINE)
_PRISMA_FIELD = re.compile(r"^\s*(\w+)\s+(\w+)", re.MULTILINE)
_PRISMA_FOREIGN_KEY = re.compile(r"@relation\([^)]*?\bfields:\s*\[\s*(\w+)\s*\]")
_DRIZZLE = re.compile(r"\b(\w+)\s*=\s*(?:\w+\.)?(?:pg|mysql|sqlite)Table\(\s*['\"`](\w+)['\"`]\s*,\s*\{")
_FIELD = re.compile(r"(?:^|[{,;]|\n)\s*(?:@\w+\([^)]*\)\s*)*(?:(?:public|private|readonly|declare)\s+)*"
                    r"['\"]?(\w+)['\"]?\s*[!?]?\s*:")
_COLUMN_NAME = re.compile(r"\w+\(\s*['\"`](\w+)['\"`]")
#: A TypeORM/MikroORM ``@Entity(...)`` or sequelize-typescript ``@Table(...)`` decorator, and the class it
#: decorates (other decorators, however nested, may come between).
_ENTITY = re.compile(r"@(?:Entity|Table)\b")
_CLASS = re.compile(r"\bclass\s+(\w+)")
_RELATION = re.compile(r"@(?:ManyToOne|OneToOne|BelongsTo)\([^@]*?\)\s*(?:@\w+\([^)]*\)\s*)*"
                       r"(?:public\s+|readonly\s+)*(\w+)")
_DEFINE = re.compile(r"\.define\(\s*['\"`](\w+)['\"`]\s*,\s*\{")
_INIT = re.compile(r"\b(\w+)\.init\(\s*\{")
_BELONGS = re.compile(r"\b(\w+)\.belongsTo\(\s*(\w+)")
_SCHEMA = re.compile(r"\b(\w+)\s*=\s*new\s+(?:mongoose\.)?Schema(?:<[^>]*>)?\(\s*\{")
_MONGOOSE_MODEL = re.compile(r"\b(\w+)\s*=\s*(?:mongoose\.)?model(?:<[^>]*>)?\(\s*['\"`](\w+)['\"`]\s*,\s*(\w+)")
_CREATE = re.compile(r"\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?(?:[\"`]?\w+[\"`]?\.)?[\"`]?(\w+)[\"`]?\s*\(",
                     re.IGNORECASE)
_SQL_COLUMN = re.compile(r"(?:^|,)\s*[\"`]?(\w+)[\"`]?\s+\w+", re.MULTILINE)
_INSERT = re.compile(r"\b(\w+)\.insert(?:One|Many)?\(\s*\[?\s*\{")


def learn_tables(path: str, text: str, policy: KeyPolicy, index: TableIndex) -> None:
    """Record every tenant table ``text`` declares."""
    if path.endswith(".prisma"):
        _prisma(path, text, policy, index)
    elif path.endswith(".sql"):
        _sql(path, text, policy, index)
    else:
        _code(path, text, policy, index)


def _prisma(path: str, text: str, policy: KeyPolicy, index: TableIndex) -> None:
    for match in _PRISMA_MODEL.finditer(text):
        body = _braced(text, match.end() - 1)
        keys = []
        for field_match in _PRISMA_FIELD.finditer(body):
            name, kind = field_match.groups()
            relation = kind[0].isupper() and kind not in ("String", "Int", "BigInt", "Boolean", "DateTime", "Json",
                                                          "Float", "Decimal", "Bytes")
            key = policy.key_of(name) if relation or snake(name) in policy.keys else None
            if key:
                keys.append(key)
                # The relation's own foreign key holds the same key: ``user User @relation(fields: [userUid])``.
                end = body.find("\n", field_match.end())
                rest = body[field_match.end():end if end >= 0 else None]
                keys.extend(snake(f) for f in _PRISMA_FOREIGN_KEY.findall(rest))
        _add(index, match.group(1), keys, path, text, match.start(), "prisma", match.group(1))


def _sql(path: str, text: str, policy: KeyPolicy, index: TableIndex) -> None:
    for match in _CREATE.finditer(text):
        columns = _SQL_COLUMN.findall(_braced(text, match.end() - 1, "(", ")"))
        keys = [snake(c) for c in columns if snake(c) in policy.keys]
        _add(index, match.group(1), keys, path, text, match.start(), "sql", match.group(1))


def _code(path: str, text: str, policy: KeyPolicy, index: TableIndex) -> None:
    for match in _DRIZZLE.finditer(text):
        body = _braced(text, match.end() - 1)
        columns = [*_fields(body), *_COLUMN_NAME.findall(body)]
        _add(index, match.group(2), _keys(columns, policy), path, text, match.start(), "drizzle", match.group(1))
    for match in _ENTITY.finditer(text):
        declared = _CLASS.search(text, match.end(), match.end() + 4000)
        if declared is None or _ENTITY.search(text, match.end(), declared.start()):
            continue
        body = _braced(text, text.find("{", declared.end()))
        columns = [*_fields(body), *_RELATION.findall(body)]
        how = "sequelize" if text.startswith("@Table", match.start()) else "typeorm"
        _add(index, declared.group(1), _keys(columns, policy), path, text, match.start(), how, declared.group(1))
    for match in _DEFINE.finditer(text):
        body = _braced(text, match.end() - 1)
        owner = re.search(r"\b(\w+)\s*=\s*[\w.]*$", text[max(0, match.start() - 80):match.start()])
        names = (match.group(1), owner.group(1)) if owner else (match.group(1),)
        _add(index, match.group(1), _keys(_fields(body), policy), path, text, match.start(), "sequelize", *names)
    for match in _INIT.finditer(text):
        body = _braced(text, match.end() - 1)
        _add(index, match.group(1), _keys(_fields(body), policy), path, text, match.start(), "sequelize",
             match.group(1))
    for match in _BELONGS.finditer(text):
        key = policy.key_of(match.group(2).removesuffix("Model"))
        if key:
            _add(index, match.group(1), [key], path, text, match.start(), "sequelize", match.group(1))
    schemas = {}
    for match in _SCHEMA.finditer(text):
        schemas[match.group(1)] = _keys(_fields(_braced(text, match.end() - 1)), policy)
    for match in _MONGOOSE_MODEL.finditer(text):
        variable, name, schema = match.groups()
        _add(index, name, schemas.get(schema, []), path, text, match.start(), "mongoose", variable, name)
    for match in _INSERT.finditer(text):
        body = _braced(text, text.find("{", match.end() - 1))
        _add(index, match.group(1), _keys(_fields(body), policy), path, text, match.start(), "document insert",
             match.group(1))


def _add(index: TableIndex, name: str, keys: list[str], path: str, text: str, offset: int, how: str,
         *names: str) -> None:
    if keys:
        line = text.count("\n", 0, offset) + 1
        index.add(TenantTable(name, tuple(dict.fromkeys(keys)), f"{path}:{line}", how), *names)


def _keys(columns: list[str], policy: KeyPolicy) -> list[str]:
    return [k for k in (policy.key_of(c) for c in columns) if k]


def _fields(body: str) -> Iterator[str]:
    """Top-level property names of an object or class body (nested objects' keys are skipped)."""
    depth = 0
    start = 0
    for i, char in enumerate(body):
        if char in "{([":
            if depth == 0:
                yield from _FIELD.findall(body[start:i])
            depth += 1
        elif char in "})]":
            depth -= 1
            if depth == 0:
                start = i + 1
    if depth == 0:
        yield from _FIELD.findall(body[start:])


def _braced(text: str, start: int, opening: str = "{", closing: str = "}") -> str:
    """The text inside the bracket pair opening at ``start`` (up to 20 000 characters; "" if none)."""
    if start < 0 or start >= len(text) or text[start] != opening:
        return ""
    depth = 0
    for i in range(start, min(len(text), start + 20000)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:start + 20000]
