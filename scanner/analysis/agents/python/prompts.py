"""Two prompt-injection shapes: user input formatted into a system prompt, and tool dispatch that calls
whatever function the model names.

System prompts: ``{"role": "system"|"developer", "content": X}``, ``system=``/``system_prompt=``/
``instructions=`` keywords and ``SystemMessage(X)``. ``X`` (or the variable it names, assigned in the same
function) is reported when it is an f-string, ``.format()``, ``%`` or ``+`` whose holes use request data
(``request``, ``req``) or a parameter of the enclosing function that is text (annotated ``str``) or named
like user text (``message``, ``question``, ``persona``, ``body``...). Passing a prompt variable through
unchanged is not reported.

Dispatch: ``getattr(obj, name)(...)``, ``globals()[name]``/``locals()``/``vars()``, ``eval(name)`` in a
function that handles tool calls, with no membership or equality check of ``name`` (an allowlist).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from scanner.analysis.routes.python.facts import string_value
from scanner.lang.python.functions import ScopedFinder, leaf_name, names_in, parameters
from scanner.lang.python.parse import PythonModule

_USER_TEXT = re.compile(r"message|msg|input|text|query|question|prompt|content|instruction|body|payload|data|"
                        r"persona|goal|bio|comment|description|request|req\b|user_", re.IGNORECASE)
_NOT_USER_TEXT = frozenset({"self", "cls", "db", "session", "settings", "config"})
_SYSTEM_KEYWORDS = frozenset({"system", "system_prompt", "instructions"})
TOOL_CONTEXT = re.compile(r"\b(?:tool_calls?|tool_use|function_call|tool_name|function_name)\b|\.function\.name\b|"
                          r"\b(?:block|call)\.name\b")


@dataclass(frozen=True)
class PromptSink:
    """A system prompt built from user input."""

    node: cst.CSTNode
    sink: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class DynamicDispatch:
    """A call to a function the model chose by name, without an allowlist."""

    node: cst.CSTNode
    how: str


def system_prompt_sinks(module: PythonModule) -> Iterator[PromptSink]:
    yield from _SystemPrompts(module).collect()


class _SystemPrompts(ScopedFinder):

    def _check(self, value: cst.BaseExpression, sink: str) -> None:
        if not self.functions:
            return
        function = self.functions[-1]
        if isinstance(value, cst.Name):
            value = _assigned_value(function, value.value) or value
        holes = _format_holes(value)
        if not holes:
            return
        user_params = {p.name.value for p in parameters(function)
                       if (_USER_TEXT.search(p.name.value) or _is_str(p)) and p.name.value not in _NOT_USER_TEXT}
        user_params |= {"request", "req"}
        used: list[str] = []
        for hole in holes:
            used.extend(n for n in names_in(hole) if n in user_params and n not in used)
        if used:
            self.found.append(PromptSink(value, sink, tuple(used)))

    def visit_Dict(self, node: cst.Dict) -> None:
        values = {string_value(e.key): e.value for e in node.elements if isinstance(e, cst.DictElement)}
        role = string_value(values.get("role"))
        if role in ("system", "developer") and "content" in values:
            self._check(values["content"], f'"{role}" message')

    def visit_Call(self, node: cst.Call) -> None:
        leaf = leaf_name(node.func)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in _SYSTEM_KEYWORDS:
                self._check(arg.value, f"{arg.keyword.value}= argument")
        if leaf == "SystemMessage" and node.args:
            content = next((a.value for a in node.args if a.keyword is None or a.keyword.value == "content"), None)
            if content is not None:
                self._check(content, "SystemMessage")


def _is_str(param: cst.Param) -> bool:
    annotation = param.annotation.annotation if param.annotation else None
    return isinstance(annotation, cst.Name) and annotation.value == "str"


def _assigned_value(function: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    finder = _Assignment(name)
    function.body.visit(finder)
    return finder.value


class _Assignment(cst.CSTVisitor):
    def __init__(self, name: str):
        self.name = name
        self.value: cst.BaseExpression | None = None

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, cst.Name) and t.target.value == self.name for t in node.targets):
            self.value = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name and node.value is not None:
            self.value = node.value


def _format_holes(value: cst.BaseExpression) -> list[cst.CSTNode]:
    """The interpolated parts of a formatted string expression (empty when it is not one, or when it is one
    hole and nothing else: ``f"{persona_prompt}"`` passes a prompt through unchanged, it builds nothing)."""
    if isinstance(value, cst.FormattedString):
        holes = [p.expression for p in value.parts if isinstance(p, cst.FormattedStringExpression)]
        text = "".join(p.value for p in value.parts if isinstance(p, cst.FormattedStringText))
        return [] if len(holes) == 1 and not text.strip() else holes
    if isinstance(value, cst.ConcatenatedString):
        return _format_holes(value.left) + _format_holes(value.right)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Modulo)):
        parts = [value.left, value.right]
        if not any(isinstance(p, (cst.SimpleString, cst.FormattedString, cst.BinaryOperation)) for p in parts):
            return []
        return [p for p in parts if not isinstance(p, cst.SimpleString)]
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in (
            "format", "format_map"):
        return [a.value for a in value.args]
    return []


def unrestricted_dispatch(module: PythonModule) -> Iterator[DynamicDispatch]:
    yield from _Dispatch(module).collect()


class _Dispatch(ScopedFinder):

    def _report(self, node: cst.CSTNode, chosen: cst.BaseExpression, how: str) -> None:
        if not self.functions or isinstance(chosen, cst.SimpleString):
            return
        function = self.functions[-1]
        source = self.module.code(function)
        if not TOOL_CONTEXT.search(source) or _allowlisted(function, self.module.code(chosen), self.module):
            return
        self.found.append(DynamicDispatch(node, how))

    def visit_Call(self, node: cst.Call) -> None:
        if _is_getattr(node.func):
            self._report(node.func, node.func.args[1].value, "getattr()")
        elif _callee(node) == "eval" and node.args and isinstance(node.args[0].value, (cst.Name, cst.Attribute)):
            self._report(node, node.args[0].value, "eval()")

    def visit_Assign(self, node: cst.Assign) -> None:
        """``handler = getattr(tools, name)`` followed by ``handler(...)`` in the same function."""
        target = node.targets[0].target
        if _is_getattr(node.value) and isinstance(target, cst.Name) and self.functions:
            called = re.search(rf"\b{re.escape(target.value)}\(", self.module.code(self.functions[-1]))
            if called:
                self._report(node.value, node.value.args[1].value, "getattr()")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        value = node.value
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                and value.func.value in ("globals", "locals", "vars") and len(node.slice) == 1):
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                self._report(node, index.value, f"{value.func.value}()[...]")


def _callee(call: cst.Call) -> str:
    return call.func.value if isinstance(call.func, cst.Name) else ""


def _is_getattr(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _callee(node) == "getattr" and len(node.args) >= 2


def _allowlisted(function: cst.FunctionDef, chosen: str, module: PythonModule) -> bool:
    """Does the function test ``chosen`` for membership or equality before dispatching?"""
    finder = _Membership(chosen, module)
    function.body.visit(finder)
    return finder.found


class _Membership(cst.CSTVisitor):
    def __init__(self, chosen: str, module: PythonModule):
        self.chosen, self.module = chosen, module
        self.found = False

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operators = (cst.In, cst.NotIn, cst.Equal, cst.NotEqual)
        if any(isinstance(c.operator, operators) for c in node.comparisons) and (
                self.module.code(node.left).strip() == self.chosen.strip()):
            self.found = True
