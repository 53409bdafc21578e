"""What JavaScript/TypeScript back ends do with request input: bodies read without a schema, bodies stored
whole (mass assignment), uploads taken without limits, body size caps raised, catastrophic regular
expressions applied to input, and numeric schema fields bounded only in prose.

Route-level questions (:func:`body_read`, :func:`validated`) read a route's handler code and its
registration; the others read a whole file's syntax tree and return nodes or offsets in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.analysis.web.bounds import PROSE_BOUND
from scanner.analysis.web.privileged import privileged
from scanner.analysis.web.redos import catastrophic
from scanner.lang.javascript.parse import (
    FUNCTION_TYPES,
    JsTree,
    call_arguments,
    last_name,
    object_member,
    property_key,
    string_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

#: The raw body of a request: Express/Koa ``req.body``, Fetch ``await req.json()``, Hono ``c.req.json()``,
#: a NestJS ``@Body()`` parameter.
BODY = re.compile(r"\b(?:req|request|ctx\.request)\.body\b|\bawait\s+(?:req|request|c\.req)\.json\(\)"
                  r"|\bc\.req\.(?:json|parseBody)\(\)|@Body\((?:\s*['\"]\w+['\"]\s*)?\)")
#: A schema or validator checks the input: zod/valibot ``parse``/``safeParse``, yup/joi ``validate``, ajv,
#: class-validator, TypeBox ``Value.Check``, express-validator, celebrate, Hono ``zValidator`` and
#: ``c.req.valid``, a Fastify route ``schema``; or the handler refuses bad input itself with a 400/422.
SCHEMA = re.compile(
    r"(?<!JSON)(?<!Date)(?<!URL)(?<!qs)(?<!path)\.(?:safeParse|parse)(?:Async)?\(|(?<![.\w])(?:safeParse|parse)\(\s*\w+"
    r"|\.validate(?:Sync|Async)?\(|\bvalidate\w*\(|\w*[vV]alidat(?:e|or|ion)\w*\(|\bzValidator\(|celebrate\("
    r"|checkSchema\(|validationResult\(|matchedData\(|\bajv\b|Value\.(?:Check|Parse|Decode)\(|plainToInstance\("
    r"|plainToClass\(|\btypia\.|\bc\.req\.valid\(|\bschema\s*:\s*\{|\b(?:400|422)\b|[bB]ad_?[rR]equest|\bisValid\w*\(")
#: ``@Body() dto: CreateUserDto``: a class a ValidationPipe can check (``any``, ``object`` and records cannot).
NEST_DTO = re.compile(r"@Body\((?:\s*['\"]\w+['\"]\s*)?\)\s*\w+\s*:\s*(?!any\b|object\b|Record\b|unknown\b)[A-Z]\w*")


#: In a Fetch-style handler (a Next.js ``route.ts``) ``request.body`` is the unread stream: passing it on is
#: proxying. Form fields are strings (uploads are judged as uploads): only a parsed JSON body carries shapes.
FETCH_BODY = re.compile(r"\bawait\s+(?:req|request)\.json\(\)")


def body_read(code: str, fetch_style: bool = False) -> str | None:
    """How the handler reads the raw request body (``req.body``, ``await request.json()``), or None."""
    match = (FETCH_BODY if fetch_style else BODY).search(code)
    return match.group(0).strip() if match else None


def validated(code: str, registration: str, nest_pipe: bool) -> bool:
    """The body is checked by a schema in the handler or its registration (a validation middleware), or the
    handler refuses a request missing one of the fields it takes from the body."""
    return bool(SCHEMA.search(code) or SCHEMA.search(registration) or (nest_pipe and NEST_DTO.search(code))
                or _fields_checked(code))


def _destructured_from(bodies: set[str]) -> re.Pattern[str]:
    """``const { a, b } = body``: fields taken from a name the body is held in, or from the request itself."""
    held = "".join(f"{re.escape(b)}\\b|" for b in sorted(bodies))
    return re.compile(rf"\{{([^{{}}]*)\}}\s*(?::[^=;]*)?=\s*(?:await\s+)?"
                      rf"(?:{held}(?:req|request|ctx\.request|c\.req)\.(?:body\b|json\(\)))")


def _fields_checked(code: str) -> bool:
    """``const { token } = req.body; if (!token) throw ...``: a field taken from the body is refused when absent."""
    match = _destructured_from(set()).search(code)
    names = [n.split(":")[0].split("=")[0].strip() for n in match.group(1).split(",")] if match else []
    return any(re.search(rf"\bif\s*\(\s*!\s*{re.escape(n)}\b[^)]*\)\s*\{{?\s*(?:throw|return)\b", code)
               for n in names if n.isidentifier())


@dataclass(frozen=True)
class Site:
    """A node of the file and what is wrong there."""

    node: Node
    message: str


# -- mass assignment --------------------------------------------------------------------------------------------
_ALIAS = re.compile(r"\b(?:const|let|var)\s+(\w+)\s*(?::\s*[\w<>\[\], |]+)?=\s*(?:await\s+)?"
                    r"(?:req|request|ctx\.request)\.(?:body\b|json\(\))")
_REST = re.compile(r"\b(?:const|let|var)\s+\{[^{}]*\.\.\.(\w+)\s*\}\s*=\s*(?:await\s+)?"
                   r"(?:req|request)\.(?:body\b|json\(\))")
_WRITE_CALL = r"(?:create|createMany|update|updateMany|upsert|insert|insertOne|insertMany|updateOne|findByIdAndUpdate" \
              r"|findOneAndUpdate|build|values|save)"


#: Classes whose constructor takes a body without storing it (``new Response(body)`` echoes it).
_NOT_MODELS = r"(?:Response|NextResponse|Request|Error|\w+Error|URL|URLSearchParams|Map|Set|Headers|Date|Blob|Buffer" \
              r"|Promise|FormData|TextEncoder|Uint8Array|ReadableStream)\b"


def _stores_whole(name: str) -> re.Pattern[str]:
    body = re.escape(name)
    return re.compile(
        rf"\.{_WRITE_CALL}\(\s*(?:[^;()]*?\b(?:data|\$set)\s*:\s*)?(?:\{{\s*\.\.\.)?{body}\s*[,)}}]"
        rf"|\.{_WRITE_CALL}\(\s*[^;()]*?,\s*(?:\{{\s*\$set\s*:\s*)?{body}\s*[,)}}]"
        rf"|Object\.assign\(\s*[\w.]+\s*,\s*{body}\s*\)|\bnew\s+(?!{_NOT_MODELS})[A-Z]\w*\(\s*{body}\s*\)")


def mass_assignments(tree: JsTree) -> Iterator[Site]:
    """Functions that store the raw request body whole (``prisma.user.create({ data: body })``,
    ``Object.assign(user, req.body)``, ``User.update(req.body)``) without validating it first."""
    if not BODY.search(tree.file_text):
        return
    for function in _functions(tree):
        code = tree.text(function)
        if not BODY.search(code) or SCHEMA.search(code):
            continue
        names = {"req.body", "request.body", *_ALIAS.findall(code), *_REST.findall(code)}
        whole = next(((n, m) for n, m in ((n, _stores_whole(n).search(code)) for n in sorted(names)) if m), None)
        if whole is not None:
            name, match = whole
            yield Site(_node_at(tree, function, match.start()), f"stores the request body ({name}) whole: a client "
                       "can set any field, including ones only the server should decide (mass assignment)")
            continue
        for field_name, start, target in _privileged_writes(code, names):
            yield Site(_node_at(tree, function, start), f"stores '{field_name}' from the request body on {target}: "
                       "a field only the server should decide (mass assignment)")
            break


_WRITE = re.compile(rf"([\w.]*)\.{_WRITE_CALL}\(")


def _privileged_writes(code: str, bodies: set[str]) -> Iterator[tuple[str, int, str]]:
    """Fields named like a privilege (``subscriptionType``, ``isAdmin``, a user's ``role``) taken from the body
    (destructured, or ``body.x``) and written by a create/update call: ``(field, offset, target)``."""
    taken = {n.split(":")[0].split("=")[0].strip() for m in _destructured_from(bodies).finditer(code)
             for n in m.group(1).split(",")}
    for write in _WRITE.finditer(code):
        target = write.group(1) or "a record"
        call = code[write.end():write.end() + 600].split(";", 1)[0]
        for key in re.finditer(r"[{,]\s*(\w+)\s*(?::\s*([\w.?]+)\s*)?(?=[,}])", call):
            name, value = key.group(1), key.group(2) or key.group(1)
            from_body = value in taken or any(value == f"{b}.{name}" for b in bodies)
            if from_body and privileged(name, target):
                yield name, write.start(), target


# -- uploads ------------------------------------------------------------------------------------------------------
_SIZE_COMPARED = re.compile(r"\bfiles?\??\.(?:\[\d+\]\??\.)?size\s*[<>]=?\s*[\w.]+"
                            r"|[\w.]+\s*[<>]=?\s*\w*[fF]ile\??\.size")
_FROM_REQUEST = re.compile(r"\breq(?:uest)?\.files?\b|\{\s*files?\s*\}\s*:\s*Request\b|formData\(\)")
_REFUSES = re.compile(r"\bthrow\b|status\(\s*4\d\d|\b413\b|status:\s*4\d\d|\bnext\(\s*(?:new\s+)?\w*(?:Error|err)"
                      r"|\breturn\s+(?:res\.|reply\.|c\.json|new\s+Response|Response\.|NextResponse\.|\{\s*error)"
                      r"|\b(?:cb|callback|done)\(\s*(?:new\s+)?\w*Error|\breject\(")


def ignored_size_checks(tree: JsTree) -> Iterator[Site]:
    """Upload handlers that compare a file's size with a limit but never refuse the request."""
    if not _SIZE_COMPARED.search(tree.file_text):
        return
    for function in _functions(tree, outermost=True):
        code = tree.text(function)
        if _SIZE_COMPARED.search(code) and _FROM_REQUEST.search(code) and not _REFUSES.search(code):
            yield Site(function, "checks the uploaded file's size but never refuses the request: any size is "
                                 "accepted")


def multer_without_limit(tree: JsTree) -> Iterator[Site]:
    """``multer(...)`` and ``busboy(...)`` configured without a file size limit (both default to unlimited)."""
    if not re.search(r"['\"](?:multer|busboy)['\"]", tree.file_text):
        return
    for node in tree.walk():
        if node.type not in ("call_expression", "new_expression"):
            continue
        callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        name = (last_name(tree, callee) or "").lower()
        if name not in ("multer", "busboy"):
            continue
        args = call_arguments(node)
        if args and args[0].type != "object":
            continue  # options built elsewhere (``multer(uploadOptions)``): not read
        limits = object_member(tree, args[0], "limits") if args else None
        if limits is None or (limits.type == "object" and object_member(tree, limits, "fileSize") is None):
            yield Site(node, f"{name}() accepts uploaded files of any size (no limits.fileSize)")


_FORM_FILE = re.compile(r"formData\(\)[\s\S]*?\.get(?:All)?\(\s*['\"]"
                        r"(?:file|files|upload|image|avatar|document|attachment"
                        r"|photo)['\"]\s*\)")
_STORES = re.compile(r"\.arrayBuffer\(\)|writeFile|\bput\(|\.upload\(|createWriteStream|\.stream\(\)")
_FILE_CHECK = re.compile(r"\.size\b|\.type\b|mimetype|endsWith\(|extname|ALLOWED|allowed|accept|safeParse|\.parse\("
                         r"|validat", re.IGNORECASE)


def unchecked_form_uploads(tree: JsTree) -> Iterator[Site]:
    """Fetch-style handlers that take a file from ``request.formData()`` and store it without checking its type
    or size."""
    if "formData()" not in tree.file_text:
        return
    for function in _functions(tree, outermost=True):
        code = tree.text(function)
        if _FORM_FILE.search(code) and _STORES.search(code) and not _FILE_CHECK.search(code):
            yield Site(function, "stores an uploaded file from formData() without checking its type or size")


# -- body size ----------------------------------------------------------------------------------------------------
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}
#: Above this a body cap no longer protects memory (the defaults are 100 kB for Express, 1 MB for Next.js).
LARGE_BODY = 10 * 1024 ** 2
#: A cap raised for one route or path prefix (a Next.js API route's own ``sizeLimit``, ``app.use('/upload',
#: express.json({ limit }))``) is a deliberate choice for an upload or a proxy below this.
LARGE_ROUTE_BODY = 100 * 1024 ** 2
_PARSERS = frozenset({"json", "urlencoded", "raw", "text"})


