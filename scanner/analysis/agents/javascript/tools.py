"""Agent tools defined in JavaScript/TypeScript, as language-neutral :class:`~scanner.analysis.agents.model.Tool`.

Recognised definitions:

- Vercel AI SDK ``tool({ inputSchema | parameters, execute, needsApproval })`` and OpenAI Agents SDK
  ``tool({ name, parameters, execute, needsApproval })``; the name is the ``name`` option, the key of a
  ``tools: { sendEmail: tool(...) }`` object, or the variable (or factory) it is assigned to;
- LangChain.js ``tool(fn, { name, schema })``, ``new DynamicStructuredTool({ name, func })`` and
  ``new DynamicTool({ name, func })``;
- LangChain.js tool classes (``extends StructuredTool``/``Tool`` with a ``_call`` method);
- MCP TypeScript servers: ``server.tool(name, ..., handler)`` and ``server.registerTool(name, config, handler)``;
  a tool annotated ``destructiveHint: true`` is confirmed by the host (the MCP specification asks clients
  to confirm destructive tools), so it counts as gated;
- OpenAI/Anthropic SDK tool-call loops (``for (const call of message.tool_calls)``): the loop body runs
  whatever tool the model chose.

A tool is gated by ``needsApproval`` (anything but ``false``) or an approval check in its implementation.
Its effects and model-id reads are judged by :mod:`scanner.analysis.agents.javascript.effects`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.analysis.agents.javascript.effects import first_effect, model_url_fetch, request_url_fetch, unowned_read
from scanner.analysis.agents.javascript.prompts import REQUEST_DATA, request_names
from scanner.analysis.agents.javascript.schemas import SchemaTool, schema_params, schema_tool
from scanner.analysis.agents.model import Tool
from scanner.lang.javascript.parse import (
    FUNCTION_TYPES,
    call_arguments,
    enclosing_function,
    object_member,
    property_key,
    string_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.modules import Module, ModuleGraph

#: Cheap text prefilter for files that may define tools.
MARKERS = re.compile(r"\btool\s*\(|DynamicStructuredTool|DynamicTool|\.registerTool\s*\(|\.tool\s*\(|tool_calls"
                     r"|toolCalls|\binput_schema\b|['\"]?\bparameters['\"]?\s*:")
FRAMEWORK_BY_MODULE = (("@openai/agents", "openai-agents"), ("@openai/agents/", "openai-agents"),
                       ("@langchain/", "langchain.js"), ("langchain/", "langchain.js"), ("ai", "vercel-ai-sdk"))
APPROVAL = re.compile(r"\b(?:if|while)\s*\([^)]*(?:confirm|approv|humanReview|human_review)\w*", re.IGNORECASE)
APPROVAL_CALL = re.compile(r"\b(?:request|require|await|ask|waitFor|get)(?:Human|User)?(?:Approval|Confirmation)\s*\(",
                           re.IGNORECASE)
#: A loop body that dispatches by literal tool name (``case "send_email":``, ``name === "send_email"``).
PER_NAME_DISPATCH = re.compile(r"""\bcase\s+['"`]|\b[nN]ame\s*===?\s*['"`]""")
TOOL_CALL_LOOP = re.compile(r"\btool_?[cC]alls\b")
DESTRUCTIVE_HINT = re.compile(r"\bdestructiveHint\s*:\s*true\b")
#: LangChain.js base classes whose subclasses are tools (their ``_call`` method runs them).
TOOL_BASES = re.compile(r"\b(?:StructuredTool|Tool|DynamicStructuredTool|DynamicTool)\b")


def tools(module: Module, graph: ModuleGraph, owner_words: re.Pattern[str]) -> Iterator[Tool]:
    """Every tool defined in one module."""
    tree = module.tree
    for node in tree.walk():
        if node.type == "for_in_statement":
            yield from _tool_call_loop(module, graph, node)
            continue
        if node.type == "object":
            found_schema = schema_tool(module, graph, node)
            if found_schema is not None:
                yield _schema(module, graph, found_schema, owner_words)
            continue
        if node.type == "call_expression":
            found = _call_tool(module, node)
        elif node.type == "new_expression":
            found = _constructed_tool(module, node)
        elif node.type == "class_declaration":
            found = _class_tool(module, node)
        else:
            found = None
        if found is None:
            continue
        name, framework, implementation, params, gate = found
        effect = first_effect(graph, module, implementation, name)
        read = unowned_read(module, implementation, params, name, owner_words)
        fetch = model_url_fetch(graph, module, implementation, params)
        yield Tool(name, framework, "javascript", tree.span(node), params, gate, effect, read, fetch)


