"""Reads, updates, deletes and upserts in JS/TS code, as :class:`~scanner.analysis.data.model.DataAccess`.

Every call chain is read from its root to its last call (``supabase.from("files").update(x).eq("id", id)``
is one access): Prisma (``prisma.note.findUnique({ where })``), Sequelize, Mongoose, MongoDB and NeDB
(``Model.findOne({ where })``, ``findByPk(id)``, ``collection.updateOne(filter, ...)``), TypeORM
(``repository.findOneBy``, ``getRepository(Note).delete(id)``, an injected ``Repository<Note>``), Drizzle
(``db.select().from(t).where(eq(t.id, x))``, ``db.update(t)``, ``db.query.t.findFirst({ where })``), Knex
(``knex("t").where(...)``), Supabase (``from("t").select().eq(...)``, ``.rpc("fn", args)``) and SQL in
template literals and strings (``sql`...```, ``pool.query("... WHERE id = $1", [id])``).

For each: the table, the operation, the columns its filter constrains, whether the filter mentions a tenant or
owner key anywhere (a join, a relation filter), the values that select rows and their origin
(:mod:`.origin`), and whether the client bypasses row-level security.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.analysis.data.javascript.origin import function_name, origin_of
from scanner.analysis.data.model import (
    CALL,
    DELETE,
    READ,
    UPDATE,
    UPSERT,
    DataAccess,
    KeyPolicy,
    TableIndex,
    snake,
)
from scanner.lang.javascript.parse import (
    FUNCTION_TYPES,
    call_arguments,
    enclosing_function,
    property_key,
    string_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.parse import JsTree

#: ORM methods by operation (Prisma, Sequelize, Mongoose/MongoDB/NeDB, TypeORM).
ORM_METHODS = {
    **dict.fromkeys(("findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "findOne",
                     "findAll", "findByPk", "findById", "find", "findOneBy", "findBy", "findOneOrFail",
                     "findOneByOrFail", "findAndCountAll", "findAndCount", "count", "countBy"), READ),
    **dict.fromkeys(("update", "updateMany", "updateOne", "findByIdAndUpdate", "findOneAndUpdate",
                     "replaceOne", "findOneAndReplace", "increment", "decrement", "nativeUpdate"), UPDATE),
    **dict.fromkeys(("delete", "deleteMany", "deleteOne", "destroy", "remove", "findByIdAndDelete",
                     "findByIdAndRemove", "findOneAndDelete", "findOneAndRemove", "softDelete", "nativeDelete"),
                    DELETE),
    "upsert": UPSERT,
}
#: Links after the query that only run or shape it (``.then(...)``, Mongoose ``.lean().exec()``).
ORM_TAIL = frozenset({"then", "catch", "finally", "exec", "lean", "populate", "sort", "limit", "skip", "toArray",
                      "orFail", "select", "project", "include", "where"})
#: Columns that record other users' reactions to a row (likes, votes, views).
INTERACTION = re.compile(r"like|vote|view|clap|reaction|star|upvote|downvote|follow|seen|read(?:By|_by|Count)",
                         re.IGNORECASE)
#: Methods whose first argument is the row's id.
BY_ID = frozenset({"findByPk", "findById", "findByIdAndUpdate", "findByIdAndDelete", "findByIdAndRemove"})
DRIZZLE_TABLE_LINKS = {"from": READ, "update": UPDATE, "delete": DELETE}
SUPABASE_OPERATIONS = {"select": READ, "update": UPDATE, "delete": DELETE, "upsert": UPSERT}
#: The last call of a TypeORM query builder, which runs it.
BUILDER_RUNS = frozenset({"getOne", "getOneOrFail", "getMany", "getManyAndCount", "getRawOne", "getRawMany",
                          "getRawAndEntities", "getCount", "getExists", "execute", "stream"})
#: Builder calls that add conditions (their text may also name a key through a join).
BUILDER_FILTERS = re.compile(r"^(?:(?:and|or)?[wW]here\w*|\w*[jJ]oin\w*)$")
#: ``d.id = :id``, ``"d"."teamId" IN (:...ids)``: a builder condition's column and parameter.
BUILDER_CONDITION = re.compile(r"[\"`]?(\w+)[\"`]?\s*(?:=|\bin\b|<|>|\blike\b|@>)\s*\(?\s*:(?:\.\.\.)?(\w+)",
                               re.IGNORECASE)
SUPABASE_FILTERS = frozenset({"eq", "neq", "in", "match", "filter", "is", "contains", "or"})
#: Keys and names that hold row ids (``id``, ``fileId``, ``file_ids``).
ID_NAME = re.compile(r"^(?:_?id|ids|uuid|slug|\w*_ids?|\w*Ids?|\w*ID|\w*Slug)$")
#: Table and client names from SQL text.
SQL_STATEMENT = re.compile(r"^\s*(select\b.*?\bfrom|update|delete\s+from)\s+[\"`]?(?:\w+[\"`]?\.)?[\"`]?(\w+)",
                           re.IGNORECASE | re.DOTALL)
SQL_WHERE = re.compile(r"\bwhere\b(.*)", re.IGNORECASE | re.DOTALL)
SQL_COLUMN = re.compile(r"[\"`]?(\w+)[\"`]?\s*(?:=|in\b|is\b|<|>|like\b)", re.IGNORECASE)
SQL_RUNNERS = re.compile(r"(?:^|\.)(?:query|execute|raw|\$queryRaw|\$queryRawUnsafe|\$executeRaw|"
                         r"\$executeRawUnsafe|unsafe|sql)$")
#: A Supabase client made with the service-role key (or named as an admin client) bypasses RLS.
SERVICE_ROLE = re.compile(r"[sS]ervice[_-]?[rR]ole|SERVICE_ROLE|SERVICE_KEY")
ADMIN_CLIENT = re.compile(r"^(?:supabaseAdmin|adminClient|supabaseService|serviceClient|adminSupabase)$")
#: Variables that hold a row only to test whether it exists.
EXISTENCE_NAME = re.compile(r"^(?:existing|exists|alreadyExists|duplicate|taken|conflict|isTaken)\w*$", re.IGNORECASE)
#: An argument that passes the caller (their session, user or tenant) to a check.
CALLER = re.compile(r"^(?:ctx|session|user|auth|currentUser|req\.user|request\.user|ctx\.session|ctx\.user)$|"
                    r"^(?:ctx\.)?(?:session|user|auth)\??\.")
#: Columns that select published rows (``{ id, isPublic: true }``): a read of those is public by purpose.
VISIBILITY = frozenset({"is_public", "public", "published", "is_published", "is_shared", "shared"})
#: A presented secret compared with a stored or configured one (``timingSafeEqual``, ``config.token !== token``,
#: ``req.query.secret !== process.env.REVALIDATE_TOKEN``): whoever holds the secret may reach the row.
SECRET_CHECK = re.compile(r"timingSafeEqual\(|\b\w*(?:[tT]oken|[sS]ecret|[aA]pi[kK]ey|[pP]assword)\w*\s*!==?(?!=)"
                          r"(?!\s*(?:null|undefined|\"\"|''|``)(?!\w))|"
                          r"!==?\s*[^;)\n]{0,60}?(?:[tT]oken|[sS]ecret|[aA]pi[kK]ey|[pP]assword|TOKEN|SECRET)\b")
#: Query calls that only count or test existence.
COUNTING = frozenset({"count", "countBy", "countDocuments", "getCount", "getExists", "exists", "existsBy"})
#: A call that checks the caller's right to a row (``canUpdateReport(auth, report)``, ``assertOwner(user, doc)``).
CHECK_CALL = re.compile(r"^(?:can|check|assert|verify|ensure|authori[sz]e|require|has|is)(?:[A-Z_]|$)")
_UNWRAP = frozenset({"await_expression", "parenthesized_expression", "non_null_expression", "as_expression"})


@dataclass
class Link:
    """One step of a call chain: ``.name`` (a property) or ``.name(args)`` (a call)."""

    name: str
    args: list[Node] | None
    node: Node


def accesses(tree: JsTree, index: TableIndex, policy: KeyPolicy, within: Node | None = None) -> Iterator[DataAccess]:
    """Every data access in the file (or in ``within``) whose table is a tenant table, or whose client bypasses
    row-level security."""
    text = tree.source.decode("utf-8", errors="replace")
    repositories = dict(re.findall(r"(\w+)\s*[!?]?\s*:\s*(?:\w*Repository|Model)<(\w+)>", text))
    # Properties typed as something else (an injected service): ``this.posts.remove`` is not a table's.
    for name in re.findall(r"(\w+)\s*[!?]?\s*:\s*[A-Z]\w*(?![<\w])", text):
        repositories.setdefault(name, "")
    for entity, name in re.findall(r"@InjectRepository\(\s*(\w+)[^)]*\)\s*(?:(?:private|public|protected|readonly)\s+)*"
                                   r"(\w+)", text):
        repositories[name] = entity  # @InjectRepository(Note) private readonly notes: NoteRepository
    custom = re.search(r"\bclass\s+\w+\s+extends\s+\w*Repository<(\w+)>", text)
    if custom:  # a custom repository: this.findOne(...) queries its entity
        repositories["this"] = custom.group(1)
    for node in tree.walk(within):
        if node.type != "call_expression" or _continues(node):
            continue
        root, links = _chain(tree, node)
        if not links:
            continue
        access = _sql(tree, links) or _supabase(tree, links) or _builder(tree, root, links, repositories) \
            or _drizzle(tree, links) \
            or _knex(tree, links, index) or _orm(tree, root, links, index, repositories)
        if access is None:
            continue
        table, operation, filters, ids = access
        if table is not None and index.find(table) is None and not _bypasses_rls(tree, root):
            continue
        found = _build(tree, node, root, links, table, operation, filters, ids, policy)
        found.existence_only = operation == READ and (_existence_check(tree, node) or _counts(tree, links))
        yield found


def _build(tree: JsTree, node: Node, root: Node | None, links: list[Link], table: str | None, operation: str,
           filters: list[Node], ids: list[Node], policy: KeyPolicy) -> DataAccess:
    constrained: set[str] = set()
    values = list(ids)
    for item in filters:
        columns, selectors = _filter_parts(tree, item)
        constrained.update(columns)
        # A relation named for a key (MikroORM ``{ workspace }``, TypeORM ``{ team: { id } }``) constrains it.
        constrained.update(k for k in map(policy.key_of, columns) if k)
        values.extend(value for column, value in selectors if _selects_by_id(tree, column, value))
    if ids:
        constrained.add("id")
    filter_text = " ".join(tree.text(f) for f in filters)
    inputs = tuple(dict.fromkeys(origin_of(tree, v) for v in values))
    function = enclosing_function(node)
    names = {i.name for i in inputs}
    return DataAccess(
        table=table, operation=operation, call=_label(tree, root, links), constrained=frozenset(constrained),
        inputs=inputs, span=tree.span(node), function=function_name(tree, function) if function.parent else "",
        mentions_key=policy.words().search(filter_text) is not None,
        owner_checked=protected(tree, node, function, operation, names, policy)
        or SECRET_CHECK.search(checked_code(tree, node, function, operation)) is not None
        or (operation == READ and (_row_checked(tree, node, function) or bool(constrained & VISIBILITY))),
        bypasses_rls=_bypasses_rls(tree, root), scope=_named_scope(function).start_byte)


def _named_scope(function: Node) -> Node:
    """The function an inline callback belongs to (``db.transaction(async (tx) => ...)`` inside a handler): its
    accesses share the handler's scope, so a scoped query of the handler verifies their ids too."""
    scope = function
    while scope.type in ("arrow_function", "function_expression", "function") and scope.parent is not None \
            and scope.parent.type == "arguments":
        outer = enclosing_function(scope.parent)
        if outer.parent is None:
            break  # a handler passed to a router: it is the scope
        scope = outer
    return scope


