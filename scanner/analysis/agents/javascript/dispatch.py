"""Tool dispatch that calls whatever the model names, in JavaScript/TypeScript (a prompt-injection shape).

In a function that handles tool calls (``tool_calls``, ``toolCall``, ``tool_use``, ``.function.name``), a
name the model chose (``call.function.name``, ``block.name``, or a variable of the function read from one)
is reported when it picks the code to run with no allowlist:

- ``lookup[name](...)`` (directly or through a variable) where ``lookup`` is a namespace import
  (``import * as tools``, ``require("./tools")``: every export, not only the tools), the global object
  (``globalThis``, ``window``, ``global``, ``self``) or ``this`` (every method of the class);
- ``eval(name)`` / ``new Function(... name ...)``;
- ``import(`./tools/${name}`)`` / ``require("./tools/" + name)``: any module, ``../`` included.

An object literal mapping names to functions (``{ get_weather: getWeather }``) *is* an allowlist and is not
reported. Neither is a dispatch after a check of the name: ``switch (name)``, ``ALLOWED.has(name)``,
``.includes(name)``, ``name in tools``, ``Object.hasOwn(tools, name)``, ``name === "..."``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.lang.javascript.parse import FUNCTION_TYPES, declarations

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.context import Span
    from scanner.lang.javascript.modules import Module

#: Text of a function that handles the model's tool calls.
TOOL_CONTEXT = re.compile(r"\btool_?[cC]alls?\b|tool_use\b|[tT]oolUse\b|\bfunction_?[cC]all\b|\.function\.name\b"
                          r"|\btoolName\b|\bfunctionName\b|\bfunction_name\b|\btool_name\b")
#: An expression that reads the name of the tool the model called.
MODEL_NAME = re.compile(r"\.function\.name\b|\b(?:toolCall|tool_call|call|block|functionCall|function_call|fc|part"
                        r"|toolUse|tool_use|item)\.(?:name|toolName)\b")
NAME_VARIABLE = re.compile(r"^(?:name|toolName|functionName|fnName|tool_name|function_name)$")
GLOBAL_OBJECTS = frozenset({"globalThis", "global", "window", "self", "this", "module.exports", "exports"})


@dataclass(frozen=True)
class JsDispatch:
    span: Span
    how: str
    code: str


def unrestricted_dispatch(module: Module) -> Iterator[JsDispatch]:
    """Every call of code chosen by a model-named tool without an allowlist, in one file."""
    tree = module.tree
    for node in tree.walk():
        if node.type not in FUNCTION_TYPES:
            continue
        text = tree.text(node)
        if not TOOL_CONTEXT.search(text):
            continue
        names = _model_names(module, node)
        for found in _dispatches(module, node, names):
            target, how = found
            target_text = tree.text(target)
            chosen = [n for n in names if re.search(rf"\b{re.escape(n)}\b", target_text)]
            chosen += [m.group(0) for m in re.finditer(r"[\w$.]+", target_text) if MODEL_NAME.search(m.group(0))]
            if not any(_allowlisted(text, n) for n in chosen):
                yield JsDispatch(tree.span(target), how, tree.text(target))


def _model_names(module: Module, function: Node) -> set[str]:
    """Variables of ``function`` holding the model's tool name (``const name = call.function.name``,
    ``const { name, arguments: args } = toolCall.function``)."""
    tree = module.tree
    names: set[str] = set()
    for target, value in declarations(tree, function):
        value_text = tree.text(value)
        if target.type == "identifier" and MODEL_NAME.search(value_text):
            names.add(tree.text(target))
        elif target.type == "object_pattern" and re.search(r"(?:function|[cC]all|block|toolUse|tool_use)\b",
                                                           value_text):
            for member in tree.walk(target):
                if member.type == "shorthand_property_identifier_pattern" and tree.text(member) == "name":
                    names.add("name")
    return names


def _chooses(text: str, names: set[str]) -> bool:
    return bool(MODEL_NAME.search(text)) or any(re.search(rf"\b{re.escape(n)}\b", text) for n in names)


def _dispatches(module: Module, function: Node, names: set[str]) -> Iterator[tuple[Node, str]]:
    tree = module.tree
    for node in tree.walk(function):
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            receiver = node.child_by_field_name("object")
            if index is None or receiver is None or not _chooses(tree.text(index), names):
                continue
            kind = _open_receiver(module, receiver)
            if kind is not None and _is_called(module, function, node):
                yield node, f"{tree.text(receiver)}[...] on {kind}"
        elif node.type in ("call_expression", "new_expression"):
            callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            args = node.child_by_field_name("arguments")
            callee_text = tree.text(callee) if callee is not None else ""
            if args is None or not _chooses(tree.text(args), names):
                continue
            if callee_text == "eval" or (node.type == "new_expression" and callee_text == "Function"):
                yield node, f"{callee_text}()"
            elif callee_text in ("import", "require") or (callee is not None and callee.type == "import"):
                yield node, "dynamic import of a module named by the model"


def _open_receiver(module: Module, receiver: Node) -> str | None:
    """Why looking up any name on ``receiver`` reaches more than the tools, or None for a mapping."""
    text = module.tree.text(receiver)
    if text in GLOBAL_OBJECTS:
        return "the global object" if text != "this" else "this (every method of the class)"
    imported = module.imports.get(text)
    if imported is not None and imported.name == "*":
        return f"the module {imported.specifier} (every export)"
    if receiver.type == "call_expression" and module.tree.text(receiver.child_by_field_name("function")) == "require":
        return "a required module (every export)"
    return None


def _is_called(module: Module, function: Node, subscript: Node) -> bool:
    """``x[name](...)``, or ``const fn = x[name]; ... fn(...)`` in the same function."""
    tree = module.tree
    parent = subscript.parent
    if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == subscript:
        return True
    while parent is not None and parent.type in ("await_expression", "parenthesized_expression", "as_expression"):
        parent = parent.parent
    if parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            name = re.escape(tree.text(target))
            return bool(re.search(rf"\b{name}\s*(?:\?\.)?\(|\b{name}\.(?:call|apply)\(", tree.text(function)))
    return False


def _allowlisted(function_text: str, name: str) -> bool:
    name = re.escape(name)
    return bool(re.search(rf"\bswitch\s*\(\s*[\w.]*\b{name}\s*\)"
                          rf"|\.(?:has|includes|hasOwnProperty)\(\s*[\w.]*\b{name}\s*\)|\bhasOwn\(\s*[\w.]+\s*,\s*[\w.]*\b{name}\s*\)|\b{name}\s+in\s+\w"
                          rf"|\b{name}\s*[!=]==?\s*['\"`]", function_text))