def body_size(text: str) -> int | None:
    """Bytes of a size written as ``'50mb'``, ``"10 MB"`` or ``52428800``; None when it cannot be read."""
    match = _SIZE.match(text.strip("'\"`"))
    if match is None:
        return None
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])


def large_body_limits(tree: JsTree) -> Iterator[tuple[Node, int]]:
    """Body parsers and framework settings that raise the body cap above :data:`LARGE_BODY`:
    ``express.json({ limit: '50mb' })``, ``bodyParser.urlencoded({ limit })``, Next.js ``serverActions:
    { bodySizeLimit }``, Fastify ``bodyLimit``; a Next.js API route's own ``bodyParser: { sizeLimit }`` above
    :data:`LARGE_ROUTE_BODY`."""
    if not re.search(r"limit|Limit", tree.file_text):
        return
    for node in tree.walk():
        if node.type != "pair":
            continue
        key = tree.text(node.child_by_field_name("key") or node).strip("'\"")
        value = node.child_by_field_name("value")
        if value is None or key not in ("limit", "sizeLimit", "bodySizeLimit", "bodyLimit"):
            continue
        size = body_size(string_value(tree, value) or tree.text(value)) if value.type in ("string", "number") else None
        if size is None or size <= LARGE_BODY:
            continue
        parser = _body_parser_call(tree, node) if key == "limit" else None
        if key == "limit" and parser is None:
            continue
        scoped = key == "sizeLimit" or (parser is not None and not _mounted_app_wide(tree, parser))
        if scoped and size <= LARGE_ROUTE_BODY:
            continue
        if _OWNER.get(key, _owner_key(tree, node)) != _owner_key(tree, node):
            continue  # ``api: { sizeLimit }`` outside ``bodyParser`` is not a Next.js setting: it does nothing
        yield node, size


