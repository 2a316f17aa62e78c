"""The REST API: JSON over the engine's services, for scripts and other systems.

Every request acts as the officer whose bearer token it carries, never one named in the
body. No rule lives here: reading, drafting, acting and reassigning all go through
`engine.core.items` and `engine.core.queries`, and the engine's refusals come back as the JSON of
`engine.web.deps.error_body` with the status each error class names (401, 403, 404, 409,
422). The shapes of requests and answers are in `engine.web.api_models`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import SecretStr
from starlette.exceptions import HTTPException

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.contract.forms import form_fields
from engine.core import absences, followup, queries
from engine.core import items as services
from engine.core.access import Reader, reader_of
from engine.core.registry import Party, Registry
from engine.errors import NotAuthenticated
from engine.web.api_models import (
    AbsenceBack,
    AbsenceIn,
    AbsenceOut,
    ActionRequest,
    BulkActionRequest,
    BulkItemResult,
    Error,
    FormField,
    HistoryEvent,
    InboxEntry,
    ItemDetail,
    ItemStep,
    ItemSummary,
    ItemVersion,
    Me,
    NewItem,
    OfficeHeld,
    Outcome,
    PartyDetail,
    PartyForm,
    PartyKind,
    PartySummary,
    PlanActionOut,
    ProgressRequest,
    QuarterReportOut,
    Reassignment,
    RequestInvalid,
    Text,
)
from engine.web.deps import OfficerDep, RegistryDep, SessionDep

_SHOWN = 200
"""Characters of an offending value a 422 repeats; the rest is cut (a client knows what it sent)."""


def _shown(value: Any, depth: int = 0) -> Any:
    """`value` as a 422 may repeat it: short, shallow, and encodable as UTF-8 (a JSON string
    may carry a lone surrogate, "\\ud800", that UTF-8 cannot)."""
    if isinstance(value, str):
        cut = value[:_SHOWN] + ("…" if len(value) > _SHOWN else "")
        return cut.encode("utf-8", "backslashreplace").decode("utf-8")
    if depth >= 3 and isinstance(value, dict | list | tuple):
        return "…"
    if isinstance(value, dict):
        shown = {str(_shown(key, depth + 1)): _shown(inner, depth + 1)
                 for key, inner in list(value.items())[:20]}
        return {**shown, "…": "…"} if len(value) > 20 else shown
    if isinstance(value, list | tuple):
        return [_shown(inner, depth + 1) for inner in value[:20]] + (["…"] if len(value) > 20 else [])
    return value


def _shown_detail(detail: dict[str, Any]) -> dict[str, Any]:
    shown = {key: _shown(value) for key, value in detail.items() if key not in ("loc", "ctx")}
    shown["loc"] = tuple(part if isinstance(part, int) else _shown(part) for part in detail["loc"])
    if "ctx" in detail:
        shown["ctx"] = {key: value if isinstance(value, Exception) else _shown(value)
                        for key, value in detail["ctx"].items()}
    return shown


def _bearer_given(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class ApiRoute(APIRoute):
    """A route that reads no body without credentials, and whose malformed requests
    always get FastAPI's 422, one that can be sent.

    A request with a body but no bearer token is refused (401) before the body is read.
    FastAPI answers a body it cannot decode at all (bytes that are not UTF-8) with a bare
    400; here it is a 422 `json_invalid` like any other malformed JSON. And FastAPI's 422
    echoes the offending input, which may be large or deeply nested, or carry a lone
    surrogate that would make the answer itself fail with a 500: it is cut short instead.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method in _WITH_BODY and not _bearer_given(request):
                raise NotAuthenticated("send an API token: `Authorization: Bearer <token>` "
                                       "(`manzoori officers token USERNAME` makes one)")
            try:
                return await handle(request)
            except RequestValidationError as error:
                raise RequestValidationError([_shown_detail(detail) for detail in error.errors()]) from None
            except HTTPException as error:
                # Our endpoints raise no HTTPException: this is FastAPI failing to read the body.
                if error.status_code != 400 or error.__cause__ is None:
                    raise
                raise RequestValidationError([{
                    "type": "json_invalid", "loc": ("body",), "input": None,
                    "msg": f"the body is not JSON text ({type(error.__cause__).__name__})",
                }]) from None

        return checked


router = APIRouter(prefix="/api", tags=["api"], route_class=ApiRoute)

_MEANING = {
    400: "a party's plugin failed while checking the request",
    401: "no API token, or an unknown or revoked one",
    403: "the token's officer may not do this (wrong office or party, maker = checker, wrong step)",
    404: "no such item, party or officer",
    409: "the item changed since the given revision, the decision was already recorded, "
         "or the idempotency key was used for another action",
    413: "the request's body is over the app's limit (1 MiB unless configured)",
    422: "the request or the form is not valid: the engine's `problems`, or FastAPI's "
         "`detail`, names the fields",
    429: "too many wrong signing passphrases: nothing was checked; wait the seconds "
         "`Retry-After` says",
    503: "the database is busy (another process holds its lock, or every connection is in "
         "use): nothing was changed; send the same request again after `Retry-After` seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer"}}}


