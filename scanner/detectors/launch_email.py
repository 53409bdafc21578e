"""Email authentication records kept as code (Terraform, DNS zone files): SPF, DKIM, DMARC.

- ``email-spf-permissive``: an SPF record whose ``all`` mechanism lets anyone send (``+all``, ``all``,
  ``?all``).
- ``email-dmarc-missing``: SPF records in the project but no DMARC record anywhere in it.
- ``email-dmarc-policy-none``: a DMARC record with ``p=none`` (reports only, protects nothing).

SPF with ``-all``/``~all``, DKIM keys and DMARC with ``quarantine``/``reject`` are positive evidence
for the ``email-auth`` check only when the project has all three. Only files that contain such a record
are examined, so a project that keeps DNS elsewhere stays "not checked".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import ClassVar

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact

DNS_FILE_SUFFIXES = (".tf", ".tf.json", ".zone", ".bind", ".hcl")
SPF = re.compile(r"v=spf1\b[^\"'\n]*", re.I)
DMARC = re.compile(r"v=DMARC1\b[^\"'\n]*", re.I)
DKIM = re.compile(r"v=DKIM1\b", re.I)
ALL_MECHANISM = re.compile(r"(?:^|\s)(?P<qualifier>[-~+?]?)all(?=\s|$)", re.I)
DMARC_POLICY = re.compile(r"(?:^|;)\s*p\s*=\s*(?P<policy>[a-z]+)", re.I)
MARKERS = ("v=spf1", "v=dmarc1", "v=dkim1")


def is_dns_file(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.endswith(DNS_FILE_SUFFIXES) or name.startswith("db.")


def _seen() -> dict[str, bool]:
    return {"spf": False, "strict_spf": False, "dmarc": False, "enforced_dmarc": False, "dkim": False}


class EmailAuthDetector(Detector):
    """SPF, DKIM and DMARC records in infrastructure code and zone files."""

    rule_ids: ClassVar[tuple[str, ...]] = ("email-spf-permissive", "email-dmarc-missing", "email-dmarc-policy-none")
    needs_index = True
    BUCKET = "launch-email"

    def wants(self, artifact: Artifact) -> bool:
        if not is_dns_file(artifact.path):
            return False
        lowered = artifact.text.lower()
        return any(marker in lowered for marker in MARKERS)

    def index(self, artifact: Artifact, ctx: Context) -> None:
        seen: dict[str, bool] = ctx.facts.bucket(self.BUCKET, _seen)
        for match in SPF.finditer(artifact.text):
            seen["spf"] = True
            seen["strict_spf"] |= self._qualifier(match.group()) in {"-", "~"}
        for match in DMARC.finditer(artifact.text):
            seen["dmarc"] = True
            seen["enforced_dmarc"] |= self._policy(match.group()) in {"quarantine", "reject"}
        seen["dkim"] |= DKIM.search(artifact.text) is not None

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        seen = ctx.facts.bucket(self.BUCKET, _seen)
        # Evidence only when the project has all three, each set to protect: SPF ending -all/~all, a DKIM
        # key and DMARC at quarantine/reject. Any one missing leaves the check at "no issue found".
        complete = seen["strict_spf"] and seen["enforced_dmarc"] and seen["dkim"]
        for match in SPF.finditer(artifact.text):
            ctx.examined("email-auth", "SPF record")
            record = match.group().strip()
            span = ctx.span(match.start(), match.start() + len(record))
            qualifier = self._qualifier(record)
            if complete and qualifier in {"-", "~"}:
                ctx.evidence("email-auth", f"SPF ({qualifier}all) in {artifact.path}")
            if qualifier in {"", "+", "?"}:
                yield ctx.finding("email-spf-permissive", span, key=record,
                                  message=f"SPF record ends in '{qualifier}all': any server may send mail as this "
                                          "domain")
            if not seen["dmarc"]:
                yield ctx.finding("email-dmarc-missing", span, key=record,
                                  message="SPF record but no DMARC record (_dmarc TXT 'v=DMARC1; p=...') in the "
                                          "project")
        for match in DMARC.finditer(artifact.text):
            ctx.examined("email-auth", "DMARC record")
            record = match.group().strip()
            policy = self._policy(record)
            if complete and policy in {"quarantine", "reject"}:
                ctx.evidence("email-auth", f"DMARC (p={policy}) in {artifact.path}")
            if policy == "none":
                yield ctx.finding("email-dmarc-policy-none", ctx.span(match.start(), match.start() + len(record)),
                                  key=record, message="DMARC policy is p=none: spoofed mail is still delivered")
        dkim = len(DKIM.findall(artifact.text))
        ctx.examined("email-auth", "DKIM key", dkim)
        if complete and dkim:
            ctx.evidence("email-auth", f"DKIM key in {artifact.path}")

    @staticmethod
    def _qualifier(spf: str) -> str | None:
        """The qualifier of the record's ``all`` mechanism ('' for a bare ``all``), None without one."""
        found = ALL_MECHANISM.search(spf)
        return found.group("qualifier") if found else None

    @staticmethod
    def _policy(dmarc: str) -> str | None:
        found = DMARC_POLICY.search(dmarc)
        return found.group("policy").lower() if found else None