def _call_tool(module: Module, call: Node):
    tree = module.tree
    callee = call.child_by_field_name("function")
    args = call_arguments(call)
    if callee is None or not args:
        return None
    if callee.type == "identifier" and tree.text(callee) == "tool":
        framework = _framework(module, "tool")
        if args[0].type == "object":  # AI SDK / OpenAI Agents: tool({ ... })
            options = args[0]
            implementation = object_member(module.tree, options, "execute")
            if implementation is None:
                return None  # no execute: the client runs it (AI SDK human-in-the-loop pattern)
            name = _literal(module, options, "name") or _name_from_context(module, call) or "tool"
            schema = object_member(tree, options, "inputSchema") or object_member(tree, options, "parameters")
            params = _schema_keys(module, schema) or _destructured(module, implementation)
            return name, framework, implementation, params, _gate(module, options, implementation)
        if args[0].type in FUNCTION_TYPES and len(args) > 1 and args[1].type == "object":  # LangChain.js tool(fn, ...)
            name = _literal(module, args[1], "name") or _name_from_context(module, call) or "tool"
            params = _schema_keys(module, object_member(tree, args[1], "schema")) or _destructured(module, args[0])
            return name, "langchain.js", args[0], params, _gate(module, args[1], args[0])
        return None
    if callee.type == "member_expression":
        prop = callee.child_by_field_name("property")
        method = tree.text(prop) if prop is not None else ""
        if method in ("tool", "registerTool") and _is_mcp(module, callee):
            name = string_value(tree, args[0]) or "tool"
            handler = next((a for a in reversed(args) if a.type in FUNCTION_TYPES), None)
            if handler is None:
                return None
            schema = args[1] if method == "registerTool" and len(args) > 2 and args[1].type == "object" else None
            params = _schema_keys(module, object_member(tree, schema, "inputSchema")) \
                or _schema_keys(module, next((a for a in args[1:-1] if a.type == "object"), None)) \
                or _destructured(module, handler)
            destructive = any(DESTRUCTIVE_HINT.search(tree.text(a)) for a in args[1:-1])
            gate = "MCP annotations destructiveHint: true (hosts ask the user first)" if destructive else None
            return name, "mcp", handler, params, gate
    return None


def _constructed_tool(module: Module, new: Node):
    tree = module.tree
    constructor = new.child_by_field_name("constructor")
    args = new.child_by_field_name("arguments")
    if constructor is None or args is None or tree.text(constructor) not in ("DynamicStructuredTool", "DynamicTool"):
        return None
    options = next((a for a in args.named_children if a.type == "object"), None)
    if options is None:
        return None
    implementation = object_member(module.tree, options, "func")
    if implementation is None:
        return None
    name = _literal(module, options, "name") or _name_from_context(module, new) or "tool"
    params = _schema_keys(module, object_member(tree, options, "schema")) or _destructured(module, implementation)
    return name, "langchain.js", implementation, params, _gate(module, options, implementation)


def _class_tool(module: Module, cls: Node):
    """``class SendMail extends StructuredTool { name = "send_mail"; async _call(input) {...} }`` (LangChain.js)."""
    tree = module.tree
    body = cls.child_by_field_name("body")
    if body is None or not _is_tool_class(module, cls):
        return None
    call = next((m for m in body.named_children if m.type == "method_definition"
                 and tree.text(m.child_by_field_name("name")) == "_call"), None)
    if call is None:
        return None
    name = None
    for member in body.named_children:
        if member.type in ("public_field_definition", "field_definition"):
            key = member.child_by_field_name("name") or member.child_by_field_name("property")
            value = member.child_by_field_name("value")
            if key is not None and tree.text(key) == "name" and value is not None:
                name = string_value(tree, value)
    class_name = cls.child_by_field_name("name")
    name = name or (tree.text(class_name) if class_name is not None else "tool")
    schema = next((m.child_by_field_name("value") for m in body.named_children
                   if m.type in ("public_field_definition", "field_definition")
                   and tree.text(m.child_by_field_name("name") or m) == "schema"), None)
    return name, "langchain.js", call, _schema_keys(module, schema), _gate_in(module, call)