def secret(value: SecretStr | None) -> str | None:
    """A secret field's text, taken out only where the engine needs it."""
    return value.get_secret_value() if value is not None else None


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers an operation can give (401 and 503
    always).

    A 422 is either the engine's InvalidForm or FastAPI's own check of the request; an
    operation that takes a body may answer 413 (engine.web.guards)."""
    return {
        code: {"model": (Error | RequestInvalid) if code == 422 else Error,
               "description": _MEANING[code],
               **({"headers": _RETRY_AFTER} if code in (429, 503) else {})}
        for code in sorted({401, 503, *statuses})
    }


def body_refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`refusals` of an operation that takes a body: 413 and 422 too."""
    return refusals(413, 422, *statuses)


# --- Path and header parameters --------------------------------------------------------------

Reference = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                                description="An item's reference, e.g. PJ-WP-2026-0001.")]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="A retry with the same key is not applied twice; its outcome says `replayed`.")]


def today() -> date:
    """The day the engine checks office holdings on (UTC, as engine.core.items does)."""
    return utcnow().date()


def reading(session: SessionDep, officer: OfficerDep, registry: RegistryDep) -> Reader:
    """The token's officer as a reader today: what every read below is limited to."""
    return reader_of(session, registry, officer, today())


ReaderDep = Annotated[Reader, Depends(reading)]


# --- Officers and parties --------------------------------------------------------------------

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


# --- Items -----------------------------------------------------------------------------------