def protected(tree: JsTree, node: Node, function: Node, operation: str, names: set[str], policy: KeyPolicy) -> bool:
    """An ownership check guards the access, in its function or a function enclosing it (a callback inside a
    handler): the row's owner compared with the caller or an access-check helper
    (:meth:`KeyPolicy.owner_check`), or, before it, a call that passes the same id together with the caller
    (``findProviderInOrganization(input.id, ctx.session.activeOrganizationId)``)."""
    scope = function
    while scope.type in FUNCTION_TYPES:
        if policy.owner_check().search(checked_code(tree, node, scope, operation)) or _checked_with_caller(
                tree, node, scope, names, policy, operation):
            return True
        if scope.parent is None:
            break
        scope = enclosing_function(scope.parent)
    return False


def _checked_with_caller(tree: JsTree, node: Node, function: Node, names: set[str], policy: KeyPolicy,
                         operation: str) -> bool:
    """A call passes one of ``names`` (or the row loaded by it: ``canUpdateReport(auth, report)`` after ``const
    report = await getReport(reportId)``) together with the caller: before a write, anywhere around a read (the
    read only dispatches to the scoped operation)."""
    rows = _rows_loaded_by(tree, function, names)
    for call in tree.walk(function):
        if call.type != "call_expression" or node.start_byte <= call.start_byte < node.end_byte:
            continue  # the access itself
        if call.start_byte >= node.start_byte and operation != READ:
            break
        args = [re.sub(r"\s+", "", tree.text(a)) for a in _flattened(tree, call_arguments(call))]
        checks = CHECK_CALL.match(tree.text(call.child_by_field_name("function") or call).rsplit(".", 1)[-1])
        selected = any(a in names or (checks and a in rows) for a in args)
        if selected and any(CALLER.search(a) or policy.words().search(a) for a in args):
            return True
    return False


