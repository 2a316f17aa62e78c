"""The federal Ministry of Human Rights, a member of the IPMG (context/002, 003)."""

from __future__ import annotations

from datetime import date

from engine.contract import DelegationRule, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import JointResolutionForm, label
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays

MEETING = ("context/002: 14th IPMG meeting, Islamabad, 2019 (the text gives the year, "
           "not the day)")


class MohrJointResolution(JointResolutionForm):
    international_commitment: str = label("International commitment", "بین الاقوامی عہد",
                                          default="CEDAW")


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="mohr", name_en="Ministry of Human Rights, Government of Pakistan",
        name_ur="وزارتِ انسانی حقوق، حکومتِ پاکستان", kind="federal", reference_prefix="MOHR",
        holidays=national_holidays(2015, 2016, 2019, 2025, 2026, 2027),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="minister", title_en="Federal Minister for Human Rights",
               title_ur="وفاقی وزیر برائے انسانی حقوق"),
        Office(code="secretary", title_en="Secretary, Ministry of Human Rights",
               title_ur="سیکرٹری، وزارتِ انسانی حقوق", keeps_directory=True),
        Office(code="dg-hr", title_en="Director General, Human Rights",
               title_ur="ڈائریکٹر جنرل، انسانی حقوق"),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    return [
        OfficeHolder(office="secretary", name="Rabiya Javeri Agha", username="rabiya.agha",
                     since=date(2019, 1, 1), until=date(2019, 12, 31), source=MEETING),
        OfficeHolder(office="dg-hr", name="Muhammad Hassan Mangi", username="hassan.mangi",
                     since=date(2019, 1, 1), until=date(2019, 12, 31), source=MEETING),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule] | None:
    if kind != ItemKind.JOINT_RESOLUTION:
        return None
    return {
        "drafter": RoleRule(office="dg-hr"),
        # Late feedback from the Director General goes to the Secretary, who may give it.
        "reviewer": RoleRule(office="dg-hr", deadline_days=10, escalation_decides=True),
        "approver": RoleRule(office="secretary"),
        "signatory": RoleRule(office="minister"),
    }


@hookimpl
def form(kind: ItemKind) -> type | None:
    return MohrJointResolution if kind == ItemKind.JOINT_RESOLUTION else None


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    return {"dg-hr": DelegationRule(supervisor="secretary"),
            "secretary": DelegationRule(supervisor="minister")}.get(office)
