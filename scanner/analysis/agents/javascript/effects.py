"""What a JavaScript/TypeScript tool implementation does, followed into project functions across files.

Effects are judged from each call's callee (``resend.emails.send``, ``prisma.note.delete``,
``stripe.refunds.create``, ``fs.writeFile``, ``exec``), ``fetch``/``axios`` requests that write or that
go to a URL the model chose without an allowlist (SSRF), and SQL that writes. Calls into project
functions are followed through the module graph up to ``MAX_DEPTH`` levels. The same effect classes as
the Python side (:mod:`scanner.analysis.agents.python.effects`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scanner.analysis.agents.javascript.prompts import bound_names
from scanner.analysis.agents.model import READ_ONLY_NAME, Effect, ModelIdRead, UrlFetch
from scanner.analysis.web.sensitive import snake
from scanner.lang.javascript.parse import FUNCTION_TYPES, call_arguments, enclosing_function

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.modules import Module, ModuleGraph

MAX_DEPTH = 3
_DB = r"(?:prisma|db|tx|trx|database|client|supabase|knex|sql|pool)"
#: (effect, pattern on the normalised callee text, e.g. ``prisma.note.delete``). First match wins.
EFFECTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((label, re.compile(pattern, re.I)) for label, pattern in (
    ("sends email", r"\.emails\.send$|(?:^|\.)sendMail$|(?:^|\.)send\w*E?mail\w*$|sgMail\.send|(?:^|\.)sendEmail\w*$"
                    r"|postmark\w*\.send\w*|mailgun\w*\.messages\.create$"),
    ("sends SMS", r"twilio\w*\.messages\.create$|\.sms\.send\w*$|(?:^|\.)sendSms$"),
    ("posts messages", r"\.chat\.postMessage$|(?:^|\.)postMessage\w*ToSlack$|webhooks?\.send$"),
    ("changes payments", r"^stripe\w*\.\w+\.(?:create|update|del|cancel|capture|confirm|pay|refund|void\w*|finalize\w*"
                         r"|send\w*|attach|detach)$"),
    ("grants discounts or credits", r"(?:^|\.)(?:generate|create|issue|apply|grant|redeem|add)\w*(?:Coupon|Discount"
                                    r"|Voucher|Credits?|Refund|GiftCard|PromoCode)s?$"),
    ("updates the CRM", r"(?:hubspot|salesforce|pipedrive|attio)\w*\..*\.(?:create|update|archive|merge|delete"
                        r"|upsert)$"),
    ("changes the calendar", r"\.events\.(?:insert|update|patch|delete|move|quickAdd)$"),
    ("runs shell commands", r"^(?:child_process\.)?(?:exec|execSync|spawn|spawnSync|execFile|execFileSync|fork)$"
                            r"|^execa\w*$|^eval$|^shell\.exec$|^Bun\.spawn\w*$|^Deno\.Command$"),
    ("writes files", r"^(?:fs|fsp|fs\.promises|promises)\.(?:writeFile|writeFileSync|appendFile|appendFileSync|unlink"
                     r"|unlinkSync|rm|rmSync|rmdir|rename|renameSync|copyFile|truncate)$|^(?:writeFile|appendFile|unlink"
                     r"|rm)(?:Sync)?$"),
    ("writes to the database", rf"^{_DB}\.\w+\.(?:create|createMany|update|updateMany|upsert|delete|deleteMany)$"
                               rf"|^{_DB}\.(?:insert|update|delete|insertInto|deleteFrom|updateTable)$"
                               r"|\.from\(.*\)\.(?:insert|update|upsert|delete)$"
                               r"|\.(?:insertOne|insertMany|updateOne|updateMany|deleteOne|deleteMany|findOneAndUpdate"
                               r"|findByIdAndUpdate|findByIdAndDelete|findOneAndDelete|replaceOne|bulkWrite|destroy"
                               r"|bulkCreate)$"),
    ("sends HTTP writes", r"^(?:axios|ky|got|superagent|http|api|client)\.(?:post|put|patch|delete)$"),
))
#: AWS SDK v3 commands (``client.send(new PublishCommand(...))``) that act rather than read.
SDK_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((label, re.compile(pattern)) for label, pattern in (
    ("sends email", r"^Send(?:Raw|Templated|Bulk\w*)?EmailCommand$"),
    ("posts messages", r"^(?:Publish|SendMessage\w*|PostToConnection)Command$"),
    ("writes to the database", r"^(?:Put|Update|Delete|BatchWrite|TransactWrite)(?:Item|Items)?Command$"),
    ("writes files", r"^(?:PutObject|DeleteObjects?|CopyObject)Command$"),
    ("runs code", r"^(?:Invoke|StartExecution|RunTask|SendCommand)Command$"),
))
WRITE_SQL = re.compile(r"^\s*(?:insert|update|delete|drop|truncate|alter)\b", re.IGNORECASE)
#: A POST body that asks a model something (``{ model, input: messages }``): an inference call, not a write.
INFERENCE_BODY = re.compile(r"\bmodel\b[^;]*\b(?:messages|input|prompt)\b|\b(?:messages|input|prompt)\b[^;]*\bmodel\b")
WRITE_METHOD = re.compile(r"""method\s*:\s*['"`](POST|PUT|PATCH|DELETE)['"`]""", re.IGNORECASE)
FETCHERS = frozenset({"fetch", "axios", "axios.get", "axios.request", "got", "ky", "ky.get", "got.get", "request",
                      "needle", "undici.request"})
