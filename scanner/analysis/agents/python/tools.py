"""LLM agent tools: where they are defined, what implements them, what the model fills in, and whether a
human confirms them before they run.

Recognised definitions:

- decorators: LangChain/CrewAI/smolagents ``@tool``, OpenAI Agents SDK ``@function_tool``, MCP/FastMCP
  ``@mcp.tool()``, Pydantic AI ``@agent.tool``/``@agent.tool_plain``, Microsoft Agent Framework
  ``@ai_function``;
- constructors: ``StructuredTool.from_function``, ``Tool(...)``, LlamaIndex ``FunctionTool.from_defaults``;
- classes deriving from ``BaseTool`` (LangChain, CrewAI): their ``_run``/``run`` method;
- JSON schemas (OpenAI ``{"name":..., "parameters":...}``, Anthropic ``{"name":..., "input_schema":...}``)
  with their dispatch code: a mapping ``{"send_email": send_email}``, or an ``if name == "send_email":``
  branch, anywhere in the project; failing that, a project function of the same name.

A tool is *gated* by an approval flag on its definition (``needs_approval``, ``requires_approval``,
``approval_mode="always_require"``), an approval check in its body or in its dispatcher (a condition or
call naming confirmation/approval, LangGraph ``interrupt()``, ``input()``), or a project-wide gate
(``HumanInTheLoopMiddleware``, ``interrupt_before=``, ``HumanApprovalCallbackHandler``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from scanner.analysis.routes.python.facts import string_value
from scanner.context import ProjectFacts
from scanner.lang.python.functions import (
    ScopedFinder,
    function_index,
    import_map,
    leaf_name,
    modules_containing,
    parameters,
    resolve_function,
)
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import walk

BUCKET = "agent-tools"

FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "langchain_community", "crewai", "crewai_tools", "smolagents",
              "strands", "llama_index", "agents", "pydantic_ai", "mcp", "fastmcp", "agno", "agent_framework",
              "haystack", "autogen")
#: Decorator names that make a function a tool; ``tool`` itself only when imported from a framework.
_DECORATORS = frozenset({"tool", "function_tool", "tool_plain", "ai_function"})
_CONSTRUCTORS = frozenset({"StructuredTool.from_function", "Tool.from_function", "FunctionTool.from_defaults",
                           "Tool", "FunctionTool", "StructuredTool"})
#: Calls that take the tool list positionally (LangGraph/LangChain).
_TOOL_LIST_CALLS = frozenset({"bind_tools", "create_react_agent", "create_agent", "ToolNode"})
_FUNCTION_KEYWORDS = ("func", "fn", "function", "coroutine")
#: Words in a condition that make it an approval check (``if not confirmed:``).
_APPROVAL = re.compile(r"confirm|approv|human_review|pending_action|ask_human|human_in_the_loop", re.IGNORECASE)
#: Calls that ask a human or park the action (``request_approval(...)``, ``pending_actions.append``).
_APPROVAL_CALL = re.compile(r"(?:request|require|await|ask|wait_for|get)_?(?:for_)?(?:human_|user_)?"
                            r"(?:approval|confirmation)|pending_action|ask_human", re.IGNORECASE)
_GATE_CALLS = frozenset({"interrupt", "input"})
_DESTRUCTIVE_HINT = re.compile(r"""destructiveHint["']?\s*[=:]\s*True""")
#: Parameters a framework fills in rather than the model.
_INJECTED_NAMES = frozenset({"self", "cls", "ctx", "context", "config", "run_manager", "callbacks", "state",
                             "tool_call_id", "runtime"})
_INJECTED_TYPES = re.compile(r"Injected|RunContext|ToolContext|Context|RunnableConfig|ToolRuntime")


@dataclass(frozen=True)
class AgentTool:
    """One tool the model can call."""

    name: str
    framework: str
    node: cst.CSTNode
    module: PythonModule
    #: What runs when the model calls the tool: a function, or the statements of a dispatch branch.
    implementation: cst.CSTNode | None
    implementation_module: PythonModule | None
    #: Arguments the model fills in.
    params: tuple[str, ...]
    #: How a human confirms the tool before it runs, or None.
    gate: str | None


