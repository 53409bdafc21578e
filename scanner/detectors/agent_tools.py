"""LLM agent tools: side effects without human confirmation, identities the model chooses, and two
prompt-injection shapes (user input in a system prompt, dispatch to any function the model names).

Index pass: project functions (to follow tools into helpers), dispatch code for schema-declared tools
and project-wide confirmation gates. Detect pass: see :mod:`scanner.analysis.agents.python.tools`,
:mod:`scanner.analysis.agents.python.effects` and :mod:`scanner.analysis.agents.python.prompts`. libcst is imported
only when a Python file passes a text prefilter for one of the checks; files no check wants are deferred
and parsed only when a tool's call leads into them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from scanner.analysis.agents.model import READ_ONLY_NAME
from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact, Severity
from scanner.paths import is_build_output, looks_minified

if TYPE_CHECKING:
    from scanner.analysis.agents.model import PromptSink, Tool

#: Cheap text prefilters, one per check: tool definitions, dispatch and gates; system prompts; dynamic dispatch.
TOOL_MARKERS = re.compile(r"@(?:\w+\.)?(?:tool|tool_plain|function_tool|ai_function)\b|StructuredTool|FunctionTool|"
                          r"BaseTool|\bTool\(|input_schema|inputSchema|[\"']parameters[\"']|\.add_tool\(|\.tool\(\)\("
                          r"|\btools\s*=|\b(?:bind_tools|create_react_agent|create_agent|ToolNode)\(")
#: Project-wide confirmation gates, collected in the index pass.
GATE_MARKERS = re.compile(r"HumanInTheLoopMiddleware|interrupt_before|HumanApprovalCallbackHandler")
SYSTEM_MARKERS = re.compile(r"[\"'](?:system|developer)[\"']|\bsystem(?:_prompt)?\s*=|\binstructions\s*=|SystemMessage")
#: Effects graded below the rule's severity: a tool that saves records in the app's own database changes data
#: the user can see and undo; mail, money, shell, files and foreign services cannot be taken back.
EFFECT_SEVERITY = {"writes to the database": Severity.MEDIUM}
CONFIRMATION_RULE = "agent-tool-no-confirmation"
IDENTITY_RULE = "agent-tool-identity-from-model"
UNOWNED_READ_RULE = "tenant-tool-unowned-read"
SSRF_RULE = "agent-tool-ssrf"
JS_SYSTEM_MARKERS = re.compile(r"\bsystem\s*:|\binstructions\s*:|SystemMessage|['\"](?:system|developer)['\"]")
#: MCP transports: a server that only speaks stdio runs on the user's machine with the user's own credentials.
STDIO_TRANSPORT = re.compile(r"\bStdioServerTransport\b|\bstdio_server\(|transport\s*=\s*[\"']stdio[\"']")
REMOTE_TRANSPORT = re.compile(r"\b(?:StreamableHTTPServerTransport|SSEServerTransport)\b"
                              r"|\.(?:sse_app|streamable_http_app|http_app)\(|transport\s*=\s*[\"'](?:sse|http|streamable-http)[\"']")
DISPATCH_MARKERS = re.compile(r"\b(?:getattr|eval|vars)\(|\b(?:globals|locals)\(\)\[")


@dataclass
class McpTransports:
    """Which MCP transports the project's servers use (collected in the index pass)."""

    stdio: bool = False
    remote: bool = False

    @property
    def local_only(self) -> bool:
        """Only stdio: one user runs the server with their own credentials, so there is no other tenant to reach
        through it (the ids the model passes name that user's resources, and the API behind authorizes them)."""
        return self.stdio and not self.remote


