"""Parties load only through the entry-point group; a broken one is named, not fatal."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.core.registry import GROUP, load_parties

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
        from engine.contract.hookspecs import hookimpl

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


# A province that loads cleanly; each fault below redefines one of its hooks.
_GOOD_PROVINCE = """
    from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
    from engine.contract.hookspecs import hookimpl

    @hookimpl
    def party():
        return PartyIdentity(code="{code}", name_en="Test province {code}", name_ur="آزمائشی صوبہ",
                             kind="province", reference_prefix="TP")

    @hookimpl
    def offices():
        return [Office(code="secretary", title_en="Secretary, Women Development Department",
                       title_ur="سیکرٹری، محکمہ ترقیِ نسواں"),
                Office(code="minister", title_en="Minister for Women Development",
                       title_ur="وزیر برائے ترقیِ نسواں")]

    @hookimpl
    def roles(kind):
        if kind != ItemKind.JOINT_RESOLUTION:
            return None
        return {"reviewer": RoleRule(office="secretary"), "approver": RoleRule(office="minister"),
                "signatory": RoleRule(office="minister")}
"""


def _faulty(tmp_path: Path, name: str, fault: str) -> None:
    code = name.replace("_", "-")
    source = textwrap.dedent(_GOOD_PROVINCE).replace("{code}", code) + textwrap.dedent(fault)
    _fake_distribution(tmp_path, name, source)


def _checked(tmp_path: Path, name: str, hook: str) -> str:
    """`manzoori provinces --check` with the plugin installed: exit 7, the plugin and hook
    named, every built-in party still listed. Returns the reason given."""
    result = _provinces(tmp_path, "--check")
    assert result.returncode == 7, result.stdout + result.stderr
    assert f"plugin {name}.{hook}:" in result.stderr, result.stderr
    assert all(code in result.stdout for code in BUILT_IN), result.stdout
    return result.stderr.split(f"plugin {name}.{hook}:", 1)[1]


def test_a_clean_test_province_loads_beside_the_built_in_ones(tmp_path: Path) -> None:
    _faulty(tmp_path, "clean_province", "")
    result = _provinces(tmp_path, "--check")
    assert result.returncode == 0, result.stderr
    assert "clean-province" in result.stdout and result.stderr == ""


def test_hook_that_raises_at_load_is_named_with_its_hook(tmp_path: Path) -> None:
    _faulty(tmp_path, "raising_province", """
        @hookimpl
        def offices():
            raise KeyError("the offices sheet is missing")
    """)
    reason = _checked(tmp_path, "raising_province", "offices")
    assert "raised KeyError" in reason and "the offices sheet is missing" in reason


def test_hook_returning_the_wrong_type_is_named_with_its_hook(tmp_path: Path) -> None:
    _faulty(tmp_path, "listless_province", """
        @hookimpl
        def offices():
            return "Secretary, Women Development Department"
    """)
    assert "returned the wrong type" in _checked(tmp_path, "listless_province", "offices")


def test_office_declared_twice_is_named(tmp_path: Path) -> None:
    _faulty(tmp_path, "twice_province", """
        @hookimpl
        def offices():
            secretary = Office(code="secretary", title_en="Secretary, Women Development Department",
                               title_ur="سیکرٹری، محکمہ ترقیِ نسواں")
            minister = Office(code="minister", title_en="Minister for Women Development",
                              title_ur="وزیر برائے ترقیِ نسواں")
            return [secretary, minister, secretary]
    """)
    assert "declares office 'secretary' twice" in _checked(tmp_path, "twice_province", "offices")


def test_role_naming_an_office_that_does_not_exist_is_named(tmp_path: Path) -> None:
    _faulty(tmp_path, "officeless_province", """
        @hookimpl
        def roles(kind):
            if kind != ItemKind.JOINT_RESOLUTION:
                return None
            return {"reviewer": RoleRule(office="secretary"), "approver": RoleRule(office="chief-minister"),
                    "signatory": RoleRule(office="minister")}
    """)
    reason = _checked(tmp_path, "officeless_province", "roles")
    assert "role 'approver' of joint_resolution names office 'chief-minister'" in reason


def test_role_a_flow_does_not_have_is_named_with_the_role_it_lacks(tmp_path: Path) -> None:
    _faulty(tmp_path, "misspelt_province", """
        @hookimpl
        def roles(kind):
            if kind != ItemKind.JOINT_RESOLUTION:
                return None
            return {"reviewer": RoleRule(office="secretary"), "aprover": RoleRule(office="minister"),
                    "signatory": RoleRule(office="minister")}
    """)
    reason = _checked(tmp_path, "misspelt_province", "roles")
    assert "maps no office to role 'approver' of joint_resolution" in reason
    assert "it maps 'aprover', which no step asks for" in reason


def _manzoori(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "MANZOORI_HOME": str(tmp_path / "home"),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args],
                          capture_output=True, text=True, env=env, timeout=180)


def _items(tmp_path: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(tmp_path / "home" / "manzoori.db") as connection:
        return connection.execute("SELECT reference, state FROM items").fetchall()


def test_a_faulty_plugin_never_stops_another_province_drafting(tmp_path: Path) -> None:
    """A rule that raises is the plugin's fault, named, and only blocks items it is party to."""
    import json

    from tests.forms import form_for

    _faulty(tmp_path, "brittle_province", """
        @hookimpl
        def check(kind, form, parties):
            raise ZeroDivisionError("threshold divided by zero")
    """)
    _faulty(tmp_path, "twice_province", """
        @hookimpl
        def offices():
            office = Office(code="secretary", title_en="Secretary, Women Development Department",
                            title_ur="سیکرٹری، محکمہ ترقیِ نسواں")
            return [office, office]
    """)
    init = _manzoori(tmp_path, "init", "--samples")
    assert init.returncode == 0, init.stderr
    assert "plugin twice_province.offices" in init.stderr

    form = tmp_path / "resolution.json"
    form.write_text(json.dumps(form_for("ncsw", "joint_resolution", ["punjab", "sindh"])))
    refused = _manzoori(tmp_path, "draft", "joint_resolution", "--parties", "ncsw,punjab,brittle-province",
                        "--title", "IPMG resolutions", "--form", str(form), "--as", "ncsw.secretary")
    assert refused.returncode == 7, refused.stderr
    assert "plugin brittle_province.check: raised ZeroDivisionError: threshold divided by zero" in refused.stderr
    assert _items(tmp_path) == []

    drafted = _manzoori(tmp_path, "draft", "joint_resolution", "--parties", "ncsw,punjab,sindh",
                        "--title", "IPMG resolutions", "--form", str(form), "--as", "ncsw.secretary")
    assert drafted.returncode == 0, drafted.stderr
    assert _items(tmp_path) == [(drafted.stdout.strip(), "draft")]
