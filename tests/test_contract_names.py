"""A province package written against the names of Manzoori's first release
(`engine.hookspecs`, `engine.forms`, `engine.partykit`, `engine.testing`) keeps loading
after the contract moved to `engine.contract`."""

from __future__ import annotations

from engine import forms, hookspecs, partykit, testing
from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.contract import forms as contract_forms
from engine.contract import hookspecs as contract_hookspecs
from engine.contract import partykit as contract_partykit
from engine.core.registry import load_parties
from engine.sdk import testing as sdk_testing


class LastYearsProvince:
    """Written for the first release: every name it uses comes from the old modules."""

    class Plan(forms.WorkPlanForm):
        district: str = forms.label("District", "ضلع", examples=["Gilgit"])

    @hookspecs.hookimpl
    def party(self) -> PartyIdentity:
        return PartyIdentity(code="last-year", name_en="Last Year's Province [sample]",
                             name_ur="پچھلے سال کا صوبہ", kind="province", reference_prefix="LY",
                             holidays=partykit.national_holidays(2026))

    @hookspecs.hookimpl
    def offices(self) -> list[Office]:
        return [Office(code="secretary", title_en="Secretary [sample]", title_ur="سیکرٹری"),
                Office(code="minister", title_en="Minister [sample]", title_ur="وزیر")]

    @hookspecs.hookimpl
    def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
        if kind != ItemKind.WORK_PLAN:
            return None
        return {"drafter": RoleRule(office="secretary"), "reviewer": RoleRule(office="minister"),
                "approver": RoleRule(office="minister"), "signatory": RoleRule(office="minister")}

    @hookspecs.hookimpl
    def form(self, kind: ItemKind) -> type[forms.FormModel] | None:
        return self.Plan if kind == ItemKind.WORK_PLAN else None


def test_a_province_written_against_the_old_names_loads_without_faults() -> None:
    registry = load_parties(plugins={"last-year": LastYearsProvince()})

    assert registry.faults == []
    party = registry.party("last-year")
    assert party.form(ItemKind.WORK_PLAN) is LastYearsProvince.Plan
    assert party.roles(ItemKind.WORK_PLAN)["approver"].office == "minister"  # type: ignore[index]


def test_the_old_names_are_the_contract_itself_not_copies() -> None:
    assert hookspecs.hookimpl is contract_hookspecs.hookimpl
    assert forms.WorkPlanForm is contract_forms.WorkPlanForm
    assert forms.label is contract_forms.label
    assert partykit.national_holidays is contract_partykit.national_holidays
    assert testing.ConformanceSuite is sdk_testing.ConformanceSuite
    assert testing.pytest_addoption is sdk_testing.pytest_addoption
