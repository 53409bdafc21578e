"""What a function does to the outside world: email, SMS, payments, HTTP writes, database and file
writes, shell commands, CRM/calendar updates.

Calls are named by :func:`~scanner.lang.python.functions.dotted_name` (imports resolved, clients
built earlier in the module or function substituted: ``sg.send`` -> ``sendgrid.SendGridAPIClient().send``)
and matched against the table below. Calls into project functions are followed a few levels deep,
across modules. Reads (``requests.get``, ``stripe.Customer.retrieve``, ``db.query``) are not effects.
"""

from __future__ import annotations

import re

import libcst as cst

from scanner.analysis.agents.model import Effect
from scanner.context import ProjectFacts
from scanner.lang.python.functions import constructor_aliases, dotted_name, resolve_function
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import calls

#: How deep calls into project functions are followed.
MAX_DEPTH = 3

_RECEIVER_DB = r"(?:^|\.)(?:db|session|sess|db_session|dbsession|conn|connection|cursor|uow)(?:\(\))?"

#: (effect, pattern on the dotted callee). First match wins; the detail is the callee's package.
EFFECTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((label, re.compile(pattern)) for label, pattern in (
    ("sends email", r"^(?:smtplib|aiosmtplib|sendgrid|resend|postmarker|mailgun|mailjet_rest|django\.core\.mail|"
                    r"flask_mail|fastapi_mail|yagmail)\b.*\.send\w*$|\.(?:sendmail|send_message)$|"
                    r"^django\.core\.mail\.send_mass_mail$"),
    ("sends SMS", r"^twilio\b.*\.messages\.create$|^vonage\b.*\.send\w*$"),
    ("posts messages", r"^slack_sdk\b.*\.chat_postMessage$"),
    ("changes payments", r"^stripe\b.*\.(?:create|modify|delete|cancel|capture|confirm|pay|void_invoice|"
                         r"finalize_invoice|send_invoice|update|refund|mark_uncollectible|attach|detach)$"),
    ("updates the CRM", r"^(?:hubspot|simple_salesforce|pipedrive)\b.*\.(?:create|update|archive|merge|delete|"
                        r"upsert)$"),
    ("changes the calendar", r"\.events\(\)\.(?:insert|update|patch|delete|move|quickAdd)$"),
    ("sends HTTP POST requests", r"^(?:requests|httpx|aiohttp)\b.*\.post$|"
                                 r"(?:^|\.)\w*(?:requests|http)\w*(?:\(\))?\.post$"),
    ("sends HTTP writes", r"^(?:requests|httpx|aiohttp)\b.*\.(?:put|patch|delete)$|"
                          r"(?:^|\.)\w*(?:requests|http)\w*(?:\(\))?\.(?:put|patch|delete)$"),
    ("runs shell commands", r"^subprocess\.|^os\.(?:system|popen|exec\w*|spawn\w*)$|^(?:builtins\.)?(?:eval|exec)$|"
                            r"^asyncio\.create_subprocess_\w+$"),
    ("writes files", r"^os\.(?:remove|unlink|rmdir|removedirs|rename|replace|truncate)$|"
                     r"^shutil\.(?:rmtree|move|copy\w*)$|\.(?:write_text|write_bytes|unlink|rmdir)$|"
                     r"(?:^|\.)(?:wb|workbook|book|doc|document|docx|img|image|pdf|prs|presentation|fig|figure)\w*"
                     r"(?:\(\))?\.save$|^(?:openpyxl|PIL|docx|pptx|xlsxwriter|matplotlib)\b.*\.save\w*$|"
                     r"\.to_(?:csv|excel|parquet)$"),
    ("writes to the database", _RECEIVER_DB + r"\.(?:commit|add|add_all|merge|delete|bulk_save_objects|"
                               r"executemany)$|\.objects\.(?:create|update|delete|bulk_create|bulk_update|"
                               r"get_or_create|update_or_create)$|\.save$|^(?:sqlalchemy|sqlmodel)\.(?:insert|update|delete)$"),
    ("deletes data", r"\.delete$"),
))
#: A path named like a temporary file (``temp_path``, ``tmp_file``, not ``template``): removing or moving it
#: changes nothing of the user's.
TEMPORARY = re.compile(r"\btmp|\btemp(?:_|\b|file|dir)|tempfile", re.IGNORECASE)
_WRITE_SQL = re.compile(r"^\s*(?:insert|update|delete|drop|truncate|alter)\b", re.IGNORECASE)
#: Modes that change an existing file; "x" only creates a new one (a tool's own output file), so it is not counted.
_WRITE_MODE = re.compile(r"[wa+]")


def classify_call(module: PythonModule, call: cst.Call, aliases: dict[str, str]) -> Effect | None:
    """The side effect of one call, or None for reads and unknown calls."""
    name = dotted_name(module, call.func, aliases)
    leaf = name.rsplit(".", 1)[-1]
    if name in ("open", "builtins.open") or (leaf == "open" and name.endswith("Path().open")):
        mode = _open_mode(call)
        return Effect("writes files", "open") if mode and _WRITE_MODE.search(mode) else None
    if leaf in ("execute", "exec_driver_sql") and call.args and _writes_sql(call.args[0].value):
        return Effect("writes to the database", "SQL " + leaf)
    for effect, pattern in EFFECTS:
        if pattern.search(name):
            if effect == "writes files" and call.args and TEMPORARY.search(module.code(call.args[0].value)):
                return None  # cleaning up its own temporary file

            package = name.removeprefix("self.").removeprefix("cls.").split(".", 1)[0].split("(", 1)[0]
            return Effect(effect, package if "." in name and package != "builtins" else leaf)
    return None


def _open_mode(call: cst.Call) -> str | None:
    for index, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == "mode") or (arg.keyword is None and index == 1):
            value = arg.value
            return value.evaluated_value if isinstance(value, cst.SimpleString) else None
    return None


def _writes_sql(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return isinstance(value, str) and bool(_WRITE_SQL.match(value))
    if isinstance(expr, cst.Call):
        func = expr.func
        leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if leaf in ("insert", "update", "delete"):
            return True
        return leaf == "text" and bool(expr.args) and _writes_sql(expr.args[0].value)
    return False


def side_effect(facts: ProjectFacts, module: PythonModule, body: cst.CSTNode, ignore: frozenset[str] = frozenset(),
                depth: int = 0, seen: set[int] | None = None) -> Effect | None:
    """The first external side effect of ``body`` (a function or statements), following project calls.

    Effects named in ``ignore`` do not count (e.g. POST requests of a tool that only looks things up).
    """
    seen = set() if seen is None else seen
    if id(body) in seen:
        return None
    seen.add(id(body))
    aliases = constructor_aliases(module, module.module)
    if isinstance(body, cst.FunctionDef):
        aliases = constructor_aliases(module, body, aliases)
    found = list(calls(body))
    for call in found:
        effect = classify_call(module, call, aliases)
        if effect is not None and effect.effect not in ignore:
            return effect
    if depth >= MAX_DEPTH:
        return None
    for call in found:
        ref = resolve_function(facts, module, call.func)
        if ref is not None:
            effect = side_effect(facts, ref.module, ref.node, ignore, depth + 1, seen)
            if effect is not None:
                return effect
    return None
