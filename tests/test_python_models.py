"""Tenant-owned model indexing: which classes are tenant data, by which keys, in which tables."""

from __future__ import annotations

import textwrap

from scanner.analysis.data.python.models import index_models, model_index
from scanner.config import Config, parse_config
from scanner.context import Context, ProjectFacts
from scanner.lang.python.parse import parse_python
from scanner.model import Artifact


def index(files: dict[str, str], config: Config | None = None) -> ProjectFacts:
    facts = ProjectFacts(config or Config())
    for path, code in files.items():
        index_models(path, textwrap.dedent(code), facts)
    return facts


def tenant(facts: ProjectFacts, name: str):
    return model_index(facts).tenant_model(name, facts.config)


def test_sqlalchemy_column_styles_and_table_names():
    facts = index({"app/models.py": """
        class Note(Base):
            __tablename__ = "notes"
            id = Column(Integer, primary_key=True)
            ws = Column("workspace_id", Integer)

        class Goal(Base):
            __tablename__ = "goals"
            owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

        class Plan(Base):
            __tablename__ = "plans"
            name = Column(String)
    """})
    assert tenant(facts, "Note").keys == ("workspace_id",)
    assert tenant(facts, "Goal").keys == ("owner_id",)
    assert tenant(facts, "Plan") is None
    assert model_index(facts).tenant_table("NOTES", facts.config).name == "Note"
    assert model_index(facts).tenant_table("plans", facts.config) is None


def test_sqlmodel_needs_table_true_and_pydantic_schemas_are_not_models():
    facts = index({"models.py": """
        class Goal(SQLModel, table=True):
            team_id: int = Field(foreign_key="team.id")

        class GoalIn(BaseModel):
            team_id: int = Field(...)
    """})
    assert tenant(facts, "Goal").table == "goal"
    assert tenant(facts, "GoalIn") is None


def test_django_foreign_key_becomes_key_column_and_default_table():
    facts = index({"crm/models.py": """
        from django.db import models

        class Client(models.Model):
            organization = models.ForeignKey(Organization, on_delete=models.CASCADE)

        class Invoice(models.Model):
            account = models.ForeignKey("Account", on_delete=models.CASCADE)

            class Meta:
                db_table = "billing_invoices"
    """})
    client = tenant(facts, "Client")
    assert client.keys == ("organization_id",)
    assert client.table == "crm_client"
    assert "organization" in client.filter_names
    assert tenant(facts, "Invoice").table == "billing_invoices"


def test_keys_inherited_from_a_mixin_in_another_module():
    facts = index({
        "app/mixins.py": "class TenantOwned:\n    tenant_id = Column(Integer)\n",
        "app/models.py": "class Report(TenantOwned, Base):\n    title = Column(String)\n",
    })
    assert tenant(facts, "Report").keys == ("tenant_id",)


def test_configured_keys_and_models():
    config = parse_config({"tenant_keys": ["clinic_id"], "owner_keys": [], "tenant_models": ["AuditLog"]},
                          "test")
    facts = index({"models.py": """
        class Patient(Base):
            clinic_id = Column(Integer)

        class Note(Base):
            user_id = Column(Integer)

        class AuditLog(Base):
            message = Column(String)
    """}, config)
    assert tenant(facts, "Patient").keys == ("clinic_id",)
    assert tenant(facts, "Note") is None  # user_id is no longer an owner key
    assert tenant(facts, "AuditLog").keys == ()


def test_unparseable_files_are_skipped_with_a_reason():
    facts = ProjectFacts(Config())
    ctx = Context(Artifact("legacy.py", "print 'hello'\n", "python"), facts)
    assert parse_python(ctx) is None
    assert [n.reason for n in ctx.notices] == ["syntax-error"]


def test_peewee_foreign_key_fields_and_ownership_through_a_parent():
    facts = index({"models.py": """
        class Post(BaseModel):
            owner = ForeignKeyField(User, backref="posts")
            title = CharField()

        class Comment(BaseModel):
            post = ForeignKeyField(Post, backref="comments")
            body = TextField()

        class Tag(BaseModel):
            name = CharField()
    """})
    assert tenant(facts, "Post").keys == ("owner_id",)
    comment = tenant(facts, "Comment")
    assert comment.keys == ("post_id",) and comment.parents == ("Post",) and comment.relations == {"post"}
    assert tenant(facts, "Tag") is None


def test_ownership_through_a_table_named_foreign_key():
    facts = index({"models.py": """
        class Chat(Base):
            __tablename__ = "chats"
            user_id = Column(Integer)

        class Message(Base):
            __tablename__ = "messages"
            chat_id = Column(ForeignKey("chats.id"))
    """})
    assert tenant(facts, "Message").keys == ("chat_id",)


def test_a_foreign_key_to_a_tenant_table_that_many_models_share_is_learned_as_a_tenant_key():
    shared = """
        class Group(Base):
            __tablename__ = "groups"
            parent_id = mapped_column(ForeignKey("groups.id"))

        class Recipe(Base):
            __tablename__ = "recipes"
            group_id = mapped_column(ForeignKey("groups.id"))
            project_id = mapped_column(ForeignKey("projects.id"))

        class Shelf(Base):
            __tablename__ = "shelves"
            group_id = mapped_column(ForeignKey("groups.id"))
            project_id = mapped_column(ForeignKey("projects.id"))
    """
    facts = index({"app/models.py": shared})
    assert model_index(facts).learned_keys() == frozenset()  # two models are not "many"
    assert tenant(facts, "Recipe") is None

    facts = index({"app/models.py": shared, "app/labels.py": """
        class Label(Base):
            __tablename__ = "labels"
            group_id = mapped_column(ForeignKey("groups.id"))
    """})
    assert model_index(facts).learned_keys() == frozenset({"group_id"})
    assert tenant(facts, "Recipe").keys == ("group_id",)
    assert tenant(facts, "Group") is None  # the tenant table itself is not scoped by its own key


def test_a_file_python_cannot_parse_is_left_out_of_the_model_index():
    facts = index({"app/broken.py": "class Note(Base):\n    workspace_id = Column(\n", "app/ok.py": """
        class Task(Base):
            workspace_id = Column(Integer)
    """})
    assert tenant(facts, "Task").keys == ("workspace_id",)
    assert tenant(facts, "Note") is None