HTTP_HELPER = re.compile(r"request|fetch|http|api|call", re.IGNORECASE)
FETCH_NAME = re.compile(r"(?:^|\.)\w*[fF]etch$")
#: An allowlist or private-address check before a request to a model-chosen URL.
URL_CHECK = re.compile(r"allow(?:ed)?[-_]?(?:list|hosts?|domains?|origins?)|whitelist|isPrivate|private(?:Ip|Address)"
                       r"|ssrf|\.hostname\s*(?:!==?|===?)|\.host\s*(?:!==?|===?)|safeFetch|isAllowed", re.IGNORECASE)
#: Model arguments named like a URL (named in messages).
URL_NAME = re.compile(r"url|uri|link|href|endpoint|website|site|page|domain|host", re.IGNORECASE)
#: A URL literal with its host written out (``"https://api.example.com/x"``, ```https://api.example.com/${p}```).
FIXED_HOST = re.compile(r"""^['"`]https?://[\w.-]+""")
#: Loads of one record (by the id the model passed).
LOAD_CALL = re.compile(r"(?:^|\.)(?:get|find|load|fetch|read|select|retrieve)\w*$|\.(?:findUnique|findFirst|findOne"
                       r"|findById|findByPk|findUniqueOrThrow|findFirstOrThrow)$", re.IGNORECASE)
ID_PARAM = re.compile(r"^(?:id|\w*_id|\w*Id|\w*ID)$")
#: Records that belong to someone: loading one of these by a model-chosen id needs an owner check.
PRIVATE_RESOURCE = re.compile(r"document|doc\b|docs?Id|file|note|chat|message|conversation|order|invoice|user|account"
                              r"|profile|project|workspace|thread|memor|upload|attachment|payment|subscription|contact"
                              r"|client|customer|ticket|record|report|draft|email|secret|credential|key|session",
                              re.IGNORECASE)


def first_effect(graph: ModuleGraph, module: Module, body: Node, tool_name: str,
                 depth: int = 0, seen: set[tuple[str, int]] | None = None) -> Effect | None:
    """The first external effect of ``body``, following calls into project functions."""
    seen = set() if seen is None else seen
    key = (module.path, body.start_byte)
    if key in seen:
        return None
    seen.add(key)
    tree = module.tree
    read_only = _read_only(tool_name)
    found = [n for n in tree.walk(body) if n.type in ("call_expression", "new_expression")]
    for call in found:
        effect = _classify(module, call, read_only)
        if effect is not None:
            return effect
    if depth >= MAX_DEPTH:
        return None
    for call in found:
        callee = call.child_by_field_name("function")
        if callee is None or callee.type not in ("identifier", "member_expression"):
            continue
        name = tree.text(callee)
        if name.startswith("this."):
            method = _method(module, call, name.removeprefix("this."))
            target = (module, method) if method is not None else None
        else:
            definition = graph.function(_normalise(name), module.path)
            target = (definition.module, definition.node) if definition is not None else None
        if target is not None and (target[0].path, target[1].start_byte) not in seen:
            effect = first_effect(graph, target[0], target[1], tool_name, depth + 1, seen)
            if effect is not None:
                return effect
    return None


def _method(module: Module, node: Node, name: str) -> Node | None:
    """Method ``name`` of the class enclosing ``node``, or of its base classes in the same file."""
    from scanner.analysis.agents.javascript.tools import base_class

    cls = node.parent
    while cls is not None and cls.type not in ("class_declaration", "class"):
        cls = cls.parent
    for _ in range(4):
        if cls is None:
            return None
        body = cls.child_by_field_name("body")
        for member in body.named_children if body is not None else ():
            if member.type == "method_definition" and module.tree.text(member.child_by_field_name("name")) == name:
                return member
        cls = base_class(module, cls) if cls.type == "class_declaration" else None
    return None


