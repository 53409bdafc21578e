"""What Python handlers do with request data that a schema should have stopped: mass assignment (a client
field that only the server should set), catastrophic regular expressions applied to input, numeric
serializer fields without the bound the code relies on, and upload helpers that store any file.

Read from a handler's source text (``Route.code``) and, for helpers and serializers, from the module's
syntax tree; each finder returns offsets into the text it was given.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.analysis.web.bounds import PROSE_BOUND
from scanner.analysis.web.privileged import privileged
from scanner.analysis.web.redos import catastrophic

if TYPE_CHECKING:
    import libcst as cst

    from scanner.lang.python.parse import PythonModule

#: A name bound to the raw request body: ``data = request.get_json()``, ``request_data = request.data``.
BODY_ALIAS = re.compile(r"^\s*(\w+)\s*=\s*(?:await\s+)?(?:request\.get_json\(|request\.json\b|request\.data\b"
                        r"|request\.POST\b|request\.form\b|json\.loads\(\s*request\.|await\s+request\.json\(\))",
                        re.MULTILINE)
#: A status the client may set is only a privilege where it moves money (a refund, a credit).
MONEY = re.compile(r"credit|balance|refund|wallet|price|payment", re.IGNORECASE)
#: ``User(**data)``, ``Order.objects.create(**data)``, ``query.update(**data)``: every client field stored.
SPREAD_WRITE = r"\b(?:[A-Z]\w*|\w+\.objects\.(?:create|update_or_create|get_or_create)|\w+\.update|\w+\.insert)" \
               r"\(\s*(?:[^()]*,\s*)?\*\*{name}\s*[,)]"
SETATTR_LOOP = r"for\s+(\w+)\s*,\s*(\w+)\s+in\s+{name}\.items\(\)\s*:\s*\n?\s*setattr\(\s*\w+\s*,\s*\1\s*,\s*\2"
REGEX_CALLS = frozenset({"search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split", "compile"})
#: A function that reads what the caller sent.
READS_REQUEST = re.compile(r"\brequest\.(?:get_json|json|form|args|data|values|body|POST|GET|query_params|files)\b"
                           r"|\bawait\s+request\.(?:json|form|body)\(")
_REGEX_CALL = re.compile(r"\bre\.(?:search|match|fullmatch|findall|finditer|sub|subn|split|compile)\(")


def worth_parsing(text: str) -> bool:
    """A file the code-level checks must parse: a regex call in a file that reads the request, or an uploaded
    file's name (``file.filename``) next to a store."""
    return bool(("request" in text and _REGEX_CALL.search(text)) or (".filename" in text and UPLOAD_STORE.search(text)))


#: Serializer and model fields for counts and money: a negative value reverses the operation.
QUANTITY_NAME = re.compile(r"^(?:quantity|qty|amount|count|units|number_of_\w+|\w+_(?:quantity|amount|count))$")
NUMERIC_FIELD = re.compile(r"serializers\.(?:IntegerField|FloatField|DecimalField)\(")


@dataclass(frozen=True)
class Misuse:
    """Something a handler does with request data, at ``[start, end)`` of the text it was read from."""

    start: int
    end: int
    message: str


def body_names(code: str) -> set[str]:
    """Names bound to the raw request body in a handler."""
    return {m.group(1) for m in BODY_ALIAS.finditer(code)}


def mass_assignments(code: str, administrative: bool) -> Iterator[Misuse]:
    """Raw request fields stored whole (``User(**data)``) or, outside an administrator's route, a privileged
    field the client chose (``is_admin``, a user's ``role``, an order ``status`` that refunds money) copied
    onto a model."""
    names = body_names(code)
    for name in sorted(names):
        for pattern in (SPREAD_WRITE, SETATTR_LOOP):
            match = re.search(pattern.format(name=re.escape(name)), code)
            if match:
                yield Misuse(match.start(), match.end(), f"stores every field of the request body ({name}) on a "
                                                         "model: a client can set fields it should not")
    if administrative:
        return
    for name in ["request.json", "request.data", *sorted(names)]:
        yield from _privileged(code, name)


def _privileged(code: str, name: str) -> Iterator[Misuse]:
    body = re.escape(name)
    read = re.compile(rf"""{body}\s*(?:\[\s*|\.get\(\s*)['"](\w+)['"]|['"](\w+)['"]\s+in\s+{body}\b""")
    seen: set[str] = set()
    for match in read.finditer(code):
        key = match.group(1) or match.group(2)
        if key in seen:
            continue
        seen.add(key)
        direct = re.search(rf"\b(\w+)\.{key}\s*=\s*{re.escape(name)}\s*(?:\[\s*|\.get\(\s*)['\"]{key}['\"]", code)
        keyword = re.search(rf"\b([A-Z]\w*)\((?:[^()]|\([^()]*\))*[(,]\s*{key}\s*=(?!=)", code)
        attribute = re.search(rf"\b(\w+)\.{key}\s*=(?!=)", code)
        targets = [m.group(1) for m in (direct, keyword, attribute) if m]
        if not targets:
            continue
        if any(privileged(key, t) for t in targets) or (key == "status" and direct and MONEY.search(code)):
            where = direct or match
            yield Misuse(where.start(), where.end(), f"lets the client set '{key}' on {targets[0]}: a field only "
                                                     "the server should decide (mass assignment)")


