"""Balochistan: the Women Parliamentary Caucus of the Provincial Assembly, the
Social Welfare and Women Development Departments."""

from __future__ import annotations

import re
from datetime import date

from pydantic import field_validator

from engine.contract import DelegationRule, ExtraStep, ItemKind, Office, OfficeHolder, PartyIdentity, RoleRule
from engine.contract.forms import (
    MAX_ROWS,
    Activity,
    AgreementForm,
    FormModel,
    JointResolutionForm,
    WorkPlanForm,
    label,
)
from engine.contract.hookspecs import hookimpl
from engine.contract.partykit import national_holidays

#: PSDP requests above this total need the Finance Department's review.
FINANCE_REVIEW_ABOVE_PKR = 50_000_000
#: The Provincial Assembly's general seats are constituencies PB-1 to PB-51.
CONSTITUENCIES = 51


class PsdpScheme(FormModel):
    """A Public Sector Development Programme scheme requested for a constituency."""

    constituency: str = label("Constituency", "حلقہ", examples=["PB-41"])
    scheme: str = label("Scheme", "اسکیم", min_length=5)
    estimated_cost_pkr: int = label("Estimated cost (PKR)", "تخمینی لاگت (روپے)", gt=0)

    @field_validator("constituency")
    @classmethod
    def _is_a_balochistan_constituency(cls, value: str) -> str:
        match = re.fullmatch(r"PB-(\d{1,2})", value.strip().upper())
        if not match or not 1 <= int(match.group(1)) <= CONSTITUENCIES:
            raise ValueError(
                f"{value!r} is not a constituency of the Provincial Assembly of Balochistan "
                f"(PB-1 to PB-{CONSTITUENCIES})"
            )
        return value.strip().upper()


class PwlWorkPlan(WorkPlanForm):
    """The caucus's work plan under the Pakistan Women Leaders project, with PSDP requests."""

    activities: list[Activity] = label("Activities", "سرگرمیاں", min_length=1, max_length=MAX_ROWS)
    psdp_schemes: list[PsdpScheme] = label("PSDP scheme requests", "پی ایس ڈی پی اسکیموں کی درخواستیں",
                                           default_factory=list, max_length=MAX_ROWS)

    @property
    def psdp_total_pkr(self) -> int:
        return sum(scheme.estimated_cost_pkr for scheme in self.psdp_schemes)


class BalochistanJointResolution(JointResolutionForm):
    focal_department: str = label("Focal department", "مرکزی محکمہ",
                                  default="Women Development Department, Balochistan")


class BalochistanAgreement(AgreementForm):
    districts: list[str] = label("Districts covered", "شامل اضلاع", default_factory=list,
                                 max_length=40)


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(
        contract="1.1",  # the contract version this package is written for
        code="balochistan", name_en="Government of Balochistan", name_ur="حکومتِ بلوچستان",
        kind="province", reference_prefix="BL", holidays=national_holidays(2025, 2026, 2027),
    )


@hookimpl
def offices() -> list[Office]:
    return [
        Office(code="deputy-speaker", title_en="Deputy Speaker, Provincial Assembly of Balochistan",
               title_ur="ڈپٹی اسپیکر، صوبائی اسمبلی بلوچستان"),
        Office(code="wpc-member", title_en="Member, Women Parliamentary Caucus, Provincial Assembly of Balochistan",
               title_ur="رکن، ویمن پارلیمانی کاکس، صوبائی اسمبلی بلوچستان", seats=15),
        Office(code="assembly-secretary", title_en="Secretary, Provincial Assembly of Balochistan",
               title_ur="سیکرٹری، صوبائی اسمبلی بلوچستان", keeps_directory=True),
        Office(code="ps-social-welfare", title_en="Parliamentary Secretary, Social Welfare Department, Balochistan",
               title_ur="پارلیمانی سیکرٹری، محکمہ سماجی بہبود، بلوچستان"),
        Office(code="swd-secretary", title_en="Secretary, Social Welfare Department, Balochistan",
               title_ur="سیکرٹری، محکمہ سماجی بہبود، بلوچستان"),
        Office(code="law-secretary", title_en="Secretary, Law and Parliamentary Affairs Department, Balochistan",
               title_ur="سیکرٹری، محکمہ قانون و پارلیمانی امور، بلوچستان"),
        Office(code="finance-secretary", title_en="Secretary, Finance Department, Balochistan",
               title_ur="سیکرٹری، محکمہ خزانہ، بلوچستان"),
        Office(code="wdd-minister", title_en="Minister for Women Development, Balochistan",
               title_ur="وزیر برائے ترقیِ نسواں، بلوچستان"),
        Office(code="wdd-secretary", title_en="Secretary, Women Development Department, Balochistan",
               title_ur="سیکرٹری، محکمہ ترقیِ نسواں، بلوچستان"),
    ]


