"""Punjab: the Women Parliamentary Caucus of the Provincial Assembly, the Women
Development Department and the Punjab Social Protection Authority."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from engine.contract import DelegationRule, Finding, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import MAX_ROWS, Activity, AgreementForm, JointResolutionForm, WorkPlanForm, label
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays

# The WPC Action Plan's core pillars, as presented on 19 November 2025 (context/000).
Pillar = Literal[
    "Legislative reforms",
    "Gender-responsive governance",
    "Capacity building",
    "Oversight of women-related policies",
]
PILLARS: tuple[str, ...] = get_args(Pillar)


class PillarActivity(Activity):
    pillar: Pillar = label("Pillar", "ستون")
    lead: str = label("Lead", "ذمہ دار", min_length=3)


class WpcActionPlan(WorkPlanForm):
    """The Women Parliamentary Caucus Action Plan."""

    activities: list[PillarActivity] = label("Activities", "سرگرمیاں", min_length=1,
                                          max_length=MAX_ROWS)


class PunjabJointResolution(JointResolutionForm):
    focal_department: str = label("Focal department", "مرکزی محکمہ",
                                  default="Women Development Department, Punjab")


class PunjabAgreement(AgreementForm):
    pspa_programmes: list[str] = label("PSPA programmes concerned", "متعلقہ پی ایس پی اے پروگرام",
                                       default_factory=list, max_length=MAX_ROWS)


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="punjab", name_en="Government of the Punjab", name_ur="حکومتِ پنجاب",
        kind="province", reference_prefix="PJ", holidays=national_holidays(2025, 2026, 2027),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="wpc-convener", title_en="Convener, Women Parliamentary Caucus, Provincial Assembly of the Punjab",
               title_ur="کنوینر، ویمن پارلیمانی کاکس، صوبائی اسمبلی پنجاب"),
        Office(code="wpc-member", title_en="Member, Women Parliamentary Caucus, Provincial Assembly of the Punjab",
               title_ur="رکن، ویمن پارلیمانی کاکس، صوبائی اسمبلی پنجاب", seats=20),
        Office(code="pdu-director", title_en="Director, Parliamentary Development Unit, Provincial Assembly of the Punjab",
               title_ur="ڈائریکٹر، پارلیمانی ڈویلپمنٹ یونٹ، صوبائی اسمبلی پنجاب"),
        Office(code="wdd-minister", title_en="Minister for Women Development, Punjab",
               title_ur="وزیر برائے ترقیِ نسواں، پنجاب"),
        Office(code="wdd-secretary", title_en="Secretary, Women Development Department, Punjab",
               title_ur="سیکرٹری، محکمہ ترقیِ نسواں، پنجاب", keeps_directory=True),
        Office(code="pspa-vice-chair", title_en="Vice Chairperson, Punjab Social Protection Authority",
               title_ur="وائس چیئرپرسن، پنجاب سوشل پروٹیکشن اتھارٹی"),
        Office(code="pspa-dg", title_en="Director General, Punjab Social Protection Authority",
               title_ur="ڈائریکٹر جنرل، پنجاب سوشل پروٹیکشن اتھارٹی"),
        Office(code="swd-secretary", title_en="Secretary, Social Welfare and Bait-ul-Maal Department, Punjab",
               title_ur="سیکرٹری، محکمہ سماجی بہبود و بیت المال، پنجاب"),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    session = "context/000: WPC–civil society interface session, Lahore, 2025-11-19"
    loi = "context/004: Letter of Intent signed at the National Social Protection Conference, Karachi, 2025-02-25"
    return [
        OfficeHolder(office="wpc-convener", name="Begum Ishrat Ashraf", username="ishrat.ashraf",
                     since=date(2025, 11, 19), until=date(2025, 11, 19), source=session),
        OfficeHolder(office="pdu-director", name="Asfa Khan", username="asfa.khan",
                     since=date(2025, 11, 19), until=date(2025, 11, 19), source=session),
        OfficeHolder(office="pspa-vice-chair", name="Jahan Ara Manzoor Wattoo", username="jahanara.wattoo",
                     since=date(2025, 2, 25), until=date(2025, 2, 25), source=loi),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule]:
    return {
        ItemKind.WORK_PLAN: {
            "drafter": RoleRule(office="pdu-director"),
            # An overdue members' review goes to the Convener (the approver), who may decide it.
            "reviewer": RoleRule(office="wpc-member", escalation_decides=True),
            "approver": RoleRule(office="wpc-convener"),
            "signatory": RoleRule(office="wpc-convener"),
        },
        ItemKind.JOINT_RESOLUTION: {
            "drafter": RoleRule(office="wdd-secretary"),
            "reviewer": RoleRule(office="wdd-secretary", deadline_days=10),
            "approver": RoleRule(office="wdd-minister"),
            "signatory": RoleRule(office="wdd-minister"),
        },
        ItemKind.AGREEMENT: {
            "drafter": RoleRule(office="pspa-dg"),
            "reviewer": RoleRule(office="swd-secretary"),
            "approver": RoleRule(office="pspa-vice-chair"),
            "signatory": RoleRule(office="pspa-vice-chair"),
        },
    }[kind]


@hookimpl
def form(kind: ItemKind) -> type:
    return {ItemKind.WORK_PLAN: WpcActionPlan, ItemKind.JOINT_RESOLUTION: PunjabJointResolution,
            ItemKind.AGREEMENT: PunjabAgreement}[kind]


@hookimpl
def check(kind: ItemKind, form: object, parties: list[str]) -> list[Finding]:
    if not isinstance(form, WpcActionPlan):
        return []
    covered = {activity.pillar for activity in form.activities}
    missing = [pillar for pillar in PILLARS if pillar not in covered]
    if missing:
        return [Finding(field="activities",
                        message=f"the WPC Action Plan must cover every pillar; missing: {', '.join(missing)}")]
    return []


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    return {
        # A caucus member acts for the Convener while she is away; the Convener records
        # her members' absences.
        "wpc-convener": DelegationRule(substitutes=("wpc-member",)),
        "wpc-member": DelegationRule(supervisor="wpc-convener"),
        "wdd-secretary": DelegationRule(supervisor="wdd-minister"),
        "pspa-dg": DelegationRule(supervisor="pspa-vice-chair"),
    }.get(office)
