"""The data every part of the pipeline shares: severities, rules, locations, findings."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: Dataclass field metadata key: the field holds our own vocabulary (a rule id, a check, a hash, a reason
#: code), never scanned text, so the redactor leaves it alone (``scanner.redact.Redactor.value``).
VERBATIM = "verbatim"
_VERBATIM = {VERBATIM: True}

#: The eleven launch-readiness checks of the scorecard, in display order.
CHECKS: tuple[str, ...] = (
    "auth",
    "tenant-isolation",
    "secrets",
    "input-validation",
    "rate-limits",
    "cors",
    "logging",
    "email-auth",
    "tls",
    "monitoring",
    "agent-tools",
)

#: Where an artifact came from.
ORIGIN_KINDS: tuple[str, ...] = ("worktree", "history", "staged", "bundle", "ci-log")

RULE_KINDS: tuple[str, ...] = ("secret", "code", "semgrep")

RULE_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _OrderedLabel(enum.IntEnum):
    """An ordered enum whose members are named by lowercase labels."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> _OrderedLabel:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(m.label for m in cls)
            raise ValueError(f"unknown {cls.__name__.lower()} {text!r} (choose from {choices})") from None

    def __str__(self) -> str:
        return self.label


class Severity(_OrderedLabel):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Confidence(_OrderedLabel):
    LOW = 0
    MEDIUM = 1
    HIGH = 2


def frozen_mapping(data: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only copy of ``data``, for mapping fields of frozen dataclasses."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Origin:
    """Where scanned text came from; history findings also carry the introducing commit."""

    kind: str = "worktree"
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    #: History only: is the secret still in this file at HEAD, and in how many commits did it appear.
    present_at_head: bool | None = None
    commit_count: int | None = None


@dataclass(frozen=True)
class Location:
    """A 1-based region of a file, relative to the scan root, with a redacted snippet."""

    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    snippet: str = ""
    #: A few redacted lines around the finding as (line number, text), every secret masked (HTML report).
    excerpt: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not counted: an inline comment or a baseline entry.

    The same shape records, in an audit, what the scanned repository *would* have hidden
    (``Finding.repository_suppressions``): kinds ``inline``, ``baseline``, ``config-disable``,
    ``config-exclude``, ``config-severity`` and ``config-size-limit``.
    """

    kind: str  # "inline" | "baseline" (| the config-* kinds above, for repository suppressions)
    reason: str = ""


@dataclass(frozen=True)
class Examples:
    """A rule's own examples. ``positive`` must be found, ``negative`` must not; ``todo_*`` are known gaps."""

    positive: tuple[Any, ...] = ()
    negative: tuple[Any, ...] = ()
    todo_positive: tuple[Any, ...] = ()
    todo_negative: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A declarative rule loaded from ``rules/``."""

    id: str
    title: str
    kind: str
    severity: Severity
    confidence: Confidence
    check: str
    description: str
    remediation: str
    examples: Examples
    cwe: tuple[str, ...] = ()
    owasp: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source_file: str = ""
    #: Kind-specific settings (a secret rule's regex, keywords, entropy; a code rule's options).
    options: Mapping[str, Any] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class Finding:
    """One problem at one place, with everything a reporter needs and no raw secret."""

    rule_id: str = field(metadata=_VERBATIM)
    message: str
    location: Location
    origin: Origin
    severity: Severity
    confidence: Confidence
    check: str = field(metadata=_VERBATIM)
    fingerprint: str = field(metadata=_VERBATIM)
    secret_hash: str | None = field(default=None, metadata=_VERBATIM)
    evidence: Mapping[str, Any] = field(default_factory=frozen_mapping)
    suppression: Suppression | None = None
    #: SHA-1 of the secret: detect-secrets' ``hashed_secret``, kept only to read and write its baselines.
    secret_sha1: str | None = field(default=None, metadata=_VERBATIM)
    #: Audit only: what the scanned repository's own configuration, comments or baseline would have done to
    #: this finding (hide it or lower it). The finding still counts: ``suppression`` stays None.
    repository_suppressions: tuple[Suppression, ...] = ()

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


@dataclass(frozen=True)
class Notice:
    """A file or object the scan skipped (or read only in part), and why."""

    path: str
    reason: str = field(metadata=_VERBATIM)
    detail: str = ""


@dataclass(frozen=True)
class Artifact:
    """One unit of text to scan: a file, a blob at a commit, the added lines of a staged file."""

    path: str
    text: str
    kind: str
    origin: Origin = Origin()
    #: Line number in the real file of the artifact's first line (staged hunks and diffs start mid-file).
    first_line: int = 1
    #: For text built from pieces of a file (diff hunks), artifact line -> real line; None means contiguous.
    line_map: tuple[int, ...] | None = None

    def real_line(self, line: int) -> int:
        """Map a 1-based line of ``text`` to the line number in the scanned file."""
        if self.line_map is not None and 0 < line <= len(self.line_map):
            return self.line_map[line - 1]
        return self.first_line + line - 1