def _is_tool_class(module: Module, cls: Node, depth: int = 0) -> bool:
    """Extends a LangChain.js tool class, directly or through a base class of the same file."""
    heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None)
    if heritage is None or depth > 3:
        return False
    text = module.tree.text(heritage)
    if TOOL_BASES.search(text):
        return True
    base = base_class(module, cls)
    return base is not None and _is_tool_class(module, base, depth + 1)


def base_class(module: Module, cls: Node) -> Node | None:
    """The class declaration (in the same file) that ``cls`` extends, if any."""
    heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None)
    if heritage is None:
        return None
    match = re.search(r"extends\s+([A-Za-z_$][\w$]*)", module.tree.text(heritage))
    if match is None:
        return None
    for node in module.tree.walk():
        if node.type == "class_declaration" and module.tree.text(node.child_by_field_name("name")) == match.group(1):
            return node
    return None


def _schema(module: Module, graph: ModuleGraph, found: SchemaTool, owner_words: re.Pattern[str]) -> Tool:
    """An OpenAI/Anthropic tool schema, judged by the code its dispatch runs."""
    params = schema_params(module, found.schema)
    implementation, where = found.implementation, found.implementation_module
    effect = read = fetch = None
    gate = None
    if implementation is not None and where is not None:
        effect = first_effect(graph, where, implementation, found.name)
        read = unowned_read(where, implementation, params, found.name, owner_words)
        fetch = model_url_fetch(graph, where, implementation, params)
        gate = _gate_in(where, implementation) or (
            "approval check in the tool dispatcher" if found.dispatcher is not None
            and _approval_in(where.tree.text(found.dispatcher)) else None)
    return Tool(found.name, "tool schema", "javascript", module.tree.span(found.schema), params, gate, effect, read,
                fetch)


def _tool_call_loop(module: Module, graph: ModuleGraph, loop: Node) -> Iterator[Tool]:
    """``for (const call of message.tool_calls) { ... }``: the body runs whatever the model asked for.

    When the tools handed to the model are built from the request (``for (const t of body.selectedTools)
    tools.push(...)``), the caller defines what the model can call and where those calls go: the finding
    points at that construction, and a request in the loop to a URL that is not a fixed host is an SSRF.
    """
    tree = module.tree
    right = loop.child_by_field_name("right")
    body = loop.child_by_field_name("body")
    if right is None or body is None or not TOOL_CALL_LOOP.search(tree.text(right)):
        return
    if PER_NAME_DISPATCH.search(tree.text(body)):
        return  # each branch runs one named tool: judged with that tool's schema
    gate = "approval check in the tool-call loop" if _approval_in(tree.text(body)) else None
    origin = _request_tool_list(module, loop)
    name = "tool-call loop over tools the request defines" if origin is not None else "tool-call loop"
    fetch = request_url_fetch(module, body, "the request's tool definitions") if origin is not None else None
    yield Tool(name, "openai-sdk", "javascript", tree.span(origin or loop), (), gate,
               first_effect(graph, module, body, name), None, fetch, dispatcher=True)


def _request_tool_list(module: Module, loop: Node) -> Node | None:
    """The loop that builds the tool list of the model call from request data, e.g.
    ``for (const t of selectedTools) { allTools = allTools.concat(convert(t)) }`` before
    ``openai.chat.completions.create({ tools: allTools })``, with ``selectedTools`` read from the body."""
    tree = module.tree
    function = enclosing_function(loop)
    from_request = request_names(tree, function)
    listed = next((n.child_by_field_name("value") if n.type == "pair" else n for n in tree.walk(function)
                   if (n.type == "pair" and property_key(tree, n) == "tools")
                   or (n.type == "shorthand_property_identifier" and tree.text(n) == "tools")), None)
    if listed is None:
        return None
    names = {tree.text(n) for n in tree.walk(listed) if n.type in ("identifier", "shorthand_property_identifier")}
    for node in tree.walk(function):
        if node.type not in ("for_in_statement", "for_statement") or node == loop:
            continue
        header = node.child_by_field_name("right") or node.child_by_field_name("condition")
        header_text = tree.text(header) if header is not None else ""
        if not (REQUEST_DATA.search(header_text) or any(re.search(rf"\b{re.escape(n)}\b", header_text)
                                                        for n in from_request)):
            continue
        built = tree.text(node.child_by_field_name("body") or node)
        if any(re.search(rf"\b{re.escape(n)}\s*(?:=[^=]|\.push\()", built) for n in names):
            return node
    return None


