"""The launch-readiness scorecard: findings, positive evidence and what was examined -> the eleven checks
of ``model.CHECKS``.

Each check gets one status; findings count by rule metadata only (a rule's ``check``), never by a list
of rule ids, so new rules count as soon as they exist. The scorecard says only what the scan saw:

- ``fail``: at least one unsuppressed finding of that check with severity ``medium`` or higher and confidence
  above low (the exit code's rule, ``result.counts_against``; a key in a test fixture is shown, not failed).
- ``pass``: no failing finding, and a detector recorded **positive evidence** that the check is met
  (``ScanResult.evidence``: a limiter applied to the chat routes, HSTS enabled, error tracking
  initialised...). The card names that evidence.
- ``no-issue-found``: no failing finding and no such evidence, but rules of the check examined
  something (``ScanResult.examined``: "14 Flask routes in 3 files", "212 files"), or it has low/info or
  suppressed findings. The card says what was examined. This is not a pass.
- ``not-checked``: no rule of the check could examine anything in this project; the card says why
  (no route of a framework launchready models, no DNS zone or email config...).

The verdict is launch-ready only when every check passes, and never for a scan that read no file; it
counts the checks that fail, found no issue and were not checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.coverage import Examined
from scanner.model import CHECKS, Finding, Severity
from scanner.result import counts_against

if TYPE_CHECKING:
    from scanner.result import ScanResult

#: The lowest severity of an unsuppressed finding that fails its check.
FAIL_AT = Severity.MEDIUM

PASS, FAIL, NO_ISSUE, NOT_CHECKED = "pass", "fail", "no-issue-found", "not-checked"
STATUSES = (FAIL, NO_ISSUE, NOT_CHECKED, PASS)


@dataclass(frozen=True)
class CheckInfo:
    """How a check is shown: a title, in plain words what breaks if it fails, and why a project may give
    its rules nothing to examine (shown when it is not checked)."""

    title: str
    breaks: str
    not_checked: str


CHECK_INFO: dict[str, CheckInfo] = {
    "auth": CheckInfo(
        "Auth enforced on every route",
        "Anyone on the internet can call an endpoint that should need a login, and read or change data.",
        "no route of a framework launchready models (Flask, FastAPI, Starlette, Django, DRF, OpenAPI, "
        "Next.js, Express, Koa, Hono, Fastify, NestJS, tRPC, Wasp, Remix, SvelteKit)"),
    "tenant-isolation": CheckInfo(
        "Authorization per tenant",
        "One customer can read or edit another customer's records by changing an id in a request.",
        "no query on a tenant-owned model, tenant table or agent tool found"),
    "secrets": CheckInfo(
        "Secrets server-side only",
        "A leaked key lets strangers spend your money on paid APIs, read your data or impersonate you.",
        "no file was scanned for secrets"),
    "input-validation": CheckInfo(
        "Input validation",
        "Unchecked input reaches queries, shells, files or prompts: injection, crashes and runaway costs.",
        "no route of a framework launchready models (Python: Flask, FastAPI, Starlette, Django, DRF, OpenAPI; "
        "JavaScript/TypeScript: Next.js, Express, Koa, Hono, Fastify, NestJS, tRPC) and no Django settings found; "
        "server-action arguments are not examined"),
    "rate-limits": CheckInfo(
        "Rate limits",
        "One script can brute-force logins or burn through your LLM budget overnight.",
        "no route of a framework launchready models"),
    "cors": CheckInfo(
        "CORS restricted",
        "Any website can call your API with your users' browser sessions.",
        "no Python code found (CORS is checked in Python web code)"),
    "logging": CheckInfo(
        "Logging safe",
        "Passwords, tokens or personal data end up in logs that many people and vendors can read.",
        "no Python or JavaScript/TypeScript code found (logging and debug settings are checked in both)"),
    "email-auth": CheckInfo(
        "Email authentication (SPF, DKIM, DMARC)",
        "Your emails land in spam, and anyone can send phishing mail that appears to come from you.",
        "no DNS zone or email config found (Terraform, zone files)"),
    "tls": CheckInfo(
        "TLS and redirects",
        "Traffic or session cookies travel unencrypted and can be read or changed on the way.",
        "no Django settings or HTTP client calls found"),
    "monitoring": CheckInfo(
        "Monitoring and alerting",
        "The app breaks or is attacked and nobody notices until customers complain.",
        "no web app or error tracker found"),
    "agent-tools": CheckInfo(
        "Agent tools gated by human confirmation",
        "A prompt injection makes the AI agent send emails, delete data or spend money on its own.",
        "no LLM agent tool found"),
}


@dataclass(frozen=True)
class CheckResult:
    """One row of the scorecard."""

    check: str
    title: str
    breaks: str
    status: str
    #: Unsuppressed findings by severity label (every severity present, zeros included).
    by_severity: dict[str, int]
    suppressed: int
    rules_applied: int
    #: Positive evidence that the check is met, in the detectors' words (what makes it pass).
    evidence: tuple[str, ...] = ()
    #: What its rules examined: ("Flask route", 14 items, 3 files)...
    examined: tuple[Examined, ...] = ()
    #: Why nothing was examined (``not-checked`` only).
    reason: str | None = None

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())

    #: Findings that fail the check (at or above :data:`FAIL_AT`, confidence above low).
    failing: int = 0

    @property
    def warnings(self) -> int:
        return self.findings - self.failing

    @property
    def examined_text(self) -> str:
        """``14 Flask routes in 3 files; 2 chat or auth routes in 1 file``; empty when nothing was recorded."""
        return "; ".join(e.describe() for e in self.examined)

    @property
    def summary(self) -> str:
        """One line: the evidence of a pass, what was examined when no issue was found, why not checked."""
        if self.status == PASS:
            return "; ".join(self.evidence)
        if self.status == NOT_CHECKED:
            return f"not checked: {self.reason}"
        examined = self.examined_text
        if self.status == NO_ISSUE:
            return f"no issue found in {examined}" if examined else "no issue found"
        return f"examined {examined}" if examined else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "findings": self.findings,
            "failing": self.failing,
            "warnings": self.warnings,
            "suppressed": self.suppressed,
            "by_severity": dict(self.by_severity),
            "rules_applied": self.rules_applied,
            "evidence": list(self.evidence),
            "examined": [{"what": e.what, "count": e.count, "files": e.files} for e in self.examined],
            "not_checked_reason": self.reason,
            "breaks": self.breaks,
        }


@dataclass(frozen=True)
class Scorecard:
    """The eleven checks, in ``model.CHECKS`` order, and the verdict."""

    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    #: Artifacts the scan read: a scan that read nothing is never launch-ready.
    artifacts_scanned: int = 0

    def with_status(self, status: str) -> list[CheckResult]:
        return [c for c in self.checks if c.status == status]

    @property
    def counts(self) -> dict[str, int]:
        return {status: len(self.with_status(status)) for status in STATUSES}

    @property
    def launch_ready(self) -> bool:
        """Every check passed, on evidence, in a scan that read at least one file."""
        return self.artifacts_scanned > 0 and bool(self.checks) and all(c.status == PASS for c in self.checks)

    @property
    def verdict(self) -> str:
        """One line, e.g. ``Not launch-ready: 2 of 11 checks fail (secrets, auth); 3 pass; 4 no issue found;
        2 not checked.``"""
        total = len(self.checks)
        if self.launch_ready:
            return f"Launch-ready: all {total} checks pass."
        counts = self.counts
        failing = self.with_status(FAIL)
        if not self.artifacts_scanned:
            head = "no file was scanned"
        elif failing:
            head = f"{len(failing)} of {total} checks fail ({', '.join(c.check for c in failing)})"
        else:
            head = "no check fails"
        tail = [f"{counts[PASS]} pass"]
        if counts[NO_ISSUE]:
            tail.append(f"{counts[NO_ISSUE]} no issue found")
        if counts[NOT_CHECKED]:
            tail.append(f"{counts[NOT_CHECKED]} not checked")
        return f"Not launch-ready: {head}; {'; '.join(tail)}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "launch_ready": self.launch_ready,
            "verdict": self.verdict,
            "fail_at": FAIL_AT.label,
            "counts": self.counts,
            "checks": [c.to_dict() for c in self.checks],
        }


def _check_result(check: str, findings: list[Finding], applied: int, ran: bool, scanned: int,
                  evidence: tuple[str, ...], examined: tuple[Examined, ...]) -> CheckResult:
    active = [f for f in findings if not f.suppressed]
    counts = Counter(f.severity for f in active)
    by_severity = {sev.label: counts.get(sev, 0) for sev in sorted(Severity, reverse=True)}
    info = CHECK_INFO[check]
    reason = None
    failing = sum(counts_against(f, FAIL_AT) for f in active)
    if failing:
        status = FAIL
    elif evidence:
        status = PASS
    elif examined or findings:
        status = NO_ISSUE
    else:
        status = NOT_CHECKED
        reason = ("no file was scanned" if not scanned
                  else "no rule of this check ran (disabled or not selected)" if not ran else info.not_checked)
    return CheckResult(check=check, title=info.title, breaks=info.breaks, status=status,
                       by_severity=by_severity, suppressed=len(findings) - len(active),
                       rules_applied=applied, evidence=evidence, examined=examined, reason=reason, failing=failing)


def build_scorecard(result: ScanResult) -> Scorecard:
    """Score every check of ``model.CHECKS`` for one scan."""
    by_check: dict[str, list[Finding]] = {check: [] for check in CHECKS}
    for finding in result.findings:
        by_check.setdefault(finding.check, []).append(finding)
    registry = result.registry
    applied = Counter(registry.get(rule_id).check for rule_id in result.rules_applied if rule_id in registry)
    ran = {registry.get(rule_id).check for rule_id in result.rules_run if rule_id in registry}
    return Scorecard(tuple(
        _check_result(check, by_check[check], applied[check], check in ran, result.artifacts_scanned,
                      result.evidence.get(check, ()), result.examined.get(check, ()))
        for check in CHECKS
    ), result.artifacts_scanned)
