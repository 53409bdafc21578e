"""One language-neutral agent tool: what the model can call, what it fills in, what it does, what gates it.

Per-language extractors (``python/``, ``javascript/``) build these; ``detectors/agent_tools.py`` decides
once over them, for every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.context import Span

#: Tools named like lookups: their POST requests are queries (search and inference APIs), not writes.
READ_ONLY_NAME = re.compile(r"(?:^|_)(?:get|search|find|lookup|look_up|fetch|read|list|query|retrieve|summari[sz]e|"
                            r"translate|classify|detect|analy[sz]e|transcribe|embed|answer|calculate|convert|"
                            r"text_to_speech|speech_to_text|tts)(?:_|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Effect:
    """An external effect, e.g. ``("sends email", "resend")``: what happens and through which call."""

    effect: str
    detail: str

    def describe(self) -> str:
        return f"{self.effect} ({self.detail})"


@dataclass(frozen=True)
class ModelIdRead:
    """A record loaded by an id the model chose (``getDocumentById({ id })``) with no owner check before use."""

    call: str
    param: str
    #: Where the load happens (findings are reported there, not at the tool's definition).
    span: Span


@dataclass(frozen=True)
class UrlFetch:
    """A request to a URL the model chose (or the caller's request supplied) with no allowlist or
    private-address block: server-side request forgery through the tool."""

    call: str
    #: Where the URL comes from: ``the model's argument url``, ``the request's tool definitions``.
    source: str
    #: The file and span of the place to fix: the URL check that lets private addresses through, else the
    #: request. Findings go there when it is in the tool's own file, else to the tool (naming the place).
    path: str
    span: Span
    #: The project function that checks the URL but not its address, or None.
    check: str | None = None


@dataclass(frozen=True)
class Tool:
    """One tool the model can call."""

    name: str
    framework: str
    language: str
    #: Where the tool is defined (findings are reported there).
    span: Span
    #: Arguments the model fills in.
    params: tuple[str, ...]
    #: How a human confirms the tool before it runs, or None.
    gate: str | None
    #: The first external effect its implementation reaches (followed across files), or None.
    effect: Effect | None = None
    #: Loads by a model-chosen id without an ownership check (the tenant finding, with the tool named).
    unowned_read: ModelIdRead | None = None
    #: Requests to a URL the model chose, without an allowlist or private-address block.
    url_fetch: UrlFetch | None = None
    #: A generic tool-call loop (runs whatever the model calls) rather than one named tool.
    dispatcher: bool = False

    @property
    def subject(self) -> str:
        """How findings name it: ``Agent tool send_email``, or ``The tool-call loop ...``."""
        return f"The {self.name}" if self.dispatcher else f"Agent tool {self.name}"


@dataclass(frozen=True)
class PromptSink:
    """A system prompt (``sink`` names where: ``system:``, a system message...) built with user input."""

    span: Span
    sink: str
    inputs: tuple[str, ...]
    #: The prompt expression's code: the finding's identity (stable when lines move).
    code: str
