"""Tenant isolation in JavaScript/TypeScript through the real engine: tables learned from every schema style,
configured keys, ids followed through helpers and the session, and bad input."""

from __future__ import annotations

import textwrap

import pytest

from scanner.analysis.data.javascript.schema import learn_tables
from scanner.analysis.data.model import KeyPolicy, TableIndex, snake, table_name
from scanner.config import Config, parse_config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.testing import MemorySource

RULES = ("tenant-idor-route", "tenant-service-role-unscoped")
ROUTE = """
    export async function GET(request: Request, { params }: { params: { id: string } }) {
      const session = await auth()
      return Response.json(await prisma.clinicNote.findUnique({ where: { id: params.id } }))
    }
"""


def scan(files: dict[str, str], registry, config: Config | None = None):
    engine = Engine(registry, config or Config(), DETECTORS, only_rules=list(RULES))
    files = {path: textwrap.dedent(code) for path, code in files.items()}
    return engine.run([MemorySource(files)], root="<test>", source_names=["test"])


def found(result) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.location.path, f.location.line) for f in result.active]


@pytest.mark.parametrize(("path", "text", "table", "keys"), [
    ("prisma/schema.prisma", "model Doc {\n  id String @id\n  team Team @relation(fields: [tid], references: [id])\n}",
     "doc", ("team_id", "tid")),
    ("db/schema.ts", 'export const posts = pgTable("posts", { id: serial("id"), writer: integer("owner_id") })',
     "post", ("owner_id",)),
    ("src/order.entity.ts", "@Entity()\nexport class Order {\n  @ManyToOne(() => User) user: User\n}", "order",
     ("user_id",)),
    ("src/card.entity.ts", '@Entity({ tableName: "cards" })\n@Index({ properties: ["ownerId"] })\nexport class Card {\n'
     "  @Property() ownerId!: string\n}", "card", ("owner_id",)),
    ("models/Doc.ts", '@Scopes(() => ({ withTeam: { include: [{ model: Team }] } }))\n@Table({ tableName: "docs" })\n'
     "class Doc extends Model {\n  @ForeignKey(() => Team)\n  @Column(DataType.UUID)\n  teamId: string\n}", "doc",
     ("team_id",)),
    ("models/index.js", "Comment.belongsTo(Workspace)", "comment", ("workspace_id",)),
    ("models/card.js", 'const cardSchema = new Schema({ ownerId: String })\nconst Card = model("Card", cardSchema)',
     "card", ("owner_id",)),
    ("migrations/1.sql", "CREATE TABLE IF NOT EXISTS public.invoices (id uuid, org_id uuid);", "invoice",
     ("org_id",)),
    ("routes/notes.ts", "notesCollection.insert({ body, created_by: user.id })", "note", ("created_by",)),
])
def test_tenant_tables_are_learned_from_every_schema_style(path, text, table, keys):
    index = TableIndex()
    learn_tables(path, text, KeyPolicy.of(Config()), index)
    assert index.tables[table].keys == keys
    assert index.tables[table].origin.startswith(f"{path}:")


def test_names_in_code_and_schema_denote_one_table_and_key():
    assert {table_name(n) for n in ("BasketModel", "baskets", "basketRepository", "Basket")} == {"basket"}
    assert table_name("team_members") == table_name("TeamMember") == "teammember"
    assert table_name("activities") == "activity"
    assert {snake(n) for n in ("teamId", "TeamId", "team_id", "teamID")} == {"team_id"}


def test_configured_keys_make_tables_tenant_owned(registry):
    schema = {"prisma/schema.prisma": "model ClinicNote {\n  id String @id\n  clinicId String\n}\n",
              "app/api/notes/[id]/route.ts": ROUTE}
    assert found(scan(schema, registry)) == []
    config = parse_config({"tenant_keys": ["clinic_id"]}, "test")
    assert found(scan(schema, registry, config)) == [("tenant-idor-route", "app/api/notes/[id]/route.ts", 4)]


def test_an_id_from_the_session_or_a_scoped_row_is_the_callers_own(registry):
    result = scan({
        "prisma/schema.prisma": "model Note {\n  id String @id\n  userId String\n}\n",
        "app/api/notes/route.ts": """
            export async function GET(request: Request) {
              const session = await auth()
              const notes = await prisma.note.findMany({ where: { userId: session.user.id } })
              const first = await prisma.note.findUnique({ where: { id: notes[0].id } })
              return Response.json(first)
            }
        """,
    }, registry)
    assert found(result) == []
    assert any("scoped to the tenant or owner: 1 of 2" in text for text in result.evidence["tenant-isolation"])


