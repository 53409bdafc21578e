"""Where a JS/TS value comes from, within its function: the request (Express ``req.params``, a Next.js route's
``params``, ``await request.json()``, form data, a NestJS ``@Param()``, a tRPC ``input``, a server action's
arguments), the session, or somewhere unknown.

Followed through local declarations and destructuring (``const { fileId } = json``, ``const json = await
req.json()``), conversions (``Number(id)``, ``[...new Set(ids)]``) and member reads (``body.noteId``), a few
steps deep. Anything else is unknown: only values traced to the request make a finding.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scanner.analysis.data.model import REQUEST, SESSION, UNKNOWN, IdInput
from scanner.lang.javascript.parse import FUNCTION_TYPES

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.parse import JsTree

#: Request data read directly (``req.params.id``, ``ctx.request.body``, ``searchParams.get("id")``).
REQUEST_READ = re.compile(r"^(?:req|request|ctx\.request|ctx|event|c\.req)\??\.(?:params|body|query|headers|"
                          r"json\(\)|formData\(\)|nextUrl\.searchParams|param\(|valid\(|cookies\b(?!\(\)\.get\("
                          r"['\"]?session))|^(?:[\w.()]*\.)?\w*[sS]earchParams\??\.get\(|^\w*[fF]ormData\??\.get\(|"
                          r"^(?:getRouterParam|getQuery|readBody|useParams)\(")
#: The signed-in caller (``req.user.id``, ``session.user.id``, ``ctx.session``, ``auth()``).
SESSION_READ = re.compile(r"^(?:req\.user|request\.user|ctx\.user|ctx\.session|ctx\.state\.user|session|"
                          r"currentUser|locals\.user|auth\(\)|user)\b")
#: Values that convert or wrap another without changing whose it is.
_WRAPPERS = re.compile(r"^(?:Number|String|Set|parseInt|parseFloat|BigInt|decodeURIComponent|Array\.from|new Set|"
                       r"z\.\w+\(\)\.parse|\w+Schema\.parse|ObjectId|new ObjectId|new mongoose\.Types\.ObjectId)$")
_UNWRAP = frozenset({"await_expression", "parenthesized_expression", "as_expression", "non_null_expression",
                     "satisfies_expression", "type_assertion", "spread_element"})
#: Parameters that frameworks fill from the request.
_REQUEST_PARAMS = frozenset({"params", "searchParams", "query", "body", "input", "formData"})
_ROUTE_EXPORT = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE|handler|loader|action)$")
_NEST_DECORATOR = re.compile(r"^@(?:Param|Body|Query|Headers|Req|Request)\b")
MAX_STEPS = 6


def origin_of(tree: JsTree, node: Node, steps: int = 0) -> IdInput:
    """Where the value of expression ``node`` comes from."""
    while node.type in _UNWRAP and node.named_children:
        node = node.named_children[0]
    text = re.sub(r"\s+", "", tree.text(node))
    if REQUEST_READ.search(text):
        return IdInput(text, REQUEST, text)
    if SESSION_READ.search(text):
        return IdInput(text, SESSION, text)
    if steps >= MAX_STEPS:
        return IdInput(text, UNKNOWN)
    if node.type == "identifier" or node.type == "shorthand_property_identifier":
        return _named(tree, node, text, steps)
    if node.type in ("member_expression", "subscript_expression"):
        found = origin_of(tree, node.child_by_field_name("object"), steps + 1)
        return IdInput(text, found.origin, found.detail)
    if node.type in ("call_expression", "new_expression"):
        callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        name = tree.text(callee) if callee is not None else ""
        args = node.child_by_field_name("arguments")
        if args is not None and args.named_children and _WRAPPERS.match(name):
            found = origin_of(tree, args.named_children[0], steps + 1)
            return IdInput(text, found.origin, found.detail)
        if callee is not None and callee.type == "member_expression" and name.endswith((".trim", ".toString", ".map")):
            found = origin_of(tree, callee.child_by_field_name("object"), steps + 1)
            return IdInput(text, found.origin, found.detail)
        return IdInput(text, UNKNOWN)
    if node.type in ("array", "template_string", "binary_expression", "ternary_expression", "unary_expression"):
        for child in node.named_children:
            found = origin_of(tree, child, steps + 1)
            if found.origin == REQUEST:
                return IdInput(text, REQUEST, found.detail)
    return IdInput(text, UNKNOWN)


def _named(tree: JsTree, node: Node, name: str, steps: int) -> IdInput:
    """A name's origin: its declaration in an enclosing function, or the parameter it is."""
    scope = node
    while scope is not None:
        scope = _enclosing(scope)
        if scope is None:
            return IdInput(name, UNKNOWN)
        found = _declared_in(tree, scope, name, node.start_byte, steps)
        if found is not None:
            return found
        if _parameter(tree, scope, name) is not None:
            return _parameter_origin(tree, scope, name)
        scope = scope.parent
    return IdInput(name, UNKNOWN)


