"""Which ORM models (and tables) are tenant-owned, learned from the whole project.

A model is tenant-owned when it has a column or foreign key named like a configured tenant key
(``workspace_id``, ``org_id``...) or owner key (``user_id``, ``coach_id``...), or a key learned from the
schema (:meth:`ModelIndex.learned_keys`: a foreign key to a tenant-like table that many models share), or
when the configuration lists it in ``tenant_models``. Declarations are read from a stdlib :mod:`ast` outline
of each file's top-level classes (no libcst parse). Recognised declarations:

- SQLAlchemy declarative: ``workspace_id = Column(...)``, ``= mapped_column(...)``,
  ``workspace_id: Mapped[int]``, ``Column("workspace_id", ...)``;
- SQLModel (``class Note(SQLModel, table=True)``): ``workspace_id: int = Field(foreign_key=...)``;
- Django: ``workspace = models.ForeignKey(Workspace, ...)`` (column ``workspace_id``) or a plain field
  named like a key;
- peewee: ``owner = ForeignKeyField(User, backref="notes")`` (column ``owner_id``), ``workspace_id =
  IntegerField()``.

Keys inherited from a base class or mixin in the project count too. A model without a key of its own is
owned through a foreign key to an owned model (``ServiceRequest.vehicle -> Vehicle.owner``, up to three
hops): that foreign key is then its key, so a query filtered on the parent (``vehicle__owner=user``,
``vehicle=vehicle``) is scoped and a lookup by its own id alone is not. Table names are kept for raw
SQL: ``__tablename__``, Django ``Meta.db_table`` (default ``<app>_<model>``), SQLModel's lowercase name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.context import ProjectFacts

BUCKET = "python-models"

_COLUMN_CALLS = {"Column", "mapped_column", "relationship_column"}
#: Django and peewee relation fields: ``owner = ForeignKey(User)`` stores ``owner_id``.
_RELATIONS = {"ForeignKey", "OneToOneField", "ForeignKeyField", "DeferredForeignKey"}
#: How many foreign-key hops ownership is followed (Feedback -> Step -> Thread -> owner).
_OWNERSHIP_HOPS = 3
#: Tables a tenant is usually called (as :func:`~scanner.analysis.data.model.table_name` spells them): a foreign
#: key to one of these that many models share is the project's tenant key (mealie's ``group_id``, taiga's
#: ``project``), even when the configuration does not name it.
TENANT_TABLES = frozenset({"group", "workspace", "team", "org", "organization", "organisation", "project", "account",
                           "household", "tenant", "company", "space"})
#: How many models must share such a foreign key for it to be a tenant key.
LEARNED_KEY_MODELS = 3


@dataclass
class ModelClass:
    """One ORM model class as declared (its own key columns, bases and table)."""

    name: str
    path: str
    bases: tuple[str, ...]
    columns: set[str] = field(default_factory=set)
    table: str | None = None
    #: Foreign-key column -> the model class (or, for ``ForeignKey("notes.id")``, the table) it references.
    references: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantModel:
    """A tenant-owned model: the key columns that scope its rows to a tenant or an owner.

    ``keys`` are the model's own tenant/owner columns or, when it has none, its foreign keys to owned
    models (``parents`` names those models).
    """

    name: str
    path: str
    keys: tuple[str, ...]
    table: str | None
    parents: tuple[str, ...] = ()
    #: Relation attributes (``vehicle`` for ``vehicle_id``) of every foreign key the model declares.
    relations: frozenset[str] = frozenset()

    @property
    def filter_names(self) -> frozenset[str]:
        """Names that constrain a query to a tenant: the keys and, for ``x_id``, the relation ``x``."""
        names = set(self.keys)
        names.update(key[:-3] for key in self.keys if key.endswith("_id"))
        return frozenset(names)


@dataclass
class ModelIndex:
    """Model classes seen across the project; tenant ownership is resolved on demand."""

    classes: dict[str, list[ModelClass]] = field(default_factory=dict)
    _resolved: dict[str, TenantModel | None] = field(default_factory=dict)
    _mentions: tuple[re.Pattern[str] | None] | None = None
    _learned: frozenset[str] | None = None

    def add(self, model: ModelClass) -> None:
        self.classes.setdefault(model.name, []).append(model)
        self._resolved.clear()
        self._mentions = None
        self._learned = None

    def learned_keys(self) -> frozenset[str]:
        """Tenant keys learned from the schema: foreign-key columns to a tenant-like table (:data:`TENANT_TABLES`)
        that at least :data:`LEARNED_KEY_MODELS` models declare or inherit (``group_id -> groups.id``)."""
        if self._learned is None:
            from scanner.analysis.data.model import table_name

            users: dict[str, set[str]] = {}
            for name in self.classes:
                for column, target in self._references(name, set()).items():
                    if table_name(target) in TENANT_TABLES and table_name(name) not in TENANT_TABLES:
                        users.setdefault(column, set()).add(name)
            self._learned = frozenset(c for c, names in users.items() if len(names) >= LEARNED_KEY_MODELS)
        return self._learned

    def mention_pattern(self, config: Config) -> re.Pattern[str] | None:
        """A regex matching text that names a tenant-owned model or its table as declared (case matters: a
        docstring's "address" is not the model ``Address``); None when there are none."""
        if self._mentions is None:
            words = set()
            for name in self.classes:
                model = self.tenant_model(name, config)
                if model is not None:
                    words.update(w for w in (model.name, model.table) if w)
            alternatives = "|".join(sorted(map(re.escape, words)))
            self._mentions = (re.compile(rf"\b(?:{alternatives})\b") if words else None,)
        return self._mentions[0]

    def tenant_model(self, name: str, config: Config) -> TenantModel | None:
        """The tenant-owned model called ``name`` (a class name), or None."""
        if name not in self._resolved:
            self._resolved[name] = self._resolve(name, config)
        return self._resolved[name]

    def tenant_table(self, table: str, config: Config) -> TenantModel | None:
        """The tenant-owned model stored in ``table`` (case-insensitive), or None."""
        wanted = table.lower()
        for name, declared in self.classes.items():
            if any((m.table or "").lower() == wanted for m in declared):
                model = self.tenant_model(name, config)
                if model is not None:
                    return model
        return None

    def _resolve(self, name: str, config: Config, hops: int = _OWNERSHIP_HOPS) -> TenantModel | None:
        declared = self.classes.get(name)
        if not declared:
            return None
        model = declared[0]
        wanted = set(config.tenant_keys) | set(config.owner_keys) | self.learned_keys()
        references = self._references(name, set())
        relations = frozenset(column[:-3] for column in references if column.endswith("_id"))
        keys = sorted(self._columns(name, set()) & wanted)
        parents: list[str] = []
        if not keys and hops > 0:
            for column, target in sorted(references.items()):
                parent = self._owned_parent(target, name, config, hops - 1)
                if parent is not None:
                    keys.append(column)
                    parents.append(parent)
        if not keys and name not in config.tenant_models:
            return None
        return TenantModel(name, model.path, tuple(keys), model.table, tuple(parents), relations)

    def _owned_parent(self, target: str, child: str, config: Config, hops: int) -> str | None:
        """The owned model a foreign key of ``child`` references (by class or table name), or None."""
        names = [target] if target in self.classes else [
            name for name, declared in self.classes.items() if any((m.table or "").lower() == target.lower()
                                                                   for m in declared)]
        for name in names:
            if name == child:
                continue
            resolved = self._resolved[name] if name in self._resolved else self._resolve(name, config, hops)
            if resolved is not None:
                return name
        return None

    def _columns(self, name: str, seen: set[str]) -> set[str]:
        if name in seen or name not in self.classes:
            return set()
        seen.add(name)
        columns: set[str] = set()
        for model in self.classes[name]:
            columns |= model.columns
            for base in model.bases:
                columns |= self._columns(base, seen)
        return columns

    def _references(self, name: str, seen: set[str]) -> dict[str, str]:
        if name in seen or name not in self.classes:
            return {}
        seen.add(name)
        references: dict[str, str] = {}
        for model in self.classes[name]:
            for base in model.bases:
                references.update(self._references(base, seen))
            references.update(model.references)
        return references


def model_index(facts: ProjectFacts) -> ModelIndex:
    return facts.bucket(BUCKET, ModelIndex)


def key_names(facts: ProjectFacts) -> frozenset[str]:
    """The project's tenant/owner keys (configured and learned from its schema) and, for ``x_id``, the
    relation ``x``: the names that scope a filter or a check."""
    keys = {*facts.config.tenant_keys, *facts.config.owner_keys, *model_index(facts).learned_keys()}
    return frozenset(keys | {k[:-3] for k in keys if k.endswith("_id")})


def index_models(path: str, text: str, facts: ProjectFacts) -> None:
    """Record every top-level class of a Python file that declares ORM columns (or derives from a class that
    may), read from a stdlib :mod:`ast` outline: about eight times cheaper than a libcst parse, and all the
    model index needs (names, bases, columns, foreign keys, tables). Files Python cannot parse are left out
    (the checks that parse them report why)."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    index = model_index(facts)
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            model = _model_class(statement, path)
            if model is not None:
                index.add(model)


def _leaf(expr: ast.expr | None) -> str:
    """The last name of a callee or type: ``db.session.get`` -> ``get``, ``Mapped[int]`` -> ``Mapped``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, (ast.Subscript, ast.Call)):
        return _leaf(expr.value if isinstance(expr, ast.Subscript) else expr.func)
    return ""


