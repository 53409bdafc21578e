"""Tables owned, learned from a project's own SQL: columns, joins, references, camelCase keys, bound values."""

from __future__ import annotations

from scanner.analysis.data.python.sql_tables import SqlTables, snake
from scanner.config import Config


def learned(*statements: str) -> SqlTables:
    tables = SqlTables()
    for sql in statements:
        tables.learn(sql)
    return tables


def test_camel_case_owner_column_and_ownership_through_joins_and_names():
    tables = learned(
        'SELECT "userId" FROM threads WHERE id = :thread_id',
        'SELECT * FROM steps WHERE "threadId" = :id',
        'SELECT s.*, f.value FROM steps s LEFT JOIN feedbacks f ON s."id" = f."forId"',
    )
    config = Config()
    assert tables.owned("threads", config).keys == ("userId",)
    assert tables.owned("steps", config).keys == ("threadId",)  # threadId -> threads, by its name
    assert tables.owned("feedbacks", config).keys == ("forId",)  # forId -> steps, by the join
    assert tables.owned("FEEDBACKS", config) is not None


def test_bound_parameters_are_values_not_columns():
    tables = learned("SELECT * FROM settings WHERE id = :user_id AND key = %(org_id)s")
    assert tables.owned("settings", Config()) is None


def test_create_table_references_and_foreign_keys():
    tables = learned(
        'CREATE TABLE chats (id UUID PRIMARY KEY, "ownerId" UUID)',
        "CREATE TABLE messages (id UUID PRIMARY KEY, chat UUID REFERENCES chats(id), body TEXT)",
    )
    assert tables.owned("messages", Config()).keys == ("chat",)


def test_snake_case_of_camel_keys():
    assert snake("userId") == "user_id"
    assert snake("ThreadID") == "thread_id"
