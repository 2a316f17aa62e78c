"""The values a party plugin hands to the engine through the hooks in `hookspecs.py`.

They are pydantic models so that what a plugin returns is checked at the border: a
plugin that returns the wrong shape is reported by name, hook and reason.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.contract.contract_version import check_supported


class ItemKind(StrEnum):
    WORK_PLAN = "work_plan"
    JOINT_RESOLUTION = "joint_resolution"
    AGREEMENT = "agreement"

    @property
    def code(self) -> str:
        return {"work_plan": "WP", "joint_resolution": "JR", "agreement": "IPA"}[self.value]

    @property
    def label(self) -> str:
        return {
            "work_plan": "Work plan",
            "joint_resolution": "Joint resolution",
            "agreement": "Inter-provincial agreement",
        }[self.value]


class _Frozen(BaseModel):
    # Attribute docstrings become field descriptions: the hook reference prints them.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class PartyIdentity(_Frozen):
    """Who a party is. `code` is how officers and scripts name it (`--parties punjab,sindh`)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    name_en: str = Field(min_length=2)
    name_ur: str = Field(min_length=2)
    kind: str = Field(pattern=r"^(province|region|federal|commission|secretariat)$")
    reference_prefix: str = Field(pattern=r"^[A-Z]{2,5}$")
    timezone: str = "Asia/Karachi"
    weekend: tuple[int, ...] = (5, 6)
    """Days off as Python weekday numbers (Monday 0): Saturday and Sunday by default."""
    holidays: tuple[date, ...] = ()
    """Public holidays on which steps' deadlines do not run (national ones included)."""
    definition_version: int = Field(default=1, ge=1)
    """The version of this party's definition (roles, extra steps, rules): raise it when
    an upgrade changes them. Items in flight keep the version they were drafted under;
    new items follow this one (see `roles` in `engine.contract.hookspecs`)."""
    contract: str = Field(default="1.0", pattern=r"^\d{1,3}\.\d{1,3}$")
    """The version of the party contract the package was written for (the engine's is
    `engine.contract.hookspecs.CONTRACT_VERSION`). A party that does not say was written
    for 1.0, the contract before versions were declared. The engine refuses a party
    written for a newer contract than its own, and gives one written for an older minor
    version the defaults of the hooks added since."""

    @model_validator(mode="before")
    @classmethod
    def _contract_first(cls, data: Any) -> Any:
        # Before any other field: a party of a newer contract may carry fields this
        # engine does not know, and "needs contract 1.2" is the fault to report.
        if isinstance(data, dict):
            check_supported(str(data.get("contract", "1.0")))
        return data


class Office(_Frozen):
    """An office (designation) of a party. Signatories are offices, not people."""

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    title_en: str = Field(min_length=3)
    title_ur: str = Field(min_length=2)
    seats: int = Field(default=1, ge=1)
    """How many officers hold it at once: 1 for a Convener, more for caucus members.
    Appointing a holder to a single-seat office relieves the one before; the engine refuses
    to appoint more holders than seats."""
    keeps_directory: bool = False
    """Its holders keep the party's officer directory: they appoint officers to the party's
    offices and relieve them, in the web app and the API (the engine checks it). Mark the
    office that handles the party's postings, e.g. the department's Secretary."""
    audits: tuple[ItemKind, ...] = ()
    """Item kinds this office reads in full as an auditor, whatever their parties: the
    IPMG secretariat for the joint resolutions it coordinates. Reading is otherwise
    need-to-know (an officer reads the items of the parties whose offices they hold or
    held during the item's life); its holders read from the day they take the office,
    and it gives no right to act. Only a single-seat office may audit."""

    @model_validator(mode="after")
    def _auditors_are_single_seats(self) -> Office:
        # Reading every party's items is for a named office, not for a body of members.
        if self.audits and self.seats != 1:
            raise ValueError(f"office {self.code!r} audits {', '.join(self.audits)} but has "
                             f"{self.seats} seats; only a single-seat office may audit")
        return self


class OfficeHolder(_Frozen):
    """Someone who held an office, from the public record or marked as a sample."""

    office: str
    name: str
    username: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,40}$")
    since: date | None = None
    until: date | None = None
    source: str = Field(min_length=3)
    """Where the fact comes from (a `context/` text, or "sample" for demo people)."""
    sample: bool = False


class RoleRule(_Frozen):
    """Which office fills a role in one kind's flow for this party, and how many must act."""

    office: str
    quorum: int = Field(default=1, ge=1)
    """Approval by n of the office's holders (n of m members); 1 for a named office."""
    deadline_days: int = Field(default=5, ge=1, le=90)
    """Working days (on the party's calendar) the step may wait."""
    remind_days_before: int = Field(default=1, ge=0, le=90)
    """Working days before the deadline from which the office is reminded (0: on the day
    it falls due). A reminder goes out once per step."""
    escalate_to: str | None = None
    """The office of this party told when the deadline passes (once per step). None: the
    party's approver office for the kind, or the step's own office if the kind has none."""
    escalation_decides: bool = False
    """Whether the office escalated to may then decide the overdue step itself (or reassign
    it), recorded as an escalated decision; False: it is only told."""


class DelegationRule(_Frozen):
    """Who may stand in for the holder of one office while they are away, and who may
    record their absence besides the holder (see `delegation` in `engine.contract.hookspecs`)."""

    substitutes: tuple[str, ...] = ()
    """Offices of this party whose holders may act for the absent holder (holders of the
    same office always may)."""
    supervisor: str | None = None
    """The office of this party whose holder may record the absence for the holder (and
    end it early); None: only the holder."""


class ExtraStep(_Frozen):
    """A step a party's rules add to an item's route, after a step of the core flow."""

    after: str
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    label_en: str
    label_ur: str
    role: str
    """A role this party maps in `roles()` for the kind, e.g. "finance_reviewer"."""
    reason: str
    """Why this item needs the step, shown in its history ("cost PKR 120 million > 50 million")."""


class Finding(_Frozen):
    """A rule's objection to an item's content: what is wrong and where."""

    field: str | None = None
    message: str = Field(min_length=3)


class EventNotice(_Frozen):
    """What a party's `on_event` reaction is told about an action on an item of its own."""

    reference: str
    kind: ItemKind
    action: str
    officer: str
    state: str
    parties: tuple[str, ...]
    comment: str | None = None
    seq: int | None = None
    """The event's place in the item's history (1 is the draft)."""
