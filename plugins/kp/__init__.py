"""Khyber Pakhtunkhwa: the Planning and Development Department's Social Protection
section, the Social Welfare, Special Education and Women Empowerment Department, and
the Commission on the Status of Women."""

from __future__ import annotations

from datetime import date

from engine.contract import DelegationRule, ExtraStep, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import MAX_ROWS, Activity, AgreementForm, JointResolutionForm, WorkPlanForm, label
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays

#: Work plans asking more than this from the Annual Development Programme go to P&D.
PND_REVIEW_ABOVE_PKR = 100_000_000


class KpWorkPlan(WorkPlanForm):
    activities: list[Activity] = label("Activities", "سرگرمیاں", min_length=1, max_length=MAX_ROWS)
    adp_cost_pkr: int = label("Annual Development Programme cost (PKR)",
                              "سالانہ ترقیاتی پروگرام لاگت (روپے)", ge=0, default=0)


class KpJointResolution(JointResolutionForm):
    focal_department: str = label(
        "Focal department", "مرکزی محکمہ",
        default="Social Welfare, Special Education and Women Empowerment Department",
    )


class KpAgreement(AgreementForm):
    focal_section: str = label("Focal section", "مرکزی سیکشن",
                               default="Social Protection section, P&D Department")


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="kp", name_en="Government of Khyber Pakhtunkhwa", name_ur="حکومتِ خیبر پختونخوا",
        kind="province", reference_prefix="KP", holidays=national_holidays(2025, 2026, 2027),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="pnd-chief-sp",
               title_en="Chief of Section (Social Protection), Planning and Development Department, Khyber Pakhtunkhwa",
               title_ur="چیف آف سیکشن (سماجی تحفظ)، محکمہ منصوبہ بندی و ترقی، خیبر پختونخوا"),
        Office(code="pnd-acs",
               title_en="Additional Chief Secretary, Planning and Development Department, Khyber Pakhtunkhwa",
               title_ur="ایڈیشنل چیف سیکرٹری، محکمہ منصوبہ بندی و ترقی، خیبر پختونخوا"),
        Office(code="swd-secretary",
               title_en="Secretary, Social Welfare, Special Education and Women Empowerment Department, Khyber Pakhtunkhwa",
               title_ur="سیکرٹری، محکمہ سماجی بہبود، خصوصی تعلیم و ترقیِ نسواں، خیبر پختونخوا", keeps_directory=True),
        Office(code="swd-minister", title_en="Minister for Social Welfare, Khyber Pakhtunkhwa",
               title_ur="وزیر برائے سماجی بہبود، خیبر پختونخوا"),
        Office(code="kpcsw-chair", title_en="Chairperson, Khyber Pakhtunkhwa Commission on the Status of Women",
               title_ur="چیئرپرسن، خیبر پختونخوا کمیشن برائے وقارِ نسواں"),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    return [
        OfficeHolder(
            office="pnd-chief-sp", name="Shazia Atta", username="shazia.atta",
            since=date(2025, 2, 25), until=date(2025, 2, 25),
            source="context/004: launch of the Inter-Provincial Social Protection Forum, "
                   "Karachi, 2025-02-25",
        ),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule]:
    return {
        ItemKind.WORK_PLAN: {
            # The drafting department's Secretary follows the plan up when a step is late
            # (the default, the approver, would be the Minister telling himself).
            "drafter": RoleRule(office="swd-secretary"),
            "reviewer": RoleRule(office="kpcsw-chair", escalate_to="swd-secretary"),
            "approver": RoleRule(office="swd-minister", escalate_to="swd-secretary"),
            "signatory": RoleRule(office="swd-minister", escalate_to="swd-secretary"),
            "pnd_reviewer": RoleRule(office="pnd-acs", escalate_to="swd-secretary"),
        },
        ItemKind.JOINT_RESOLUTION: {
            "drafter": RoleRule(office="swd-secretary"),
            "reviewer": RoleRule(office="swd-secretary", deadline_days=10),
            "approver": RoleRule(office="swd-minister"),
            "signatory": RoleRule(office="swd-minister"),
        },
        ItemKind.AGREEMENT: {
            "drafter": RoleRule(office="pnd-chief-sp"),
            "reviewer": RoleRule(office="swd-secretary"),
            "approver": RoleRule(office="pnd-acs"),
            "signatory": RoleRule(office="pnd-acs"),
        },
    }[kind]


@hookimpl
def form(kind: ItemKind) -> type:
    return {ItemKind.WORK_PLAN: KpWorkPlan, ItemKind.JOINT_RESOLUTION: KpJointResolution,
            ItemKind.AGREEMENT: KpAgreement}[kind]


@hookimpl
def extra_steps(kind: ItemKind, form: object, parties: list[str]) -> list[ExtraStep]:
    if not isinstance(form, KpWorkPlan) or form.adp_cost_pkr <= PND_REVIEW_ABOVE_PKR:
        return []
    return [ExtraStep(
        after="review", name="pnd_review", label_en="Planning and Development review",
        label_ur="محکمہ منصوبہ بندی و ترقی کا جائزہ", role="pnd_reviewer",
        reason=f"ADP cost PKR {form.adp_cost_pkr:,} is above PKR {PND_REVIEW_ABOVE_PKR:,}",
    )]


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    # Escalation only tells here: the SWD Secretary it goes to drafts the work plans.
    return {"swd-secretary": DelegationRule(supervisor="swd-minister"),
            "pnd-chief-sp": DelegationRule(supervisor="pnd-acs")}.get(office)
