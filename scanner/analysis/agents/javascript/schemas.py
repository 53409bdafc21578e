"""OpenAI/Anthropic Node SDK tool schemas and the code that runs them.

A schema is an object literal with a literal ``name`` and a JSON schema: ``parameters`` (OpenAI chat
``{ type: "function", function: { name, parameters } }`` and Responses ``{ type: "function", name,
parameters }``) or ``input_schema`` (Anthropic). Its implementation is found, in any project file that
mentions the name, as

- the value of a mapping ``{ send_email: sendEmail }`` / ``{ "send_email": async (args) => ... }``;
- the statements of ``case "send_email":`` or of ``if (name === "send_email") { ... }``;
- failing those, a project function of that name (``send_email`` or ``sendEmail``).

The function holding the dispatch counts for the gate: an approval check there confirms every tool it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.lang.javascript.parse import (
    FUNCTION_TYPES,
    enclosing_function,
    object_member,
    property_key,
    string_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.modules import Module, ModuleGraph

SCHEMA_KEYS = ("parameters", "input_schema")
REFERENCES = ("identifier", "member_expression")
#: Options of framework tool definitions, read by their own extractors (``tool({ name, parameters, execute })``).
FRAMEWORK_KEYS = ("execute", "func", "handler", "schema", "inputSchema")


@dataclass(frozen=True)
class SchemaTool:
    name: str
    schema: Node
    #: What runs the tool: a function, or the statements of a ``case``/``if`` branch; None when not found.
    implementation: Node | None
    implementation_module: Module | None
    #: The function holding the dispatch (its approval checks confirm the tool), or None.
    dispatcher: Node | None


def schema_tool(module: Module, graph: ModuleGraph, obj: Node) -> SchemaTool | None:
    """The tool ``obj`` declares, when it is an OpenAI/Anthropic tool schema."""
    tree = module.tree
    name_node = object_member(tree, obj, "name")
    name = string_value(tree, name_node) if name_node is not None else None
    if not name or not re.fullmatch(r"[A-Za-z_][\w-]{0,63}", name):
        return None
    if not any(object_member(tree, obj, key) is not None for key in SCHEMA_KEYS):
        return None
    if any(object_member(tree, obj, key) is not None for key in FRAMEWORK_KEYS):
        return None
    for candidate in _modules_mentioning(graph, module, name):
        found = _dispatch(candidate, name)
        if found is not None:
            implementation, dispatcher = found
            if implementation.type in REFERENCES:
                definition = graph.function(candidate.tree.text(implementation), candidate.path)
                if definition is None:
                    continue
                return SchemaTool(name, obj, definition.node, definition.module, dispatcher)
            return SchemaTool(name, obj, implementation, candidate, dispatcher)
    for spelling in dict.fromkeys((name, _camel(name))):
        definition = graph.function(spelling, module.path)
        if definition is not None:
            return SchemaTool(name, obj, definition.node, definition.module, None)
    return SchemaTool(name, obj, None, None, None)


def schema_params(module: Module, obj: Node) -> tuple[str, ...]:
    """The property names of the schema's ``parameters``/``input_schema``."""
    tree = module.tree
    schema = next((v for key in SCHEMA_KEYS if (v := object_member(tree, obj, key)) is not None), None)
    properties = object_member(tree, schema, "properties") if schema is not None else None
    if properties is None or properties.type != "object":
        return ()
    return tuple(k for m in properties.named_children if m.type == "pair" and (k := property_key(tree, m)))


def _modules_mentioning(graph: ModuleGraph, module: Module, name: str) -> list[Module]:
    """The schema's own file first, then other project files whose text names the tool."""
    others = [m for m in graph.modules.values() if m.path != module.path and name in m.tree.file_text]
    return [module, *others]


def _dispatch(module: Module, name: str) -> tuple[Node, Node | None] | None:
    """Where ``module`` runs the tool ``name``: ``(implementation, dispatching function)``."""
    tree = module.tree
    for node in tree.walk():
        if node.type == "pair" and property_key(tree, node) == name:
            value = node.child_by_field_name("value")
            if value is not None and (value.type in FUNCTION_TYPES or value.type in REFERENCES):
                return value, _user_of_mapping(module, node)
        elif node.type == "switch_case":
            value = node.child_by_field_name("value")
            if value is not None and string_value(tree, value) == name:
                return node, enclosing_function(node)
        elif node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            quoted = rf"""['"`]{re.escape(name)}['"`]"""
            if condition is not None and re.search(rf"===?\s*{quoted}|{quoted}\s*===?", tree.text(condition)):
                consequence = node.child_by_field_name("consequence")
                if consequence is not None:
                    return consequence, enclosing_function(node)
    return None


def _user_of_mapping(module: Module, pair: Node) -> Node | None:
    """The function that looks tools up in the mapping ``pair`` belongs to (``availableFunctions[name]``)."""
    tree = module.tree
    declarator = pair.parent.parent if pair.parent is not None else None
    if declarator is None or declarator.type != "variable_declarator":
        return enclosing_function(pair) if enclosing_function(pair).type in FUNCTION_TYPES else None
    mapping = tree.text(declarator.child_by_field_name("name"))
    for node in tree.walk():
        if node.type == "subscript_expression" and tree.text(node.child_by_field_name("object")) == mapping:
            function = enclosing_function(node)
            if function.type in FUNCTION_TYPES:
                return function
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
