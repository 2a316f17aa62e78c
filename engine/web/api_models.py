"""The shapes of the REST API's requests and answers: what its OpenAPI document describes.

Requests refuse unknown fields (the acting officer comes from the token, never from a
body) and text the engine could not store: NUL and other control characters, lone
surrogates that JSON can carry but UTF-8 cannot, text over its field's `max_length`, lists
over theirs, data nested too deeply. A single line (a title, a code, a name) has no line
break either. Answers are built from the engine's objects by each model's `of`;
times are the engine's UTC, said so explicitly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy.orm import Session

from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.contract.forms import control_character
from engine.core.items import Action, BulkResult
from engine.errors import InvalidForm
from engine.store import Absence, AuditEvent, Item, Officer, PlanAction, StepRecord, Version, check_text
from engine.store.statuses import ProgressStatus


def _storable(value: Any) -> Any:
    """Refuse text that cannot be stored and hashed (NUL, lone surrogates) as a validation
    error of the field, with the engine's own check (engine.core.items.check_text)."""
    try:
        check_text(value, "the value")
    except InvalidForm as error:
        raise ValueError(error.message) from None
    return value


def _one_line(value: str) -> str:
    problem = control_character(value, single_line=True)
    if problem is not None:
        raise ValueError(f"contains {problem}: a single line without control characters")
    return value


def _utc(value: datetime | None) -> datetime | None:
    """The engine keeps naive UTC times; the API says they are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


MAX_COMMENT = 10_000
"""Characters of a comment or a reason."""

# The rule on control characters (engine.contract.forms.control_character), as the
# OpenAPI document says it to clients; the validators below give the field-named message.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"

Text = Annotated[str, Field(max_length=MAX_COMMENT, json_schema_extra={"pattern": _TEXT}),
                 AfterValidator(_storable)]
"""Free text, several lines allowed: a comment, a reason."""
Line = Annotated[str, Field(max_length=300, json_schema_extra={"pattern": _LINE}),
                 AfterValidator(_one_line), AfterValidator(_storable)]
"""One line: a title, a party's code, a username."""
FormData = Annotated[dict[str, Any], Field(max_length=200), AfterValidator(_storable)]
"""A form's fields (each bounded by the engine's MAX_TEXT and the party's form model)."""
Moment = Annotated[datetime, AfterValidator(_utc)]



