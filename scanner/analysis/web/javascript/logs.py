"""Log calls in JavaScript/TypeScript (``console.*``, ``logger.*``, pino/winston-style loggers), and the
first sensitive value each writes.

Judged: identifiers and member expressions by their last name (``user.accessToken``, ``{ apiKey }``),
``process.env.X`` with a secret-looking ``X``, the whole request body, headers or cookies
(``req.body``, ``request.headers``), and credential headers (``req.headers.authorization``,
``headers.get('authorization')``). Never the literal text of a message; a value passed through
``.length``, ``mask()``, ``redact()``, a hash, ``Boolean()`` or ``.slice()`` is not the value itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.web.model import LogCall
from scanner.analysis.web.sensitive import SAFE_WRAPPERS, sensitive_name
from scanner.lang.javascript.parse import JsTree, declarations, enclosing_function, last_name, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

MARKERS = re.compile(r"\bconsole\.|\blog(?:ger)?\.|\.(?:info|warn|debug|error|trace)\(")
LOG_METHODS = frozenset({"log", "info", "warn", "warning", "error", "debug", "trace", "fatal", "verbose"})
LOGGER_NAME = re.compile(r"^(?:console|_?log|_?logger|LOGGER|LOG|pino|winston|bunyan|signale|consola)$"
                         r"|(?:^|\.)(?:_?logger|log)$", re.IGNORECASE)
#: ``req.body``, ``request.headers``, ``ctx.request.body``: the whole of something the caller sent.
WHOLE_REQUEST = re.compile(r"^(?:req|request|ctx\.request|event)\.(?:body|headers|cookies|rawBody)$")
CREDENTIAL_HEADER = re.compile(r"^(?:authorization|cookie|x-api-key|api-key|proxy-authorization)$", re.IGNORECASE)
#: Methods whose result is not the value itself (a length, a prefix for recognition, a boolean).
SAFE_METHODS = frozenset({"slice", "substring", "substr", "startsWith", "endsWith", "includes", "length"})
#: Members of the process environment: judged by the variable's own name.
ENV_READ = re.compile(r"^(?:process\.env|import\.meta\.env)\.(\w+)$")


#: Values that still hold what they were built from (objects, arrays, template strings, concatenations).
CARRYING = frozenset({"object", "array", "template_string", "binary_expression", "parenthesized_expression"})


def log_calls(tree: JsTree, prompts: bool) -> Iterator[LogCall]:
    """Every log call of the file, with what sensitive value it writes.

    A variable declared in the same function with an object, array or string built from a sensitive
    value (``const payload = { token }``) carries it: logging ``payload`` writes the token.
    """
    carriers: dict[int, dict[str, str]] = {}
    for node in tree.walk():
        if node.type == "call_expression" and _is_log_call(tree, node):
            args = node.child_by_field_name("arguments")
            if args is None:
                continue
            scope = enclosing_function(node)
            if scope.id not in carriers:
                carriers[scope.id] = _carriers(tree, scope, prompts)
            yield LogCall(tree.span(node), _sensitive_value(tree, args.named_children, prompts, carriers[scope.id]))



def _carriers(tree: JsTree, scope: Node, prompts: bool) -> dict[str, str]:
    """Variables declared in ``scope`` with a value that holds something sensitive, and what it holds."""
    found: dict[str, str] = {}
    for name, value in declarations(tree, scope):
        if name.type != "identifier" or value.type not in CARRYING:
            continue
        what = _sensitive_value(tree, [value], prompts, found)
        if what:
            found[tree.text(name)] = what if what.startswith("a value built from") else f"a value built from {what}"
    return found


def _is_log_call(tree: JsTree, call: Node) -> bool:
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return False
    prop, owner = callee.child_by_field_name("property"), callee.child_by_field_name("object")
    if prop is None or owner is None or tree.text(prop) not in LOG_METHODS:
        return False
    return bool(LOGGER_NAME.search(tree.text(owner).removeprefix("this.")))


def _sensitive_value(tree: JsTree, nodes: list[Node], prompts: bool, carriers: dict[str, str]) -> str | None:
    """A description of the first sensitive value among ``nodes`` (a call's arguments), or None."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        what = _describe(tree, node, prompts)
        if what:
            return what
        if node.type in ("identifier", "shorthand_property_identifier") and tree.text(node) in carriers:
            return f"{carriers[tree.text(node)]} ({tree.text(node)})"
        stack.extend(reversed(_value_children(tree, node)))
    return None


def _value_children(tree: JsTree, node: Node) -> list[Node]:
    """The sub-expressions whose values reach the log line."""
    if node.type in ("string", "string_fragment", "comment", "regex", "number"):
        return []
    if node.type in ("member_expression", "subscript_expression"):
        return []  # judged whole: ``req.body.email`` is one field, not the body
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        name = last_name(tree, callee)
        if name in SAFE_WRAPPERS or name in SAFE_METHODS:
            return []
        args = node.child_by_field_name("arguments")
        return list(args.named_children) if args is not None else []
    if node.type == "pair":
        value = node.child_by_field_name("value")
        return [value] if value is not None else []
    if node.type == "object" and _masks_secret_keys(tree, node):
        # ``{ ...headers, Authorization: '[REDACTED]' }``: the spread's secret is overwritten
        return [c for c in node.named_children if c.type != "spread_element"]
    if node.type == "unary_expression" and tree.text(node).startswith(("!", "typeof")):
        return []
    if node.type in ("binary_expression", "ternary_expression"):
        text = tree.text(node)
        if re.search(r"[!=]==?|[<>]=?|\?", text.replace("=>", "")) and node.type == "binary_expression" \
                and not re.search(r"\+", text):
            return []  # a comparison is a boolean
    return list(node.named_children)


def _masks_secret_keys(tree: JsTree, obj: Node) -> bool:
    """An object literal that sets a secret-named key to a literal (a placeholder such as ``'[REDACTED]'``)."""
    for pair in (c for c in obj.named_children if c.type == "pair"):
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        name = (string_value(tree, key) if key is not None and key.type == "string" else tree.text(key)) if key else ""
        if value is not None and value.type == "string" and name and (
                CREDENTIAL_HEADER.match(name) or sensitive_name(name, False)):
            return True
    return False


def _describe(tree: JsTree, node: Node, prompts: bool) -> str | None:
    if node.type == "member_expression":
        text = tree.text(node).replace("?.", ".")
        if WHOLE_REQUEST.match(text):
            return f"the whole request ({text})"
        env = ENV_READ.match(text)
        prop = node.child_by_field_name("property")
        name = env.group(1) if env else (tree.text(prop) if prop is not None else "")
        if name.lower() in ("authorization", "cookie") or sensitive_name(name, prompts):
            return f"a secret-looking value ({text})"
    elif node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        key = string_value(tree, index) if index is not None else None
        if key and (CREDENTIAL_HEADER.match(key) or sensitive_name(key, prompts)):
            return f"a secret-looking value ({tree.text(node)})"
    elif node.type in ("identifier", "shorthand_property_identifier"):
        if sensitive_name(tree.text(node), prompts):
            return f"a secret-looking value ({tree.text(node)})"
    elif node.type == "call_expression":
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is not None and last_name(tree, callee) == "get" and args is not None and args.named_children:
            key = string_value(tree, args.named_children[0])
            if key and CREDENTIAL_HEADER.match(key) and "header" in tree.text(callee).lower():
                return f"a credential header ({tree.text(node)})"
    return None