def _rows_loaded_by(tree: JsTree, function: Node, names: set[str]) -> set[str]:
    """Variables of ``function`` assigned the result of a call given one of ``names`` (``report`` in ``const
    report = await getReport(reportId)``)."""
    rows = set()
    for node in tree.walk(function):
        if node.type != "variable_declarator":
            continue
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        while value is not None and value.type in _UNWRAP and value.named_children:
            value = value.named_children[0]
        if target is not None and target.type == "identifier" and value is not None and \
                value.type == "call_expression" and any(
                    re.sub(r"\s+", "", tree.text(a)) in names for a in call_arguments(value)):
            rows.add(tree.text(target))
    return rows


def _flattened(tree: JsTree, args: list[Node], depth: int = 0) -> Iterator[Node]:
    """Arguments, with an object argument's values in its place (``check({ session, projectId: id })``), two
    levels deep."""
    for arg in args:
        if arg.type != "object" or depth > 1:
            yield arg
            continue
        values = [member.child_by_field_name("value") if member.type == "pair" else member
                  for member in arg.named_children]
        yield from _flattened(tree, [v for v in values if v is not None], depth + 1)


def checked_code(tree: JsTree, node: Node, function: Node, operation: str) -> str:
    """Where an ownership check protects the access: anywhere in the function around a read (an access check
    before it, or the loaded row checked before use), only before a write (a check after an update or delete
    comes too late)."""
    before = tree.source[function.start_byte:node.start_byte].decode("utf-8", errors="replace")
    if operation != READ:
        return before
    return before + "\n" + tree.source[node.end_byte:function.end_byte].decode("utf-8", errors="replace")


