"""A province written for contract 1.0, the first release's: it declares no contract
version, implements no organisation hook (delegation) and sets no organisation field
(keeps_directory, audits, escalation_decides). Frozen: do not update it."""

from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.forms import FormModel, WorkPlanForm, label
from engine.hookspecs import hookimpl


class ContractOnePlan(WorkPlanForm):
    district: str = label("District", "ضلع", examples=["Gilgit"])


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(code="contract-one", name_en="Province of Contract One [sample]",
                         name_ur="معاہدہ اول کا صوبہ", kind="province", reference_prefix="CO")


@hookimpl
def offices() -> list[Office]:
    return [Office(code="secretary", title_en="Secretary [sample]", title_ur="سیکرٹری"),
            Office(code="minister", title_en="Minister [sample]", title_ur="وزیر")]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule] | None:
    if kind != ItemKind.WORK_PLAN:
        return None
    return {"drafter": RoleRule(office="secretary"), "reviewer": RoleRule(office="minister"),
            "approver": RoleRule(office="minister", escalate_to="minister"),
            "signatory": RoleRule(office="minister")}


@hookimpl
def form(kind: ItemKind) -> type[FormModel] | None:
    return ContractOnePlan if kind == ItemKind.WORK_PLAN else None
