"""Requests a Python tool makes to URLs the model chose (server-side request forgery through a prompt).

The tool's model arguments are followed through its body (assignments, ``for`` loops and comprehensions
over them) and into project functions they are passed to (by position or keyword, a few levels deep). A
request whose URL *starts* with such a value (``httpx.get(url)``, ``f"{base}/x"``; a fixed host with
model-filled path or query is not) is reported unless a function on the way, or one the value is passed
to, blocks private addresses or checks the host against an allowlist. Requests are calls into
requests/httpx/aiohttp/urllib, or ``get``/``head``/``stream``/``request`` on a receiver named like an HTTP
client when the model argument is named like a URL (``client.head(url)``). A project function named like
a URL check (``_is_valid_url``) that the URL passes through without looking at the address is where the
finding goes: that is where the fix belongs.
"""

from __future__ import annotations

import re

import libcst as cst

from scanner.analysis.agents.model import UrlFetch
from scanner.context import ProjectFacts
from scanner.lang.python.functions import constructor_aliases, dotted_name, names_in, parameters, resolve_function
from scanner.lang.python.parse import PythonModule
from scanner.lang.python.walk import calls, walk

MAX_DEPTH = 3
#: Parameters that hold all of the model's arguments (an MCP ``call_tool(name, arguments)`` handler).
WHOLE_INPUT = frozenset({"arguments", "args", "input", "params", "kwargs"})
HTTP_LIBRARIES = re.compile(r"^(?:requests|httpx|aiohttp|urllib|urllib3)\b")
REQUEST_METHODS = frozenset({"get", "head", "post", "put", "patch", "delete", "options", "request", "stream",
                             "urlopen", "fetch", "Request"})
#: Methods whose first argument is the HTTP method and the second the URL.
METHOD_FIRST = frozenset({"request", "stream"})
HTTP_RECEIVER = re.compile(r"(?:^|\.)\w*(?:client|session|http|requests|httpx)\w*(?:\(\))?$", re.IGNORECASE)
URL_PARAM = re.compile(r"url|uri\b|link|href|endpoint|website|webpage|domain|host", re.IGNORECASE)
#: A private-address block or host allowlist in a function on the way to the request.
ADDRESS_CHECK = re.compile(r"ipaddress|is_private|is_loopback|is_link_local|is_reserved|private_(?:ip|address|net)"
                           r"|allow(?:ed)?_?(?:list|hosts?|domains?|urls?)|whitelist|ssrf|\.hostname\s+(?:not\s+)?in\b"
                           r"|\.netloc\s+(?:not\s+)?in\b|getaddrinfo|gethostbyname", re.IGNORECASE)
#: Project functions named like a URL check (``_is_valid_url``, ``looks_like_url``, ``url_is_safe``); not
#: ``check_urls`` (that name is as likely to fetch them).
URL_CHECK_NAME = re.compile(r"^_?(?:is|looks_like|validate|valid|verify|ensure|sanitize)_\w*ur[li]s?$"
                            r"|ur[li]s?_(?:is_)?(?:valid|safe|allowed)$", re.IGNORECASE)


def model_url_fetch(facts: ProjectFacts, module: PythonModule, function: cst.FunctionDef,
                    params: tuple[str, ...]) -> UrlFetch | None:
    """A request to a URL taken from the model arguments ``params`` of the tool ``function``, if unguarded."""
    url_named = any(URL_PARAM.search(p) for p in params)
    found = _Walk(facts, url_named).follow(module, function, set(params), 0)
    if found is None:
        return None
    call, request_module, request_node, check = found
    param = next((p for p in params if URL_PARAM.search(p)), params[0])
    source = "the model's arguments" if param in WHOLE_INPUT else f"the model's argument {param}"
    if check is not None:
        check_module, check_node = check
        return UrlFetch(call, source, check_module.path, check_module.span(check_node.name), check_node.name.value)
    return UrlFetch(call, source, request_module.path, request_module.span(request_node))