@hookimpl
def office_holders() -> list[OfficeHolder]:
    return [
        OfficeHolder(
            office="ps-social-welfare", name="Haji Wali Muhammad Noorzai", username="wali.noorzai",
            since=date(2025, 2, 25), until=date(2025, 2, 25),
            source="context/004: Letter of Intent signed at the National Social Protection "
                   "Conference, Karachi, 2025-02-25",
        ),
    ]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule]:
    return {
        ItemKind.WORK_PLAN: {
            "drafter": RoleRule(office="assembly-secretary"),
            # The caucus works under the Deputy Speaker, who is told when its members are late.
            # The caucus meets at the Deputy Speaker's office (context/001): an overdue
            # members' review goes to the Deputy Speaker, who may then clear or return it.
            "reviewer": RoleRule(office="wpc-member", escalate_to="deputy-speaker",
                                 escalation_decides=True),
            # "approved by WPC members" (context/001): three members' approvals carry it.
            "approver": RoleRule(office="wpc-member", quorum=3, escalate_to="deputy-speaker"),
            "signatory": RoleRule(office="deputy-speaker"),
            "finance_reviewer": RoleRule(office="finance-secretary"),
        },
        ItemKind.JOINT_RESOLUTION: {
            "drafter": RoleRule(office="wdd-secretary"),
            "reviewer": RoleRule(office="wdd-secretary", deadline_days=10),
            "approver": RoleRule(office="wdd-minister"),
            "signatory": RoleRule(office="wdd-minister"),
        },
        ItemKind.AGREEMENT: {
            "drafter": RoleRule(office="swd-secretary"),
            "reviewer": RoleRule(office="law-secretary"),
            "approver": RoleRule(office="ps-social-welfare"),
            "signatory": RoleRule(office="ps-social-welfare"),
        },
    }[kind]


@hookimpl
def form(kind: ItemKind) -> type:
    return {ItemKind.WORK_PLAN: PwlWorkPlan, ItemKind.JOINT_RESOLUTION: BalochistanJointResolution,
            ItemKind.AGREEMENT: BalochistanAgreement}[kind]


@hookimpl
def extra_steps(kind: ItemKind, form: object, parties: list[str]) -> list[ExtraStep]:
    if not isinstance(form, PwlWorkPlan) or form.psdp_total_pkr <= FINANCE_REVIEW_ABOVE_PKR:
        return []
    return [ExtraStep(
        after="review", name="finance_review", label_en="Finance Department review",
        label_ur="محکمہ خزانہ کا جائزہ", role="finance_reviewer",
        reason=f"PSDP requests total PKR {form.psdp_total_pkr:,}, above PKR {FINANCE_REVIEW_ABOVE_PKR:,}",
    )]


#: Who records an officer's absence besides them: the caucus and the Assembly's
#: secretariat work under the Deputy Speaker, a department's Secretary under its minister.
SUPERVISORS = {"wpc-member": "deputy-speaker", "assembly-secretary": "deputy-speaker",
               "wdd-secretary": "wdd-minister", "swd-secretary": "ps-social-welfare"}


@hookimpl
def delegation(office: str) -> DelegationRule | None:
    # Caucus members stand in for each other (same office); no other office stands in.
    return DelegationRule(supervisor=SUPERVISORS.get(office))