def _classify(module: Module, call: Node, read_only: bool) -> Effect | None:
    tree = module.tree
    if call.type == "new_expression":
        constructor = call.child_by_field_name("constructor")
        name = tree.text(constructor) if constructor is not None else ""
        if name == "Function":
            return Effect("evaluates code", "new Function")
        for label, pattern in SDK_COMMANDS:
            if pattern.search(name):
                return Effect(label, name)
        return None
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    name = _normalise(tree.text(callee))
    args = call.child_by_field_name("arguments")
    arg_text = tree.text(args) if args is not None else ""
    for label, pattern in EFFECTS:
        if pattern.search(name) and not (read_only and label == "sends HTTP writes"):
            return Effect(label, name)
    verb = _http_verb_argument(tree, name, args)
    if verb is not None and not read_only:
        return Effect(f"sends HTTP {verb} requests", name)
    runs_sql = (callee.type == "identifier" and tree.text(callee) in ("sql", "query")) \
        or name.endswith((".query", ".execute", ".$executeRaw"))
    if runs_sql:
        first = args.named_children[0] if args is not None and args.named_children else None
        text = tree.text(first) if first is not None else ""
        if WRITE_SQL.match(text.strip("`'\"")):
            return Effect("writes to the database", name)
    if name in FETCHERS or name.endswith((".fetch", ".request")) or FETCH_NAME.search(name):
        options = arg_text + _options_text(module, call, args)
        method = WRITE_METHOD.search(options)
        if method and not read_only and not INFERENCE_BODY.search(options):
            return Effect(f"sends HTTP {method.group(1).upper()} requests", name)
    return None


def _is_request(name: str) -> bool:
    return name in FETCHERS or name.endswith((".fetch", ".request")) or bool(FETCH_NAME.search(name)) \
        or bool(re.match(r"^(?:axios|ky|got|superagent|undici)\.(?:get|head|post|put|patch|delete)$", name))


def model_url_fetch(graph: ModuleGraph, module: Module, body: Node, params: tuple[str, ...]) -> UrlFetch | None:
    """A request whose URL starts with a model argument (``fetch(url)``, ``fetch(`${url}/x`)``), in ``body`` or
    in project functions the argument is passed to, with no host allowlist or private-address check in the
    function making it."""
    tainted = set(params)
    first = body.child_by_field_name("parameters") if body.type in FUNCTION_TYPES else None
    if first is not None and first.named_children:  # execute(input): input.url
        pattern = first.named_children[0].child_by_field_name("pattern") or first.named_children[0]
        if pattern.type == "identifier":
            tainted.update(f"{module.tree.text(pattern)}.{p}" for p in params)
        elif pattern.type == "object_pattern":  # ({ url: target }) => fetch(target)
            tainted.update(bound_names(module.tree, pattern))
    found = _url_fetch(graph, module, body, tainted, 0, set())
    if found is None:
        return None
    call, where, request = found
    source = next((p for p in params if URL_NAME.search(p)), params[0]) if params else "?"
    return UrlFetch(call, f"the model's argument {source}", where.path, where.tree.span(request))


def _url_fetch(graph: ModuleGraph, module: Module, body: Node, tainted: set[str], depth: int,
               seen: set[tuple[str, int]]) -> tuple[str, Module, Node] | None:
    key = (module.path, body.start_byte)
    if key in seen or not tainted:
        return None
    seen.add(key)
    tree = module.tree
    if URL_CHECK.search(tree.text(body)):
        return None
    tainted = tainted | _derived(module, body, tainted)
    calls = [n for n in tree.walk(body) if n.type == "call_expression"]
    for call in calls:
        callee = call.child_by_field_name("function")
        args = call_arguments(call)
        if callee is None or not args or not _is_request(_normalise(tree.text(callee))):
            continue
        if _model_chosen_url(tree.text(args[0]), tuple(tainted)) is not None \
                and not URL_CHECK.search(tree.text(enclosing_function(call))):
            return _normalise(tree.text(callee)), module, call
    if depth >= MAX_DEPTH:
        return None
    for call in calls:
        callee = call.child_by_field_name("function")
        if callee is None or callee.type not in ("identifier", "member_expression"):
            continue
        definition = graph.function(_normalise(tree.text(callee)), module.path)
        if definition is None:
            continue
        passed = _passed(module, call, definition.module, definition.node, tainted)
        found = _url_fetch(graph, definition.module, definition.node, passed, depth + 1, seen) if passed else None
        if found is not None:
            return found
    return None


def _derived(module: Module, body: Node, tainted: set[str]) -> set[str]:
    """Variables of ``body`` that hold a URL from a tainted value (``const target = new URL(url)``,
    ``for (const u of urls)``); ``const query = { q: text }`` holds none."""
    tree = module.tree
    derived: set[str] = set()
    for node in tree.walk(body):
        if node.type == "variable_declarator":
            target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        elif node.type == "for_in_statement":
            target, value = node.child_by_field_name("left"), node.child_by_field_name("right")
        else:
            continue
        if target is not None and value is not None and target.type == "identifier" and _model_chosen_url(
                tree.text(value).removeprefix("await "), tuple(tainted | derived)) is not None:
            derived.add(tree.text(target))
    return derived