def redos_patterns(pm: PythonModule) -> Iterator[tuple[cst.CSTNode, str]]:
    """String literals of ``re`` calls that backtrack catastrophically, inside functions that read the request."""
    import libcst as cst

    from scanner.lang.python.walk import call_name, calls, walk

    for function in (n for n in walk(pm.module) if isinstance(n, cst.FunctionDef)):
        if not READS_REQUEST.search(pm.code(function)):
            continue
        for call in calls(function.body):
            if call_name(call) not in REGEX_CALLS or not call.args or not pm.code(call.func).startswith("re."):
                continue
            literal = call.args[0].value
            pattern = _literal(pm.code(literal)) if isinstance(literal, (cst.SimpleString,
                                                                         cst.ConcatenatedString)) else None
            if pattern is not None and catastrophic(pattern):
                yield literal, pattern


def _literal(source: str) -> str | None:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


@dataclass
class Serializers:
    """Project-wide: numeric count and money fields of DRF serializers declared without ``min_value``."""

    unbounded: dict[str, list[str]] = field(default_factory=dict)


def unbounded_serializer_fields(pm: PythonModule) -> dict[str, list[str]]:
    """``{"OrderSerializer": ["quantity"]}``: count or amount fields a client may send negative."""
    import libcst as cst

    from scanner.analysis.routes.python.facts import keyword
    from scanner.lang.python.walk import walk

    found: dict[str, list[str]] = {}
    for cls in (n for n in walk(pm.module) if isinstance(n, cst.ClassDef)):
        if "Serializer" not in pm.code(cls).split(":", 1)[0]:
            continue
        for statement in cls.body.body:
            line = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            if not isinstance(line, cst.Assign) or len(line.targets) != 1:
                continue
            target = line.targets[0].target
            value = line.value
            if isinstance(target, cst.Name) and QUANTITY_NAME.match(target.value) and isinstance(value, cst.Call) \
                    and NUMERIC_FIELD.match(pm.code(value)) and keyword(value, "min_value") is None:
                found.setdefault(cls.name.value, []).append(target.value)
    return found


def unbounded_uses(code: str, serializers: dict[str, list[str]]) -> Iterator[Misuse]:
    """The first arithmetic on a field of an unbounded serializer the handler validates with."""
    for name, fields in serializers.items():
        if not re.search(rf"\b{name}\(\s*data\s*=", code):
            continue
        for field_name in fields:
            use = re.compile(rf"""^.*\[\s*['"]{field_name}['"]\s*\].*$""", re.MULTILINE)
            for match in use.finditer(code):
                if re.search(r"[-+*]=?|\bfloat\(|\bint\(", re.sub(r"\[[^\]]*\]", "", match.group(0))):
                    yield Misuse(match.start(), match.end(), f"computes with '{field_name}' from {name}, an "
                                 "IntegerField without min_value: a negative value reverses the operation")
                    break


#: An uploaded file written out: ``shutil.copyfileobj(file.file, out)``, ``file.save(path)``.
UPLOAD_STORE = re.compile(r"copyfileobj\(\s*(\w+)\.file\b|(\w+)\.save\(|write\(\s*(?:await\s+)?(\w+)\.read\(\)")


def upload_writers(pm: PythonModule, checks: re.Pattern[str]) -> Iterator[cst.FunctionDef]:
    """Module-level helpers that store an uploaded file passed to them without checking its name, type or size."""
    import libcst as cst

    for statement in pm.module.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        code = pm.code(statement)
        params = {p.name.value for p in statement.params.params}
        store = UPLOAD_STORE.search(code)
        if store and (set(store.groups()) & params) and ".filename" in code and not checks.search(code):
            yield statement


#: ``Field(description="...")`` of a pydantic model or tool schema, with its keyword arguments.
FIELD_CALL = re.compile(r"\bField\(((?:[^()]|\([^()]*\))*)\)")
FIELD_DESCRIPTION = re.compile(r"""description\s*=\s*(['"])(.*?)\1""", re.DOTALL)
FIELD_BOUND = re.compile(r"\b(?:le|lt|max_length|max_items|max_digits)\s*=")


def prose_only_bounds(text: str) -> Iterator[tuple[int, int]]:
    """pydantic ``Field(description="... (maximum 10)")`` without ``le``/``lt``/``max_length``: offsets in ``text``."""
    if "Field(" not in text:
        return
    for match in FIELD_CALL.finditer(text):
        described = FIELD_DESCRIPTION.search(match.group(1))
        if described and PROSE_BOUND.search(described.group(2)) and not FIELD_BOUND.search(match.group(1)):
            yield match.start(), match.end()