def _selects_by_id(tree: JsTree, column: str, value: Node) -> bool:
    """A filter value that picks rows by id: under an id column (``id``, ``fileId``), or itself named as an id
    (``eq("key", docId)``). Other filters (``username``, ``email``) look rows up, and are left out."""
    name = tree.text(value).rsplit(".", 1)[-1].strip("()")
    return bool(ID_NAME.match(column) or ID_NAME.match(name))


def _row_checked(tree: JsTree, call: Node, function: Node) -> bool:
    """The loaded row is handed to a check after the read (``validateFlowAPIKey(req, chatflow)``,
    ``assertCanView(doc, user)``)."""
    name = _assigned_name(call)
    if name is None:
        return False
    after = tree.source[call.end_byte:function.end_byte].decode("utf-8", errors="replace")
    return re.search(rf"\b(?:validate|verify|check|assert|ensure|authori[sz]e|can)\w*\([^)]*\b{re.escape(name)}\b",
                     after) is not None


def _assigned_name(call: Node) -> str | None:
    """``row`` in ``const row = await <call>``."""
    parent = call.parent
    while parent is not None and parent.type in _UNWRAP:
        parent = parent.parent
    if parent is None or parent.type != "variable_declarator":
        return None
    target = parent.child_by_field_name("name")
    return target.text.decode("utf-8", errors="replace") if target is not None and target.type == "identifier" \
        else None


def _existence_check(tree: JsTree, call: Node) -> bool:
    """``const existing = await db.query.x.findFirst(...)``: a uniqueness check before a create, whose row is only
    tested for existence, discloses nothing."""
    name = _assigned_name(call)
    return name is not None and EXISTENCE_NAME.match(name) is not None


def _counts(tree: JsTree, links: list[Link]) -> bool:
    """The query only counts rows (``count``, ``getExists``, ``select({ count: sql`count(*)` })``): a slug or id
    already taken tells whether it exists, nothing more."""
    return any(link.name in COUNTING or (link.name == "select" and link.args and re.search(
        r"\bcount\(", tree.text(link.args[0]), re.IGNORECASE)) for link in links)


def _continues(call: Node) -> bool:
    """The call is an inner link of a longer chain (``a.b()`` in ``a.b().c()``)."""
    parent = call.parent
    while parent is not None and parent.type in _UNWRAP:
        parent = parent.parent
    return parent is not None and parent.type == "member_expression"


