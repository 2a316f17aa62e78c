"""The REST API: JSON over the engine's services, for scripts and other systems.

Every request acts as the officer whose bearer token it carries, never one named in the
body. No rule lives here: reading, drafting, acting and reassigning all go through
`engine.items` and `engine.queries`, and the engine's refusals come back as the JSON of
`engine.web.error_body` with the statuses of `engine.web.status_of` (401, 403, 404, 409,
422). This module only checks that the input is well-formed JSON text the engine can
store, and shapes the engine's answers into the documented response models.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, Security, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from engine import items as services
from engine import queries
from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.db import AuditEvent, Item, Officer, StepRecord, Version
from engine.forms import form_fields
from engine.registry import Party, Registry
from engine.web import db_session, status_of
from engine.web.auth import bearer_officer


def _sendable(value: Any) -> Any:
    """`value` with lone surrogates written out, so that it can be encoded as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_sendable(key): _sendable(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_sendable(inner) for inner in value]
    return value


class ApiRoute(APIRoute):
    """A route whose request-validation errors can always be sent back.

    FastAPI's 422 echoes the offending input; a JSON string may carry a lone surrogate
    ("\\ud800" is valid JSON but not UTF-8), which would make that answer itself fail with
    a 500. The input is written out as escapes instead; the body is FastAPI's as before.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def checked(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as error:
                raise RequestValidationError(_sendable(list(error.errors())),
                                             body=error.body) from None

        return checked


router = APIRouter(prefix="/api", tags=["api"], route_class=ApiRoute)
bearer = HTTPBearer(auto_error=False, scheme_name="officerToken",
                    description="An officer's API token: `manzoori officers token USERNAME`.")


# --- Input that the engine can store: UTF-8 text without NUL ------------------------------

def _storable(value: Any) -> Any:
    """Refuse text that cannot be stored and hashed as UTF-8 (lone surrogates) or holds NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _storable(key)
            _storable(inner)
    elif isinstance(value, list):
        for inner in value:
            _storable(inner)
    return value


Text = Annotated[str, AfterValidator(_storable)]
FormData = Annotated[dict[str, Any], AfterValidator(_storable)]
Reference = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                                description="An item's reference, e.g. PJ-WP-2026-0001.")]


def _utc(value: datetime | None) -> datetime | None:
    """The engine keeps naive UTC times; the API says they are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


Moment = Annotated[datetime, AfterValidator(_utc)]

Action = StrEnum("Action", [(name, name) for name in services.ACTIONS])  # type: ignore[misc]
"""The actions an officer can take (engine.items.ACTIONS); which one is possible depends
on the item's step and the officer's office, as the engine decides."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- Errors --------------------------------------------------------------------------------

class Problem(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Why the engine refused: its kind (NotAllowed, InvalidForm, ...), a message an officer
    can act on, and for a form the fields that are wrong."""

    error: str
    message: str
    field: str | None
    problems: list[Problem]


class ValidationDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RequestInvalid(BaseModel):
    """FastAPI's answer to a request that does not match this schema (bad JSON, a missing
    or mistyped field): `loc` names the field, e.g. ["body", "action"]."""

    detail: list[ValidationDetail]


_MEANING = {
    400: "a party's plugin failed while checking the request",
    401: "no API token, or an unknown or revoked one",
    403: "the token's officer may not do this (wrong office or party, maker = checker, wrong step)",
    404: "no such item, party or officer",
    409: "the item changed since the given revision, the decision was already recorded, "
         "or the idempotency key was used for another action",
    422: "the request or the form is not valid; `problems` (or FastAPI's `detail`) names the fields",
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error responses an operation can give (401 always).

    A 422 is either the engine's InvalidForm or FastAPI's own check of the request."""
    return {
        code: {"model": (ErrorOut | RequestInvalid) if code == 422 else ErrorOut,
               "description": _MEANING[code]}
        for code in sorted({401, *statuses})
    }


# --- Who is asking ---------------------------------------------------------------------------

SessionDep = Annotated[Session, Depends(db_session)]


