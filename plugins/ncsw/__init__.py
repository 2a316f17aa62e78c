"""The National Commission on the Status of Women, which hosts the Inter-Provincial
Ministerial Group's secretariat (context/003): it drafts the IPMG joint resolutions and
follows them up. A party like any province, through the same contract."""

from __future__ import annotations

from datetime import date

from engine.contract import DelegationRule, Finding, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import JointResolutionForm, label
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays


class IpmgJointResolution(JointResolutionForm):
    """Joint resolutions passed at an IPMG meeting."""

    meeting_number: int = label("IPMG meeting number", "آئی پی ایم جی اجلاس نمبر", ge=1)
    host: str = label("Hosted by", "میزبان", min_length=3)


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="ncsw", name_en="National Commission on the Status of Women",
        name_ur="قومی کمیشن برائے وقارِ نسواں", kind="commission", reference_prefix="NCSW",
        holidays=national_holidays(2015, 2016, 2025, 2026, 2027),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="chairperson", title_en="Chairperson, National Commission on the Status of Women",
               title_ur="چیئرپرسن، قومی کمیشن برائے وقارِ نسواں"),
        # The IPMG secretariat reads every joint resolution it coordinates, also those it
        # is not a party to (engine.core.access).
        Office(code="secretary", title_en="Secretary, National Commission on the Status of Women",
               title_ur="سیکرٹری، قومی کمیشن برائے وقارِ نسواں", keeps_directory=True,
               audits=(ItemKind.JOINT_RESOLUTION,)),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    return [
        OfficeHolder(
            office="chairperson", name="Khawar Mumtaz", username="khawar.mumtaz",
            since=date(2015, 11, 26), until=date(2015, 11, 26),
            source="context/003: IPMG meeting hosted by the State Commission for Azad Jammu and "
                   "Kashmir, 2015-11-26",
        ),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule] | None:
    if kind != ItemKind.JOINT_RESOLUTION:
        return None
    return {
        "drafter": RoleRule(office="secretary"),
        "reviewer": RoleRule(office="chairperson", deadline_days=10),
        "approver": RoleRule(office="chairperson"),
        "signatory": RoleRule(office="chairperson"),
        # The secretariat reports the commission's own follow-up; the Chairperson clears it.
        "reporter": RoleRule(office="secretary"),
        "report_clearer": RoleRule(office="chairperson"),
    }


@hookimpl
def form(kind: ItemKind) -> type | None:
    return IpmgJointResolution if kind == ItemKind.JOINT_RESOLUTION else None


@hookimpl
def check(kind: ItemKind, form: object, parties: list[str]) -> list[Finding]:
    if not isinstance(form, JointResolutionForm):
        return []
    return [
        Finding(field=f"points[{index}].parties",
                message=f"names {', '.join(strangers)}, not parties to this resolution "
                        f"({', '.join(parties)})")
        for index, point in enumerate(form.points)
        if (strangers := [code for code in point.parties if code not in parties])
    ]


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    return {"secretary": DelegationRule(supervisor="chairperson")}.get(office)
