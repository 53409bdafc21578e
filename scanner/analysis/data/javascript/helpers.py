"""Data access through project helpers: a handler passes an id from the request to a function (often in
another file, ``getNoteById(params.id)`` in ``lib/queries.ts``) whose query selects rows by that parameter.

Each helper is summarised once (:func:`_reached`): its own accesses (:func:`~.access.accesses` over its body)
that select by one of its parameters, and, up to :data:`MAX_DEPTH` calls further, the accesses of the helpers it
passes those parameters to (a controller's service's repository), whatever each level names them. An unscoped
one that the call site's id reaches becomes an access at the call site, with the caller's inputs, the caller's
ownership check, and ``via`` naming the chain of helpers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from scanner.analysis.data.javascript.access import ID_NAME, accesses, protected
from scanner.analysis.data.javascript.origin import function_name, origin_of
from scanner.analysis.data.model import (
    DELETE,
    READ,
    REQUEST,
    UNKNOWN,
    UPDATE,
    DataAccess,
    IdInput,
    KeyPolicy,
    TableIndex,
)
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
#: Helpers named for public data (``getPublicChatbotConfig``, ``getSharedLink``): their reads are public by purpose.
PUBLIC_HELPER = re.compile(r"Public|Shared|Published")
#: Text that suggests a file reads request data (a cheap prefilter before following its calls).
REQUEST_MARKERS = re.compile(r"\breq\.(?:params|body|query)|\brequest\.json\(|\bparams\b|searchParams|formData|"
                             r"['\"]use server['\"]|@(?:Param|Body|Query)\(|\binput\.")


#: Helper calls followed below the handler's own call (route -> service -> repository -> query).
MAX_DEPTH = 3


def helper_accesses(tree: JsTree, path: str, graph: ModuleGraph, index: TableIndex, policy: KeyPolicy,
                    cache: dict[tuple[str, int, int], list[DataAccess]]) -> Iterator[DataAccess]:
    """Accesses reached through project helpers called with an id from the request (``cache``: each helper's
    accesses by parameter and depth, shared by the project's files)."""
    for call in tree.walk():
        if call.type != "call_expression":
            continue
        chosen = [i for i in (origin_of(tree, v) for v in _id_arguments(tree, call)) if i.origin == REQUEST]
        if not chosen:
            continue
        seen = set()  # one access per query shape at a call, however many paths lead there
        for inner, name, definition in _followed(tree, call, path, graph, index, policy, cache, _from_request, 0):
            shape = (inner.table, inner.operation, inner.constrained, inner.mentions_key, inner.owner_checked)
            if shape in seen:
                continue
            seen.add(shape)
            function = enclosing_function(call)
            yield _lifted(tree, call, name, definition, inner, chosen, policy,
                          function_name(tree, function) if function.parent else "", function.start_byte)


def _from_request(tree: JsTree, name: str, value: Node) -> bool:
    """An id from the request: a handler's argument that a helper receives."""
    return _id_named(name) and origin_of(tree, value).origin == REQUEST


def _from_argument(tree: JsTree, name: str, value: Node) -> bool:
    """One of the calling helper's own parameters, whatever either side names it (``this.load(key)``)."""
    return _is_argument(origin_of(tree, value))


def _is_argument(found: IdInput) -> bool:
    return found.origin == UNKNOWN and found.detail == "argument"


def _followed(tree: JsTree, call: Node, path: str, graph: ModuleGraph, index: TableIndex, policy: KeyPolicy,
              cache: dict, passes: Callable[[JsTree, str, Node], bool],
              depth: int) -> Iterator[tuple[DataAccess, str, Definition]]:
    """The accesses of the project function ``call`` reaches that select rows by a value ``passes`` accepts
    (from the request, or the calling helper's own argument), with the callee's name and definition."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type not in ("identifier", "member_expression"):
        return
    name = re.sub(r"\s+", "", tree.text(callee))
    if NOT_A_LOAD.match(name.rsplit(".", 1)[-1]):
        return
    definition = _definition(tree, call, graph, name, path)
    if definition is None or definition.node == enclosing_function(call):
        return
    receiving = _receiving(tree, call, definition.module.tree, definition.node, passes)
    if not receiving:
        return
    public = PUBLIC_HELPER.search(name.rsplit(".", 1)[-1]) is not None
    for inner in _reached(definition, graph, index, policy, cache, depth):
        if public and inner.operation == READ:
            continue  # getPublicChatbotConfig(id): what it reads is published by purpose
        if any(i.name == n or i.name.startswith(f"{n}.") for i in inner.inputs for n in receiving):
            yield inner, name, definition


def _reached(definition: Definition, graph: ModuleGraph, index: TableIndex, policy: KeyPolicy, cache: dict,
             depth: int) -> list[DataAccess]:
    """The accesses of helper ``definition`` that select rows by one of its parameters: in its body, and
    through the helpers it passes a parameter to (``this.notes.findById(noteId)``), as if at that call."""
    key = (definition.path, definition.node.start_byte, depth)  # a helper seen deeper is followed less far
    if key in cache:
        return cache[key]
    cache[key] = []  # a recursive helper reaches nothing more through itself
    tree = definition.module.tree
    found = [a for a in accesses(tree, index, policy, within=definition.node)
             if any(_is_argument(i) for i in a.inputs)]
    if depth < MAX_DEPTH:
        for call in tree.walk(definition.node):
            if call.type != "call_expression":
                continue
            passed = [i for i in (origin_of(tree, v) for v in _flat_arguments(tree, call)) if _is_argument(i)]
            if not passed:
                continue
            for inner, name, callee in _followed(tree, call, definition.path, graph, index, policy, cache,
                                                 _from_argument, depth + 1):
                function = enclosing_function(call)
                found.append(_lifted(tree, call, name, callee, inner, passed, policy,
                                     function_name(tree, function), function.start_byte))
    cache[key] = found
    return found


def _lifted(tree: JsTree, call: Node, name: str, definition: Definition, inner: DataAccess,
            inputs: list[IdInput], policy: KeyPolicy, function: str, scope: int) -> DataAccess:
    """``inner`` (an access of the helper ``call`` reaches) as an access at ``call``: with the caller's inputs
    and ownership check, and the helper in ``via``; a helper named for a change changes the rows it loads."""
    verb = CHANGING_HELPER.match(name.rsplit(".", 1)[-1])
    operation = inner.operation if verb is None else DELETE if verb.group(1).lower() in (
        "delete", "remove", "destroy") else UPDATE
    via = f"{name} ({definition.path}:{definition.line})"
    return replace(inner, inputs=tuple(inputs), span=tree.span(call), operation=operation,
                   call=f"{name}() -> {inner.call}", function=function,
                   owner_checked=inner.owner_checked or protected(
                       tree, call, enclosing_function(call), inner.operation, {i.name for i in inputs}, policy),
                   via=f"{via} -> {inner.via}" if inner.via else via, scope=scope)


def _definition(tree: JsTree, call: Node, graph: ModuleGraph, name: str, path: str) -> Definition | None:
    """The project function a call reaches: ``f``/``ns.f`` through the module graph, ``this.method`` in the
    enclosing class, ``this.service.method`` through the service's type."""
    parts = name.split(".")
    if parts[0] == "this" and len(parts) == 2:
        return _own_method(tree, call, graph, path, parts[1])
    if parts[0] == "this":
        return _injected_method(tree, graph, name, path)
    return graph.function(name, path)


def _own_method(tree: JsTree, call: Node, graph: ModuleGraph, path: str, name: str) -> Definition | None:
    """``this.findOwned(id)``: the method ``findOwned`` of the class holding the call."""
    body = call.parent
    while body is not None and body.type != "class_body":
        body = body.parent
    module = graph.modules.get(path)
    if body is None or module is None:
        return None
    for member in body.named_children:
        if member.type == "method_definition" and tree.text(member.child_by_field_name("name")) == name:
            return Definition(module, name, member)
    return None


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


def _receiving(tree: JsTree, call: Node, helper_tree: JsTree, helper: Node,
               passes: Callable[[JsTree, str, Node], bool]) -> set[str]:
    """The names inside the helper that receive an id ``passes`` accepts: a parameter (``id``), a destructured
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
                if key and value is not None and passes(tree, key, value):
                    names.add(f"{helper_tree.text(pattern)}.{key}" if pattern.type == "identifier" else key)
        elif passes(tree, tree.text(arg), arg):
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
        elif _id_named(tree.text(arg)):
            yield arg


def _flat_arguments(tree: JsTree, call: Node) -> Iterator[Node]:
    """Every argument, with an object argument's values in its place."""
    for arg in call_arguments(call):
        if arg.type != "object":
            yield arg
            continue
        for member in arg.named_children:
            value = member.child_by_field_name("value") if member.type == "pair" else member
            if value is not None:
                yield value


def _id_named(text: str) -> bool:
    """``id``, ``params.noteId``, ``+id``, ``Number(id)``, ``id.toString()``: a value named as an id."""
    words = re.findall(r"[A-Za-z_$][\w$]*", text)
    return any(ID_NAME.match(word) for word in words[-2:])