def _string(expr: ast.expr | None) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


def _model_class(node: ast.ClassDef, path: str) -> ModelClass | None:
    bases = tuple(_leaf(base) for base in node.bases)
    sqlmodel_table = any(keyword.arg == "table" for keyword in node.keywords)
    model = ModelClass(node.name, path, bases)
    is_model = sqlmodel_table
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            model.table = _django_table(item) or model.table
            continue
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            target, value, annotation = item.targets[0], item.value, None
        elif isinstance(item, ast.AnnAssign):
            target, value, annotation = item.target, item.value, item.annotation
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if target.id == "__tablename__" and _string(value) is not None:
            model.table = _string(value)
            is_model = True
            continue
        column = _column_name(target.id, value, annotation, sqlmodel_table)
        if column is not None:
            model.columns.add(column)
            is_model = True
            reference = _reference(value)
            if reference is not None:
                model.references[column] = reference
    if not is_model and not bases:
        return None
    if model.table is None:
        model.table = _default_table(model, path, sqlmodel_table)
    return model


def _positional(call: ast.Call) -> ast.expr | None:
    return call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None


def _column_name(name: str, value: ast.expr | None, annotation: ast.expr | None, sqlmodel_table: bool) -> str | None:
    """The database column an attribute declares, or None when it is not a column."""
    if annotation is not None and _leaf(annotation) == "Mapped":
        return name
    if not isinstance(value, ast.Call):
        return None
    callee = _leaf(value.func)
    if callee in _COLUMN_CALLS:
        return _string(_positional(value)) or name
    if callee == "Field" and sqlmodel_table:
        return name
    if callee in _RELATIONS:
        return name if name.endswith("_id") else f"{name}_id"
    if callee.endswith("Field") and callee != "Field" and (
            isinstance(value.func, ast.Name) or (isinstance(value.func, ast.Attribute)
                                                 and _leaf(value.func.value) == "models")):
        return name
    return None