class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Answer(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- Refusals ----------------------------------------------------------------------------------

class Problem(BaseModel):
    field: str
    message: str
    message_ur: str | None = None
    """The same message in Urdu, where the engine says it in Urdu (a form's validation)."""


class Error(BaseModel):
    """Why the engine refused: its kind (NotAllowed, InvalidForm, ...), a message an officer
    can act on, and for a form the fields that are wrong (`engine.web.deps.error_body`)."""

    error: str
    message: str
    field: str | None
    problems: list[Problem]


class ValidationDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RequestInvalid(BaseModel):
    """FastAPI's answer to a request that does not match this schema (malformed JSON, a
    missing, unknown or mistyped field): `loc` names the field, e.g. ["body", "action"]."""

    detail: list[ValidationDetail]


# --- Officers and parties --------------------------------------------------------------------

class OfficeHeld(BaseModel):
    party: str
    office: str
    title_en: str | None
    title_ur: str | None
    since: date | None
    until: date | None


class Me(BaseModel):
    username: str
    name: str
    sample: bool
    offices: list[OfficeHeld] = Field(description="The offices the officer holds today.")


class PartySummary(BaseModel):
    code: str
    name_en: str
    name_ur: str
    kind: str
    kinds: list[ItemKind] = Field(description="The item kinds the party takes part in.")


class FormField(_Answer):
    name: str
    label_en: str
    label_ur: str
    type: str
    required: bool


class PartyForm(BaseModel):
    model: str
    fields: list[FormField]
    json_schema: dict[str, Any] = Field(
        description="The form model's JSON schema; each field's `title` is its English "
                    "label and `title_ur` its Urdu one.")


class PartyKind(BaseModel):
    kind: ItemKind
    label: str
    roles: dict[str, RoleRule]
    form: PartyForm | None


class PartyDetail(BaseModel):
    identity: PartyIdentity
    offices: list[Office]
    kinds: list[PartyKind]


# --- Items -----------------------------------------------------------------------------------

class ItemSummary(BaseModel):
    reference: str
    kind: str
    title: str
    state: str
    revision: int
    drafting_party: str
    parties: list[str]
    created_at: Moment
    updated_at: Moment

    @classmethod
    def of(cls, item: Item) -> ItemSummary:
        return cls(reference=item.reference, kind=item.kind, title=item.title, state=item.state,
                   revision=item.revision, drafting_party=item.drafting_party,
                   parties=item.party_codes, created_at=item.created_at,
                   updated_at=item.updated_at)


class ItemVersion(BaseModel):
    number: int
    title: str
    form_model: str
    form: dict[str, Any]
    author: str
    created_at: Moment
    submitted_at: Moment | None
    digest: str | None = Field(description="SHA-256 of the version's exact content, set when "
                                           "it is submitted; signatures cover it.")

    @classmethod
    def of(cls, version: Version) -> ItemVersion:
        return cls(number=version.number, title=version.title, form_model=version.form_model,
                   form=version.form, author=version.author.username,
                   created_at=version.created_at, submitted_at=version.submitted_at,
                   digest=version.digest)


class StepDecision(BaseModel):
    officer: str
    action: str
    at: Moment
    capacity: str = Field("holder", description="holder, substitute (for `for_officer`, who "
                          "was away) or escalated.")
    for_officer: str | None = None


class ItemStep(BaseModel):
    cycle: int
    position: int
    name: str
    party: str
    role: str
    office: str
    quorum: int
    status: str = Field(description="open, pending (its turn has not come), done or closed.")
    opened_at: Moment | None
    due_at: Moment | None
    closed_at: Moment | None
    assignee: str | None = Field(description="The one officer the step was reassigned to.")
    decisions: list[StepDecision]

    @classmethod
    def of(cls, step: StepRecord, session: Session) -> ItemStep:
        assignee = session.get(Officer, step.assigned_to_id) if step.assigned_to_id else None
        return cls(
            cycle=step.cycle, position=step.position, name=step.name, party=step.party,
            role=step.role, office=step.office, quorum=step.quorum, status=step.status,
            opened_at=step.opened_at, due_at=step.due_at, closed_at=step.closed_at,
            assignee=assignee.username if assignee else None,
            decisions=[StepDecision(officer=d.officer.username, action=d.action, at=d.at,
                                    capacity=d.capacity,
                                    for_officer=d.for_officer.username if d.for_officer else None)
                       for d in step.decisions],
        )


class HistoryEvent(BaseModel):
    seq: int
    at: Moment
    officer: str | None
    action: str
    step: str | None
    party: str | None
    version: int | None
    comment: str | None
    payload: dict[str, Any]
    hash: str = Field(description="This event's link in the item's hash chain.")

    @classmethod
    def of(cls, event: AuditEvent) -> HistoryEvent:
        return cls(seq=event.seq, at=event.at,
                   officer=event.officer.username if event.officer else None,
                   action=event.action, step=event.step, party=event.party,
                   version=event.version, comment=event.comment, payload=event.payload,
                   hash=event.hash)


class ItemDetail(ItemSummary):
    drafter: str
    flow_version: int
    cycle: int
    ordered_signing: bool
    versions: list[ItemVersion]
    steps: list[ItemStep]
    history: list[HistoryEvent]


class InboxEntry(_Answer):
    reference: str
    kind: str
    title: str
    step: str
    party: str
    office: str
    due_at: Moment | None
    parties: list[str]
    revision: int
    capacity: str = Field("holder", description="holder; substitute (for `acting_for`, who is "
                          "away); or escalated (an overdue step escalated to your office).")
    acting_for: str | None = None


# --- Drafting and acting ---------------------------------------------------------------------

class NewItem(_Request):
    kind: ItemKind
    parties: list[Annotated[Line, Field(max_length=32)]] = Field(
        max_length=20, description="Party codes; the first drafts the item.")
    title: Line
    form: FormData = Field(description="The drafting party's form for the kind "
                                       "(GET /api/parties/{code} gives its schema).")
    ordered_signing: bool = False


class ActionRequest(_Request):
    action: Action
    comment: Text | None = Field(None, description="A comment; the reason to return, reject "
                                                   "or withdraw.")
    form: FormData | None = Field(None, description="New form data (submit and revise only).")
    title: Line | None = Field(None, description="A new title (submit and revise only).")
    expected_revision: int | None = Field(None, ge=0, le=2**31 - 1,
                                          description="Act only if the item is still at "
                                                      "this revision (409 otherwise).")
    passphrase: SecretStr | None = Field(None, max_length=1024,
                                         description="sign: the passphrase of your signing "
                                                     "key; used to sign, never stored or logged.")


class Outcome(_Answer):
    reference: str
    action: str
    state: str
    message: str
    revision: int = Field(description="The item's revision after the action; send it back as "
                                      "`expected_revision` to act only on what you saw.")
    replayed: bool = Field(description="True when the idempotency key had already been used: "
                                       "nothing was done again.")


class BulkActionRequest(_Request):
    references: list[Annotated[Line, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=1000)
    action: Action
    comment: Text | None = None
    passphrase: SecretStr | None = Field(None, max_length=1024,
                                         description="sign: your signing key's passphrase.")


class BulkItemResult(BaseModel):
    reference: str
    ok: bool
    state: str | None = None
    revision: int | None = None
    message: str
    error: str | None = Field(None, description="The kind of refusal (NotAllowed, Conflict, ...).")
    status: int | None = Field(None, description="The HTTP status the refusal alone would have.")

    @classmethod
    def of(cls, result: BulkResult) -> BulkItemResult:
        if result.outcome is not None:
            outcome = result.outcome
            return cls(reference=result.reference, ok=True, state=outcome.state,
                       revision=outcome.revision, message=outcome.message)
        error = result.error
        assert error is not None, "act_many gives each reference an outcome or an error"
        return cls(reference=result.reference, ok=False, message=error.message,
                   error=type(error).__name__, status=error.http_status)


class Reassignment(_Request):
    party: Annotated[Line, Field(max_length=32)] = Field(
        description="The party whose open step moves.")
    to_officer: Annotated[Line, Field(max_length=64)] = Field(
        description="Who takes the step; they must hold its office.")
    reason: Text


# -- absences: an officer away, and who acts for them -------------------------------------

class AbsenceIn(_Request):
    officer: Text | None = Field(None, max_length=64, description="Who is away; default: the "
                                 "token's officer (else they must hold the supervising office).")
    substitute: Text = Field(max_length=64, description="Who acts for them meanwhile.")
    since: date = Field(description="The first day away.")
    until: date = Field(description="The last day away.")
    reason: Text = Field(max_length=300)


class AbsenceBack(_Request):
    officer: Text | None = Field(None, max_length=64, description="Who is back; default: the "
                                 "token's officer.")
    on: date | None = Field(None, description="The first day back; default: today.")


class AbsenceOut(_Answer):
    id: int
    officer: str
    substitute: str
    since: date
    until: date
    last_day: date = Field(description="The last day the delegation runs (earlier than `until` "
                           "when the officer came back early).")
    back_on: date | None
    reason: str
    recorded_by: str

    @classmethod
    def of(cls, absence: Absence) -> AbsenceOut:
        return cls(id=absence.id, officer=absence.officer.username,
                   substitute=absence.substitute.username, since=absence.since,
                   until=absence.until, last_day=absence.last_day, back_on=absence.back_on,
                   reason=absence.reason, recorded_by=absence.recorded_by.username)


# -- follow-up: the quarter's action plan and the parties' progress reports -------------



class ProgressReportOut(_Answer):
    status: str
    state: str = Field(description="draft (the party's reporter wrote it) or cleared (it counts).")
    reason: str | None
    note: str | None
    drafted_by: str
    cleared_by: str | None


class PlanActionOut(_Answer):
    id: int
    reference: str = Field(description="The joint resolution the action comes from.")
    point: int
    party: str
    quarter: str
    text: str
    priority_area: str
    due_on: date
    report: ProgressReportOut | None

    @classmethod
    def of(cls, action: PlanAction) -> PlanActionOut:
        report = max(action.reports, key=lambda r: r.id) if action.reports else None
        return cls(
            id=action.id, reference=action.item.reference, point=action.point_index + 1,
            party=action.party, quarter=action.quarter, text=action.text,
            priority_area=action.priority_area, due_on=action.due_on,
            report=None if report is None else ProgressReportOut(
                status=report.status, state=report.state, reason=report.reason, note=report.note,
                drafted_by=report.drafted_by.username,
                cleared_by=report.cleared_by.username if report.cleared_by else None),
        )


class ProgressRequest(_Request):
    status: ProgressStatus
    reason: Text | None = Field(None, max_length=4000, description="Required when blocked.")
    note: Text | None = Field(None, max_length=4000)


class QuarterReportOut(_Answer):
    quarter: str
    parties: list[str]
    by_party: dict[str, dict[str, int]] = Field(description="party → status → actions; "
                                                "`unreported` counts actions without a cleared report.")
    by_area: dict[str, dict[str, int]]
    overdue: list[dict[str, Any]]
    total: int