def _chain(tree: JsTree, call: Node) -> tuple[Node | None, list[Link]]:
    """The chain's root (``db``, ``prisma``, ``BasketModel``; None for a call like ``knex("t")``) and its links
    from the root outwards."""
    links: list[Link] = []
    node = call
    root = None
    for _ in range(40):
        if node.type in _UNWRAP and node.named_children:
            node = node.named_children[0]
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            args = call_arguments(node) if node.child_by_field_name("arguments") is not None else []
            if node.child_by_field_name("arguments") is not None and \
                    node.child_by_field_name("arguments").type == "template_string":
                args = [node.child_by_field_name("arguments")]
            if callee is not None and callee.type == "member_expression":
                prop = callee.child_by_field_name("property")
                links.append(Link(tree.text(prop), args, node))
                node = callee.child_by_field_name("object")
            else:
                links.append(Link(tree.text(callee) if callee is not None else "", args, node))
                break
        elif node.type == "member_expression":
            links.append(Link(tree.text(node.child_by_field_name("property")), None, node))
            node = node.child_by_field_name("object")
        else:
            root = node
            break
        if node is None:
            break
    links.reverse()
    return root, links


def _label(tree: JsTree, root: Node | None, links: list[Link]) -> str:
    parts = [tree.text(root)] if root is not None else []
    for link in links:
        first = link.args[0] if link.args else None
        literal = string_value(tree, first) if first is not None and link.name in ("from", "rpc") else None
        parts.append(f'{link.name}("{literal}")' if literal is not None else link.name)
    return ".".join(parts)[:120]


# -- recognisers: (table, operation, filter nodes, id nodes) or None -------------------------------------------
def _orm(tree: JsTree, root: Node | None, links: list[Link], index: TableIndex,
         repositories: dict[str, str]) -> tuple | None:
    while len(links) > 1 and links[-1].name in ORM_TAIL:
        links = links[:-1]
    last = links[-1]
    operation = ORM_METHODS.get(last.name)
    if operation is None or last.args is None:
        return None
    table = None
    args = last.args
    entity = tree.text(args[0]) if args and args[0].type == "identifier" else ""
    if entity[:1].isupper() and index.find(entity) is not None and (root is not None or len(links) > 1):
        table, args = entity, args[1:]  # an entity manager: em.findOne(Note, { id }), manager.delete(Note, id)
    elif len(links) >= 2 and links[-2].args is None:
        table = links[-2].name  # prisma.note.findMany, db.reviewsCollection.update, this.noteRepository.find
    elif len(links) >= 2 and links[-2].name.endswith("getRepository") and links[-2].args:
        table = tree.text(links[-2].args[0])  # getRepository(Note).findOneBy
    elif len(links) == 1 and root is not None and root.type == "identifier" and (
            tree.text(root)[:1].isupper() or tree.text(root) in index.aliases):
        table = tree.text(root)  # BasketModel.findOne (a lowercase variable is a loaded row: basket.update(...))
    elif len(links) == 1 and root is not None and root.type == "identifier" and _repository_of(tree, root):
        table = _repository_of(tree, root)  # const notes = dataSource.getRepository(Note); notes.findOneBy(...)
    elif len(links) == 1 and root is not None and root.type == "this" and "this" in repositories:
        table = "this"  # class NoteRepository extends Repository<Note> { ... this.findOneBy({ id }) }
    if table is None:
        return None
    table = repositories.get(table, table)
    if not table or index.find(table) is None:
        return None
    if operation == UPDATE and _interaction(tree, args):
        return None
    where = next((w for w in (_member(tree, a, "where") for a in args) if w is not None), None)
    if last.name in BY_ID and args:
        return table, operation, [], [args[0]]
    if where is not None:
        return table, operation, [where], []
    first = args[0] if args else None  # Mongo, NeDB and TypeORM take the filter (or the id) first
    if first is not None and first.type == "object":
        return table, operation, [first], []
    if first is not None and first.type in ("identifier", "member_expression", "call_expression"):
        return table, operation, [], [first]
    return None


def _interaction(tree: JsTree, args: list[Node]) -> bool:
    """An update that only counts or records someone's reaction to a row (``{ $inc: { likesCount: 1 } }``,
    ``{ likedBy }``): liking or viewing another user's post is what such rows are for."""
    keys = [property_key(tree, pair) or "" for arg in args if arg.type == "object" for pair in tree.walk(arg)
            if pair.type == "pair"]
    keys = [k for k in keys if not k.startswith("$") and k not in ("where", "data", "_id", "id", "multi")]
    return bool(keys) and all(INTERACTION.search(k) for k in keys)