#: Where Next.js reads each size setting: ``api.bodyParser.sizeLimit``, ``serverActions.bodySizeLimit``.
_OWNER = {"sizeLimit": "bodyParser", "bodySizeLimit": "serverActions"}


def _owner_key(tree: JsTree, pair: Node) -> str | None:
    """The key of the object property that holds ``pair`` (``bodyParser`` for ``bodyParser: { sizeLimit }``)."""
    holder = pair.parent.parent if pair.parent is not None else None
    return property_key(tree, holder) if holder is not None and holder.type == "pair" else None


def _body_parser_call(tree: JsTree, pair: Node) -> Node | None:
    """The ``express.json``/``bodyParser.*``/``koaBody`` call ``{ limit }`` is passed to, or None for any other
    option named limit."""
    call = pair.parent.parent.parent if pair.parent is not None and pair.parent.parent is not None else None
    if call is None or call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    text = tree.text(callee) if callee is not None else ""
    parser = last_name(tree, callee) in _PARSERS and bool(re.search(r"express|bodyParser|body_parser", text))
    return call if parser or text in ("koaBody", "bodyParser") else None


def _mounted_app_wide(tree: JsTree, parser: Node) -> bool:
    """``app.use(express.json({...}))``: the parser runs for every route (not ``app.use('/proxy', ...)`` nor a
    route's own middleware argument)."""
    arguments = parser.parent
    call = arguments.parent if arguments is not None else None
    if call is None or call.type != "call_expression" or arguments.type != "arguments":
        return False
    return last_name(tree, call.child_by_field_name("function")) == "use" and call_arguments(call)[0] == parser