def _gate(module: Module, options: Node, implementation: Node) -> str | None:
    approval = object_member(module.tree, options, "needsApproval")
    if approval is not None and module.tree.text(approval) != "false":
        return f"needsApproval: {module.tree.text(approval)[:40]}"
    return _gate_in(module, implementation)


def _gate_in(module: Module, implementation: Node) -> str | None:
    return "approval check in the tool" if _approval_in(module.tree.text(implementation)) else None


def _approval_in(text: str) -> bool:
    return bool(APPROVAL.search(text) or APPROVAL_CALL.search(text))


def _framework(module: Module, local: str) -> str:
    imported = module.imports.get(local)
    specifier = imported.specifier if imported is not None else ""
    for prefix, framework in FRAMEWORK_BY_MODULE:
        if specifier == prefix or (prefix.endswith("/") and specifier.startswith(prefix)):
            return framework
    return "mcp" if re.search(r"\bmcp\b", specifier) else "vercel-ai-sdk"


def _is_mcp(module: Module, callee: Node) -> bool:
    """``server.tool(...)`` on an MCP server: the file imports the MCP SDK, or the receiver is named so."""
    if any(i.specifier.startswith("@modelcontextprotocol/") for i in module.imports.values()):
        return True
    receiver = callee.child_by_field_name("object")
    return receiver is not None and bool(re.search(r"mcp|server", module.tree.text(receiver), re.IGNORECASE))


def _name_from_context(module: Module, node: Node) -> str | None:
    """The key of ``{ sendEmail: tool(...) }`` or the variable a tool (or a tool factory) is assigned to."""
    tree = module.tree
    current = node.parent
    while current is not None:
        if current.type == "pair":
            return property_key(tree, current)
        if current.type == "variable_declarator":
            name = current.child_by_field_name("name")
            return tree.text(name) if name is not None and name.type == "identifier" else None
        if current.type in ("statement_block", "program", "class_body", "arguments"):
            return None
        current = current.parent
    return None




def _literal(module: Module, obj: Node, name: str) -> str | None:
    value = object_member(module.tree, obj, name)
    return string_value(module.tree, value) if value is not None else None


def _schema_keys(module: Module, schema: Node | None) -> tuple[str, ...]:
    """Keys of ``z.object({...})``, ``jsonSchema({ properties })`` or a plain ``{ type, properties }`` schema."""
    if schema is None:
        return ()
    tree = module.tree
    for node in tree.walk(schema):
        if node.type == "object":
            properties = object_member(module.tree, node, "properties")
            target = properties if properties is not None and properties.type == "object" else node
            parent_call = node.parent.parent if node.parent is not None else None
            is_zod_object = parent_call is not None and parent_call.type == "call_expression" and tree.text(
                parent_call.child_by_field_name("function") or parent_call).endswith(".object")
            if properties is not None or is_zod_object:
                return tuple(_keys(module, target))
    return ()


def _keys(module: Module, obj: Node) -> Iterator[str]:
    tree = module.tree
    for member in obj.named_children:
        if member.type == "pair":
            key = property_key(tree, member)
            if key is not None:
                yield key
        elif member.type == "shorthand_property_identifier":
            yield tree.text(member)


def _destructured(module: Module, function: Node) -> tuple[str, ...]:
    """``async ({ to, subject }) => ...``: the destructured names of the first parameter."""
    params = function.child_by_field_name("parameters") if function.type in FUNCTION_TYPES else None
    first = params.named_children[0] if params is not None and params.named_children else None
    if first is not None and first.type in ("required_parameter", "optional_parameter"):
        first = first.child_by_field_name("pattern") or first
    if first is None or first.type != "object_pattern":
        return ()
    names = []
    for member in first.named_children:
        if member.type == "shorthand_property_identifier_pattern":
            names.append(module.tree.text(member))
        elif member.type in ("pair_pattern", "object_assignment_pattern"):
            key = member.child_by_field_name("key") or member.child_by_field_name("left")
            if key is not None:
                names.append(module.tree.text(key))
    return tuple(names)
