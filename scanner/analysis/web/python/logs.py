"""Log and print calls in Python, and the first sensitive value each writes.

Only values are judged, never the literal text of a message (``"password reset sent"`` is fine).
A value wrapped in ``len()``, ``mask()``, ``redact()``, a hash... is fine, and so are names that hold
metadata about a secret (``token_count``, ``prompt_tokens``, ``api_key_id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.web.model import LogCall
from scanner.analysis.web.sensitive import SAFE_WRAPPERS, sensitive_name

if TYPE_CHECKING:
    from scanner.lang.python.parse import PythonModule

MARKERS = re.compile(r"\blog|print\(")
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"})
LOGGER_NAME = re.compile(r"(?:^|\.)(?:logging|_?log|_?logger|LOGGER|LOG|structlog|logfire|loguru)$", re.IGNORECASE)
WHOLE_REQUEST = re.compile(r"^request\.(?:headers|json|get_json|body|data|form|POST|META|values|stream)$|"
                           r"^request\.(?:get_json|json|body|form)\(\)$")
SENSITIVE_HEADER = re.compile(r"headers(?:\.get\(|\[)\s*['\"](?:authorization|cookie|x-api-key|api-key)['\"]",
                              re.IGNORECASE)


#: Calls whose result still holds their arguments (a dict or string built from them).
CARRYING_CALLS = frozenset({"dict", "str", "repr", "json.dumps", "format", "list", "tuple"})


def log_calls(pm: PythonModule, prompts: bool) -> Iterator[LogCall]:
    """Every log or print call of the module, with what sensitive value it writes.

    A name assigned a container or string built from a sensitive value in the same function
    (``payload = {"token": token}``) carries it: logging ``payload`` writes the token.
    """
    from scanner.lang.python.walk import calls

    carriers: dict[int, dict[str, str]] = {}
    for call in calls(pm.module):
        if _is_log_call(call):
            scope = _enclosing_function(pm, call)
            if id(scope) not in carriers:
                carriers[id(scope)] = _carriers(pm, scope, prompts)
            yield LogCall(pm.span(call), _sensitive_value(pm, [a.value for a in call.args], prompts,
                                                          carriers[id(scope)]))


def _enclosing_function(pm: PythonModule, node):
    import libcst as cst

    scope = pm.parent(node)
    while scope is not None and not isinstance(scope, cst.FunctionDef):
        scope = pm.parent(scope)
    return scope if scope is not None else pm.module


def _carriers(pm: PythonModule, scope, prompts: bool) -> dict[str, str]:
    """Plain names assigned, in ``scope``, a value that holds something sensitive, and what it holds."""
    import libcst as cst

    from scanner.lang.python.walk import assignments, dotted

    found: dict[str, str] = {}
    for target, value, _ in assignments(scope):
        if not target.isidentifier():
            continue
        if isinstance(value, cst.Call) and dotted(value.func) not in CARRYING_CALLS:
            continue  # a call's result is not its arguments: verify(token) is not the token
        what = _sensitive_value(pm, [value], prompts, found, through_calls=False)
        if what:
            found[target] = what if what.startswith("a value built from") else f"a value built from {what}"
    return found


def _is_log_call(call) -> bool:
    from scanner.lang.python.walk import dotted

    func = dotted(call.func)
    if func == "print":
        return True
    head, _, method = func.rpartition(".")
    return method in LOG_METHODS and bool(LOGGER_NAME.search(head))


def _sensitive_value(pm: PythonModule, nodes: list, prompts: bool, carriers: dict[str, str],
                     through_calls: bool = True) -> str | None:
    """A description of the first sensitive value among ``nodes`` (a call's arguments), or None.

    ``request.json`` is the whole body, but ``request.json["email"]`` or ``request.POST.get("event")``
    read one field: an expression that is only the owner of an attribute or subscript is not judged whole.
    """
    import libcst as cst

    from scanner.lang.python.walk import child_nodes, dotted

    stack: list[tuple[cst.CSTNode, bool]] = [(node, False) for node in nodes]
    while stack:
        node, accessed = stack.pop()
        what = _describe(pm, node, accessed, prompts)
        if what:
            return what
        if isinstance(node, cst.Name) and node.value in carriers and not accessed:
            return f"{carriers[node.value]} ({node.value})"
        if isinstance(node, cst.SimpleString) or (isinstance(node, cst.Call) and (
                dotted(node.func).rsplit(".", 1)[-1] in SAFE_WRAPPERS
                or (not through_calls and dotted(node.func) not in CARRYING_CALLS))):
            continue
        owner = node.value if isinstance(node, (cst.Attribute, cst.Subscript)) else None
        stack.extend((child, child is owner) for child in child_nodes(node))
    return None


def _describe(pm: PythonModule, node, accessed: bool, prompts: bool) -> str | None:
    import libcst as cst

    from scanner.lang.python.walk import dotted

    if isinstance(node, cst.Call):
        code = pm.code(node)
        if SENSITIVE_HEADER.search(code):
            return "a credential header"
        if not accessed and WHOLE_REQUEST.match(code.replace("await ", "")):
            return f"the whole request ({code})"
    elif isinstance(node, (cst.Name, cst.Attribute)):
        text = dotted(node)
        if not accessed and WHOLE_REQUEST.match(text):
            return f"the whole request ({text})"
        if sensitive_name(text.rsplit(".", 1)[-1], prompts):
            return f"a secret-looking value ({text})"
    elif isinstance(node, cst.Subscript):
        code = pm.code(node)
        if SENSITIVE_HEADER.search(code):
            return "a credential header"
        key = node.slice[0].slice.value if isinstance(node.slice[0].slice, cst.Index) else None
        word = key.evaluated_value if isinstance(key, cst.SimpleString) else None
        if isinstance(word, str) and sensitive_name(word, prompts):
            return f"a secret-looking value ({code})"
    return None
