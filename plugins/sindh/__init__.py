"""Sindh: the Women Development Department, the Sindh Commission on the Status of
Women, the Social Protection Department and the Sindh Social Protection Authority."""

from __future__ import annotations

from datetime import date

from engine.contract import DelegationRule, Finding, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import MAX_ROWS, Activity, AgreementForm, JointResolutionForm, WorkPlanForm, label
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays


class SindhWorkPlan(WorkPlanForm):
    activities: list[Activity] = label("Activities", "سرگرمیاں", min_length=1, max_length=MAX_ROWS)
    districts: list[str] = label("Districts", "اضلاع", min_length=1, max_length=40)


class SindhJointResolution(JointResolutionForm):
    focal_department: str = label("Focal department", "مرکزی محکمہ",
                                  default="Women Development Department, Sindh")


class SindhAgreement(AgreementForm):
    sspa_programmes: list[str] = label("SSPA programmes concerned", "متعلقہ ایس ایس پی اے پروگرام",
                                       default_factory=list, max_length=MAX_ROWS)


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="sindh", name_en="Government of Sindh", name_ur="حکومتِ سندھ", kind="province",
        reference_prefix="SD",
        # 27 December, Benazir Bhutto's death anniversary, is a public holiday in Sindh.
        holidays=national_holidays(2025, 2026, 2027, extra=((12, 27),)),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="sspa-ceo", title_en="Chief Executive Officer, Sindh Social Protection Authority",
               title_ur="چیف ایگزیکٹو آفیسر، سندھ سوشل پروٹیکشن اتھارٹی"),
        Office(code="wdd-minister", title_en="Minister for Women Development, Sindh",
               title_ur="وزیر برائے ترقیِ نسواں، سندھ"),
        Office(code="wdd-secretary", title_en="Secretary, Women Development Department, Sindh",
               title_ur="سیکرٹری، محکمہ ترقیِ نسواں، سندھ", keeps_directory=True),
        Office(code="scsw-chair", title_en="Chairperson, Sindh Commission on the Status of Women",
               title_ur="چیئرپرسن، سندھ کمیشن برائے وقارِ نسواں"),
        Office(code="spd-secretary", title_en="Secretary, Social Protection Department, Sindh",
               title_ur="سیکرٹری، محکمہ سماجی تحفظ، سندھ"),
        Office(code="law-secretary", title_en="Secretary, Law Department, Sindh",
               title_ur="سیکرٹری، محکمہ قانون، سندھ"),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    return [
        OfficeHolder(
            office="sspa-ceo", name="Samiullah Sheikh", username="samiullah.sheikh",
            since=date(2025, 2, 25), until=date(2025, 2, 25),
            source="context/004: launch of the Inter-Provincial Social Protection Forum, "
                   "Karachi, 2025-02-25",
        ),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule]:
    return {
        ItemKind.WORK_PLAN: {
            "drafter": RoleRule(office="wdd-secretary"),
            "reviewer": RoleRule(office="scsw-chair"),
            "approver": RoleRule(office="wdd-minister"),
            "signatory": RoleRule(office="wdd-minister"),
        },
        ItemKind.JOINT_RESOLUTION: {
            "drafter": RoleRule(office="wdd-secretary"),
            "reviewer": RoleRule(office="wdd-secretary", deadline_days=10),
            "approver": RoleRule(office="wdd-minister"),
            "signatory": RoleRule(office="wdd-minister"),
        },
        ItemKind.AGREEMENT: {
            "drafter": RoleRule(office="spd-secretary"),
            "reviewer": RoleRule(office="law-secretary"),
            "approver": RoleRule(office="sspa-ceo"),
            "signatory": RoleRule(office="sspa-ceo"),
        },
    }[kind]


@hookimpl
def form(kind: ItemKind) -> type:
    return {ItemKind.WORK_PLAN: SindhWorkPlan, ItemKind.JOINT_RESOLUTION: SindhJointResolution,
            ItemKind.AGREEMENT: SindhAgreement}[kind]


@hookimpl
def check(kind: ItemKind, form: object, parties: list[str]) -> list[Finding]:
    # Sindh signs no agreement that shares personal data without saying how it is protected,
    # whoever drafts it.
    if isinstance(form, AgreementForm) and form.data_sharing and not form.data_protection_clause:
        return [Finding(field="data_protection_clause",
                        message="Sindh is party to an agreement that shares personal data: "
                                "it needs a data protection clause")]
    return []


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    return {"wdd-secretary": DelegationRule(supervisor="wdd-minister")}.get(office)
