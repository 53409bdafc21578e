"""The launch-readiness scorecard: findings plus positive evidence -> the eleven checks of ``model.CHECKS``.

Each check gets one status, computed from rule metadata only (a rule's ``check``), never from a list
of rule ids, so new rules count as soon as they exist:

- ``fail``: at least one unsuppressed finding of that check with severity ``medium`` or higher.
- ``pass``: the check was examined and nothing at ``medium`` or higher was found. Findings of
  severity ``low``/``info`` are counted as warnings but do not fail the check.
- ``not-checked``: no rule of that check examined any file of this scan (its detector saw no
  relevant file, the rule is disabled, or no such rule exists yet) and there is no positive evidence.
  "Not checked" is not "pass": nothing was looked at.

A check counts as examined when a rule of that check examined at least one file
(``ScanResult.rules_applied``), when a detector recorded positive evidence for it
(``ScanResult.evidence``: a rate limiter configured, error tracking initialised...), or when it has
findings. The verdict is launch-ready only when no check fails; it always says how many checks were
not checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.model import CHECKS, Finding, Severity

if TYPE_CHECKING:
    from scanner.engine import ScanResult

#: The lowest severity of an unsuppressed finding that fails its check.
FAIL_AT = Severity.MEDIUM

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not-checked"


@dataclass(frozen=True)
class CheckInfo:
    """How a check is shown: a title and, in plain words, what breaks if it fails."""

    title: str
    breaks: str


CHECK_INFO: dict[str, CheckInfo] = {
    "auth": CheckInfo(
        "Auth enforced on every route",
        "Anyone on the internet can call an endpoint that should need a login, and read or change data."),
    "tenant-isolation": CheckInfo(
        "Authorization per tenant",
        "One customer can read or edit another customer's records by changing an id in a request."),
    "secrets": CheckInfo(
        "Secrets server-side only",
        "A leaked key lets strangers spend your money on paid APIs, read your data or impersonate you."),
    "input-validation": CheckInfo(
        "Input validation",
        "Unchecked input reaches queries, shells, files or prompts: injection, crashes and runaway costs."),
    "rate-limits": CheckInfo(
        "Rate limits",
        "One script can brute-force logins or burn through your LLM budget overnight."),
    "cors": CheckInfo(
        "CORS restricted",
        "Any website can call your API with your users' browser sessions."),
    "logging": CheckInfo(
        "Logging safe",
        "Passwords, tokens or personal data end up in logs that many people and vendors can read."),
    "email-auth": CheckInfo(
        "Email authentication (SPF, DKIM, DMARC)",
        "Your emails land in spam, and anyone can send phishing mail that appears to come from you."),
    "tls": CheckInfo(
        "TLS and redirects",
        "Traffic or session cookies travel unencrypted and can be read or changed on the way."),
    "monitoring": CheckInfo(
        "Monitoring and alerting",
        "The app breaks or is attacked and nobody notices until customers complain."),
    "agent-tools": CheckInfo(
        "Agent tools gated by human confirmation",
        "A prompt injection makes the AI agent send emails, delete data or spend money on its own."),
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
    evidence: tuple[str, ...] = ()

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())

    @property
    def failing(self) -> int:
        """Findings at or above :data:`FAIL_AT`."""
        return sum(n for sev, n in self.by_severity.items() if Severity.parse(sev) >= FAIL_AT)

    @property
    def warnings(self) -> int:
        return self.findings - self.failing

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "status": self.status,
            "findings": self.findings,
            "failing": self.failing,
            "warnings": self.warnings,
            "suppressed": self.suppressed,
            "by_severity": dict(self.by_severity),
            "rules_applied": self.rules_applied,
            "evidence": list(self.evidence),
            "breaks": self.breaks,
        }


@dataclass(frozen=True)
class Scorecard:
    """The eleven checks, in ``model.CHECKS`` order, and the verdict."""

    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    def with_status(self, status: str) -> list[CheckResult]:
        return [c for c in self.checks if c.status == status]

    @property
    def launch_ready(self) -> bool:
        return not self.with_status(FAIL)

    @property
    def verdict(self) -> str:
        """One line, e.g. ``Not launch-ready: 2 of 11 checks fail (secrets, auth); 3 not checked.``"""
        failing = self.with_status(FAIL)
        unchecked = len(self.with_status(NOT_CHECKED))
        total = len(self.checks)
        tail = f"; {unchecked} not checked" if unchecked else ""
        if failing:
            names = ", ".join(c.check for c in failing)
            return f"Not launch-ready: {len(failing)} of {total} checks fail ({names}){tail}."
        return f"Launch-ready: no check fails{tail}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "launch_ready": self.launch_ready,
            "verdict": self.verdict,
            "fail_at": FAIL_AT.label,
            "checks": [c.to_dict() for c in self.checks],
        }


def _check_result(check: str, findings: list[Finding], applied: int, evidence: tuple[str, ...]) -> CheckResult:
    active = [f for f in findings if not f.suppressed]
    counts = Counter(f.severity for f in active)
    by_severity = {sev.label: counts.get(sev, 0) for sev in sorted(Severity, reverse=True)}
    if any(f.severity >= FAIL_AT for f in active):
        status = FAIL
    elif applied or evidence or findings:
        status = PASS
    else:
        status = NOT_CHECKED
    info = CHECK_INFO[check]
    return CheckResult(check=check, title=info.title, breaks=info.breaks, status=status,
                       by_severity=by_severity, suppressed=len(findings) - len(active),
                       rules_applied=applied, evidence=tuple(evidence))


def build_scorecard(result: ScanResult) -> Scorecard:
    """Score every check of ``model.CHECKS`` for one scan."""
    by_check: dict[str, list[Finding]] = {check: [] for check in CHECKS}
    for finding in result.findings:
        by_check.setdefault(finding.check, []).append(finding)
    applied = Counter(result.registry.get(rule_id).check for rule_id in result.rules_applied
                      if rule_id in result.registry)
    return Scorecard(tuple(
        _check_result(check, by_check[check], applied[check], result.evidence.get(check, ()))
        for check in CHECKS
    ))
