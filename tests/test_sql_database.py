"""The SQL migration reader: statement splitting, DDL recognition and replay in file order."""

from __future__ import annotations

from scanner.analysis.data.sql.database import build, executable
from scanner.analysis.data.sql.exposure import Exposure, database_root
from scanner.analysis.data.sql.lexer import split_statements
from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.model import Origin
from scanner.rules import default_registry
from scanner.scorecard import build_scorecard
from scanner.testing import MemorySource


def test_split_respects_quotes_dollar_bodies_and_comments():
    text = ("-- a; comment\ncreate table t (a text default 'x;y', \"b;c\" int);\n"
            "/* block; /* nested; */ still */ create function f() returns void as $body$ begin; end $body$;\n"
            "select E'it\\'s; fine', $$;$$;\nselect 1")
    statements = split_statements(text)
    assert [s.code.split()[0].lower() for s in statements] == ["create", "create", "select", "select"]
    assert "begin" not in statements[1].code and statements[1].bodies == (" begin; end ",)
    assert text[statements[0].offset:].startswith("create table")


def test_unterminated_input_is_read_to_the_end():
    assert len(split_statements("create function f() as $$ begin")) == 1
    assert len(split_statements("select 'open")) == 1
    assert split_statements("/* never closed") == []


def test_later_migrations_override_earlier_ones():
    database = build([
        ("m/002.sql", "alter table public.notes enable row level security;\n"
                      "create policy \"own\" on notes using (auth.uid() = user_id);\n"
                      "drop table if exists old_stuff cascade;\n"
                      "revoke execute on function public.purge(int) from public, anon;"),
        ("m/001.sql", "create table notes (id int, user_id uuid);\ncreate table old_stuff (id int);\n"
                      "create function public.purge(days int) returns void language sql security definer "
                      "as 'delete from notes';"),
        ("m/003.sql", "create or replace function public.purge(days int) returns void language sql security definer "
                      "as 'delete from notes';\ncreate table notes (id int);"),
    ])
    notes = database.tables[("public", "notes")]
    assert notes.rls and list(notes.policies) == ["own"] and "user_id" in notes.columns
    assert ("public", "old_stuff") not in database.tables
    purge = database.functions[("public", "purge")]
    assert purge.effects and not executable(purge, "anon") and executable(purge, "authenticated")


def test_exposure_reads_supabase_config_and_postgrest_settings():
    exposure = Exposure()
    assert exposure.exposed("") == frozenset()
    exposure.read("apps/web/supabase/config.toml", '[api]\nschemas = ["public", "api", "storage"]\n')
    exposure.read("deploy/docker-compose.yml", "PGRST_DB_SCHEMAS: tenant_api\n")
    assert exposure.exposed(database_root("apps/web/supabase/migrations/1.sql")) == {"public", "api"}
    assert exposure.exposed(database_root("deploy/init.sql")) == {"tenant_api"}
    assert exposure.exposed(database_root("other/db/x.sql")) == {"public"}
    exposure.read("supabase/config.toml", "not = [toml")
    assert exposure.exposed("") == {"public"}


def _scan(files: dict[str, str], origin: Origin | None = None):
    engine = Engine(default_registry(), Config(), DETECTORS)
    source = MemorySource(files, origin=origin) if origin else MemorySource(files)
    result = engine.run([source], root="<sql>", source_names=["working tree"])
    findings = [(f.rule_id, str(f.severity), f.location.line) for f in result.active
                if f.rule_id.startswith(("db-", "tenant-table"))]
    return sorted(findings), {c.check: c for c in build_scorecard(result).checks}["tenant-isolation"]


SCHEMA = """create table public.notes (id bigint primary key, user_id uuid not null, body text);
alter table public.notes enable row level security;
create policy "Notes are viewable by everyone" on public.notes for select using (true);
create policy "own notes" on public.notes for update using (auth.uid() = user_id);
create function public.note_count() returns bigint language sql security definer set search_path = ''
  as $$ select count(*) from public.notes $$;
"""


def test_findings_severities_and_scorecard_where_browsers_reach_the_database():
    findings, row = _scan({"supabase/migrations/001.sql": SCHEMA, "supabase/config.toml": "[api]\n"})
    assert findings == [("db-definer-function-exposed", "medium", 5), ("db-policy-always-true", "low", 3)]
    assert "table in an exposed schema" in row.examined_text and "SECURITY DEFINER function" in row.examined_text
    assert any("row-level security enabled on notes with 2 policies" in e for e in row.evidence)


def test_quiet_and_unexamined_where_only_servers_reach_the_database():
    findings, row = _scan({"db/migrations/001.sql": SCHEMA, "package.json": '{"dependencies": {"pg": "8"}}'})
    assert findings == [] and "table in an exposed schema" not in (row.examined_text or "")


def test_history_artifacts_are_not_replayed():
    findings, _ = _scan({"supabase/migrations/001.sql": "create table public.notes (user_id uuid);",
                         "supabase/config.toml": "[api]\n"}, origin=Origin("history", commit="a" * 40))
    assert findings == []


def test_ddl_inside_do_blocks_and_dynamic_rls_loops():
    database = build([("supabase/migrations/001.sql", """
create table public.a (user_id uuid);
create table public.b (user_id uuid);
do $$ begin
  if not exists (select 1 from pg_policies where policyname = 'own a') then
    create policy "own a" on public.a for all using (auth.uid() = user_id);
  end if;
end $$;
do $$
declare t text;
begin
  for t in select tablename from pg_tables where schemaname = 'public' loop
    execute format('alter table public.%I enable row level security', t);
  end loop;
end
$$;
create table public.c (user_id uuid);
""")])
    assert list(database.tables[("public", "a")].policies) == ["own a"]
    assert database.tables[("public", "a")].rls and database.tables[("public", "b")].rls
    assert not database.tables[("public", "c")].rls


def test_privileges_parse_linearly_and_oversized_statements_are_skipped():
    database = build([("m/001.sql", "create function public.f(a int) returns void language sql security definer "
                                    "as 'delete from t';\n"
                                    "revoke all privileges on function public.f(int), public.g(text) "
                                    "from public, anon, authenticated cascade;\n"
                                    "grant " + "x on y " * 5000 + ";\n"
                                    "create table public.huge (" + "c int, " * 20000 + "user_id uuid);")])
    assert not executable(database.functions[("public", "f")], "authenticated")
    assert ("public", "huge") not in database.tables