def _reference(value: ast.expr | None) -> str | None:
    """What a column's foreign key points at: a class (``ForeignKey(Vehicle)``, ``"app.Vehicle"``) or a
    table (``ForeignKey("vehicles.id")``, ``Field(foreign_key="vehicle.id")``); None for plain columns."""
    if not isinstance(value, ast.Call):
        return None
    callee = _leaf(value.func)
    if callee in _RELATIONS:
        first = _positional(value)
        for keyword in value.keywords:
            if keyword.arg in ("to", "model"):
                first = keyword.value
        text = _string(first)
        if text is not None:
            return text.split(".", 1)[0] if callee == "ForeignKey" and "." in text and text.endswith(".id") \
                else text.rsplit(".", 1)[-1]
        return _leaf(first) if first is not None else None
    for keyword in value.keywords:
        if keyword.arg == "foreign_key" and _string(keyword.value) is not None:
            return _string(keyword.value).split(".", 1)[0]
    for inner in value.args:
        if isinstance(inner, ast.Call) and _leaf(inner.func) == "ForeignKey" and _string(_positional(inner)):
            return _string(_positional(inner)).split(".", 1)[0]
    return None


def _django_table(meta: ast.ClassDef) -> str | None:
    for item in meta.body:
        if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name) and item.targets[0].id == "db_table":
            return _string(item.value)
    return None


def _default_table(model: ModelClass, path: str, sqlmodel_table: bool) -> str | None:
    if sqlmodel_table:
        return model.name.lower()
    if "Model" in model.bases and PurePosixPath(path).name == "models.py":
        app = PurePosixPath(path).parent.name
        return f"{app}_{model.name.lower()}" if app else None
    return None