@router.get("/items", response_model=list[ItemSummary], responses=refusals(422))
def list_items(
    session: SessionDep, reader: ReaderDep,
    state: Annotated[Text | None, Query(max_length=64)] = None,
    kind: ItemKind | None = None,
    party: Annotated[Text | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ItemSummary]:
    """Items the token's officer may read (need-to-know), newest first, filtered by state,
    kind and party."""
    found = queries.list_items(session, reader=reader, state=state, kind=kind, party=party,
                               limit=limit)
    return [ItemSummary.of(item) for item in found]


_DRAFTED = {"description": "Drafted", "headers": {
    "Location": {"description": "The new item's URL.", "schema": {"type": "string"}}}}


@router.post("/items", response_model=Outcome, status_code=status.HTTP_201_CREATED,
             responses={**body_refusals(400, 403, 404, 422), 201: _DRAFTED})
def draft_item(body: NewItem, response: Response, session: SessionDep, officer: OfficerDep,
               registry: RegistryDep) -> Outcome:
    """Draft a new item as the token's officer, for the first of its parties."""
    outcome = services.draft(session, registry, kind=body.kind.value, parties=body.parties,
                             title=body.title, form=body.form, officer=officer.username,
                             ordered_signing=body.ordered_signing)
    response.headers["Location"] = f"{router.prefix}/items/{outcome.reference}"
    return Outcome.model_validate(outcome)


@router.get("/items/{reference}", response_model=ItemDetail, responses=refusals(404, 422))
def show_item(reference: Reference, session: SessionDep, reader: ReaderDep) -> ItemDetail:
    """One item in full: its parties, versions with their form data and digests, steps with
    their decisions, and its history. An item outside the officer's need-to-know is a 404,
    the same answer as for one that does not exist."""
    detail = queries.item_detail(session, reference, reader)
    item = detail.item
    return ItemDetail(
        **ItemSummary.of(item).model_dump(), drafter=item.drafter.username,
        flow_version=item.flow_version, cycle=item.cycle, ordered_signing=item.ordered_signing,
        versions=[ItemVersion.of(version) for version in item.versions],
        steps=[ItemStep.of(step, session) for step in item.steps],
        history=[HistoryEvent.of(event) for event in detail.events],
    )


# --- Acting ----------------------------------------------------------------------------------

@router.post("/items/{reference}/actions", response_model=Outcome,
             responses=body_refusals(400, 403, 404, 409, 422, 429))
def act(reference: Reference, body: ActionRequest, session: SessionDep, officer: OfficerDep,
        registry: RegistryDep, idempotency_key: IdempotencyKey = None) -> Outcome:
    """Take one action on an item as the token's officer."""
    outcome = services.act(session, registry, reference=reference, action=body.action.value,
                           officer=officer.username, comment=body.comment, form=body.form,
                           title=body.title, key=idempotency_key,
                           expected_revision=body.expected_revision,
                           passphrase=secret(body.passphrase))
    return Outcome.model_validate(outcome)


@router.post("/actions/bulk", response_model=list[BulkItemResult], responses=body_refusals(422))
def act_on_many(body: BulkActionRequest, session: SessionDep, officer: OfficerDep,
                registry: RegistryDep) -> list[BulkItemResult]:
    """The same action on several items, each checked and recorded on its own: one refusal
    does not undo the others. Each item's result says whether it was recorded, or why not."""
    results = services.act_many(session, registry, references=body.references,
                                action=body.action.value, officer=officer.username,
                                comment=body.comment, passphrase=secret(body.passphrase))
    return [BulkItemResult.of(result) for result in results]


@router.post("/items/{reference}/reassign", response_model=Outcome,
             responses=body_refusals(403, 404, 409, 422))
def reassign(reference: Reference, body: Reassignment, session: SessionDep, officer: OfficerDep,
             registry: RegistryDep) -> Outcome:
    """Move a party's open step on an item to one officer of its office; only they may
    decide it then. Done by the party's drafting or approving office."""
    outcome = services.reassign(session, registry, reference=reference, party=body.party,
                                to_officer=body.to_officer, officer=officer.username,
                                reason=body.reason)
    return Outcome.model_validate(outcome)


Quarter = Annotated[str, Path(pattern=r"^20\d\d-Q[1-4]$", description="e.g. 2016-Q1")]


@router.get("/plan/{quarter}", response_model=list[PlanActionOut], responses=refusals(422))
def quarter_plan(quarter: Quarter, session: SessionDep, reader: ReaderDep) -> list[PlanActionOut]:
    """The quarter's action plan: every point of an adopted joint resolution, per party,
    with the party's report on it; of the items the officer may read."""
    return [PlanActionOut.of(action) for action in followup.plan(session, quarter, reader)]


@router.post("/plan/actions/{action_id}/progress", response_model=PlanActionOut,
             responses=body_refusals(403, 404, 409, 422))
def report_progress(action_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ProgressRequest,
                    session: SessionDep, officer: OfficerDep, registry: RegistryDep) -> PlanActionOut:
    """Draft (or redraft, until cleared) your party's report on one action."""
    done = followup.report_progress(session, registry, action_id=action_id,
                                    status=body.status.value, officer=officer.username,
                                    reason=body.reason, note=body.note, now=utcnow())
    session.refresh(done.action)
    return PlanActionOut.of(done.action)


@router.post("/plan/actions/{action_id}/clear", response_model=PlanActionOut,
             responses=body_refusals(403, 404, 409, 422))
def clear_progress(action_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                   officer: OfficerDep, registry: RegistryDep) -> PlanActionOut:
    """Clear your party's drafted report on one action (another officer than its drafter)."""
    done = followup.clear_report(session, registry, action_id=action_id,
                                 officer=officer.username, now=utcnow())
    session.refresh(done.action)
    return PlanActionOut.of(done.action)


@router.get("/report/{quarter}", response_model=QuarterReportOut, responses=refusals(422))
def quarter_report(quarter: Quarter, session: SessionDep, reader: ReaderDep) -> QuarterReportOut:
    """The secretariat's follow-up report of a quarter: progress by party and by priority
    area, counting cleared reports only, and what is overdue; of the items the officer may
    read (the secretariat audits every joint resolution)."""
    report = followup.quarter_report(session, quarter, utcnow(), reader)
    return QuarterReportOut(quarter=report.quarter, parties=report.parties, by_party=report.by_party,
                            by_area=report.by_area, overdue=report.overdue, total=report.total)


@router.get("/absences", response_model=list[AbsenceOut], responses=refusals())
def list_absences(session: SessionDep, officer: OfficerDep) -> list[AbsenceOut]:
    """The absences the token's officer is part of (away, or standing in), newest first."""
    return [AbsenceOut.of(absence) for absence in absences.absences(session, officer.username)]


@router.post("/absences", response_model=AbsenceOut, status_code=status.HTTP_201_CREATED,
             responses=body_refusals(403, 404, 409, 422))
def record_absence(body: AbsenceIn, session: SessionDep, officer: OfficerDep,
                   registry: RegistryDep) -> AbsenceOut:
    """Record an absence with a substitute and a period ("I will be away"): by the officer
    themself, or by the holder of their supervising office. Overlapping and circular
    delegations are refused (409)."""
    absence = absences.record_absence(
        session, registry, officer=body.officer or officer.username, substitute=body.substitute,
        since=body.since, until=body.until, reason=body.reason, by=officer.username, now=utcnow())
    return AbsenceOut.of(absence)


@router.post("/absences/back", response_model=AbsenceOut, responses=body_refusals(403, 404, 422))
def end_absence(body: AbsenceBack, session: SessionDep, officer: OfficerDep,
                registry: RegistryDep) -> AbsenceOut:
    """End an absence early: the substitute stops acting from the day the officer is back."""
    absence = absences.end_absence(session, registry, officer=body.officer or officer.username,
                                   back_on=body.on, by=officer.username, now=utcnow())
    return AbsenceOut.of(absence)


@router.get("/inbox", response_model=list[InboxEntry], responses=refusals(422))
def inbox(session: SessionDep, officer: OfficerDep, response: Response,
          limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[InboxEntry]:
    """The steps waiting for the token's officer today, soonest deadline first: the first
    `limit`; the `X-Total-Count` header says how many wait in all."""
    entries = queries.inbox(session, officer.username, limit=limit)
    total = queries.inbox_count(session, officer.username) if len(entries) == limit else len(entries)
    response.headers["X-Total-Count"] = str(total)
    return [InboxEntry.model_validate(entry) for entry in entries]
