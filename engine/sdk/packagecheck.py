"""`manzoori plugin check PATH`: the conformance kit against a party package (a folder or a
wheel) that is not installed, from anywhere.

The package is installed, offline and without its dependencies, into a throw-away folder
(a copy of a source folder is built, so nothing is written beside the author's files), and
the kit runs in a fresh interpreter that sees it there, beside this Manzoori: in an empty
folder, so that no other `tests/` is collected, on a throw-away database.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from engine.core.registry import GROUP
from engine.errors import ManzooriError, PluginError


@dataclass(frozen=True)
class Installed:
    """The package, installed where only the kit's interpreter sees it."""

    distribution: str
    parties: list[str]
    """The names it registers in the entry-point group `manzoori.provinces`."""
    environment: dict[str, str]
    folder: Path
    """An empty folder to run in."""


@contextmanager
def installed(path: Path) -> Iterator[Installed]:
    """`path` (a package folder or a wheel) installed in a throw-away folder."""
    if not (path.is_file() and path.suffix == ".whl") and not (path / "pyproject.toml").is_file() \
            and not (path / "setup.py").is_file():
        raise ManzooriError(f"{path} is neither a package folder (with a pyproject.toml) nor a wheel")
    with tempfile.TemporaryDirectory(prefix="manzoori-check-") as temporary:
        root = Path(temporary)
        source = path
        if path.is_dir():
            source = root / "source"
            shutil.copytree(path, source, ignore=shutil.ignore_patterns(
                "build", "dist", "*.egg-info", ".venv", "__pycache__", ".pytest_cache"))
        site = root / "site"
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--disable-pip-version-check", "--target", str(site), str(source)],
            capture_output=True, text=True, timeout=600)
        if pip.returncode != 0:
            said = (pip.stderr or pip.stdout).strip().splitlines()[-3:]
            raise ManzooriError(f"{path} does not install: " + " ".join(line.strip() for line in said))
        distribution, parties = _entry_points(site)
        if not parties:
            raise PluginError(distribution, None, f"registers no party in the entry-point group {GROUP} "
                              f"([project.entry-points.\"{GROUP}\"] in its pyproject.toml)")
        (root / "run").mkdir()
        environment = {**os.environ, "PYTHONPATH": str(site), "MANZOORI_HOME": str(root / "home")}
        environment.pop("MANZOORI_DATABASE_URL", None)
        yield Installed(distribution, parties, environment, root / "run")


def _entry_points(site: Path) -> tuple[str, list[str]]:
    for metadata in sorted(site.glob("*.dist-info")):
        name, _, version = metadata.name.removesuffix(".dist-info").partition("-")
        points = configparser.ConfigParser(delimiters=("=",))
        points.optionxform = str  # type: ignore[assignment, method-assign]  # names keep their case
        points.read(metadata / "entry_points.txt", encoding="utf-8")
        if points.has_section(GROUP):
            return f"{name} {version}", sorted(points[GROUP])
    return "the package", []


def run_kit(package: Installed) -> subprocess.CompletedProcess[str]:
    """The conformance kit against each party the package registers: pytest's output."""
    arguments = [argument for party in package.parties for argument in ("--party", party)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "engine.testing",
         "--tb=line", "-rf", *arguments],
        cwd=package.folder, env=package.environment, capture_output=True, text=True, timeout=1200)