# -- regular expressions ------------------------------------------------------------------------------------------
_READS_INPUT = re.compile(r"\b(?:req|request)\.(?:body|query|params)\b|\.json\(\)|searchParams|formData|@Body\(|"
                          r"@Query\(|@Param\(")


def redos_literals(tree: JsTree) -> Iterator[Site]:
    """Regex literals (and ``new RegExp('...')``) that backtrack catastrophically, in functions that read input."""
    if not _READS_INPUT.search(tree.file_text):
        return
    for node in tree.walk():
        pattern = None
        if node.type == "regex":
            found = node.child_by_field_name("pattern")
            pattern = tree.text(found) if found is not None else None
        elif node.type == "new_expression" and tree.text(node).startswith("new RegExp("):
            args = call_arguments(node)
            pattern = string_value(tree, args[0]) if args else None
        if pattern is None or not catastrophic(pattern):
            continue
        function = _outermost_function(node)
        if function is not None and _READS_INPUT.search(tree.text(function)):
            yield Site(node, f"applies /{pattern[:60]}/, a pattern with nested unbounded repetition, to request "
                             "input: a crafted string makes it backtrack for minutes (ReDoS)")


# -- schemas bounded in prose -------------------------------------------------------------------------------------
_ZOD_FIELD = re.compile(r"\bz\.(number|string|array)\((?:[^()]|\([^()]*\))*\)"
                        r"((?:\s*\.\s*\w+\((?:[^()]|\([^()]*\))*\))*)")
