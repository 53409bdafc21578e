"""Configuration: both file locations, validation, and that errors name the key."""

from __future__ import annotations

import pytest

from scanner.config import Config, ConfigError, load_config, parse_size
from scanner.model import Severity


def test_defaults_without_files(tmp_path):
    assert load_config(tmp_path) == Config()


def test_dedicated_file(tmp_path):
    (tmp_path / ".launchready.toml").write_text(
        'exclude = ["fixtures/"]\nmax_file_size = "2MB"\nfail_on = "critical"\n'
        'disable = ["github-token"]\n[severity]\n"stripe-secret-key" = "low"\n'
    )
    config = load_config(tmp_path)
    assert config.exclude == ("fixtures/",)
    assert config.max_file_size == 2_000_000
    assert config.fail_on == "critical"
    assert config.disable == {"github-token"}
    assert config.severity["stripe-secret-key"] is Severity.LOW


def test_pyproject_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.launchready]\nfail_on = "medium"\n')
    assert load_config(tmp_path).fail_on == "medium"


def test_pyproject_without_table_is_defaults(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n')
    assert load_config(tmp_path) == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exclude_paths = []", "unknown key 'exclude_paths'"),
        ('fail_on = "sometimes"', "invalid value for 'fail_on'"),
        ("exclude = 3", "invalid value for 'exclude'"),
        ('max_file_size = "big"', "invalid value for 'max_file_size'"),
        ('[severity]\n"x" = "urgent"', "unknown severity"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_invalid_config(tmp_path, text, message):
    (tmp_path / ".launchready.toml").write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path)
    assert ".launchready.toml" in str(info.value)


@pytest.mark.parametrize(("text", "size"), [(100, 100), ("5MB", 5_000_000), ("512 KiB", 524_288), ("1.5k", 1500)])
def test_parse_size(text, size):
    assert parse_size(text) == size
