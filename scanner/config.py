"""Project configuration: ``[tool.launchready]`` in ``pyproject.toml`` or a ``.launchready.toml`` file.

Every key is validated; an unknown key is an error that names it, so a typo never silently
turns a check off.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.model import Severity, frozen_mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILE = ".launchready.toml"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_FAIL_ON = "high"
FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "none")
#: Columns that scope a row to a tenant, and to an owning user; see scanner/analysis/data/python/models.py.
DEFAULT_TENANT_KEYS = ("workspace_id", "org_id", "organization_id", "tenant_id", "account_id", "team_id",
                       "company_id")
DEFAULT_OWNER_KEYS = ("user_id", "owner_id", "coach_id")


class ConfigError(ValueError):
    """The configuration is invalid; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    """Validated settings for one scan."""

    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    severity: Mapping[str, Severity] = field(default_factory=frozen_mapping)
    disable: frozenset[str] = frozenset()
    fail_on: str = DEFAULT_FAIL_ON
    #: Routes that are public on purpose: path globs (``/public/*``) or handler names (``landing``).
    public_routes: tuple[str, ...] = ()
    #: Environment variable names (globs) whose values are public by design, added to the built-in list
    #: (publishable keys, anon keys, DSNs, analytics ids): never reported as exposed to the browser.
    public_env: tuple[str, ...] = ()
    tenant_keys: tuple[str, ...] = DEFAULT_TENANT_KEYS
    owner_keys: tuple[str, ...] = DEFAULT_OWNER_KEYS
    #: Model class names that are tenant-owned even without a recognised key column.
    tenant_models: tuple[str, ...] = ()
    source: str = ""

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with command-line overrides applied (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3}


def parse_size(value: Any) -> int:
    """Bytes from an integer or a string such as ``"5MB"`` or ``"512 KiB"``."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 5000000 or \"5MB\"")
    if isinstance(value, int) and value > 0:
        return value
    match = _SIZE.match(str(value))
    unit = (match.group(2) or "").lower() if match else None
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ValueError(f"expected a positive size such as 5000000 or \"5MB\", got {value!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _severity_table(value: Any) -> Mapping[str, Severity]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { "rule-id" = "low" }')
    return frozen_mapping({str(k): Severity.parse(str(v)) for k, v in value.items()})


def parse_fail_on(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in FAIL_ON_CHOICES:
        raise ValueError(f"expected one of {', '.join(FAIL_ON_CHOICES)}, got {value!r}")
    return text


#: key -> (Config field, parser). Add a key here and a field above to extend the configuration.
_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "exclude": ("exclude", _string_list),
    "max_file_size": ("max_file_size", parse_size),
    "max-file-size": ("max_file_size", parse_size),
    "severity": ("severity", _severity_table),
    "disable": ("disable", lambda v: frozenset(_string_list(v))),
    "fail_on": ("fail_on", parse_fail_on),
    "fail-on": ("fail_on", parse_fail_on),
    "public_routes": ("public_routes", _string_list),
    "public-routes": ("public_routes", _string_list),
    "public_env": ("public_env", _string_list),
    "public-env": ("public_env", _string_list),
    "tenant_keys": ("tenant_keys", _string_list),
    "owner_keys": ("owner_keys", _string_list),
    "tenant_models": ("tenant_models", _string_list),
}


def parse_config(table: Mapping[str, Any], source: str) -> Config:
    """Validate a raw configuration table into a :class:`Config`."""
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(k for k in _KEYS if "-" not in k))
            raise ConfigError(f"{source}: unknown key {key!r} (known keys: {known})")
        name, parser = _KEYS[key]
        try:
            values[name] = parser(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}: invalid value for {key!r}: {exc}") from None
    return Config(source=source, **values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Load the configuration for a scan root.

    ``explicit`` (``--config``) wins; then ``.launchready.toml``; then ``[tool.launchready]`` in
    ``pyproject.toml``. No file means defaults.
    """
    if explicit is not None:
        data = _read_toml(explicit)
        table = data.get("tool", {}).get("launchready", data) if explicit.name == "pyproject.toml" else data
        return parse_config(table, str(explicit))
    dedicated = root / CONFIG_FILE
    if dedicated.is_file():
        return parse_config(_read_toml(dedicated), str(dedicated))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("launchready")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.launchready] must be a table")
            return parse_config(table, f"{pyproject} [tool.launchready]")
    return Config()