class _Walk:
    def __init__(self, facts: ProjectFacts, url_named: bool):
        self.facts, self.url_named = facts, url_named
        self.seen: set[int] = set()
        #: URL checks passed on the way that do not look at the address: ``(module, function)``.
        self.checks: list[tuple[PythonModule, cst.FunctionDef]] = []

    def follow(self, module: PythonModule, function: cst.FunctionDef, tainted: set[str], depth: int):
        if id(function) in self.seen or ADDRESS_CHECK.search(module.code(function)):
            return None
        self.seen.add(id(function))
        tainted = _propagate(function, tainted)
        aliases = constructor_aliases(module, function, constructor_aliases(module, module.module))
        found = list(calls(function))
        projects = []
        for call in found:
            ref = resolve_function(self.facts, module, call.func)
            passed = _passed(call, ref.node, tainted) if ref is not None else set()
            if not passed:
                continue
            if ADDRESS_CHECK.search(ref.module.code(ref.node)):
                return None  # the URL goes through a private-address block or allowlist
            if URL_CHECK_NAME.search(ref.node.name.value):
                self.checks.append((ref.module, ref.node))
            else:
                projects.append((ref, passed))
        for call in found:
            url = _url_argument(module, call, aliases, self.url_named)
            if url is not None and _starts_with(url, tainted):
                check = self.checks[0] if self.checks else None
                return dotted_name(module, call.func, aliases), module, call, check
        if depth >= MAX_DEPTH:
            return None
        for ref, passed in projects:
            result = self.follow(ref.module, ref.node, passed, depth + 1)
            if result is not None:
                return result
        return None


def _propagate(function: cst.FunctionDef, tainted: set[str]) -> set[str]:
    """Names in ``function`` that hold a URL from a tainted value (see :func:`_starts_with`): assignments, ``for``
    targets and comprehension targets. ``query = {"q": text}`` or ``url = build(BASE, text)`` hold none."""
    tainted = set(tainted)
    nodes = list(walk(function.body))
    for _ in range(3):
        before = len(tainted)
        for node in nodes:
            if isinstance(node, cst.Assign) and _starts_with(node.value, tainted):
                for target in node.targets:
                    tainted.update(names_in(target.target))
            else:
                source = node.iter if isinstance(node, (cst.For, cst.CompFor)) else getattr(node, "value", None) \
                    if isinstance(node, (cst.AnnAssign, cst.AugAssign)) else None
                if source is not None and _starts_with(source, tainted):
                    tainted.update(names_in(node.target))
        if len(tainted) == before:
            break
    return tainted


def _mentions(node: cst.CSTNode, tainted: set[str]) -> bool:
    return any(name in tainted for name in names_in(node))


def _url_argument(module: PythonModule, call: cst.Call, aliases: dict[str, str],
                  url_named: bool) -> cst.BaseExpression | None:
    """The URL argument of an HTTP request call, or None when ``call`` is not one."""
    name = dotted_name(module, call.func, aliases)
    leaf = name.rsplit(".", 1)[-1]
    if leaf not in REQUEST_METHODS:
        return None
    receiver = name.rsplit(".", 1)[0] if "." in name else ""
    if not (HTTP_LIBRARIES.search(name) or (url_named and HTTP_RECEIVER.search(receiver))):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "url":
            return arg.value
    positional = [a.value for a in call.args if a.keyword is None]
    index = 1 if leaf in METHOD_FIRST else 0
    return positional[index] if len(positional) > index else None


def _starts_with(url: cst.BaseExpression, tainted: set[str]) -> bool:
    """The value's host comes from a tainted one: ``url``, ``item["url"]``, ``f"{url}/x"``, ``url + "/x"``,
    ``str(url)``, ``urljoin(url, p)``, ``url.strip()``, ``await url``, ``[u for u in urls]``, ``Args(**arguments)``."""
    if isinstance(url, (cst.Name, cst.Attribute, cst.Subscript)):
        return _mentions(url, tainted)
    if isinstance(url, cst.FormattedString) and url.parts:
        first = url.parts[0]
        return isinstance(first, cst.FormattedStringExpression) and _mentions(first.expression, tainted)
    if isinstance(url, cst.BinaryOperation) and isinstance(url.operator, cst.Add):
        return _starts_with(url.left, tainted)
    if isinstance(url, cst.Await):
        return _starts_with(url.expression, tainted)
    if isinstance(url, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return _starts_with(url.for_in.iter, tainted)
    if isinstance(url, cst.Call):
        if isinstance(url.func, cst.Attribute) and _starts_with(url.func.value, tainted):
            return True
        return bool(url.args) and _starts_with(url.args[0].value, tainted)
    return False


def _passed(call: cst.Call, callee: cst.FunctionDef, tainted: set[str]) -> set[str]:
    """The callee's parameters that receive tainted values in ``call``."""
    params = [p.name.value for p in parameters(callee)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    passed = set()
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value in params and _starts_with(arg.value, tainted):
                passed.add(arg.keyword.value)
            continue
        if positional < len(params) and _starts_with(arg.value, tainted):
            passed.add(params[positional])
        positional += 1
    return passed
