"""Unscoped tenant queries through the real engine: helpers across modules, configuration, bad input."""

from __future__ import annotations

import json
import textwrap

from scanner.config import Config, parse_config
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.testing import MemorySource
from tests.conftest import run_cli

MODELS = """
class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    workspace_id = Column(Integer)
"""


def scan(files: dict[str, str], registry, config: Config | None = None, rules=("tenant-query-unscoped",)):
    engine = Engine(registry, config or Config(), DETECTORS, only_rules=list(rules))
    files = {path: textwrap.dedent(code) for path, code in files.items()}
    return engine.run([MemorySource(files)], root="<test>", source_names=["test"])


def found(result) -> list[tuple[str, int]]:
    return [(f.location.path, f.location.line) for f in result.active]


def test_helper_in_another_module_that_filters_on_the_tenant_scopes_the_query(registry):
    result = scan({
        "app/models.py": MODELS,
        "app/scope.py": """
            def tenant_scoped(query, user):
                return query.filter_by(workspace_id=user.workspace_id)
        """,
        "app/api.py": """
            from app.models import Note
            from app.scope import tenant_scoped

            def get_note(db, note_id, user):
                return tenant_scoped(db.query(Note).filter(Note.id == note_id), user).one()
        """,
    }, registry)
    assert found(result) == []


def test_helper_that_does_not_filter_on_the_tenant_does_not_scope_the_query(registry):
    result = scan({
        "app/models.py": MODELS,
        "app/scope.py": """
            def newest_first(query):
                return query.order_by("created_at")
        """,
        "app/api.py": """
            from app.models import Note
            from app.scope import newest_first

            def get_notes(db, author):
                return newest_first(db.query(Note).filter(Note.author == author)).all()
        """,
    }, registry)
    assert found(result) == [("app/api.py", 6)]
    message = result.active[0].message
    assert "get_notes()" in message and "Note" in message and "workspace_id" in message
    assert result.active[0].evidence["model"] == "Note"


def test_query_kept_in_a_variable_and_filtered_later_is_scoped(registry):
    result = scan({"app.py": MODELS + """
def get_note(db, note_id, user):
    query = db.query(Note).filter(Note.id == note_id)
    query = query.filter(Note.workspace_id == user.workspace_id)
    return query.first()
"""}, registry)
    assert found(result) == []


def test_constant_criteria_are_not_user_supplied(registry):
    result = scan({"app.py": MODELS + """
def pinned(db):
    return db.query(Note).filter(Note.pinned.is_(True)).all()
"""}, registry)
    assert found(result) == []


def test_configured_tenant_key_replaces_the_defaults(registry):
    config = parse_config({"tenant_keys": ["clinic_id"], "owner_keys": []}, "test")
    files = {"app.py": """
class Patient(Base):
    clinic_id = Column(Integer)

class Note(Base):
    workspace_id = Column(Integer)

def patient(db, patient_id):
    return db.get(Patient, patient_id)

def note(db, note_id):
    return db.get(Note, note_id)
"""}
    assert found(scan(files, registry, config)) == [("app.py", 9)]
    assert found(scan(files, registry)) == [("app.py", 12)]


def test_scan_of_a_project_with_python2_and_broken_files_reports_them_and_goes_on(tmp_path):
    (tmp_path / "legacy.py").write_text("import db\nprint 'session', db.query(Note)\n")
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "api.py").write_text("from models import Note\n\ndef get(db, note_id):\n"
                                     "    return db.get(Note, note_id)\n")
    (tmp_path / "latin1.py").write_bytes("# caf\xe9\nsession = None\n".encode("latin-1"))
    result = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "Traceback" not in result.stderr
    assert [(f["location"]["path"], f["rule_id"]) for f in report["findings"]] == [("api.py",
                                                                                    "tenant-query-unscoped")]
    assert {"path": "legacy.py", "reason": "syntax-error"}.items() <= {
        k: v for s in report["skipped"] if s["path"] == "legacy.py" for k, v in s.items()}.items()


def test_raw_sql_in_a_module_level_constant(registry):
    result = scan({"app.py": MODELS + """
NOTE_BY_ID = "SELECT * FROM notes WHERE id = %s"

def get_note(cursor, note_id):
    cursor.execute(NOTE_BY_ID, (note_id,))
    return cursor.fetchone()
"""}, registry, rules=("tenant-sql-unscoped",))
    assert found(result) == [("app.py", 10)]
