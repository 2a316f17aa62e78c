"""The contract's version: a party written for an older minor version keeps loading with
the defaults of the hooks added since; one written for a newer contract is refused at
load with a message naming the package, the version it needs and the engine's.

The two parties are packages frozen in tests/packages/ as their authors wrote them."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from engine.contract import ItemKind, PartyIdentity
from engine.contract.contract_version import CONTRACT_VERSION, ContractVersion
from engine.contract.hookspecs import ABSENT, CHANGES, OLDEST_SUPPORTED, SINCE, hookimpl
from engine.core.registry import load_parties
from engine.sdk.hookref import hooks
from engine.sdk.testing import Conformance
from tests.provinces import TestProvince

PACKAGES = Path(__file__).parent / "packages"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    """The two frozen packages' modules, imported from their folders."""
    for folder in ("contract-1.0", "contract-future"):
        monkeypatch.syspath_prepend(str(PACKAGES / folder))
    yield {"contract-one": importlib.import_module("manzoori_contract_one"),
           "contract-future": importlib.import_module("manzoori_contract_future")}
    for module in ("manzoori_contract_one", "manzoori_contract_future"):
        sys.modules.pop(module, None)


def test_the_organisation_model_is_the_first_minor_version() -> None:
    assert CONTRACT_VERSION == ContractVersion(1, 1) and OLDEST_SUPPORTED == ContractVersion(1, 0)
    assert SINCE["delegation"] == ContractVersion(1, 1)
    assert {name for name, _ in hooks()} == set(SINCE), "every hook says when it appeared"
    assert set(ABSENT) == set(SINCE) - {"party", "offices"}, "every optional hook has its default"
    assert max(CHANGES) == CONTRACT_VERSION and max(SINCE.values()) <= CONTRACT_VERSION


def test_a_party_written_for_contract_1_0_loads_with_the_defaults_of_newer_hooks(
    frozen: dict[str, ModuleType],
) -> None:
    registry = load_parties(plugins={"contract-one": frozen["contract-one"]})

    assert registry.faults == []
    party = registry.party("contract-one")
    assert party.contract == ContractVersion(1, 0)
    assert "delegation" not in party.impls
    # delegation (1.1): same office only, and only the holder records their absence.
    rule = party.delegation("minister")
    assert rule.substitutes == () and rule.supervisor is None
    # The organisation fields of 1.1 take their defaults too.
    assert not any(office.keeps_directory or office.audits for office in party.offices.values())
    roles = party.roles(ItemKind.WORK_PLAN)
    assert roles is not None and not roles["approver"].escalation_decides
    assert party.form(ItemKind.WORK_PLAN) is frozen["contract-one"].ContractOnePlan


def test_the_kit_holds_a_1_0_party_to_the_defaults_of_the_organisation_model(
    frozen: dict[str, ModuleType],
) -> None:
    registry = load_parties(plugins={"contract-one": frozen["contract-one"]})
    kit = Conformance("contract-one", registry)

    # No office keeps its directory (1.1's field): the default, the operator appoints.
    assert kit.directory() == []
    assert kit.identity() == [] and kit.offices() == [] and kit.roles() == []
    assert kit.delegation() == []


def test_a_party_asking_for_a_newer_contract_is_refused_at_load_saying_which(
    frozen: dict[str, ModuleType],
) -> None:
    registry = load_parties(plugins=frozen)

    assert list(registry.parties) == ["contract-one"]
    [fault] = registry.faults
    assert fault.plugin == "contract-future" and fault.hook == "party"
    assert fault.message == (
        "plugin contract-future.party: needs contract 1.2, and this Manzoori has contract 1.1: "
        "upgrade Manzoori to a release with contract 1.2, or install a release of the package "
        "written for 1.1 or older")


@pytest.mark.parametrize(("declared", "said"), [
    ("2.0", "needs contract 2.0, and this Manzoori has contract 1.1"),
    ("0.9", "is written for contract 0.9, and this Manzoori loads parties written for 1.0 to 1.1"),
    ("1.x", "declares contract '1.x', which is not a version MAJOR.MINOR such as 1.1"),
])
def test_a_contract_of_another_major_or_not_a_version_is_refused_clearly(declared: str, said: str) -> None:
    class Declares(TestProvince):
        @hookimpl
        def party(self) -> PartyIdentity:
            return PartyIdentity(code=self.code, name_en="Declares [sample]", name_ur="اعلان",
                                 kind="province", reference_prefix="DC", contract=declared)

    registry = load_parties(plugins={"declares": Declares("declares")})

    assert registry.parties == {}
    [fault] = registry.faults
    assert fault.message.startswith(f"plugin declares.party: {said}")


def test_a_party_using_a_hook_newer_than_the_contract_it_declares_is_told_to_declare_it() -> None:
    class Undeclared(TestProvince):
        @hookimpl
        def party(self) -> PartyIdentity:
            return PartyIdentity(code=self.code, name_en="Undeclared [sample]", name_ur="غیر اعلان",
                                 kind="province", reference_prefix="UD")

        @hookimpl
        def delegation(self, office: str) -> None:
            return None

    registry = load_parties(plugins={"undeclared": Undeclared("undeclared")})

    assert [fault.message for fault in registry.faults] == [
        "plugin undeclared.delegation: appeared in contract 1.1, but the party declares "
        'contract 1.0: declare PartyIdentity(contract="1.1") or later']


@pytest.mark.slow  # two pip installs and a command: ~10 s on 2 busy cores
def test_installed_packages_of_an_old_and_a_future_contract_as_manzoori_provinces_shows_them(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    # Built from copies: a build writes beside the sources, and the repository stays as it is.
    copies = [shutil.copytree(PACKAGES / folder, tmp_path / folder)
              for folder in ("contract-1.0", "contract-future")]
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "250", "MANZOORI_HOME": str(tmp_path / "home")}
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--no-build-isolation", "--no-index", "--target", str(site),
                          *map(str, copies)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    listed = subprocess.run([sys.executable, "-m", "engine.cli", "provinces", "--check"],
                            capture_output=True, text=True, env=env, timeout=120)

    assert listed.returncode == 7, listed.stdout + listed.stderr
    assert "Traceback" not in listed.stderr
    message = " ".join(listed.stderr.split())
    assert ("faulty: plugin contract-future.party: manzoori-contract-future 2.3.0 needs contract "
            "1.2, and this Manzoori has contract 1.1") in message
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.startswith("│ ")}
    assert rows["contract-one"].split("│")[-2].strip() == "1.0"
    assert rows["punjab"].split("│")[-2].strip() == str(CONTRACT_VERSION)
    assert "contract-future" not in rows
