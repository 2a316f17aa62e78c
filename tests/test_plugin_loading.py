"""Parties load one by one and their answers are checked: a broken one is named with its
hook and the reason, never fatal, and the others keep working.

The plugins here are objects made in the test and registered in process
(`install`, tests/provinces.py), admitted exactly as entry points are; one test goes
through the real path, a distribution on the path with an entry point in
`manzoori.provinces` and the `manzoori` command in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.contract.hookspecs import hookimpl
from engine.core.registry import GROUP, load_parties
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.provinces import Install, TestProvince, fake_distribution

BUILT_IN = {"punjab", "balochistan", "sindh", "kp", "ncsw", "mohr"}


def test_all_built_in_parties_load_through_the_entry_point_group() -> None:
    registered = {point.name for point in entry_points(group=GROUP)}
    registry = load_parties()
    assert BUILT_IN <= registered
    assert BUILT_IN <= set(registry.parties)
    assert registry.faults == []


def test_a_distribution_that_fails_to_import_is_named_by_manzoori_provinces_check(tmp_path: Path) -> None:
    """The real path: a package installed beside the built-in ones, found through its entry
    point, raising as it is imported; the officer runs `manzoori provinces --check`."""
    fake_distribution(tmp_path, "broken_province", 'raise RuntimeError("the IT cell forgot a file")\n')
    environment = {**os.environ, "PYTHONPATH": str(tmp_path), "MANZOORI_HOME": str(tmp_path / "home"),
                   "COLUMNS": "200"}
    result = subprocess.run([str(Path(sys.executable).with_name("manzoori")), "provinces", "--check"],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 7, result.stdout + result.stderr
    assert ("plugin broken_province: failed to load: RuntimeError: the IT cell forgot a file"
            in " ".join(result.stderr.split())), result.stderr
    for code in BUILT_IN:
        assert code in result.stdout


def checked(manzoori: Manzoori, name: str, hook: str | None) -> str:
    """`manzoori provinces --check` with the plugin installed: exit 7, the plugin and hook
    named, every built-in party still listed. Returns the reason given."""
    result = manzoori("provinces", "--check", expect=7)
    where = f"plugin {name}.{hook}:" if hook else f"plugin {name}:"
    said = " ".join(result.stderr.split())  # as the terminal wraps it
    assert where in said, result.stderr
    assert all(code in result.stdout for code in BUILT_IN), result.stdout
    return said.split(where, 1)[1]


@pytest.mark.hooks("party", "offices", "roles", "form")
def test_a_clean_test_province_loads_beside_the_built_in_ones(manzoori: Manzoori, install: Install) -> None:
    registry = install(clean_province=TestProvince("clean-province"))
    assert registry.faults == []
    result = manzoori("provinces", "--check")
    assert "clean-province" in result.stdout and result.stderr == ""
    assert BUILT_IN <= set(registry.parties)
    assert registry.party("clean-province").form(ItemKind.WORK_PLAN).__name__ == "TestWorkPlan"


def test_a_party_answered_with_the_wrong_type_is_named_with_its_hook(manzoori: Manzoori, install: Install) -> None:
    class Sloppy(TestProvince):
        @hookimpl
        def party(self) -> dict:
            return {"code": "sloppy", "name_en": "Sloppy"}

    install(sloppy_province=Sloppy())
    result = manzoori("provinces")  # without --check a fault is shown, not an exit code
    assert "sloppy_province.party" in result.stderr and "wrong type" in result.stderr
    assert "punjab" in result.stdout
    assert "returned the wrong type" in checked(manzoori, "sloppy_province", "party")


def test_hook_that_raises_at_load_is_named_with_its_hook(manzoori: Manzoori, install: Install) -> None:
    class Raising(TestProvince):
        @hookimpl
        def offices(self) -> list[Office]:
            raise KeyError("the offices sheet is missing")

    install(raising_province=Raising("raising-province"))
    reason = checked(manzoori, "raising_province", "offices")
    assert "raised KeyError" in reason and "the offices sheet is missing" in reason


def test_hook_returning_the_wrong_type_is_named_with_its_hook(manzoori: Manzoori, install: Install) -> None:
    class Listless(TestProvince):
        @hookimpl
        def offices(self) -> str:
            return "Secretary, Women Development Department"

    install(listless_province=Listless("listless-province"))
    assert "returned the wrong type" in checked(manzoori, "listless_province", "offices")


def test_office_declared_twice_is_named(manzoori: Manzoori, install: Install) -> None:
    class Twice(TestProvince):
        @hookimpl
        def offices(self) -> list[Office]:
            secretary, minister, director = super().offices()
            return [secretary, minister, director, secretary]

    install(twice_province=Twice("twice-province"))
    assert "declares office 'secretary' twice" in checked(manzoori, "twice_province", "offices")


def test_role_naming_an_office_that_does_not_exist_is_named(manzoori: Manzoori, install: Install) -> None:
    class Officeless(TestProvince):
        @hookimpl
        def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
            if kind != ItemKind.JOINT_RESOLUTION:
                return None
            return {"reviewer": RoleRule(office="secretary"), "approver": RoleRule(office="chief-minister"),
                    "signatory": RoleRule(office="minister")}

    install(officeless_province=Officeless("officeless-province"))
    reason = checked(manzoori, "officeless_province", "roles")
    assert "role 'approver' of joint_resolution names office 'chief-minister'" in reason


def test_role_a_flow_does_not_have_is_named_with_the_role_it_lacks(manzoori: Manzoori, install: Install) -> None:
    class Misspelt(TestProvince):
        @hookimpl
        def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
            if kind != ItemKind.JOINT_RESOLUTION:
                return None
            return {"reviewer": RoleRule(office="secretary"), "aprover": RoleRule(office="minister"),
                    "signatory": RoleRule(office="minister")}

    install(misspelt_province=Misspelt("misspelt-province"))
    reason = checked(manzoori, "misspelt_province", "roles")
    assert "maps no office to role 'approver' of joint_resolution" in reason
    assert "it maps 'aprover', which no step asks for" in reason


def test_a_form_that_is_not_a_form_model_is_named(manzoori: Manzoori, install: Install) -> None:
    class Formless(TestProvince):
        @hookimpl
        def form(self, kind: ItemKind) -> object:
            return dict if kind == ItemKind.WORK_PLAN else None

    install(formless_province=Formless("formless-province"))
    assert "not a FormModel subclass" in checked(manzoori, "formless_province", "form")


def test_a_hook_the_contract_does_not_have_is_named(manzoori: Manzoori, install: Install) -> None:
    class Inventive(TestProvince):
        @hookimpl
        def on_item_drafted(self) -> None:
            """Not in engine/contract/hookspecs.py."""

    install(inventive_province=Inventive("inventive-province"))
    assert "is not a hook of the contract" in checked(manzoori, "inventive_province", "on_item_drafted")


def test_a_hook_asking_for_an_argument_the_contract_does_not_give_is_named(manzoori: Manzoori, install: Install) -> None:
    class Greedy(TestProvince):
        @hookimpl
        def roles(self, kind: ItemKind, budget: int) -> dict[str, RoleRule] | None:
            return None

    install(greedy_province=Greedy("greedy-province"))
    assert "budget" in checked(manzoori, "greedy_province", None)


def test_a_party_without_its_offices_is_named(manzoori: Manzoori, install: Install) -> None:
    class Bare:
        @hookimpl
        def party(self) -> PartyIdentity:
            return TestProvince("bare-province").party()

    install(bare_province=Bare())
    assert "required hook is not implemented" in checked(manzoori, "bare_province", "offices")


def test_a_code_already_taken_is_named_and_the_first_party_keeps_it(manzoori: Manzoori, install: Install) -> None:
    registry = install(first_province=TestProvince("twin-province"),
                       second_province=TestProvince("twin-province"), impostor=TestProvince("punjab"))
    assert "code 'twin-province' is already taken" in checked(manzoori, "second_province", "party")
    assert "code 'punjab' is already taken" in checked(manzoori, "impostor", "party")
    assert registry.party("twin-province").name == "first_province"
    assert registry.party("punjab").name == "punjab"


@pytest.mark.hooks("check")
def test_a_faulty_plugin_never_stops_another_province_drafting(manzoori: Manzoori, install: Install) -> None:
    """A rule that raises is the plugin's fault, named, and only blocks items it is party to."""
    class Brittle(TestProvince):
        @hookimpl
        def check(self, kind: ItemKind, form: object, parties: list[str]) -> list:
            raise ZeroDivisionError("threshold divided by zero")

    class Twice(TestProvince):
        @hookimpl
        def offices(self) -> list[Office]:
            secretary = super().offices()[0]
            return [secretary, secretary]

    install(brittle_province=Brittle("brittle-province"), twice_province=Twice("twice-province"))
    init = manzoori("init", "--samples")
    assert "plugin twice_province.offices" in init.stderr
    assert "brittle-province.secretary" in manzoori("officers", "list").stdout

    form = manzoori.form("resolution", form_for("ncsw", "joint_resolution", ["punjab", "sindh"]))
    refused = manzoori("draft", "joint_resolution", "--parties", "ncsw,punjab,brittle-province",
                       "--title", "IPMG resolutions", "--form", form, "--as", "ncsw.secretary", expect=7)
    said = " ".join(refused.stderr.split())
    assert "plugin brittle_province.check: raised ZeroDivisionError: threshold divided by zero" in said
    assert manzoori.query("SELECT reference, state FROM items") == []

    drafted = manzoori("draft", "joint_resolution", "--parties", "ncsw,punjab,sindh",
                       "--title", "IPMG resolutions", "--form", form, "--as", "ncsw.secretary")
    assert [tuple(row) for row in manzoori.query("SELECT reference, state FROM items")] == [
        (drafted.stdout.strip(), "draft")]