@dataclass
class Dispatch:
    """Where a schema-declared tool name is dispatched: its implementation and the dispatching function."""

    module: PythonModule
    implementation: cst.CSTNode
    #: The function holding the dispatch, or for a module-level mapping its variable name.
    function: cst.FunctionDef | None
    mapping: str | None = None

    def dispatcher(self) -> cst.FunctionDef | None:
        """The dispatching function: the enclosing one, or the first module function using the mapping."""
        if self.function is not None or self.mapping is None:
            return self.function
        for statement in self.module.module.body:
            if isinstance(statement, cst.FunctionDef) and re.search(
                    rf"\b{re.escape(self.mapping)}\b", self.module.code(statement.body)):
                return statement
        return None


@dataclass
class AgentFacts:
    """Project-wide: dispatch entries by tool name, and gates that cover every (or named) tool."""

    dispatch: dict[str, list[Dispatch]] = field(default_factory=dict)
    #: Paths whose dispatch code has been collected.
    dispatch_indexed: set[str] = field(default_factory=set)
    global_gate: str | None = None
    gated_names: dict[str, str] = field(default_factory=dict)


def agent_facts(facts: ProjectFacts) -> AgentFacts:
    return facts.bucket(BUCKET, AgentFacts)


def _attr_path(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{_attr_path(expr.value)}.{expr.attr.value}"
    return "?"


def _head(expr: cst.BaseExpression) -> str:
    while isinstance(expr, (cst.Attribute, cst.Call)):
        expr = expr.value if isinstance(expr, cst.Attribute) else expr.func
    return expr.value if isinstance(expr, cst.Name) else ""


def _keyword(call: cst.Call, *names: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in names:
            return arg.value
    return None


def approval_flag(call: cst.Call) -> str | None:
    """An approval setting on a tool definition call, e.g. ``needs_approval=True``."""
    for arg in call.args:
        if arg.keyword is None:
            continue
        key, value = arg.keyword.value, arg.value
        if key in ("needs_approval", "requires_approval", "require_approval", "requires_confirmation") and not (
                isinstance(value, cst.Name) and value.value in ("False", "None")):
            return f"{key}="
        if key == "approval_mode" and string_value(value) in ("always_require", "always"):
            return 'approval_mode="always_require"'
        if key == "annotations" and _DESTRUCTIVE_HINT.search(cst.Module([]).code_for_node(value)):
            return "MCP annotations destructiveHint=True (hosts ask the user first)"
    return None


def approval_check(node: cst.CSTNode | None) -> str | None:
    """An approval check inside ``node``: a condition or call naming confirmation, ``interrupt()``, ``input()``."""
    if node is None:
        return None
    finder = _ApprovalFinder()
    node.visit(finder)
    return finder.found


class _ApprovalFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: str | None = None

    def _test(self, test: cst.BaseExpression) -> None:
        words = _Words()
        test.visit(words)
        if any(_APPROVAL.search(w) for w in words.found):
            self.found = self.found or "approval check"

    def visit_If(self, node: cst.If) -> None:
        self._test(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._test(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._test(node.test)

    def visit_Call(self, node: cst.Call) -> None:
        leaf = leaf_name(node.func)
        if leaf in _GATE_CALLS:
            self.found = self.found or f"{leaf}()"
        elif _APPROVAL_CALL.search(_attr_path(node.func)):
            self.found = self.found or f"{_attr_path(node.func)}()"


class _Words(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.found.append(node.value)


def model_params(func: cst.FunctionDef) -> tuple[str, ...]:
    """Parameters of a tool function that the model fills in (framework-injected ones left out)."""
    names = []
    for param in parameters(func):
        annotation = param.annotation.annotation if param.annotation else None
        if param.name.value in _INJECTED_NAMES:
            continue
        if annotation is not None and _INJECTED_TYPES.search(cst.Module([]).code_for_node(annotation)):
            continue
        names.append(param.name.value)
    return tuple(names)


def index_dispatch(module: PythonModule, facts: ProjectFacts) -> None:
    """Record dispatch entries (name -> implementation) and project-wide gates found in ``module``."""
    found = agent_facts(facts)
    if module.path in found.dispatch_indexed:
        return
    found.dispatch_indexed.add(module.path)
    collector = _DispatchCollector(module)
    collector.collect()
    for name, dispatch in collector.entries:
        found.dispatch.setdefault(name, []).append(dispatch)
    if collector.global_gate:
        found.global_gate = found.global_gate or collector.global_gate
    found.gated_names.update(collector.gated_names)


class _DispatchCollector(ScopedFinder):
    def __init__(self, module: PythonModule):
        super().__init__(module)
        self.entries: list[tuple[str, Dispatch]] = []
        #: The module-level variable being assigned (a dispatch mapping's name).
        self.assigned: str | None = None
        self.global_gate: str | None = None
        self.gated_names: dict[str, str] = {}

    def visit_Dict(self, node: cst.Dict) -> None:
        pairs = [(e.key, e.value) for e in node.elements if isinstance(e, cst.DictElement)]
        functions = (cst.Name, cst.Attribute)
        if not pairs or not all(string_value(k) is not None and isinstance(v, functions) for k, v in pairs):
            return
        for key, value in pairs:
            self.entries.append((string_value(key), Dispatch(self.module, value, self.function, self.assigned)))

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        self.assigned = target.value if isinstance(target, cst.Name) and not self.functions else None

    def visit_If(self, node: cst.If) -> None:
        test = node.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(
                test.comparisons[0].operator, cst.Equal):
            left, right = test.left, test.comparisons[0].comparator
            for side, other in ((left, right), (right, left)):
                name = string_value(side)
                if name is not None and "name" in self.module.code(other) and re.fullmatch(r"[A-Za-z_][\w.-]*", name):
                    self.entries.append((name, Dispatch(self.module, node.body, self.function)))

    def visit_Call(self, node: cst.Call) -> None:
        leaf = leaf_name(node.func)
        if leaf == "HumanInTheLoopMiddleware":
            names = _keyword(node, "interrupt_on")
            if isinstance(names, cst.Dict):
                for element in names.elements:
                    key = string_value(element.key) if isinstance(element, cst.DictElement) else None
                    if key:
                        self.gated_names[key] = "HumanInTheLoopMiddleware"
            else:
                self.global_gate = "HumanInTheLoopMiddleware"
        elif leaf == "HumanApprovalCallbackHandler":
            self.global_gate = "HumanApprovalCallbackHandler"
        elif _keyword(node, "interrupt_before") is not None:
            self.global_gate = "interrupt_before"


def tools(module: PythonModule, facts: ProjectFacts) -> Iterator[AgentTool]:
    """Every agent tool defined in ``module``."""
    yield from _ToolFinder(module, facts).collect()


class _ToolFinder(ScopedFinder):
    def __init__(self, module: PythonModule, facts: ProjectFacts):
        super().__init__(module)
        self.facts = facts
        self.imports = import_map(module)

    def _framework(self, expr: cst.BaseExpression) -> str | None:
        """The agent framework ``expr``'s head name is imported from (``langchain_core``), or None."""
        root = self.imports.get(_head(expr), "").split(".", 1)[0]
        return root if root in FRAMEWORKS else None

    def _tool(self, name: str, framework: str, node: cst.CSTNode, implementation: cst.CSTNode | None,
              implementation_module: PythonModule | None, params: tuple[str, ...], gate: str | None,
              dispatcher: cst.FunctionDef | None = None) -> None:
        found = agent_facts(self.facts)
        gate = (gate or approval_check(implementation) or approval_check(dispatcher)
                or found.gated_names.get(name) or found.global_gate)
        self.found.append(AgentTool(name, framework, node, self.module, implementation, implementation_module,
                                    params, gate))

    def _dispatch_entries(self, name: str) -> list[Dispatch]:
        """Dispatch code for a schema tool; modules deferred by the prefilter are searched for its name."""
        for module in modules_containing(self.facts, (f'"{name}"', f"'{name}'", f"def {name}(")):
            index_dispatch(module, self.facts)
        return agent_facts(self.facts).dispatch.get(name, [])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        for decorator in node.decorators:
            expr = decorator.decorator
            base = expr.func if isinstance(expr, cst.Call) else expr
            leaf = leaf_name(base)
            if leaf not in _DECORATORS:
                continue
            framework = self._framework(base)
            if isinstance(base, cst.Name) and leaf == "tool" and framework is None:
                continue
            call = expr if isinstance(expr, cst.Call) else None
            name = node.name.value
            if call is not None:
                first = call.args[0].value if call.args and call.args[0].keyword is None else None
                name = string_value(_keyword(call, "name", "name_override")) or string_value(first) or name
            gate = approval_flag(call) if call is not None else None
            self._tool(name, framework or _attr_path(base), node.name, node, self.module, model_params(node), gate)
            return

    def visit_Call(self, node: cst.Call) -> None:
        path = _attr_path(node.func)
        leaf = path.rsplit(".", 1)[-1]
        if leaf == "add_tool" or (isinstance(node.func, cst.Call) and leaf_name(node.func.func) == "tool"):
            if self._framework_imported():
                self._mounted(node)  # mcp.add_tool(fn), mcp.tool()(fn)
            return
        listed = _keyword(node, "tools")
        if listed is None and leaf in _TOOL_LIST_CALLS:  # create_react_agent(model, [search, send_email])
            listed = next((a.value for a in node.args if a.keyword is None and isinstance(a.value, (cst.List,
                                                                                                     cst.Name))), None)
        if isinstance(listed, cst.Name):
            listed = _module_value(self.module, listed.value)
        if isinstance(listed, (cst.List, cst.Tuple)) and self._framework_imported():
            self._listed(listed)
        if leaf == "Tool" and _keyword(node, "inputSchema") is not None:
            if self._framework(node.func) == "mcp":
                self._mcp_schema(node)
            return
        if path not in _CONSTRUCTORS and path.split(".")[-2:] != ["StructuredTool", "from_function"]:
            return
        framework = self._framework(node.func)
        if framework is None:
            return
        target = _keyword(node, *_FUNCTION_KEYWORDS)
        candidates = [target] if target is not None else [a.value for a in node.args if a.keyword is None]
        for candidate in candidates:
            for function in self._functions_of(candidate):
                ref = resolve_function(self.facts, self.module, function)
                if ref is not None:
                    name = string_value(_keyword(node, "name")) if function is candidate else None
                    self._tool(name or ref.node.name.value, framework, node, ref.node, ref.module,
                               model_params(ref.node), approval_flag(node))
            if self.found and self.found[-1].node is node:
                return

    def _framework_imported(self) -> bool:
        return any(target.split(".", 1)[0] in FRAMEWORKS for target in self.imports.values())

    def _functions_of(self, candidate: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The function ``candidate`` names; for a loop or comprehension variable over a list of functions
        (``[StructuredTool.from_function(f) for f in FUNCS]``), each of them."""
        if not isinstance(candidate, (cst.Name, cst.Attribute)):
            return []
        if isinstance(candidate, cst.Name):
            iterated = _loop_source(self.module, candidate.value)
            if iterated is not None:
                return [e.value for e in iterated.elements if isinstance(e.value, (cst.Name, cst.Attribute))]
        return [candidate]

    def _mounted(self, call: cst.Call) -> None:
        """``mcp.add_tool(send_email)`` or ``mcp.tool()(send_email)``: the function becomes a tool."""
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        ref = resolve_function(self.facts, self.module, first) if first is not None else None
        if ref is not None:
            registrar = call.func.func if isinstance(call.func, cst.Call) else call.func
            name = string_value(_keyword(call, "name")) or ref.node.name.value
            self._tool(name, _attr_path(registrar), call, ref.node, ref.module, model_params(ref.node),
                       approval_flag(call))

    def _listed(self, listed: cst.List | cst.Tuple) -> None:
        """``Agent(tools=[search, send_email])``: plain functions an agent framework turns into tools
        (Pydantic AI, LangGraph, smolagents, FastMCP ``tools=``). Decorated tools are read at their decorator."""
        for element in listed.elements:
            ref = resolve_function(self.facts, self.module, element.value) if isinstance(
                element.value, (cst.Name, cst.Attribute)) else None
            if ref is None or any(leaf_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                                  in _DECORATORS for d in ref.node.decorators):
                continue
            self._tool(ref.node.name.value, "tools=[...]", element.value, ref.node, ref.module,
                       model_params(ref.node), None)

    def _mcp_schema(self, node: cst.Call) -> None:
        """MCP low-level server: ``types.Tool(name="fetch", inputSchema=...)`` listed by ``@server.list_tools()``
        and run by the ``@server.call_tool()`` handler (its ``if name == "fetch":`` branch, or all of it)."""
        name = string_value(_keyword(node, "name"))
        if not name:
            return
        entries = self._dispatch_entries(name)
        if entries:
            implementation, module, dispatcher = entries[0].implementation, entries[0].module, entries[0].dispatcher()
        else:
            implementation, module, dispatcher = _call_tool_handler(self.module), self.module, None
        params = _schema_properties(_keyword(node, "inputSchema"))
        if not params and isinstance(implementation, cst.FunctionDef):  # the handler's arguments: all model-filled
            params = tuple(p for p in model_params(implementation) if p != "name")
        self._tool(name, "mcp", node, implementation, module if implementation is not None else None, params,
                   None, dispatcher)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not any(leaf_name(base.value) == "BaseTool" for base in node.bases):
            return
        framework = next((f for b in node.bases if (f := self._framework(b.value))), None)
        if framework is None:
            return
        name, run = node.name.value, None
        for item in node.body.body:
            if isinstance(item, cst.FunctionDef) and item.name.value in ("_run", "run", "_arun", "arun"):
                run = run or item
            elif isinstance(item, cst.SimpleStatementLine):
                for small in item.body:
                    assign = isinstance(small, cst.Assign)
                    target = small.targets[0].target if assign else getattr(small, "target", None)
                    value = getattr(small, "value", None)
                    if isinstance(target, cst.Name) and target.value == "name" and string_value(value):
                        name = string_value(value)
        if run is not None:
            self._tool(name, framework, node.name, run, self.module, model_params(run), None)

    def visit_Dict(self, node: cst.Dict) -> None:
        values = {string_value(e.key): e.value for e in node.elements if isinstance(e, cst.DictElement)}
        name = string_value(values.get("name"))
        schema = values.get("parameters") or values.get("input_schema")
        if not name or schema is None:
            return
        params = _schema_properties(schema)
        entries = self._dispatch_entries(name)
        if entries:
            entry = entries[0]
            implementation, impl_module, dispatcher = entry.implementation, entry.module, entry.dispatcher()
            if isinstance(implementation, (cst.Name, cst.Attribute)):
                ref = resolve_function(self.facts, impl_module, implementation)
                implementation, impl_module = (ref.node, ref.module) if ref else (None, None)
        else:
            refs = function_index(self.facts).by_leaf.get(name, [])
            implementation, impl_module = (refs[0].node, refs[0].module) if len(refs) == 1 else (None, None)
            dispatcher = None
        self._tool(name, "tool schema", node, implementation, impl_module, params, None, dispatcher)


def _schema_properties(schema: cst.BaseExpression) -> tuple[str, ...]:
    if not isinstance(schema, cst.Dict):
        return ()
    for element in schema.elements:
        if isinstance(element, cst.DictElement) and string_value(element.key) == "properties" and isinstance(
                element.value, cst.Dict):
            return tuple(k for e in element.value.elements
                         if isinstance(e, cst.DictElement) and (k := string_value(e.key)))
    return ()


def _module_value(module: PythonModule, name: str) -> cst.BaseExpression | None:
    """The value of a module-level ``name = ...`` assignment."""
    for statement in module.module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                        return small.value
    return None


def _loop_source(module: PythonModule, name: str) -> cst.List | cst.Tuple | None:
    """The list of functions a ``for``/comprehension variable ``name`` iterates (a literal or a module-level one)."""
    for node in walk(module.module):
        if isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name) and \
                node.target.value == name:
            iterated = node.iter
            if isinstance(iterated, cst.Name):
                iterated = _module_value(module, iterated.value)
            if isinstance(iterated, (cst.List, cst.Tuple)):
                return iterated
    return None


def _call_tool_handler(module: PythonModule) -> cst.FunctionDef | None:
    """The function decorated ``@server.call_tool()`` in ``module`` (MCP low-level servers)."""
    for node in walk(module.module):
        if isinstance(node, cst.FunctionDef) and any(
                leaf_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) == "call_tool"
                for d in node.decorators):
            return node
    return None
