"""ScanResult: everything reporters receive about one scan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scanner import __version__
from scanner.config import Config
from scanner.coverage import Examined
from scanner.model import Confidence, Finding, Notice, Severity
from scanner.rules import Registry


@dataclass(frozen=True)
class AuditInfo:
    """What an audit (``launchready audit``) ignored in the scanned repository, and what it covered.

    Findings the repository would have hidden carry ``Finding.repository_suppressions``; this holds the
    rest of the report header: the repository's own settings, what was scanned and what was not.
    """

    #: Where the repository's own configuration is ("" when it has none), and the error when it is unreadable.
    repository_config: str = ""
    repository_config_error: str = ""
    #: ``Config.what_it_changes()`` of the repository's configuration (rules disabled, paths excluded...).
    repository_settings: dict[str, Any] = field(default_factory=dict)
    #: Baseline files the repository carries (matched against the findings), and any that could not be read.
    baselines: tuple[str, ...] = ()
    baseline_errors: tuple[str, ...] = ()
    #: Sources scanned, as shown in the header ("working tree: 412 files", "git history: 1,203 commits").
    scanned: tuple[str, ...] = ()
    #: Sources that were not scanned, each with the reason ("git history: not a git repository").
    not_scanned: tuple[str, ...] = ()
    #: Files read from the working tree (and other file sources), and commits read from history (None: none).
    files_scanned: int = 0
    commits_scanned: int | None = None


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
    #: Set by an audit only: the report header's account of what the repository would have hidden.
    audit: AuditInfo | None = None

    def repository_suppressed(self) -> dict[str, int]:
        """Findings the scanned repository would have hidden or lowered, by mechanism (audits only)."""
        counts = Counter(s.kind for f in self.findings for s in f.repository_suppressions)
        return dict(sorted(counts.items()))

    @property
    def active(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [f for f in self.findings if f.suppression is None]

    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.active)
        return {sev.label: counts.get(sev, 0) for sev in sorted(Severity, reverse=True)}

    def failing(self, fail_on: str) -> list[Finding]:
        """Unsuppressed findings that fail the scan: severity at or above ``fail_on``, and confidence
        above low (a low-confidence finding, such as a key in a test or a docs example, is reported but
        is not one a person must act on before launch; see docs/secrets.md, "Confidence and exit code")."""
        if fail_on == "none":
            return []
        threshold = Severity.parse(fail_on)
        return [f for f in self.active if counts_against(f, threshold)]

    def fails(self, fail_on: str) -> bool:
        """True when a finding fails the scan (see :meth:`failing`)."""
        return bool(self.failing(fail_on))


def counts_against(finding: Finding, threshold: Severity) -> bool:
    """The one rule for what a finding blocks (the exit code, a scorecard check): severity at or above
    ``threshold`` and confidence above low."""
    return finding.severity >= threshold and finding.confidence > Confidence.LOW
