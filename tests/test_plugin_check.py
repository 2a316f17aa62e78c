"""`manzoori plugin check PATH`: the conformance kit against a package that is not
installed, from any folder, printing what to fix; the package's folder is left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CODE = "gilgit-baltistan"
ROLE = '"approver": RoleRule(office="wdd-minister"),'


def _manzoori(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "MANZOORI_HOME": str(cwd / "home")}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=900)


@pytest.mark.slow  # two installs and two runs of the kit: ~40 s on 2 busy cores
def test_plugin_check_runs_the_kit_on_a_package_folder_from_anywhere_and_says_what_to_fix(
    tmp_path: Path,
) -> None:
    package, elsewhere = tmp_path / CODE, tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _manzoori("plugin", "new", CODE, "-o", str(package), cwd=tmp_path).returncode == 0
    files = sorted(path.relative_to(package) for path in package.rglob("*"))

    passed = _manzoori("plugin", "check", str(package), cwd=elsewhere)

    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "9 passed" in passed.stdout
    assert "manzoori_gilgit_baltistan 0.1.0 passes Manzoori's conformance kit." in passed.stdout
    assert sorted(path.relative_to(package) for path in package.rglob("*")) == files
    assert CODE not in _manzoori("provinces", cwd=elsewhere).stdout, "nothing was installed"

    source = package / "src" / "manzoori_gilgit_baltistan" / "__init__.py"
    source.write_text(source.read_text(encoding="utf-8").replace(ROLE, ROLE.replace("approver", "aprover")),
                      encoding="utf-8")
    failed = _manzoori("plugin", "check", str(package), cwd=elsewhere)

    assert failed.returncode == 7
    assert "Traceback" not in failed.stderr
    assert ("to fix: plugin gilgit-baltistan.roles: maps no office to role 'approver' of joint_resolution "
            "(step 'approval' needs it); it maps 'aprover'") in " ".join(failed.stderr.split())


def test_plugin_check_names_a_path_that_is_not_a_package(tmp_path: Path) -> None:
    said = _manzoori("plugin", "check", str(tmp_path), cwd=tmp_path)

    assert said.returncode == 1
    assert f"{tmp_path} is neither a package folder (with a pyproject.toml) nor a wheel" in " ".join(
        said.stderr.split())
