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
from collections.abc import Iterator

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact

#: Cheap text prefilters, one per check: tool definitions, dispatch and gates; system prompts; dynamic dispatch.
TOOL_MARKERS = re.compile(r"@(?:\w+\.)?(?:tool|tool_plain|function_tool|ai_function)\b|StructuredTool|FunctionTool|"
                          r"BaseTool|\bTool\(|input_schema|[\"']parameters[\"']")
#: Project-wide confirmation gates, collected in the index pass.
GATE_MARKERS = re.compile(r"HumanInTheLoopMiddleware|interrupt_before|HumanApprovalCallbackHandler")
SYSTEM_MARKERS = re.compile(r"[\"'](?:system|developer)[\"']|\bsystem(?:_prompt)?\s*=|\binstructions\s*=|SystemMessage")
#: Tools named like lookups: their POST requests are queries (search and inference APIs), not writes.
READ_ONLY_NAME = re.compile(r"(?:^|_)(?:get|search|find|lookup|look_up|fetch|read|list|query|retrieve|summari[sz]e|"
                            r"translate|classify|detect|analy[sz]e|transcribe|embed|answer|calculate|convert|"
                            r"text_to_speech|speech_to_text|tts)(?:_|$)", re.IGNORECASE)
DISPATCH_MARKERS = re.compile(r"\b(?:getattr|eval|vars)\(|\b(?:globals|locals)\(\)\[")


class AgentToolsDetector(Detector):
    """Reports risky agent tools and prompt-injection shapes."""

    rule_ids = ("agent-tool-no-confirmation", "agent-tool-identity-from-model", "agent-system-prompt-injection",
                "agent-tool-dispatch-unrestricted")
    kinds = frozenset({"python"})
    needs_index = True

    def index(self, artifact: Artifact, ctx: Context) -> None:
        """Parse files that configure a project-wide gate; defer the rest (parsed when a tool leads there)."""
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
        from scanner.analysis.agents.python.effects import side_effect
        from scanner.analysis.agents.python.tools import tools

        identity_keys = set(ctx.config.tenant_keys) | set(ctx.config.owner_keys)
        for tool in tools(module, ctx.facts):
            ctx.examined("agent-tools", "agent tool")
            if "agent-tool-identity-from-model" in self.rules:
                ctx.examined("tenant-isolation", "agent tool parameter list")
            span = module.span(tool.node)
            chosen = [p for p in tool.params if p in identity_keys]
            if chosen and "agent-tool-identity-from-model" in self.rules:
                yield ctx.finding(
                    "agent-tool-identity-from-model", span,
                    message=f"Agent tool {tool.name} lets the model choose {', '.join(chosen)} instead of "
                            f"binding it from the signed-in session",
                    key=f"{tool.name}:{','.join(chosen)}", tool=tool.name, params=chosen)
            if tool.implementation is None:
                continue
            ignore = frozenset({"sends HTTP POST requests"}) if READ_ONLY_NAME.search(tool.name) else frozenset()
            effect = side_effect(ctx.facts, tool.implementation_module, tool.implementation, ignore)
            if effect is None:
                continue
            if tool.gate is not None:
                ctx.evidence("agent-tools", f"tool {tool.name} {effect.effect} after confirmation "
                                                      f"({tool.gate})")
            elif "agent-tool-no-confirmation" in self.rules:
                yield ctx.finding(
                    "agent-tool-no-confirmation", span,
                    message=f"Agent tool {tool.name} {effect.describe()} without human confirmation",
                    key=f"{tool.name}:{effect.effect}", tool=tool.name, side_effect=effect.effect,
                    via=effect.detail, framework=tool.framework)

    def _system_prompts(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.python.prompts import system_prompt_sinks

        for sink in system_prompt_sinks(module):
            yield ctx.finding(
                "agent-system-prompt-injection", module.span(sink.node),
                message=f"User input ({', '.join(sink.inputs)}) formatted into the system prompt "
                        f"({sink.sink})", key=f"{sink.sink}:{module.code(sink.node)}", inputs=list(sink.inputs))

    def _dispatch(self, module, ctx: Context) -> Iterator[Hit]:
        from scanner.analysis.agents.python.prompts import unrestricted_dispatch

        for dispatch in unrestricted_dispatch(module):
            yield ctx.finding(
                "agent-tool-dispatch-unrestricted", module.span(dispatch.node),
                message=f"Tool dispatch calls any function the model names ({dispatch.how}) without an "
                        f"allowlist", key=module.code(dispatch.node))
