"""CORS policies in JavaScript/TypeScript.

Read: the ``cors`` middleware (Express, Koa's ``@koa/cors``, Hono's ``cors()``: every one allows any origin
when called without options), ``@fastify/cors`` registered on Fastify, NestJS ``app.enableCors()`` and
``NestFactory.create(..., { cors: true })``, ``Access-Control-Allow-Origin`` set on a response
(``res.setHeader``, ``headers.set``, header objects of ``Response``/``NextResponse``) and in
``next.config`` ``headers()`` entries (``{ key, value }``). ``origin: true`` and origin callbacks that
accept every caller reflect the request's ``Origin``, which lets any site call with the user's cookies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.web.model import CorsPolicy, covers_api_path
from scanner.lang.javascript.parse import (
    FUNCTION_TYPES,
    JsTree,
    call_arguments,
    enclosing_function,
    last_name,
    object_member,
    property_key,
    string_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

MARKERS = re.compile(r"cors|Access-Control-Allow-Origin", re.IGNORECASE)
ALLOW_ORIGIN = "access-control-allow-origin"
ALLOW_CREDENTIALS = "access-control-allow-credentials"
HEADER_SETTERS = frozenset({"setHeader", "header", "set", "append", "writeHead"})
#: Expressions that read the caller's Origin header.
READS_ORIGIN = re.compile(r"\borigin\b", re.IGNORECASE)
#: A callback that decides by looking at the origin (an allowlist), rather than accepting everyone.
DECIDES = re.compile(r"\bif\b|\?|includes\(|indexOf\(|\.test\(|\.match\(|===|!==|\bsome\(|\.has\(|endsWith\(")
#: Echoing the origin is fine after an allowlist check on it.
ORIGIN_CHECK = re.compile(r"\bif\s*\([^)]*\borigin\b|\borigin\s*[!=]==|===?\s*origin\b|\?\s*origin\b"
                          r"|(?:includes|has|indexOf|test|match|some|find|startsWith|endsWith)\(\s*origin\b",
                          re.IGNORECASE)
ANY_ORIGIN_PATTERNS = frozenset({".*", ".+", "^.*$", "https?:\\/\\/.*", "https:\\/\\/.*"})


def cors_policies(tree: JsTree) -> Iterator[CorsPolicy]:
    """Every CORS configuration in a parsed JS/TS file."""
    for node in tree.walk():
        if node.type == "call_expression":
            policy = _call_policy(tree, node)
        elif node.type == "object":
            policy = _header_object(tree, node)
        else:
            policy = None
        if policy is not None:
            yield policy


def _call_policy(tree: JsTree, call: Node) -> CorsPolicy | None:
    callee = call.child_by_field_name("function")
    args = call_arguments(call)
    if callee is None:
        return None
    name = last_name(tree, callee)
    if name is not None and name.lower() == "cors" and callee.type == "identifier":
        return _options(tree, call, "cors()", args[0] if args else None)
    if _is_require_of(tree, callee, "cors"):
        return _options(tree, call, "cors()", args[0] if args else None)
    if name == "register" and args and _names_cors(tree, args[0]):
        return _options(tree, call, "@fastify/cors", args[1] if len(args) > 1 else None)
    if name == "enableCors":
        return _options(tree, call, "enableCors()", args[0] if args else None)
    if name == "create" and len(args) > 1 and args[1].type == "object":
        cors = object_member(tree, args[1], "cors")
        if cors is not None and cors.type == "true":
            return CorsPolicy(tree.span(call), "NestFactory.create cors: true", any_origin="any origin (cors: true)")
        if cors is not None and cors.type == "object":
            return _options(tree, call, "NestFactory.create cors", cors)
    if name in HEADER_SETTERS and len(args) > 1 and (string_value(tree, args[0]) or "").lower() == ALLOW_ORIGIN:
        return _header_value(tree, call, args[1], credentials=_allows_credentials(tree, enclosing_function(call)),
                             per_response=True)
    return None


def _options(tree: JsTree, call: Node, label: str, options: Node | None) -> CorsPolicy | None:
    """A cors-style options object: ``origin`` and ``credentials``; no options means any origin."""
    span = tree.span(call)
    if options is None:
        return CorsPolicy(span, label, any_origin=f"any origin ({label} without options)")
    if options.type != "object":
        return CorsPolicy(span, label)  # options built elsewhere: examined, not judged
    credentials = (node := object_member(tree, options, "credentials")) is not None and node.type == "true"
    origin = object_member(tree, options, "origin")
    if origin is None:
        return CorsPolicy(span, label, any_origin=f"any origin ({label} without an origin)", credentials=credentials)
    literal = string_value(tree, origin)
    if literal == "*":  # browsers refuse credentials with a wildcard: any origin, without cookies
        return CorsPolicy(span, label, any_origin="any origin (origin: '*')")
    if literal is not None:
        return CorsPolicy(span, label, credentials=credentials, origins=(literal,))
    if origin.type == "true":
        return CorsPolicy(span, label, reflected=True, credentials=credentials)
    if origin.type == "regex" and _regex_pattern(tree, origin) in ANY_ORIGIN_PATTERNS:
        return CorsPolicy(span, label, any_origin="any origin (an origin pattern that matches everything)",
                          credentials=credentials)
    if origin.type == "array":
        values = [string_value(tree, e) for e in _elements(origin)]
        if "*" in values:
            return CorsPolicy(span, label, any_origin="any origin ('*' in the origin list)")
        if values and all(v is not None for v in values):
            return CorsPolicy(span, label, credentials=credentials, origins=tuple(v for v in values if v))
    if origin.type in FUNCTION_TYPES and _accepts_everyone(tree, origin):
        return CorsPolicy(span, label, reflected=True, credentials=credentials)
    return CorsPolicy(span, label, credentials=credentials)


def _header_object(tree: JsTree, obj: Node) -> CorsPolicy | None:
    """``{ 'Access-Control-Allow-Origin': '*' }``, and next.config's ``{ key: 'Access-Control-Allow-Origin',
    value }``."""
    value = None
    for pair in (c for c in obj.named_children if c.type == "pair"):
        key = property_key(tree, pair)
        if key is not None and key.lower() == ALLOW_ORIGIN:
            value = pair.child_by_field_name("value")
    if value is not None:  # a header object of one response
        return _header_value(tree, obj, value, _allows_credentials(tree, obj), per_response=True)
    key_value = object_member(tree, obj, "key")
    if key_value is None or (string_value(tree, key_value) or "").lower() != ALLOW_ORIGIN:
        return None
    value = object_member(tree, obj, "value")
    if value is None or not _covers_api(tree, obj):
        return None
    return _header_value(tree, obj, value, _allows_credentials(tree, obj), per_response=False)


def _header_value(tree: JsTree, where: Node, value: Node, credentials: bool, per_response: bool) -> CorsPolicy:
    label = "Access-Control-Allow-Origin header" if per_response else "next.config headers"
    span = tree.span(where)
    literal = string_value(tree, value)
    if literal == "*":  # browsers refuse credentials with a wildcard: any origin, without cookies
        return CorsPolicy(span, label, any_origin="any origin (Access-Control-Allow-Origin: *)",
                          per_response=per_response)
    if literal is None and READS_ORIGIN.search(tree.text(value)) and not _origin_checked(tree, where):
        return CorsPolicy(span, label, reflected=True, credentials=credentials, per_response=per_response)
    return CorsPolicy(span, label, credentials=credentials, origins=(literal,) if literal else None,
                      per_response=per_response)


def _covers_api(tree: JsTree, header: Node) -> bool:
    """A next.config header rule whose ``source`` reaches API routes (or every path), not only static files."""
    rule = header
    while rule.parent is not None and not (rule.type == "object" and object_member(tree, rule, "source") is not None):
        rule = rule.parent
    source = object_member(tree, rule, "source") if rule.type == "object" else None
    text = string_value(tree, source) if source is not None else None
    return text is None or covers_api_path(text)



def _origin_checked(tree: JsTree, node: Node) -> bool:
    """The enclosing function compares the origin with an allowlist before echoing it."""
    return bool(ORIGIN_CHECK.search(tree.text(enclosing_function(node))))


def _allows_credentials(tree: JsTree, obj: Node) -> bool:
    """A sibling ``Access-Control-Allow-Credentials: 'true'`` in the same header object or header list."""
    scope = obj.parent if obj.parent is not None and obj.parent.type == "array" else obj
    text = tree.text(scope).lower()
    return ALLOW_CREDENTIALS in text and "true" in text.split(ALLOW_CREDENTIALS, 1)[1][:80]


def _accepts_everyone(tree: JsTree, function: Node) -> bool:
    """An origin callback that answers ``true`` without looking at the origin."""
    body = tree.text(function)
    return bool(re.search(r"\(\s*null\s*,\s*true\s*\)|=>\s*true\b|return\s+true\b", body)) and not DECIDES.search(
        body.split("=>", 1)[-1] if "=>" in body else body)



def _elements(array: Node) -> list[Node]:
    return [c for c in array.named_children if c.type != "comment"]



def _is_require_of(tree: JsTree, callee: Node, module: str) -> bool:
    """``require('cors')(...)``."""
    if callee.type != "call_expression" or last_name(tree, callee.child_by_field_name("function")) != "require":
        return False
    args = call_arguments(callee)
    return bool(args) and string_value(tree, args[0]) == module


def _names_cors(tree: JsTree, node: Node) -> bool:
    """The plugin argument of ``fastify.register``: an identifier or ``require`` naming cors."""
    text = tree.text(node)
    return node.type in ("identifier", "call_expression", "await_expression") and "cors" in text.lower()




def _regex_pattern(tree: JsTree, regex: Node) -> str:
    pattern = regex.child_by_field_name("pattern")
    return tree.text(pattern) if pattern is not None else ""
