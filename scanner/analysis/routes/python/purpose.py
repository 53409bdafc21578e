"""What a Python handler's own code says about its purpose, for :attr:`Route.purpose`: a read-only handler
that only answers literals (``return HttpResponse("not implemented")``, ``return {"status": "ok"}``) shows nothing
that depends on the caller or on stored data. The JavaScript extractors judge the same in their idiom
(``routes/javascript/base.py``)."""

from __future__ import annotations

import libcst as cst

from scanner.analysis.routes.intent import READ_ONLY
from scanner.analysis.routes.model import Route
from scanner.analysis.routes.python.facts import dotted
from scanner.analysis.routes.python.identity import last_name

#: Response constructors of Django, DRF, Flask and Starlette/FastAPI that only wrap what they are given.
RESPONDERS = frozenset({"HttpResponse", "JsonResponse", "Response", "PlainTextResponse", "HTMLResponse",
                        "JSONResponse", "jsonify", "make_response", "HttpResponseNotFound", "HttpResponseGone"})
LITERAL_NAMES = frozenset({"True", "False", "None"})


def purpose_of(route: Route) -> str | None:
    """Why a read-only route is public on purpose, judged from its handler's body alone, or None."""
    if not isinstance(route.node, cst.FunctionDef) or not route.methods or set(route.methods) - READ_ONLY:
        return None
    return "answers a constant (a placeholder or a ping)" if answers_a_constant(route.node) else None


def answers_a_constant(function: cst.FunctionDef) -> bool:
    """The body (docstring and ``pass`` aside) is one ``return`` of literals, possibly wrapped in a response,
    with some content (a bare ``return None`` or ``return {}`` is a stub, not an answer)."""
    if not isinstance(function.body, cst.IndentedBlock):
        return False
    statements = [small for line in function.body.body if isinstance(line, cst.SimpleStatementLine)
                  for small in line.body if not _inert(small)]
    compound = [line for line in function.body.body if not isinstance(line, cst.SimpleStatementLine)]
    if compound or len(statements) != 1 or not isinstance(statements[0], cst.Return):
        return False
    value = statements[0].value
    return value is not None and _constant(value) and _has_content(value)


def _has_content(node: cst.CSTNode) -> bool:
    """A non-empty string or number somewhere in the answer."""
    if isinstance(node, cst.SimpleString):
        return len(node.evaluated_value or "") > 0
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    return any(_has_content(child) for child in node.children)


def _inert(statement: cst.BaseSmallStatement) -> bool:
    """A docstring or ``pass``."""
    return isinstance(statement, cst.Pass) or (isinstance(statement, cst.Expr) and isinstance(
        statement.value, (cst.SimpleString, cst.ConcatenatedString)))


def _constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _constant(node.left) and _constant(node.right)
    if isinstance(node, cst.Name):
        return node.value in LITERAL_NAMES
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and _constant(e.value) for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _constant(e.key) and _constant(e.value) for e in node.elements)
    if isinstance(node, cst.Call):
        return last_name(dotted(node.func)) in RESPONDERS and all(_constant(a.value) for a in node.args)
    return False