_CODE_BOUND = re.compile(r"\.\s*(?:max|lte|lt|length|maxLength|finite\(\)\.max)\(")


def prose_only_bounds(text: str) -> Iterator[tuple[int, int, str]]:
    """zod fields whose ``.describe()`` states a maximum the schema does not enforce
    (``z.number().describe('discount (maximum 10)')``): ``(start, end, kind)`` offsets in ``text``."""
    if "z." not in text:
        return
    for match in _ZOD_FIELD.finditer(text):
        chain = match.group(2)
        describe = re.search(r"\.\s*describe\(\s*(['\"`])(.*?)\1", chain, re.DOTALL)
        if describe and PROSE_BOUND.search(describe.group(2)) and not _CODE_BOUND.search(chain):
            yield match.start(), match.end(), match.group(1)


# -- helpers ------------------------------------------------------------------------------------------------------
def _functions(tree: JsTree, outermost: bool = False) -> Iterator[Node]:
    """Function nodes of the file (only those not nested in another function when ``outermost``)."""
    for node in tree.walk():
        if node.type in FUNCTION_TYPES and not (outermost and _outermost_function(node.parent) is not None):
            yield node


def _outermost_function(node: Node | None) -> Node | None:
    found = None
    while node is not None:
        if node.type in FUNCTION_TYPES:
            found = node
        node = node.parent
    return found


def _node_at(tree: JsTree, scope: Node, offset: int) -> Node:
    """The smallest node of ``scope`` starting at character ``offset`` of its text (for a finding's line)."""
    target = scope.start_byte + len(tree.text(scope)[:offset].encode("utf-8"))
    return scope.descendant_for_byte_range(target, target) or scope