def _enclosing(node: Node) -> Node | None:
    scope = node.parent
    while scope is not None and scope.type not in FUNCTION_TYPES:
        scope = scope.parent
    return scope


def _declared_in(tree: JsTree, function: Node, name: str, before: int, steps: int) -> IdInput | None:
    """``const name = value`` / ``const { name } = value`` / ``name = value`` in ``function`` before ``before``."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    last = None
    for node in tree.walk(body):
        if node.start_byte >= before:
            break
        if node.type in FUNCTION_TYPES:
            continue
        if node.type == "variable_declarator":
            target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if target is not None and value is not None and _binds(tree, target, name):
                last = value
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and tree.text(left) == name:
                last = right
    if last is None:
        return None
    found = origin_of(tree, last, steps + 1)
    return IdInput(name, found.origin, found.detail)


def _binds(tree: JsTree, target: Node, name: str) -> bool:
    if target.type == "identifier":
        return tree.text(target) == name
    return any(n.type in ("shorthand_property_identifier_pattern", "identifier") and tree.text(n) == name
               for n in tree.walk(target))


def _parameter(tree: JsTree, function: Node, name: str) -> Node | None:
    """The parameter of ``function`` that binds ``name`` (itself or by destructuring)."""
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return None
    candidates = [params] if params.type == "identifier" else params.named_children
    for param in candidates:
        pattern = param.child_by_field_name("pattern") if param.type.endswith("_parameter") else param
        if pattern is not None and _binds(tree, pattern, name):
            return param
    return None


def _parameter_origin(tree: JsTree, function: Node, name: str) -> IdInput:
    """Parameters the framework fills from the request: a NestJS ``@Param()``, a Next.js route's ``params``,
    a tRPC procedure's ``input``, an exported server action's arguments."""
    param = _parameter(tree, function, name)
    text = tree.text(param) if param is not None else ""
    if _NEST_DECORATOR.match(text):
        return IdInput(name, REQUEST, text.split("(")[0])
    if name in _REQUEST_PARAMS and (_is_route_function(tree, function) or _is_procedure(tree, function)):
        return IdInput(name, REQUEST, f"{name} (route parameter)")
    if _is_server_action(tree, function):
        return IdInput(name, REQUEST, f"{name} (server action argument)")
    return IdInput(name, UNKNOWN, "argument")


def function_name(tree: JsTree, function: Node) -> str:
    """``GET``, ``retrieveBasket``, ``NotesController.findOne``; "" for an anonymous function."""
    name = function.child_by_field_name("name")
    if name is not None:
        return tree.text(name)
    parent = function.parent
    if parent is not None and parent.type == "variable_declarator":
        return tree.text(parent.child_by_field_name("name"))
    if parent is not None and parent.type == "pair":
        return tree.text(parent.child_by_field_name("key"))
    return ""


def _exported(function: Node) -> bool:
    node = function
    for _ in range(4):
        if node.parent is None:
            return False
        node = node.parent
        if node.type == "export_statement":
            return True
    return False


def _is_route_function(tree: JsTree, function: Node) -> bool:
    return _exported(function) and bool(_ROUTE_EXPORT.match(function_name(tree, function)))


def _is_procedure(tree: JsTree, function: Node) -> bool:
    """``.query(({ input, ctx }) => ...)`` / ``.mutation(...)``: a tRPC procedure's resolver."""
    call = function.parent.parent if function.parent is not None else None
    if call is None or call.type != "call_expression":
        return False
    callee = call.child_by_field_name("function")
    return callee is not None and tree.text(callee).endswith((".query", ".mutation", ".action"))


def _is_server_action(tree: JsTree, function: Node) -> bool:
    """An exported function of a ``"use server"`` file, or a function with its own ``"use server"``: the
    browser calls it with any arguments."""
    body = function.child_by_field_name("body")
    if body is not None and body.named_children and tree.text(body.named_children[0]).strip(";") in (
            '"use server"', "'use server'"):
        return True
    first = tree.root.named_children[0] if tree.root.named_children else None
    in_action_file = first is not None and tree.text(first).strip(";") in ('"use server"', "'use server'")
    return in_action_file and _exported(function)
