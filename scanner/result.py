"""ScanResult: everything reporters receive about one scan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scanner import __version__
from scanner.config import Config
from scanner.coverage import Examined
from scanner.model import Finding, Notice, Severity
from scanner.rules import Registry


@dataclass
class ScanResult:
    """Everything reporters need about one scan."""

    root: str
    registry: Registry
    config: Config
    findings: list[Finding]
    skipped: list[Notice]
    warnings: list[Notice]
    sources: list[str]
    started_at: str
    duration_seconds: float
    artifacts_scanned: int
    rules_run: list[str]
    stats: dict[str, Any] = field(default_factory=dict)
    #: Rules whose detector examined at least one artifact (a rule that ran on no relevant file checked nothing).
    rules_applied: list[str] = field(default_factory=list)
    #: Positive evidence that a check is met, by check (``Context.evidence``), in artifact order.
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: What the rules of each check examined (``Context.examined``): "14 Flask routes in 3 files".
    examined: dict[str, tuple[Examined, ...]] = field(default_factory=dict)
    #: Project-level tables detectors built (``Detector.tables``), e.g. ``env_inventory``.
    tables: dict[str, Any] = field(default_factory=dict)
    tool_version: str = __version__

    @property
    def active(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [f for f in self.findings if f.suppression is None]

    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.active)
        return {sev.label: counts.get(sev, 0) for sev in sorted(Severity, reverse=True)}

    def fails(self, fail_on: str) -> bool:
        """True when an unsuppressed finding is at or above the ``fail_on`` threshold."""
        if fail_on == "none":
            return False
        threshold = Severity.parse(fail_on)
        return any(f.severity >= threshold for f in self.active)