def acting_officer(request: Request, session: SessionDep,
                   _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Officer:
    """The officer the request's bearer token belongs to (401 without a valid one)."""
    return bearer_officer(request, session)


OfficerDep = Annotated[Officer, Depends(acting_officer)]


def registry_of(request: Request) -> Registry:
    return request.app.state.registry


RegistryDep = Annotated[Registry, Depends(registry_of)]


def today() -> date:
    """The day the engine checks office holdings on (UTC, as engine.items does)."""
    return services.utcnow().date()


# --- Officers and parties ------------------------------------------------------------------

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


class FormField(_Output):
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


def _kinds(party: Party) -> list[ItemKind]:
    return [kind for kind in ItemKind if party.roles(kind) is not None]


def _party_kind(party: Party, kind: ItemKind) -> PartyKind:
    model = party.form(kind)
    form = None if model is None else PartyForm(
        model=model.__name__, json_schema=model.model_json_schema(),
        fields=[FormField.model_validate(field) for field in form_fields(model)])
    return PartyKind(kind=kind, label=kind.label, roles=party.roles(kind) or {}, form=form)


def _office_held(registry: Registry, party: str, office: str, since: date | None,
                 until: date | None) -> OfficeHeld:
    known = registry.parties.get(party)
    title = known.offices.get(office) if known else None
    return OfficeHeld(party=party, office=office, since=since, until=until,
                      title_en=title.title_en if title else None,
                      title_ur=title.title_ur if title else None)


@router.get("/me", response_model=Me, responses=refusals())
def me(officer: OfficerDep, registry: RegistryDep) -> Me:
    """The officer the token acts for, and the offices they hold today."""
    day = today()
    held = [_office_held(registry, a.party, a.office, a.since, a.until)
            for a in officer.appointments if a.active_on(day)]
    return Me(username=officer.username, name=officer.name, sample=officer.sample, offices=held)


@router.get("/parties", response_model=list[PartySummary], responses=refusals())
def parties(_officer: OfficerDep, registry: RegistryDep) -> list[PartySummary]:
    """The installed parties (provinces, regions, commissions, ...)."""
    return [
        PartySummary(code=p.code, name_en=p.identity.name_en, name_ur=p.identity.name_ur,
                     kind=p.identity.kind, kinds=_kinds(p))
        for p in sorted(registry.parties.values(), key=lambda p: p.code)
    ]


@router.get("/parties/{code}", response_model=PartyDetail, responses=refusals(404, 422))
def party(code: str, _officer: OfficerDep, registry: RegistryDep) -> PartyDetail:
    """One party: who it is (English and Urdu), its offices, and per item kind its roles
    and its form (fields with English and Urdu labels, and the JSON schema)."""
    found = registry.party(code)
    return PartyDetail(identity=found.identity, offices=list(found.offices.values()),
                       kinds=[_party_kind(found, kind) for kind in _kinds(found)])


# --- Items ---------------------------------------------------------------------------------

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


class VersionOut(BaseModel):
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
    def of(cls, version: Version) -> VersionOut:
        return cls(number=version.number, title=version.title, form_model=version.form_model,
                   form=version.form, author=version.author.username,
                   created_at=version.created_at, submitted_at=version.submitted_at,
                   digest=version.digest)


class DecisionOut(BaseModel):
    officer: str
    action: str
    at: Moment


class StepOut(BaseModel):
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
    decisions: list[DecisionOut]

    @classmethod
    def of(cls, step: StepRecord, session: Session) -> StepOut:
        assignee = session.get(Officer, step.assigned_to_id) if step.assigned_to_id else None
        return cls(
            cycle=step.cycle, position=step.position, name=step.name, party=step.party,
            role=step.role, office=step.office, quorum=step.quorum, status=step.status,
            opened_at=step.opened_at, due_at=step.due_at, closed_at=step.closed_at,
            assignee=assignee.username if assignee else None,
            decisions=[DecisionOut(officer=d.officer.username, action=d.action, at=d.at)
                       for d in step.decisions],
        )


class EventOut(BaseModel):
    seq: int
    at: Moment
    officer: str | None
    action: str
    step: str | None
    party: str | None
    version: int | None
    comment: str | None
    payload: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> EventOut:
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
    versions: list[VersionOut]
    steps: list[StepOut]
    history: list[EventOut]


class DraftIn(_Input):
    kind: ItemKind
    parties: list[Text] = Field(description="Party codes; the first drafts the item.")
    title: Text
    form: FormData = Field(description="The drafting party's form for the kind "
                                       "(GET /api/parties/{code} gives its schema).")
    ordered_signing: bool = False


class OutcomeOut(_Output):
    reference: str
    action: str
    state: str
    message: str
    revision: int = Field(description="The item's revision after the action; send it back as "
                                      "`expected_revision` to act only on what you saw.")
    replayed: bool = Field(description="True when the idempotency key had already been used: "
                                       "nothing was done again.")


@router.get("/items", response_model=list[ItemSummary], responses=refusals(422))
def list_items(
    session: SessionDep, _officer: OfficerDep,
    state: Annotated[Text | None, Query(max_length=64)] = None,
    kind: ItemKind | None = None,
    party: Annotated[Text | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ItemSummary]:
    """Items, newest first, filtered by state, kind and party."""
    found = queries.list_items(session, state=state, kind=kind, party=party, limit=limit)
    return [ItemSummary.of(item) for item in found]


@router.post("/items", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED,
             responses=refusals(400, 403, 404, 422))
def draft_item(body: DraftIn, response: Response, session: SessionDep, officer: OfficerDep,
               registry: RegistryDep) -> OutcomeOut:
    """Draft a new item as the token's officer, for the first of its parties."""
    outcome = services.draft(session, registry, kind=body.kind.value, parties=body.parties,
                             title=body.title, form=body.form, officer=officer.username,
                             ordered_signing=body.ordered_signing)
    response.headers["Location"] = f"{router.prefix}/items/{outcome.reference}"
    return OutcomeOut.model_validate(outcome)


@router.get("/items/{reference}", response_model=ItemDetail, responses=refusals(404, 422))
def show_item(reference: Reference, session: SessionDep, _officer: OfficerDep) -> ItemDetail:
    """One item in full: its parties, versions with their form data and digests, steps with
    their decisions, and its history."""
    detail = queries.item_detail(session, reference)
    item = detail.item
    return ItemDetail(
        **ItemSummary.of(item).model_dump(), drafter=item.drafter.username,
        flow_version=item.flow_version, cycle=item.cycle, ordered_signing=item.ordered_signing,
        versions=[VersionOut.of(version) for version in item.versions],
        steps=[StepOut.of(step, session) for step in item.steps],
        history=[EventOut.of(event) for event in detail.events],
    )


# --- Acting ----------------------------------------------------------------------------------

class ActionIn(_Input):
    action: Action
    comment: Text | None = Field(None, description="A comment; the reason to return, reject "
                                                   "or withdraw.")
    form: FormData | None = Field(None, description="New form data (submit and revise only).")
    title: Text | None = Field(None, description="A new title (submit and revise only).")
    expected_revision: int | None = Field(None, description="Act only if the item is still at "
                                                            "this revision (409 otherwise).")


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="A retry with the same key is not applied twice; its outcome says `replayed`.")]


