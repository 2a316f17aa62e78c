"""Parties load only through the entry-point group; a broken one is named, not fatal."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.registry import GROUP, load_parties

BUILT_IN = {"punjab", "balochistan", "sindh", "kp", "ncsw", "mohr"}


def test_all_built_in_parties_load_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    registered = {ep.name for ep in entry_points(group=GROUP)}
    registry = load_parties()
    assert BUILT_IN <= registered
    assert BUILT_IN <= set(registry.parties)
    assert registry.faults == []


def _fake_distribution(root: Path, name: str, module_source: str) -> None:
    """A province package visible to importlib.metadata without installing it."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{name} = {name}\n")


def _provinces(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "MANZOORI_HOME": str(tmp_path / "home"),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "engine.cli", "provinces", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_plugin_that_raises_on_load_is_reported_and_others_keep_working(tmp_path: Path) -> None:
    _fake_distribution(tmp_path, "broken_province", """
        raise RuntimeError("the IT cell forgot a file")
    """)
    result = _provinces(tmp_path, "--check")
    assert result.returncode == 7
    assert "broken_province" in result.stderr
    assert "the IT cell forgot a file" in result.stderr
    for code in BUILT_IN:
        assert code in result.stdout


def test_plugin_returning_the_wrong_type_is_named_with_its_hook(tmp_path: Path) -> None:
    _fake_distribution(tmp_path, "sloppy_province", """
        from engine.hookspecs import hookimpl

        @hookimpl
        def party():
            return {"code": "sloppy", "name_en": "Sloppy"}

        @hookimpl
        def offices():
            return []
    """)
    result = _provinces(tmp_path)
    assert result.returncode == 0
    assert "sloppy_province.party" in result.stderr
    assert "wrong type" in result.stderr
    assert "punjab" in result.stdout
