"""Development settings a JavaScript/TypeScript server ships with: the ``errorhandler`` middleware (stack
traces and source excerpts on every error page), stack traces sent in responses, ``app.set('env',
'development')``, and Next.js ``productionBrowserSourceMaps``.

Code under a condition on the environment (``if (process.env.NODE_ENV === 'development')``, ``isDev &&``)
runs only where that condition holds and is not reported, unless the condition holds only in production
(``if (process.env.NODE_ENV === 'production') app.use(errorhandler())``: an inverted check).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.lang.javascript.parse import JsTree, call_arguments, last_name, property_key, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

MARKERS = re.compile(r"errorhandler|\.stack\b|['\"]env['\"]|productionBrowserSourceMaps")
#: A condition about where the code runs.
ENVIRONMENT_TEST = re.compile(r"NODE_ENV|\benv\b|development|production|\bis_?[dD]ev|\bdev\w*|[dD]ebug|isLocal"
                              r"|process\.env\.\w+|import\.meta\.env")
_RESPONDS = frozenset({"send", "json", "end", "write", "render", "jsonp"})
_CONDITIONALS = frozenset({"if_statement", "ternary_expression", "conditional_expression"})


@dataclass(frozen=True)
class DebugSetting:
    node: Node
    message: str
    low: bool = False  # a weaker exposure (source maps) reported at low severity


def debug_settings(tree: JsTree) -> Iterator[DebugSetting]:
    """Development settings of a JS/TS server file that production would run with."""
    if not MARKERS.search(tree.file_text):
        return
    errorhandler = _errorhandler_names(tree)
    for node in tree.walk():
        if node.type == "call_expression":
            found = _call(tree, node, errorhandler)
            guard = environment_guard(tree, node) if found is not None else None
            if found is not None and guard is None:
                yield found
            elif found is not None and guard == "production":
                yield DebugSetting(node, f"{found.message.removesuffix(' unconditionally')}, under a condition that "
                                         "holds only in production (the environment check is inverted)")
        elif node.type == "pair" and property_key(tree, node) == "productionBrowserSourceMaps":
            value = node.child_by_field_name("value")
            if value is not None and value.type == "true":
                yield DebugSetting(node, "productionBrowserSourceMaps: true publishes the original source of every "
                                         "page to the browser", low=True)


_ERRORHANDLER = re.compile(r"""(?:import\s+(\w+)\s+from|(?:const|let|var)\s+(\w+)\s*=\s*require\()"""
                           r"""\s*['"]errorhandler['"]""")


def _errorhandler_names(tree: JsTree) -> set[str]:
    """Local names bound to the ``errorhandler`` package (``import errorhandler from 'errorhandler'``,
    ``const errorhandler = require('errorhandler')``)."""
    return {name for pair in _ERRORHANDLER.findall(tree.file_text) for name in pair if name}


def _call(tree: JsTree, call: Node, errorhandler: set[str]) -> DebugSetting | None:
    callee = call.child_by_field_name("function")
    name = last_name(tree, callee)
    args = call_arguments(call)
    if name == "use" and args and args[0].type == "call_expression":
        inner = args[0].child_by_field_name("function")
        if inner is not None and tree.text(inner) in errorhandler:
            return DebugSetting(call, "the errorhandler middleware (development only: it renders stack traces and "
                                      "source to every caller) is mounted unconditionally")
    if name == "set" and len(args) == 2 and string_value(tree, args[0]) == "env" and \
            string_value(tree, args[1]) == "development":
        return DebugSetting(call, "app.set('env', 'development') turns on development behaviour (stack traces in "
                                  "error pages)")
    if name in _RESPONDS and any(_stack_of(tree, a) for a in args):
        return DebugSetting(call, "sends an error's stack trace to the caller")
    return None


#: What an error is called (``err``, ``error``, ``e``, ``caughtError``): ``project.stack`` is a tech stack.
_ERROR_NAME = re.compile(r"(?:^|\.)(?:e|ex|err|error|exc|exception|\w*(?:Err|Error|Exception))$", re.IGNORECASE)


def _stack_of(tree: JsTree, node: Node) -> bool:
    """The argument is, or holds (``{ error: err.stack }``), an error's ``.stack``."""
    if node.type == "member_expression":
        owner = node.child_by_field_name("object")
        return last_name(tree, node) == "stack" and owner is not None and bool(_ERROR_NAME.search(tree.text(owner)))
    if node.type == "object":
        return any(p.type == "pair" and _stack_of(tree, p.child_by_field_name("value")) for p in node.named_children
                   if p.child_by_field_name("value") is not None)
    return False


#: A condition true only in production: ``NODE_ENV === 'production'``, ``NODE_ENV !== 'development'``, ``isProd``.
_PRODUCTION_ONLY = re.compile(r"""(?<![!=])===?\s*['"]production['"]|['"]production['"]\s*===?"""
                              r"""|!==?\s*['"]development['"]|(?<!!)\bisProd(?:uction)?\b""")
#: A condition true only outside production: ``NODE_ENV !== 'production'``, ``=== 'development'``, ``isDev``, debug.
_DEVELOPMENT_ONLY = re.compile(r"""!==?\s*['"]production['"]|(?<![!=])===?\s*['"](?:development|dev|local|test)['"]"""
                               r"""|(?<!!)\bis_?[dD]ev\w*|\b[dD]ebug|!\s*isProd""")


def environment_guard(tree: JsTree, node: Node) -> str | None:
    """Where ``node`` runs by the environment conditions around it: ``"development"`` (only outside
    production), ``"production"`` (only in production: an inverted check around a development setting),
    ``"unknown"`` (a condition on the environment we cannot orient), or None (unconditionally)."""
    current = node
    while current.parent is not None:
        parent = current.parent
        condition, negated = None, False
        if parent.type in _CONDITIONALS:
            condition = parent.child_by_field_name("condition")
            negated = current == parent.child_by_field_name("alternative") or (
                current.type == "else_clause" and current.parent == parent)
        elif parent.type == "binary_expression" and tree.text(parent.child_by_field_name("operator") or parent) in (
                "&&", "||"):
            condition = parent.child_by_field_name("left")
            negated = tree.text(parent.child_by_field_name("operator") or parent) == "||"
        if condition is not None and condition is not current and ENVIRONMENT_TEST.search(tree.text(condition)):
            text = tree.text(condition)
            production, development = bool(_PRODUCTION_ONLY.search(text)), bool(_DEVELOPMENT_ONLY.search(text))
            if production == development:
                return "unknown"
            return "development" if development != negated else "production"
        current = parent
    return None