def _builder(tree: JsTree, root: Node | None, links: list[Link], repositories: dict[str, str]) -> tuple | None:
    """A TypeORM query builder at the call that runs it: ``repo.createQueryBuilder("d").where("d.id = :id",
    { id }).getOne()``, ``manager.createQueryBuilder().update(Note).set(...).where(...).execute()``, also when
    the builder is kept in a variable and its conditions are added by later statements."""
    if links[-1].name not in BUILDER_RUNS or links[-1].args is None:
        return None
    root, links = _whole_builder(tree, root, links)
    start = next((i for i, link in enumerate(links) if link.name == "createQueryBuilder"), None)
    if start is None:
        return None
    head, table, operation = links[start], None, READ
    if head.args and head.args[0].type == "identifier":
        table = tree.text(head.args[0])  # manager.createQueryBuilder(Note, "n")
    elif start and links[start - 1].args is None:
        table = links[start - 1].name  # this.noteRepository.createQueryBuilder("n")
    elif start and links[start - 1].name.endswith("getRepository") and links[start - 1].args:
        table = tree.text(links[start - 1].args[0])  # dataSource.getRepository(Note).createQueryBuilder("n")
    elif start == 0 and root is not None and root.type == "identifier":
        table = _repository_of(tree, root) or tree.text(root)  # notes.createQueryBuilder("n")
    for link in links[start + 1:]:
        if link.name in ("insert", "relation"):
            return None
        if link.name in ("update", "delete", "softDelete"):
            operation = UPDATE if link.name == "update" else DELETE
        if link.name in ("update", "from") and link.args and link.args[0].type == "identifier":
            table = tree.text(link.args[0])  # .update(Note), .delete().from(Note), .select().from(Note, "n")
    if table is None:
        return None
    filters = [link.node for link in links[start + 1:] if BUILDER_FILTERS.match(link.name) and link.args]
    return repositories.get(table, table), operation, filters, []


def _repository_of(tree: JsTree, name: Node) -> str | None:
    """``Note`` when ``name`` holds ``dataSource.getRepository(Note)`` (or ``manager.getRepository(Note)``)."""
    value = _local_value(tree, name)
    found = re.search(r"getRepository\(\s*(\w+)\s*\)\s*$", tree.text(value)) if value is not None else None
    return found.group(1) if found else None


def _whole_builder(tree: JsTree, root: Node | None, links: list[Link]) -> tuple[Node | None, list[Link]]:
    """``qb.getMany()`` where ``const qb = repo.createQueryBuilder("d")`` and ``qb.andWhere(...)`` statements
    came between: the declaration's chain, then those statements' links, then ``links``."""
    if root is None or root.type != "identifier" or any(link.name == "createQueryBuilder" for link in links):
        return root, links
    value = _local_value(tree, root)
    if value is None or value.type not in ("call_expression", "await_expression") or \
            "createQueryBuilder" not in tree.text(value):
        return root, links
    start, chain = _chain(tree, value)
    name = tree.text(root)
    added = []
    for node in tree.walk(enclosing_function(root)):
        if node.type == "call_expression" and node.end_byte <= links[0].node.start_byte and not _continues(node):
            other, more = _chain(tree, node)
            if other is not None and other.type == "identifier" and tree.text(other) == name:
                added.extend(more)
    return start, [*chain, *added, *links]


def _drizzle(tree: JsTree, links: list[Link]) -> tuple | None:
    names = [link.name for link in links]
    if "query" in names and links[-1].name in ("findFirst", "findMany") and len(links) >= 2:
        table = links[-2].name
        where = next((w for w in (_member(tree, a, "where") for a in links[-1].args or []) if w is not None), None)
        return (table, READ, [where], []) if where is not None else None
    if "where" not in names:
        return None
    table_link = next((link for link in links if link.name in DRIZZLE_TABLE_LINKS and link.args
                       and link.args[0].type in ("identifier", "member_expression")), None)
    if table_link is None:
        return None
    filters = [a for link in links if link.name in ("where", "innerJoin", "leftJoin", "rightJoin", "join")
               for a in (link.args or [])[-1:]]
    return tree.text(table_link.args[0]), DRIZZLE_TABLE_LINKS[table_link.name], filters, []


