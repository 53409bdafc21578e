"""The SQL migration reader: statement splitting, DDL recognition and replay in file order."""

from __future__ import annotations

from scanner.analysis.data.sql.database import build, executable
from scanner.analysis.data.sql.exposure import Exposure, database_root
from scanner.analysis.data.sql.lexer import split_statements


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
