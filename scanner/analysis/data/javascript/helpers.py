"""Data access through project helpers: a handler passes an id from the request to a function (often in
another file, ``getNoteById(params.id)`` in ``lib/queries.ts``) whose query selects rows by that parameter.

The helper's own accesses are read once per helper (:func:`~.access.accesses` over its body); an unscoped one
that selects by one of the helper's parameters becomes an access at the call site, with the caller's inputs,
the caller's ownership check, and ``via`` naming the helper. One level deep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from scanner.analysis.data.javascript.access import ID_NAME, accesses, protected
from scanner.analysis.data.javascript.origin import function_name, origin_of
from scanner.analysis.data.model import DELETE, REQUEST, UNKNOWN, UPDATE, DataAccess, KeyPolicy, TableIndex
from scanner.lang.javascript.modules import Definition
from scanner.lang.javascript.parse import call_arguments, enclosing_function, property_key

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.modules import ModuleGraph
    from scanner.lang.javascript.parse import JsTree

#: Calls that check, log or notify rather than load what the caller asked for.
NOT_A_LOAD = re.compile(r"^(?:assert|check|verify|ensure|require|throw|audit|log|track|validate|record|emit|send|"
                        r"notify|publish|enqueue|capture|report)", re.IGNORECASE)
#: Helpers named for a change (``updateArticle``, ``deleteComment``): the rows they load are the rows they change.
CHANGING_HELPER = re.compile(r"^(update|delete|remove|destroy|edit|patch|rename|archive)", re.IGNORECASE)
#: Text that suggests a file reads request data (a cheap prefilter before following its calls).
REQUEST_MARKERS = re.compile(r"\breq\.(?:params|body|query)|\brequest\.json\(|\bparams\b|searchParams|formData|"
                             r"['\"]use server['\"]|@(?:Param|Body|Query)\(|\binput\.")


def helper_accesses(tree: JsTree, path: str, graph: ModuleGraph, index: TableIndex, policy: KeyPolicy,
                    cache: dict[tuple[str, int], list[DataAccess]]) -> Iterator[DataAccess]:
    """Accesses reached through project helpers called with an id from the request (``cache``: each helper's
    accesses by parameter, shared by the project's files)."""
    for call in tree.walk():
        if call.type != "call_expression":
            continue
        callee = call.child_by_field_name("function")
        if callee is None or callee.type not in ("identifier", "member_expression"):
            continue
        chosen = [i for i in (origin_of(tree, v) for v in _id_arguments(tree, call)) if i.origin == REQUEST]
        if not chosen:
            continue
        name = re.sub(r"\s+", "", tree.text(callee))
        if NOT_A_LOAD.match(name.rsplit(".", 1)[-1]):
            continue
        definition = _injected_method(tree, graph, name, path) if name.startswith("this.") else \
            graph.function(name, path)
        if definition is None:
            continue
        key = (definition.path, definition.node.start_byte)
        if key not in cache:
            cache[key] = [a for a in accesses(definition.module.tree, index, policy, within=definition.node)
                          if any(i.origin == UNKNOWN and i.detail == "argument" for i in a.inputs)]
        receiving = _receiving(tree, call, definition.module.tree, definition.node)
        function = enclosing_function(call)
        for inner in cache[key]:
            if not any(i.name == n or i.name.startswith(f"{n}.") for i in inner.inputs for n in receiving):
                continue
            verb = CHANGING_HELPER.match(name.rsplit(".", 1)[-1])
            operation = inner.operation if verb is None else DELETE if verb.group(1).lower() in (
                "delete", "remove", "destroy") else UPDATE
            yield replace(inner, inputs=tuple(chosen), span=tree.span(call), call=f"{name}() -> {inner.call}",
                          operation=operation,
                          function=function_name(tree, function) if function.parent else "",
                          owner_checked=inner.owner_checked or protected(
                              tree, call, function, inner.operation, {i.name for i in chosen}, policy),
                          via=f"{name} ({definition.path}:{definition.line})", scope=function.start_byte)


def _injected_method(tree: JsTree, graph: ModuleGraph, name: str, path: str) -> Definition | None:
    """``this.articleService.delete`` in a class whose constructor takes ``articleService: ArticleService``:
    the ``delete`` method of the project's ``ArticleService`` class (NestJS and other injected services)."""
    parts = name.split(".")
    if len(parts) != 3:
        return None
    typed = re.search(rf"\b{re.escape(parts[1])}\s*[!?]?\s*:\s*(\w+)", tree.file_text)
    found = graph.definition(typed.group(1), path) if typed else None
    if found is None or found.node.type not in ("class_declaration", "class", "abstract_class_declaration"):
        return None
    body = found.node.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        if member.type == "method_definition" and found.module.tree.text(member.child_by_field_name("name")) \
                == parts[2]:
            return Definition(found.module, parts[2], member)
    return None


def _receiving(tree: JsTree, call: Node, helper_tree: JsTree, helper: Node) -> set[str]:
    """The names inside the helper that receive an id from the request: a parameter (``id``), a destructured
    property (``{ id }``) or a member of a parameter (``args.id``)."""
    params = helper.child_by_field_name("parameters")
    params = [p for p in params.named_children if p.type != "comment"] if params is not None else []
    names: set[str] = set()
    for arg, param in zip(call_arguments(call), params, strict=False):
        pattern = param.child_by_field_name("pattern") or param
        bound = tree_names(helper_tree, pattern)
        if arg.type == "object":
            for member in arg.named_children:
                key = property_key(tree, member) if member.type == "pair" else tree.text(member)
                value = member.child_by_field_name("value") if member.type == "pair" else member
                if key and value is not None and ID_NAME.match(key) and origin_of(tree, value).origin == REQUEST:
                    names.add(f"{helper_tree.text(pattern)}.{key}" if pattern.type == "identifier" else key)
        elif ID_NAME.match(tree.text(arg).rsplit(".", 1)[-1]) and origin_of(tree, arg).origin == REQUEST:
            names.update(bound)
    return names


def tree_names(tree: JsTree, pattern: Node) -> set[str]:
    """Names a parameter pattern binds."""
    if pattern.type == "identifier":
        return {tree.text(pattern)}
    return {tree.text(n) for n in tree.walk(pattern) if n.type in ("shorthand_property_identifier_pattern",
                                                                     "identifier")}


def _id_arguments(tree: JsTree, call: Node) -> Iterator[Node]:
    """Arguments that pass ids: id-named values, and id-named members of an object argument."""
    for arg in call_arguments(call):
        if arg.type == "object":
            for member in arg.named_children:
                if member.type == "pair" and ID_NAME.match(property_key(tree, member) or ""):
                    value = member.child_by_field_name("value")
                    if value is not None:
                        yield value
                elif member.type == "shorthand_property_identifier" and ID_NAME.match(tree.text(member)):
                    yield member
        elif ID_NAME.match(tree.text(arg).rsplit(".", 1)[-1]):
            yield arg
