"""System prompts built from request data in JavaScript/TypeScript.

Sinks: a ``system``/``instructions`` option (AI SDK ``streamText``/``generateText``, Anthropic
``messages.create``, OpenAI Agents ``new Agent``), ``{ role: "system" | "developer", content }`` messages,
``new SystemMessage(x)`` and ``["system", x]`` (LangChain.js). The prompt (or the variable it names,
declared in the same function) is reported when it is a template string or a ``+`` concatenation with a
hole that uses request data: ``req.body``/``req.query``/``req.params``, ``searchParams.get()``,
``formData.get()``, or a variable of the same function read from them (``const { persona } = await
req.json()``). A prompt passed through unchanged is not reported (the caller chooses the whole prompt on
purpose), and neither is one built from server-side data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.agents.model import PromptSink
from scanner.lang.javascript.parse import JsTree, declarations, enclosing_function, property_key, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

MARKERS = re.compile(r"\bsystem\b|\binstructions\s*:|SystemMessage|[\"']developer[\"']")
#: Reads of what the caller sent.
REQUEST_DATA = re.compile(r"\b(?:req|request|ctx\.request|event)\.(?:body|query|params|json\(\)|formData\(\)|text\(\))"
                          r"|\bsearchParams\.get\(|\bformData\.get\(|\bnextUrl\.searchParams\b")
SYSTEM_KEYS = frozenset({"system", "instructions"})


def system_prompt_sinks(tree: JsTree) -> Iterator[PromptSink]:
    """Every system prompt of the file that formats request data into its text."""
    for node in tree.walk():
        found = _sink(tree, node)
        if found is None:
            continue
        sink, value = found
        template = _resolve(tree, value)
        if template is None or template.type not in ("template_string", "binary_expression"):
            continue
        tainted = request_names(tree, enclosing_function(node))
        inputs = tuple(dict.fromkeys(_holes_using(tree, template, tainted)))
        if inputs:
            yield PromptSink(tree.span(value), sink, inputs, tree.text(value))


def _sink(tree: JsTree, node: Node) -> tuple[str, Node] | None:
    if node.type == "pair":
        key = property_key(tree, node)
        value = node.child_by_field_name("value")
        if key in SYSTEM_KEYS and value is not None and node.parent is not None and node.parent.type == "object":
            return f"{key}:", value
        if key == "content" and value is not None and node.parent is not None:
            role = next((c.child_by_field_name("value") for c in node.parent.named_children
                         if c.type == "pair" and property_key(tree, c) == "role"), None)
            if role is not None and string_value(tree, role) in ("system", "developer"):
                return f"{string_value(tree, role)} message", value
    elif node.type in ("new_expression", "call_expression"):
        callee = node.child_by_field_name("constructor") or node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is not None and tree.text(callee) == "SystemMessage" and args is not None and args.named_children:
            return "SystemMessage", args.named_children[0]
    elif node.type == "array" and len(node.named_children) == 2:
        first = node.named_children[0]
        if string_value(tree, first) == "system":
            return '["system", ...] message', node.named_children[1]
    return None


def _resolve(tree: JsTree, value: Node) -> Node | None:
    """The value itself, or the value a variable of the same function was declared with."""
    if value.type != "identifier":
        return value
    name = tree.text(value)
    scope = enclosing_function(value)
    while scope is not None:
        for node in tree.walk(scope):
            if node.type == "variable_declarator" and tree.text(node.child_by_field_name("name")) == name:
                return node.child_by_field_name("value")
        scope = enclosing_function(scope.parent) if scope.parent is not None else None
    return None


def request_names(tree: JsTree, scope: Node) -> set[str]:
    """Variables of ``scope`` read from the request (``const { a } = await req.json()``, ``const q = req.query.q``)."""
    names: set[str] = set()
    for target, value in declarations(tree, scope):
        text = tree.text(value)
        if REQUEST_DATA.search(text) or any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
            names.update(bound_names(tree, target))
    return names


def bound_names(tree: JsTree, target: Node) -> list[str]:
    """Names a declaration binds: ``x``, ``{ a, b: c }`` (``a`` and ``c``), ``[first]``."""
    if target.type == "identifier":
        return [tree.text(target)]
    names = []
    for node in tree.walk(target):
        binds = node.type == "shorthand_property_identifier_pattern" or (
            node.type == "identifier" and node.parent is not None
            and (node.parent.type != "pair_pattern" or node == node.parent.child_by_field_name("value")))
        if binds:
            names.append(tree.text(node))
    return names


def _holes_using(tree: JsTree, template: Node, tainted: set[str]) -> Iterator[str]:
    """Names of request data used in the template's holes or the concatenation's operands."""
    holes = [c for c in tree.walk(template) if c.type == "template_substitution"] if template.type == \
        "template_string" else [c for c in template.named_children if c.type != "string"]
    for hole in holes:
        text = tree.text(hole)
        direct = REQUEST_DATA.search(text)
        if direct:
            yield text.strip("${} ")[:60]
            continue
        for node in tree.walk(hole):
            if node.type == "identifier" and tree.text(node) in tainted:
                yield tree.text(node)