def _supabase(tree: JsTree, links: list[Link]) -> tuple | None:
    start = next((i for i, link in enumerate(links) if link.name == "from" and link.args
                  and string_value(tree, link.args[0]) is not None), None)
    if start is None:
        rpc = next((link for link in links if link.name == "rpc" and link.args
                    and string_value(tree, link.args[0]) is not None), None)
        if rpc is None:
            return None
        return None, CALL, [], [v for a in rpc.args[1:2] for v in _id_values(tree, a)]
    table = string_value(tree, links[start].args[0])
    operation = next((SUPABASE_OPERATIONS[link.name] for link in links[start + 1:]
                      if link.name in SUPABASE_OPERATIONS and link.args is not None), None)
    if operation is None:
        return None
    filters = [link.node for link in links[start + 1:] if link.name in SUPABASE_FILTERS and link.args]
    ids = [v for link in links[start + 1:] if link.name == "upsert" and link.args
           for v in _id_values(tree, link.args[0])]
    return table, operation, filters, ids


def _knex(tree: JsTree, links: list[Link], index: TableIndex) -> tuple | None:
    head = links[0]
    if not head.args or string_value(tree, head.args[0]) is None or "where" not in {link.name for link in links}:
        return None
    table = string_value(tree, head.args[0])
    if index.find(table) is None:
        return None
    names = {link.name for link in links}
    operation = UPDATE if "update" in names else DELETE if names & {"del", "delete"} else READ
    return table, operation, [link.node for link in links if link.name.startswith(("where", "andWhere"))], []


def _sql(tree: JsTree, links: list[Link]) -> tuple | None:
    last = links[-1]
    if not SQL_RUNNERS.search(last.name) or not last.args:
        return None
    first = last.args[0]
    text = tree.text(first).strip("`'\"")
    statement = SQL_STATEMENT.match(text)
    if statement is None or first.type not in ("string", "template_string"):
        return None
    verb = statement.group(1).split()[0].lower()
    operation = {"select": READ, "update": UPDATE, "delete": DELETE}[verb]
    where = SQL_WHERE.search(text)
    if where is None:
        return None
    values = [s.named_children[0] for s in first.named_children if s.type == "template_substitution"
              and s.named_children]
    if len(last.args) >= 2 and last.args[1].type == "array":
        values.extend(last.args[1].named_children)
    return statement.group(2), operation, [first], values


# -- filters ------------------------------------------------------------------------------------------------------
def _filter_parts(tree: JsTree, node: Node) -> tuple[set[str], list[tuple[str, Node]]]:
    """The columns a filter constrains (snake case) and each value that selects rows, with its column."""
    columns: set[str] = set()
    values: list[tuple[str, Node]] = []

    def merge(sub: tuple[set[str], list[tuple[str, Node]]]) -> None:
        columns.update(sub[0])
        values.extend(sub[1])

    if node.type == "object":
        for member in node.named_children:
            if member.type == "pair":
                key = property_key(tree, member) or ""
                value = member.child_by_field_name("value")
                if value is None:
                    continue
                if key.startswith("$") or key in ("AND", "OR", "NOT", "some", "every", "is"):
                    merge(_filter_parts(tree, value))
                elif value.type == "object" and not _operator_object(tree, value):
                    columns.add(snake(key))  # a relation filter: { team: { members: ... } }
                else:
                    columns.add(snake(key))
                    values.append((snake(key), _operand(tree, value)))
            elif member.type == "shorthand_property_identifier":
                columns.add(snake(tree.text(member)))
                values.append((snake(tree.text(member)), member))
    elif node.type == "array":
        for child in node.named_children:
            merge(_filter_parts(tree, child))
    elif node.type == "call_expression":
        callee = tree.text(node.child_by_field_name("function") or node)
        args = call_arguments(node)
        name = callee.rsplit(".", 1)[-1]
        condition = next((i for i, a in enumerate(args) if a.type in ("string", "template_string")
                          and BUILDER_CONDITION.search(tree.text(a))), None)
        if condition is not None and BUILDER_FILTERS.match(name):
            merge(_builder_condition(tree, args[condition], args[condition + 1:condition + 2]))
        elif name == "whereInIds" and args:
            columns.add("id")
            values.append(("id", args[0]))
        elif name in ("and", "or"):
            for arg in args:
                merge(_filter_parts(tree, arg))
        elif name in ("eq", "inArray", "like", "ilike", "neq", "in", "is", "where", "andWhere", "match", "filter"):
            value = args[1:2] if name != "filter" else args[2:3]
            if args and args[0].type == "string":
                column = snake(string_value(tree, args[0]) or "")
                columns.add(column)
                values.extend((column, v) for v in value)
            elif args and args[0].type == "member_expression":
                column = snake(tree.text(args[0].child_by_field_name("property")))
                columns.add(column)
                values.extend((column, v) for v in value)
            elif args and args[0].type == "object":
                merge(_filter_parts(tree, args[0]))
    elif node.type in ("string", "template_string"):
        where = SQL_WHERE.search(tree.text(node))
        if where:
            columns.update(snake(c) for c in SQL_COLUMN.findall(where.group(1)))
    return columns, values


