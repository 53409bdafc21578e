"""Project configuration: ``[tool.launchready]`` in ``pyproject.toml`` or a ``.launchready.toml`` file.

Every key is validated; an unknown key is an error that names it, so a typo never silently
turns a check off.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pathspec

from scanner.model import Severity, frozen_mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILE = ".launchready.toml"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
#: Largest accepted ``max_file_size`` (1 TiB): a bigger number is a mistake, not a limit.
MAX_FILE_SIZE_LIMIT = 1024**4
DEFAULT_FAIL_ON = "high"
FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "none")
#: Columns that scope a row to a tenant, and to an owning user; see scanner/analysis/data/python/models.py.
DEFAULT_TENANT_KEYS = ("workspace_id", "org_id", "organization_id", "tenant_id", "account_id", "team_id",
                       "company_id")
DEFAULT_OWNER_KEYS = ("user_id", "owner_id", "coach_id")
#: Where a configuration came from: none (defaults), the scanned tree itself, or a file outside it (``--config``).
PROVENANCES = ("default", "repository", "external")


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
    #: One of ``PROVENANCES``: a report says when the scanned tree configured its own scan.
    provenance: str = "default"

    def what_it_changes(self) -> dict[str, Any]:
        """What this configuration changes from the defaults that can hide or lower findings (report headers)."""
        defaults = Config()
        changes: dict[str, Any] = {
            "disable": sorted(self.disable),
            "exclude": list(self.exclude),
            "severity": {rule: level.label for rule, level in sorted(self.severity.items())},
        }
        for name in ("fail_on", "max_file_size", "public_routes", "tenant_keys", "owner_keys", "tenant_models"):
            value = getattr(self, name)
            if value != getattr(defaults, name):
                changes[name] = list(value) if isinstance(value, tuple) else value
        return changes

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
    if isinstance(value, int):
        size = value
    else:
        text = str(value)
        match = _SIZE.match(text) if len(text) <= 40 else None
        unit = (match.group(2) or "").lower() if match else None
        if not match or unit not in _UNITS:
            raise ValueError(f"expected a positive size such as 5000000 or \"5MB\", got {_shown(value)}")
        size = int(Decimal(match.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"expected a positive size such as 5000000 or \"5MB\", got {_shown(value)}")
    if size > MAX_FILE_SIZE_LIMIT:
        raise ValueError(f"{_shown(value)} is larger than the largest accepted size (1 TiB)")
    return size


def _shown(value: Any) -> str:
    """``value`` for an error message, cut short (a hostile configuration may hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _path_patterns(value: Any) -> tuple[str, ...]:
    """gitignore-style patterns, each checked to compile (a lone backslash does not)."""
    patterns = _string_list(value)
    for pattern in patterns:
        if invalid_pattern(pattern):
            raise ValueError(f"not a valid gitignore-style pattern: {_shown(pattern)}")
    return patterns


def invalid_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is not a valid gitignore pattern (pathspec would refuse the whole list)."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, TypeError):  # pathspec's GitIgnorePatternError is a ValueError
        return True
    return False


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
    "exclude": ("exclude", _path_patterns),
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
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def _pyproject_table(path: Path) -> Any:
    """``[tool.launchready]`` of a ``pyproject.toml``, or None. A file that cannot be read as TOML is an error
    only when it mentions launchready: an unrelated broken ``pyproject.toml`` must not stop a scan."""
    try:
        return _read_toml(path).get("tool", {}).get("launchready")
    except ConfigError:
        try:
            mentions = b"launchready" in path.read_bytes()
        except OSError:
            mentions = False
        if mentions:
            raise
        return None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Load the configuration for a scan root.

    ``explicit`` (``--config``) wins; then ``.launchready.toml``; then ``[tool.launchready]`` in
    ``pyproject.toml``. No file means defaults.
    """
    if explicit is not None:
        data = _read_toml(explicit)
        table = data.get("tool", {}).get("launchready", data) if explicit.name == "pyproject.toml" else data
        provenance = "repository" if is_inside(explicit, root) else "external"
        return replace(parse_config(table, str(explicit)), provenance=provenance)
    found = repository_config(root)
    return replace(found, provenance="repository") if found is not None else Config()


def repository_config(root: Path) -> Config | None:
    """The configuration the tree at ``root`` carries for itself (``.launchready.toml``, then
    ``[tool.launchready]`` in ``pyproject.toml``), or None when it has none."""
    dedicated = root / CONFIG_FILE
    if dedicated.is_file():
        return parse_config(_read_toml(dedicated), str(dedicated))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _pyproject_table(pyproject)
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.launchready] must be a table")
            return parse_config(table, f"{pyproject} [tool.launchready]")
    return None


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, symlinks followed) lies in the folder ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return True
