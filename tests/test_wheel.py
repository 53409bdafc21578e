"""A plain (non-editable) wheel carries everything needed at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT, stripe_key


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (path,) = out.glob("launchready-*.whl")
    return path


def test_wheel_contains_rules_and_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.yaml")}
    assert rule_files and {f"scanner/_rules/{r}" for r in rule_files} <= names
    package_data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "scanner").rglob("*")
                    if p.is_file() and p.suffix in {".json", ".j2", ".html", ".css", ".js"}}
    assert package_data <= names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_unpacked_wheel_scans_without_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    project = tmp_path / "project"
    project.mkdir()
    (project / "settings.py").write_text(f'KEY = "{stripe_key()}"\n')
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-m", "scanner", "scan", str(project)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "stripe-secret-key" in result.stdout
    where = subprocess.run([sys.executable, "-c", "import scanner.rules as r; print(r.rules_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.strip().startswith(str(site))
