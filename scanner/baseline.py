"""Baselines: known findings that a scan reports as suppressed ("baseline") instead of new.

Two formats are read, told apart by their content:

* launchready's ``.launchready-baseline.json`` (written by ``launchready baseline``)::

      {"format": "launchready-baseline", "version": 1, "generated_at": "...",
       "findings": [{"fingerprint": "<sha256>", "rule_id": "...", "path": "...", "secret_sha256": "<sha256>|null"}]}

  A finding matches an entry with its fingerprint, or failing that (the occurrence index moved) with
  the same rule, path and secret hash.
* detect-secrets' ``.secrets.baseline`` (``results: {path: [{hashed_secret, type, line_number}]}``):
  a secret finding matches when its path and the SHA-1 of its secret (``hashed_secret``) match; the
  rule is not compared, since the two tools name secret types differently.

Neither format holds a secret: only SHA-256/SHA-1 hashes, rule ids and paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.model import Finding, Suppression

DEFAULT_FILE = ".launchready-baseline.json"
FORMAT = "launchready-baseline"
VERSION = 1
#: The detect-secrets release whose baseline layout we write (it reads older and newer 1.x files).
DETECT_SECRETS_VERSION = "1.5.0"
#: detect-secrets' default plugins, written so that ``detect-secrets scan --baseline`` can update our file.
DETECT_SECRETS_PLUGINS = (
    *({"name": name} for name in (
        "ArtifactoryDetector", "AWSKeyDetector", "AzureStorageKeyDetector", "BasicAuthDetector", "CloudantDetector",
        "DiscordBotTokenDetector", "GitHubTokenDetector", "GitLabTokenDetector", "IbmCloudIamDetector",
        "IbmCosHmacDetector", "IPPublicDetector", "JwtTokenDetector", "MailchimpDetector", "NpmDetector",
        "OpenAIDetector", "PrivateKeyDetector", "PypiTokenDetector", "SendGridDetector", "SlackDetector",
        "SoftlayerDetector", "SquareOAuthDetector", "StripeDetector", "TelegramBotTokenDetector",
        "TwilioKeyDetector")),
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
    {"name": "KeywordDetector", "keyword_exclude": ""},
)


class BaselineError(ValueError):
    """A baseline file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class LaunchreadyBaseline:
    """Known findings from a launchready baseline file."""

    source: str
    fingerprints: frozenset[str]
    secrets: frozenset[tuple[str, str, str]]  # (rule id, path, secret sha256)

    def match(self, finding: Finding) -> Suppression | None:
        known = finding.fingerprint in self.fingerprints or (
            finding.secret_hash is not None
            and (finding.rule_id, finding.location.path, finding.secret_hash) in self.secrets)
        return Suppression("baseline", f"in baseline {self.source}") if known else None


@dataclass(frozen=True)
class DetectSecretsBaseline:
    """Known secrets from a detect-secrets ``.secrets.baseline``: (path, SHA-1 of the secret)."""

    source: str
    hashed: frozenset[tuple[str, str]]

    def match(self, finding: Finding) -> Suppression | None:
        if finding.secret_sha1 and (finding.location.path, finding.secret_sha1) in self.hashed:
            return Suppression("baseline", f"in detect-secrets baseline {self.source}")
        return None


def load_baseline(path: Path) -> LaunchreadyBaseline | DetectSecretsBaseline:
    """Read either baseline format, detected from the content."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise BaselineError(f"baseline {path} is not a baseline: nested too deeply") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return _launchready(data, path)
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return _detect_secrets(data, path)
    raise BaselineError(f"{path} is neither a launchready baseline nor a detect-secrets .secrets.baseline")


def _launchready(data: dict[str, Any], path: Path) -> LaunchreadyBaseline:
    if data.get("version") != VERSION:
        raise BaselineError(f"{path}: unsupported launchready baseline version {data.get('version')!r} "
                            f"(this release reads version {VERSION})")
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BaselineError(f"{path}: 'findings' must be a list of objects")
    return LaunchreadyBaseline(
        source=path.name,
        fingerprints=frozenset(str(e["fingerprint"]) for e in entries if e.get("fingerprint")),
        secrets=frozenset((str(e.get("rule_id")), _norm(e.get("path")), str(e["secret_sha256"]))
                          for e in entries if e.get("secret_sha256")),
    )


def _detect_secrets(data: dict[str, Any], path: Path) -> DetectSecretsBaseline:
    hashed = set()
    for filename, secrets in data["results"].items():
        if not isinstance(secrets, list):
            raise BaselineError(f"{path}: results[{filename!r}] must be a list")
        hashed.update((_norm(filename), str(s["hashed_secret"])) for s in secrets
                      if isinstance(s, dict) and s.get("hashed_secret"))
    return DetectSecretsBaseline(source=path.name, hashed=frozenset(hashed))


def _norm(path: Any) -> str:
    return str(path or "").replace("\\", "/").removeprefix("./")


def _unsuppressed(findings: Iterable[Finding]) -> list[Finding]:
    """Findings a baseline should record: everything not silenced by an inline comment."""
    return [f for f in findings if f.suppression is None or f.suppression.kind == "baseline"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def launchready_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """The ``.launchready-baseline.json`` document for ``findings`` (hashes, rule ids and paths only)."""
    entries = [{"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.location.path,
                "secret_sha256": f.secret_hash} for f in _unsuppressed(findings)]
    entries.sort(key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))
    return {"format": FORMAT, "version": VERSION, "tool": {"name": "launchready", "version": __version__},
            "generated_at": _now(), "findings": entries}


def detect_secrets_document(findings: Iterable[Finding], title_of: dict[str, str]) -> dict[str, Any]:
    """A detect-secrets ``.secrets.baseline`` for the secret findings (``title_of``: rule id -> type)."""
    results: dict[str, list[dict[str, Any]]] = {}
    for f in _unsuppressed(findings):
        if f.secret_sha1:
            results.setdefault(f.location.path, []).append({
                "type": title_of.get(f.rule_id, f.rule_id), "filename": f.location.path,
                "hashed_secret": f.secret_sha1, "is_verified": False, "line_number": f.location.line})
    return {"version": DETECT_SECRETS_VERSION, "plugins_used": list(DETECT_SECRETS_PLUGINS), "filters_used": [],
            "results": dict(sorted(results.items())), "generated_at": _now().replace("+00:00", "Z")}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"