def _passed(module: Module, call: Node, callee_module: Module, function: Node, tainted: set[str]) -> set[str]:
    """Parameters of ``function`` that receive tainted values in ``call`` (plain or destructured)."""
    params = function.child_by_field_name("parameters")
    if params is None:
        return set()
    passed: set[str] = set()
    tree, callee_tree = module.tree, callee_module.tree
    for arg, param in zip(call_arguments(call), params.named_children, strict=False):
        if _model_chosen_url(tree.text(arg), tuple(tainted)) is None:
            continue
        pattern = param.child_by_field_name("pattern") or param
        passed.update(callee_tree.text(n) for n in callee_tree.walk(pattern)
                      if n.type in ("identifier", "shorthand_property_identifier_pattern"))
    return passed


def request_url_fetch(module: Module, body: Node, source: str) -> UrlFetch | None:
    """A request in ``body`` to a URL that does not start with a fixed host (``fetch(schema.url + path)``), with no
    host allowlist or private-address check in the same function; ``source`` names where the URL comes from."""
    tree = module.tree
    for call in (n for n in tree.walk(body) if n.type == "call_expression"):
        callee = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if callee is None or args is None or not args.named_children or not _is_request(_normalise(tree.text(callee))):
            continue
        if not FIXED_HOST.match(tree.text(args.named_children[0])) and not URL_CHECK.search(
                tree.text(enclosing_function(call))):
            return UrlFetch(_normalise(tree.text(callee)), source, module.path, tree.span(call))
    return None


def unowned_read(module: Module, body: Node, params: tuple[str, ...], tool_name: str,
                 owner_words: re.Pattern[str]) -> ModelIdRead | None:
    """A load of a private record by an id the model chose, with no owner check in the tool."""
    ids = tuple(p for p in params if ID_PARAM.match(p))
    if not ids:
        return None
    tree = module.tree
    body_text = tree.text(body)
    if owner_words.search(body_text):
        return None
    for call in (n for n in tree.walk(body) if n.type == "call_expression"):
        callee = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if callee is None or args is None:
            continue
        name = _normalise(tree.text(callee))
        used = [p for p in ids if re.search(rf"\b{re.escape(p)}\b", tree.text(args))]
        if not used or not LOAD_CALL.search(name):
            continue
        if PRIVATE_RESOURCE.search(f"{name} {used[0]} {tool_name}"):
            return ModelIdRead(name, used[0], tree.span(call))
    return None


def _read_only(tool_name: str) -> bool:
    return bool(READ_ONLY_NAME.search(snake(tool_name)))


def _http_verb_argument(tree, name: str, args: Node | None) -> str | None:
    """``makeRequest(url, "POST", body)``: a request helper told to write by a literal HTTP verb."""
    if args is None or not HTTP_HELPER.search(name):
        return None
    for arg in args.named_children:
        if arg.type == "string" and tree.text(arg)[1:-1].upper() in ("POST", "PUT", "PATCH", "DELETE"):
            return tree.text(arg)[1:-1].upper()
    return None


def _options_text(module: Module, call: Node, args: Node | None) -> str:
    """The text of a request's options when they are a variable declared in the same function
    (``const init = { method: "POST" }; fetch(url, init)``)."""
    if args is None or len(args.named_children) < 2 or args.named_children[1].type != "identifier":
        return ""
    tree = module.tree
    name = tree.text(args.named_children[1])
    for node in tree.walk(enclosing_function(call)):
        if node.type == "variable_declarator" and tree.text(node.child_by_field_name("name")) == name:
            value = node.child_by_field_name("value")
            return tree.text(value) if value is not None else ""
    return ""


def _model_chosen_url(text: str, params: tuple[str, ...]) -> str | None:
    """The model argument the request's host comes from: ``fetch(url)``, ``fetch(`${url}/x`)``, ``new URL(url)``
    (a fixed host with model-filled query values, ``https://api.example.com/?q=${q}``, is not)."""
    text = re.sub(r"^(?:new\s+URL\(|String\()", "", text.strip()).lstrip("`")
    return next((p for p in params if re.match(rf"(?:\$\{{\s*)?{re.escape(p)}\b", text)), None)


def _normalise(callee: str) -> str:
    """``await this.prisma?.note.delete`` -> ``prisma.note.delete``."""
    text = re.sub(r"\s+", "", callee).replace("?.", ".").replace("!.", ".")
    return text.removeprefix("this.")
