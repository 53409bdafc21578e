"""Resolve names across the project's modules: which function, class, app object or value a name means.

libcst gives import-resolved qualified names (``.deps.get_user`` for ``from .deps import get_user``);
relative names are made absolute against the importing module, then matched against indexed modules
by dotted-name suffix, so ``app.deps`` finds ``src/app/deps.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from scanner.analysis.routes.python.facts import ModuleFacts, dotted


@dataclass(frozen=True)
class Found:
    """A definition found in a module: ``kind`` is function, class, app or value."""

    facts: ModuleFacts
    kind: str
    name: str
    node: Any


def _absolute(name: str, importer: ModuleFacts) -> str:
    level = len(name) - len(name.lstrip("."))
    if not level:
        return name
    package = importer.module.split(".")
    if not importer.path.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    rest = name[level:]
    return ".".join([*base, rest] if rest else base)


def _local(facts: ModuleFacts, name: str) -> Found | None:
    if name in facts.apps:
        return Found(facts, "app", name, facts.apps[name])
    if name in facts.functions:
        return Found(facts, "function", name, facts.functions[name])
    if name in facts.classes:
        return Found(facts, "class", name, facts.classes[name])
    if name in facts.assignments:
        return Found(facts, "value", name, facts.assignments[name])
    return None


class Resolver:
    """Looks names up in the indexed modules."""

    def __init__(self, modules: Mapping[str, ModuleFacts],
                 load: Callable[[str], list[ModuleFacts]] | None = None):
        """``load(dotted_name)`` parses not-yet-indexed modules of that name on demand (a views module
        without route markers that ``urlpatterns`` points to)."""
        self.modules = modules
        self._load = load
        self._by_name: dict[str, list[ModuleFacts]] = {}
        for facts in modules.values():
            self._register(facts)

    def _register(self, facts: ModuleFacts) -> None:
        parts = facts.module.split(".")
        for start in range(len(parts)):
            self._by_name.setdefault(".".join(parts[start:]), []).append(facts)

    def module(self, dotted_name: str) -> list[ModuleFacts]:
        """Modules whose dotted name is, or ends with, ``dotted_name``."""
        if dotted_name not in self._by_name and self._load is not None:
            for facts in self._load(dotted_name):
                self._register(facts)
        return self._by_name.get(dotted_name, [])

    def qualified(self, facts: ModuleFacts, node: cst.CSTNode) -> list[str]:
        names = sorted(facts.pm.qualified_names(node)) if isinstance(node, (cst.Name, cst.Attribute)) else []
        return names or ([dotted(node)] if dotted(node) else [])

    def find(self, facts: ModuleFacts, node: cst.CSTNode) -> Found | None:
        """The project definition ``node`` (a Name or Attribute) refers to, if it is in an indexed module."""
        for name in self.qualified(facts, node):
            found = self.find_name(facts, name)
            if found is not None:
                return found
        return None

    def find_name(self, facts: ModuleFacts, name: str) -> Found | None:
        if "<locals>" in name:  # a name bound inside a function (an app built in create_app())
            name = name.rsplit(".", 1)[-1]
        local = self._member(facts, name)
        if local is not None and not name.startswith("."):
            return local
        return self.find_absolute(_absolute(name, facts))

    def find_absolute(self, name: str, depth: int = 0) -> Found | None:
        """A definition by absolute dotted name, e.g. connexion's ``operationId: app.api.get_user``; names
        a package re-exports with ``from .module import *`` are followed."""
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            attr = ".".join(parts[split:])
            for module in self._modules_named(parts[:split]):
                found = self._member(module, attr)
                if found is None and depth < 3:
                    found = next((f for star in module.star_imports
                                  if (f := self.find_absolute(f"{_absolute(star, module)}.{attr}", depth + 1))), None)
                if found is not None:
                    return found
        return None

    def _member(self, facts: ModuleFacts, name: str) -> Found | None:
        """A module-level definition, or a method reached through an instance: ``auth_handler.verify``
        where ``auth_handler = AuthHandler()`` resolves to ``AuthHandler.verify``."""
        found = _local(facts, name)
        head, _, attr = name.partition(".")
        value = facts.assignments.get(head)
        if found is not None or not attr or "." in attr or not isinstance(value, cst.Call):
            return found
        cls = self.find(facts, value.func) if isinstance(value.func, (cst.Name, cst.Attribute)) else None
        if cls is None or cls.kind != "class":
            return None
        method = cls.facts.functions.get(f"{cls.name}.{attr}")
        return Found(cls.facts, "function", f"{cls.name}.{attr}", method) if method is not None else None

    def _modules_named(self, parts: list[str]) -> list[ModuleFacts]:
        """Modules named ``parts``; when the scan root is inside the package (``django/`` scanned alone),
        also those named by its tail, as long as two components remain (``contrib.auth.views``)."""
        for drop in range(max(1, len(parts) - 1)):
            found = self.module(".".join(parts[drop:]))
            if found:
                return found
        return []

    def all_facts(self) -> list[ModuleFacts]:
        """Every module indexed so far (a snapshot: resolution may load more)."""
        return list(self.modules.values())