class AgentToolsDetector(Detector):
    """Reports risky agent tools and prompt-injection shapes."""

    rule_ids = (CONFIRMATION_RULE, IDENTITY_RULE, UNOWNED_READ_RULE, SSRF_RULE, "agent-system-prompt-injection",
                "agent-tool-dispatch-unrestricted")
    kinds = frozenset({"python", "javascript", "typescript", "text"})
    needs_index = True

    def wants(self, artifact: Artifact) -> bool:
        if artifact.kind == "text":  # path configuration for the JS/TS module graph
            return PurePosixPath(artifact.path).name in ("tsconfig.json", "jsconfig.json")
        return super().wants(artifact) and not (artifact.kind != "python" and is_build_output(artifact.path))

    def index(self, artifact: Artifact, ctx: Context) -> None:
        """Python: parse files that configure a project-wide gate and defer the rest (parsed when a tool leads
        there). JavaScript/TypeScript: register the file in the project's module graph. Both: note MCP transports."""
        transports = ctx.facts.bucket("mcp-transports", McpTransports)
        transports.stdio = transports.stdio or bool(STDIO_TRANSPORT.search(artifact.text))
        transports.remote = transports.remote or bool(REMOTE_TRANSPORT.search(artifact.text))
        if artifact.kind != "python":
            from scanner.lang.javascript.modules import index_module

            if not looks_minified(artifact.text):
                index_module(ctx)
            return
        from scanner.analysis.agents.python.tools import index_dispatch
        from scanner.lang.python.functions import defer_functions, index_functions
        from scanner.lang.python.parse import parse_python

        if GATE_MARKERS.search(artifact.text) is None:
            defer_functions(ctx)
            return
        module = parse_python(ctx)
        if module is not None:
            index_functions(ctx, module)
            index_dispatch(module, ctx.facts)

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.python.prompts import TOOL_CONTEXT
        from scanner.lang.python.parse import parse_python

        text = artifact.text
        if artifact.kind != "python":
            from scanner.analysis.agents.javascript.tools import MARKERS

            if artifact.kind == "text" or looks_minified(text):
                return
            if MARKERS.search(text):
                yield from self._js_tools(artifact, ctx)
            if "agent-tool-dispatch-unrestricted" in self.rules:
                from scanner.analysis.agents.javascript.dispatch import TOOL_CONTEXT as JS_TOOL_CONTEXT

                if JS_TOOL_CONTEXT.search(text):
                    yield from self._js_dispatch(ctx)
            if "agent-system-prompt-injection" in self.rules and JS_SYSTEM_MARKERS.search(text):
                from scanner.analysis.agents.javascript.prompts import system_prompt_sinks
                from scanner.lang.javascript.parse import parse_js

                yield from self._prompt_findings(ctx, system_prompt_sinks(parse_js(ctx)))
            return
        tools = TOOL_MARKERS.search(text) is not None
        system = SYSTEM_MARKERS.search(text) is not None and "agent-system-prompt-injection" in self.rules
        dispatch = "agent-tool-dispatch-unrestricted" in self.rules and DISPATCH_MARKERS.search(text) is not None \
            and TOOL_CONTEXT.search(text) is not None
        if not (tools or system or dispatch):
            return
        module = parse_python(ctx)
        if module is None:
            return
        if tools:
            yield from self._tools(module, ctx)
        if system:
            yield from self._system_prompts(module, ctx)
        if dispatch:
            yield from self._dispatch(module, ctx)

    def _tools(self, module, ctx: Context) -> Iterator[Hit]:
        import libcst as cst

        from scanner.analysis.agents.model import Tool
        from scanner.analysis.agents.python.effects import side_effect
        from scanner.analysis.agents.python.tools import tools
        from scanner.analysis.agents.python.urls import model_url_fetch

        for tool in tools(module, ctx.facts):
            effect = url_fetch = None
            if tool.implementation is not None:
                ignore = frozenset({"sends HTTP POST requests"}) if READ_ONLY_NAME.search(tool.name) else frozenset()
                effect = side_effect(ctx.facts, tool.implementation_module, tool.implementation, ignore)
                if isinstance(tool.implementation, cst.FunctionDef) and tool.params:
                    url_fetch = model_url_fetch(ctx.facts, tool.implementation_module, tool.implementation,
                                                tool.params)
            yield from self._judge(ctx, Tool(tool.name, tool.framework, "python", module.span(tool.node),
                                              tool.params, tool.gate, effect, url_fetch=url_fetch))

    def _js_tools(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.javascript.tools import tools
        from scanner.analysis.data.model import owner_check_pattern
        from scanner.lang.javascript.modules import module_graph
        from scanner.lang.javascript.parse import parse_js

        graph = module_graph(ctx.facts)
        module = graph.current(parse_js(ctx), artifact.path)
        owners = owner_check_pattern(tuple(ctx.config.tenant_keys), tuple(ctx.config.owner_keys))
        for tool in tools(module, graph, owners):
            yield from self._judge(ctx, tool)

    def _judge(self, ctx: Context, tool: Tool) -> Iterator[Hit]:
        """One decision per tool, whatever its language: identity chosen by the model, records loaded by a
        model-chosen id without an owner check, and external effects without human confirmation."""
        from scanner.analysis.web.sensitive import snake

        ctx.examined("agent-tools", "agent tool")
        identity_keys = set(ctx.config.tenant_keys) | set(ctx.config.owner_keys)
        one_user = "mcp" in tool.framework.lower() and ctx.facts.bucket("mcp-transports", McpTransports).local_only
        if IDENTITY_RULE in self.rules and not one_user:
            ctx.examined("tenant-isolation", "agent tool parameter list")
            chosen = [p for p in tool.params if snake(p) in identity_keys]
            if chosen:
                yield ctx.finding(
                    IDENTITY_RULE, tool.span,
                    message=f"Agent tool {tool.name} lets the model choose {', '.join(chosen)} instead of "
                            f"binding it from the signed-in session",
                    key=f"{tool.name}:{','.join(chosen)}", tool=tool.name, params=chosen)
        if tool.unowned_read is not None and UNOWNED_READ_RULE in self.rules and not one_user:
            read = tool.unowned_read
            yield ctx.finding(
                UNOWNED_READ_RULE, read.span,
                message=f"Agent tool {tool.name} loads a record by the model-chosen {read.param} ({read.call}) "
                        f"without checking that it belongs to the signed-in user",
                key=f"{tool.name}:{read.call}:{read.param}", tool=tool.name, call=read.call, param=read.param)
        fetch = tool.url_fetch
        if fetch is not None and SSRF_RULE in self.rules:
            here = fetch.path == ctx.artifact.path
            where = "" if here else f" in {fetch.path}:{fetch.span.line}"
            through = f"; its URL check {fetch.check}(){where} lets private addresses through" if fetch.check else \
                where
            yield ctx.finding(
                SSRF_RULE, fetch.span if here else tool.span,
                message=f"{tool.subject} requests URLs from {fetch.source} ({fetch.call}) with no host allowlist "
                        f"or private-address block{through}",
                key=f"{tool.name}:{fetch.call}", tool=tool.name, call=fetch.call, source=fetch.source)
        effect = tool.effect
        if effect is None:
            return
        if tool.gate is not None:
            ctx.evidence("agent-tools", f"tool {tool.name} {effect.effect} after confirmation ({tool.gate})")
        elif CONFIRMATION_RULE in self.rules:
            yield ctx.finding(
                CONFIRMATION_RULE, tool.span, severity=EFFECT_SEVERITY.get(effect.effect),
                message=f"{tool.subject} {effect.describe()} without human confirmation",
                key=f"{tool.name}:{effect.effect}", tool=tool.name, side_effect=effect.effect,
                via=effect.detail, framework=tool.framework)

    def _system_prompts(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.model import PromptSink
        from scanner.analysis.agents.python.prompts import system_prompt_sinks

        yield from self._prompt_findings(ctx, (PromptSink(module.span(s.node), s.sink, tuple(s.inputs),
                                                          module.code(s.node)) for s in system_prompt_sinks(module)))

    def _prompt_findings(self, ctx: Context, sinks: Iterable[PromptSink]) -> Iterator[Hit]:
        """One decision for both languages: user input formatted into a system prompt."""
        for sink in sinks:
            yield ctx.finding(
                "agent-system-prompt-injection", sink.span,
                message=f"User input ({', '.join(sink.inputs)}) formatted into the system prompt ({sink.sink})",
                key=f"{sink.sink}:{sink.code}", inputs=list(sink.inputs))

    def _dispatch(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.python.prompts import unrestricted_dispatch

        for dispatch in unrestricted_dispatch(module):
            yield ctx.finding(
                "agent-tool-dispatch-unrestricted", module.span(dispatch.node),
                message=f"Tool dispatch calls any function the model names ({dispatch.how}) without an "
                        f"allowlist", key=module.code(dispatch.node))

    def _js_dispatch(self, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.javascript.dispatch import unrestricted_dispatch
        from scanner.lang.javascript.modules import module_graph
        from scanner.lang.javascript.parse import parse_js

        module = module_graph(ctx.facts).current(parse_js(ctx), ctx.artifact.path)
        for dispatch in unrestricted_dispatch(module):
            yield ctx.finding(
                "agent-tool-dispatch-unrestricted", dispatch.span,
                message=f"Tool dispatch calls any function the model names ({dispatch.how}) without an "
                        f"allowlist", key=dispatch.code)
