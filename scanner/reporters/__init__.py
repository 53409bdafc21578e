"""Output formats. Register a reporter here: the CLI offers ``--format NAME`` and ``--NAME FILE`` for it.

Reporters are imported lazily (by module path) so a text-only scan never imports a template engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scanner.result import ScanResult

#: format name -> "module:Class"
REPORTERS: dict[str, str] = {
    "text": "scanner.reporters.text:TextReporter",
    "json": "scanner.reporters.json:JsonReporter",
    "sarif": "scanner.reporters.sarif:SarifReporter",
    "html": "scanner.reporters.html:HtmlReporter",
}


class Reporter(Protocol):
    def __init__(self, *, verbose: bool = False, color: bool = False) -> None: ...

    def render(self, result: ScanResult) -> str: ...


def get_reporter(name: str, *, verbose: bool = False, color: bool = False) -> Reporter:
    """Instantiate the reporter registered under ``name``."""
    module_name, class_name = REPORTERS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(verbose=verbose, color=color)