def _builder_condition(tree: JsTree, condition: Node,
                       parameters: list[Node]) -> tuple[set[str], list[tuple[str, Node]]]:
    """``"d.id = :id AND d.teamId = :teamId", { id, teamId }``: the columns and each parameter's value."""
    columns: set[str] = set()
    values: list[tuple[str, Node]] = []
    for column, parameter in BUILDER_CONDITION.findall(tree.text(condition)):
        columns.add(snake(column))
        value = _member(tree, parameters[0], parameter) if parameters else None
        if value is not None:
            values.append((snake(column), value))
    return columns, values


def _operator_object(tree: JsTree, node: Node) -> bool:
    """``{ equals: x }``, ``{ in: ids }``, ``{ $eq: x }``: a condition on one column, not a relation filter."""
    keys = [property_key(tree, m) or "" for m in node.named_children if m.type == "pair"]
    return bool(keys) and all(k.startswith("$") or k in ("equals", "in", "not", "notIn", "lt", "gt", "lte", "gte",
                                                          "contains", "startsWith", "endsWith", "mode") for k in keys)


def _operand(tree: JsTree, value: Node) -> Node:
    """``{ equals: x }`` / ``{ $eq: x }`` / ``{ in: ids }`` -> ``x``; anything else itself."""
    if value.type == "object" and value.named_children:
        first = value.named_children[0]
        if first.type == "pair" and first.child_by_field_name("value") is not None:
            return first.child_by_field_name("value")
    return value


def _member(tree: JsTree, obj: Node, name: str) -> Node | None:
    if obj.type != "object":
        return None
    for member in obj.named_children:
        if member.type == "pair" and property_key(tree, member) == name:
            return member.child_by_field_name("value")
        if member.type == "shorthand_property_identifier" and tree.text(member) == name:
            return member
    return None


def _id_values(tree: JsTree, node: Node, depth: int = 0) -> list[Node]:
    """Values under id-like keys of a payload or RPC arguments (``{ file_id: fileId }``, ``file_ids: ids``),
    following a local variable to its value and ``rows.map(r => ({ ... }))`` into its object."""
    while node.type in _UNWRAP and node.named_children:
        node = node.named_children[0]
    if depth > 3:
        return []
    if node.type == "object":
        found = []
        for member in node.named_children:
            if member.type == "pair" and ID_NAME.match(property_key(tree, member) or ""):
                found.append(member.child_by_field_name("value"))
            elif member.type == "shorthand_property_identifier" and ID_NAME.match(tree.text(member)):
                found.append(member)
        return [f for f in found if f is not None]
    if node.type == "array":
        return [v for child in node.named_children for v in _id_values(tree, child, depth + 1)]
    if node.type == "identifier":
        value = _local_value(tree, node)
        return _id_values(tree, value, depth + 1) if value is not None else []
    if node.type == "call_expression":
        return [v for obj in tree.walk(node) if obj.type == "object" for v in _id_values(tree, obj, depth + 1)]
    return []


def _local_value(tree: JsTree, name: Node) -> Node | None:
    """The value ``const name = value`` gives ``name`` in its function."""
    text = tree.text(name)
    for node in tree.walk(enclosing_function(name)):
        if node.type == "variable_declarator" and tree.text(node.child_by_field_name("name")) == text:
            return node.child_by_field_name("value")
    return None


def _bypasses_rls(tree: JsTree, root: Node | None) -> bool:
    """The chain's client is a Supabase client made with the service-role key (created in this function or
    file, or named as an admin client)."""
    if root is None:
        return False
    name = tree.text(root)
    if ADMIN_CLIENT.match(name):
        return True
    if root.type != "identifier" or SERVICE_ROLE.search(tree.file_text) is None:
        return False
    value = _local_value(tree, root)
    if value is None:
        for node in tree.walk():
            if node.type == "variable_declarator" and tree.text(node.child_by_field_name("name")) == name:
                value = node.child_by_field_name("value")
                break
    text = tree.text(value) if value is not None else ""
    return "createClient" in text and SERVICE_ROLE.search(text) is not None