@router.post("/items/{reference}/actions", response_model=OutcomeOut,
             responses=refusals(400, 403, 404, 409, 422))
def act(reference: Reference, body: ActionIn, session: SessionDep, officer: OfficerDep,
        registry: RegistryDep, idempotency_key: IdempotencyKey = None) -> OutcomeOut:
    """Take one action on an item as the token's officer."""
    outcome = services.act(session, registry, reference=reference, action=body.action.value,
                           officer=officer.username, comment=body.comment, form=body.form,
                           title=body.title, key=idempotency_key,
                           expected_revision=body.expected_revision)
    return OutcomeOut.model_validate(outcome)


class BulkIn(_Input):
    references: list[Annotated[Text, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=1000)
    action: Action
    comment: Text | None = None


class BulkItemOut(BaseModel):
    reference: str
    ok: bool
    state: str | None = None
    revision: int | None = None
    message: str
    error: str | None = Field(None, description="The kind of refusal (NotAllowed, Conflict, ...).")
    status: int | None = Field(None, description="The HTTP status the refusal alone would have.")

    @classmethod
    def of(cls, result: services.BulkResult) -> BulkItemOut:
        if result.outcome is not None:
            outcome = result.outcome
            return cls(reference=result.reference, ok=True, state=outcome.state,
                       revision=outcome.revision, message=outcome.message)
        error = result.error
        return cls(reference=result.reference, ok=False, message=error.message,
                   error=type(error).__name__, status=status_of(error))


@router.post("/actions/bulk", response_model=list[BulkItemOut], responses=refusals(422))
def act_on_many(body: BulkIn, session: SessionDep, officer: OfficerDep,
                registry: RegistryDep) -> list[BulkItemOut]:
    """The same action on several items, each checked and recorded on its own: one refusal
    does not undo the others. Each item's result says whether it was recorded, or why not."""
    results = services.act_many(session, registry, references=body.references,
                                action=body.action.value, officer=officer.username,
                                comment=body.comment)
    return [BulkItemOut.of(result) for result in results]


class ReassignIn(_Input):
    party: Text = Field(max_length=32, description="The party whose open step moves.")
    to_officer: Text = Field(max_length=64, description="Who takes the step; they must hold its office.")
    reason: Text


@router.post("/items/{reference}/reassign", response_model=OutcomeOut,
             responses=refusals(403, 404, 409, 422))
def reassign(reference: Reference, body: ReassignIn, session: SessionDep, officer: OfficerDep,
             registry: RegistryDep) -> OutcomeOut:
    """Move a party's open step on an item to one officer of its office; only they may
    decide it then. Done by the party's drafting or approving office."""
    outcome = services.reassign(session, registry, reference=reference, party=body.party,
                                to_officer=body.to_officer, officer=officer.username,
                                reason=body.reason)
    return OutcomeOut.model_validate(outcome)


# --- What waits ------------------------------------------------------------------------------

class InboxEntryOut(_Output):
    reference: str
    kind: str
    title: str
    step: str
    party: str
    office: str
    due_at: Moment | None
    parties: list[str]
    revision: int


@router.get("/inbox", response_model=list[InboxEntryOut], responses=refusals())
def inbox(session: SessionDep, officer: OfficerDep) -> list[InboxEntryOut]:
    """The steps waiting for the token's officer today, soonest deadline first."""
    return [InboxEntryOut.model_validate(entry) for entry in queries.inbox(session, officer.username)]