def test_service_role_client_imported_from_a_helper_module_is_recognised_by_name(registry):
    result = scan({
        "lib/supabase/admin.ts": """
            import { createClient } from "@supabase/supabase-js"
            export const supabaseAdmin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!)
        """,
        "app/api/files/route.ts": """
            import { supabaseAdmin } from "@/lib/supabase/admin"
            export async function DELETE(request: Request) {
              const { fileId } = await request.json()
              await supabaseAdmin.from("files").delete().eq("id", fileId)
              return new Response(null, { status: 204 })
            }
        """,
    }, registry)
    assert found(result) == [("tenant-service-role-unscoped", "app/api/files/route.ts", 5)]


def test_broken_and_binary_looking_files_do_not_stop_the_scan(registry):
    result = scan({
        "prisma/schema.prisma": "model Note {\n  id String @id\n  userId String\n}\n",
        "app/api/broken/route.ts": "export async function GET( {{{ prisma.note.findUnique({ where: { id: ",
        "app/api/notes/[id]/route.ts": ROUTE.replace("clinicNote", "note"),
    }, registry)
    assert ("tenant-idor-route", "app/api/notes/[id]/route.ts", 4) in found(result)


def test_a_check_in_another_function_of_the_file_does_not_protect_the_access(registry):
    result = scan({
        "lib/db/schema.ts": 'export const secrets = pgTable("secrets", { id: text("id"), orgId: text("org_id") })',
        "lib/secrets.ts": """
            export const getSecretById = async (secretId: string) => {
              const [row] = await db.select().from(secrets).where(eq(secrets.id, secretId))
              return row
            }
            export const listForOrg = async (orgId: string, secretId: string) => {
              await audit(orgId, secretId)
              return db.select().from(secrets).where(eq(secrets.orgId, orgId))
            }
        """,
        "app/api/secrets/route.ts": """
            import { getSecretById } from "../../../lib/secrets"
            export async function GET(request: Request) {
              const { secretId } = await request.json()
              return Response.json(await getSecretById(secretId))
            }
        """,
    }, registry)
    assert found(result) == [("tenant-idor-route", "app/api/secrets/route.ts", 5)]


def _chain_of_helpers(depth: int) -> dict[str, str]:
    """A route calling ``step1``, which calls ``step2``... across files; the last one loads the note."""
    files = {"prisma/schema.prisma": "model Note {\n  id String @id\n  userId String\n}\n"}
    for level in range(1, depth + 1):
        body = f"return step{level + 1}(ref{level})" if level < depth else \
            f"return prisma.note.findUnique({{ where: {{ id: ref{level} }} }})"
        imports = f'import {{ step{level + 1} }} from "./step{level + 1}"\n' if level < depth else ""
        files[f"lib/step{level}.ts"] = f"{imports}export async function step{level}(ref{level}: string) {{ {body} }}\n"
    files["app/api/notes/[id]/route.ts"] = (
        'import { step1 } from "../../../../lib/step1"\n'
        "export async function GET(request: Request, { params }: { params: { id: string } }) {\n"
        "  return Response.json(await step1(params.id))\n}\n")
    return files


def test_helpers_are_followed_four_calls_deep_across_files_and_no_further(registry):
    assert found(scan(_chain_of_helpers(4), registry)) == [("tenant-idor-route", "app/api/notes/[id]/route.ts", 3)]
    assert found(scan(_chain_of_helpers(5), registry)) == []


def test_recursive_helpers_end(registry):
    result = scan({
        "prisma/schema.prisma": "model Note {\n  id String @id\n  userId String\n}\n",
        "lib/notes.ts": """
            export async function walk(noteId: string): Promise<unknown> {
              const note = await prisma.note.findUnique({ where: { id: noteId } })
              return note?.parentId ? walk(note.parentId) : again(noteId)
            }
            export async function again(ref: string): Promise<unknown> { return walk(ref) }
        """,
        "app/api/notes/[id]/route.ts": """
            import { walk } from "../../../../lib/notes"
            export async function GET(request: Request, { params }: { params: { id: string } }) {
              return Response.json(await walk(params.id))
            }
        """,
    }, registry)
    assert found(result) == [("tenant-idor-route", "app/api/notes/[id]/route.ts", 4)]


def test_one_finding_per_call_however_many_helper_paths_reach_the_query(registry):
    result = scan({
        "prisma/schema.prisma": "model Server {\n  id String @id\n  orgId String\n}\n",
        "lib/servers.ts": """
            export const findServer = (serverId: string) => prisma.server.findUnique({ where: { id: serverId } })
            export const runRemote = async (serverId: string, cmd: string) => (await findServer(serverId)).ssh(cmd)
            export const restartProxy = async (serverId: string) => {
              await runRemote(serverId, "stop")
              await runRemote(serverId, "start")
              return findServer(serverId)
            }
        """,
        "app/api/proxy/route.ts": """
            import { restartProxy } from "../../../lib/servers"
            export async function POST(request: Request) {
              const { serverId } = await request.json()
              return Response.json(await restartProxy(serverId))
            }
        """,
    }, registry)
    assert found(result) == [("tenant-idor-route", "app/api/proxy/route.ts", 5)]
