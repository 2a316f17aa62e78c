"""The REST API of a party's officer directory: who holds each office today, and, for the
party's administrator, appointing and relieving officers.

The administrator is whoever holds an office the party's plugin marks with
`Office.keeps_directory`; `engine.core.transfers` checks it, as it does for the web pages
and the command line's `--as`. A refusal is the engine's 403 (not the administrator), 404
(no such officer or office), 409 (seats full, already appointed) or 422 (a date in the past).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from engine.clock import utcnow
from engine.core.directory import party_day
from engine.core.transfers import Transfer, appoint, holders_on, may_keep_directory, relieve
from engine.web.api import ApiRoute, body_refusals, refusals
from engine.web.api_models import Text
from engine.web.deps import OfficerDep, RegistryDep, SessionDep

router = APIRouter(prefix="/api/directory", tags=["directory"], route_class=ApiRoute)

PartyCode = Annotated[str, Path(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9-]{1,31}$",
                                description="A party's code, e.g. punjab.")]


class HolderOut(BaseModel):
    username: str
    name: str
    since: date | None
    until: date | None


class OfficeHolders(BaseModel):
    office: str
    title_en: str
    title_ur: str
    seats: int
    keeps_directory: bool = Field(description="Its holders keep the party's directory.")
    holders: list[HolderOut] = Field(description="Who holds it on the party's today.")


class Directory(BaseModel):
    party: str
    day: date = Field(description="The party's today, on which the holders are given.")
    may_change: bool = Field(description="Whether the token's officer may appoint and relieve here.")
    offices: list[OfficeHolders]


class AppointmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Text = Field(min_length=2, max_length=64)
    office: Text = Field(min_length=2, max_length=48)
    since: date | None = Field(None, description="First day in office (default: the party's today).")
    name: Text | None = Field(None, min_length=3, max_length=200,
                              description="Full name, to add an officer not yet in the directory.")
    keep_previous: bool = Field(False, description="Do not relieve a single-seat office's holder.")


class ReliefRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Text = Field(min_length=2, max_length=64)
    office: Text = Field(min_length=2, max_length=48)
    on: date | None = Field(None, description="First day without the office (default: the party's today).")


class ReliefOut(BaseModel):
    username: str
    office: str
    on: date


class TransferOut(BaseModel):
    username: str
    party: str
    office: str
    relieved: list[ReliefOut]
    handed_over: list[str] = Field(description="Items whose step went back to the office.")
    message: str

    @classmethod
    def of(cls, transfer: Transfer) -> TransferOut:
        return cls(username=transfer.username, party=transfer.party, office=transfer.office,
                   relieved=[ReliefOut(username=r.username, office=r.office, on=r.on)
                             for r in transfer.relieved],
                   handed_over=list(transfer.handed_over), message=transfer.message)


@router.get("/{party}", response_model=Directory, responses=refusals(404, 422))
def directory(party: PartyCode, session: SessionDep, officer: OfficerDep,
              registry: RegistryDep) -> Directory:
    """The party's offices and who holds each on the party's today."""
    now = utcnow()
    day = party_day(registry, party, now)
    offices = [
        OfficeHolders(office=code, title_en=office.title_en, title_ur=office.title_ur,
                      seats=office.seats, keeps_directory=office.keeps_directory,
                      holders=[HolderOut(username=o.username, name=o.name, since=a.since, until=a.until)
                               for o, a in holders_on(session, party, code, day)])
        for code, office in registry.party(party).offices.items()
    ]
    return Directory(party=party, day=day, may_change=may_keep_directory(registry, officer, party, now),
                     offices=offices)


@router.post("/{party}/appointments", response_model=TransferOut, status_code=status.HTTP_201_CREATED,
             responses=body_refusals(403, 404, 409, 422))
def appoint_officer(party: PartyCode, body: AppointmentRequest, session: SessionDep,
                    officer: OfficerDep, registry: RegistryDep) -> TransferOut:
    """Appoint an officer to an office of the party (the party's administrator only). A
    single-seat office's holder is relieved that day unless `keep_previous`."""
    return TransferOut.of(appoint(session, registry, username=body.username, party=party,
                                  office=body.office, since=body.since, name=body.name,
                                  keep_previous=body.keep_previous, by=officer.username))


@router.post("/{party}/reliefs", response_model=TransferOut, responses=body_refusals(403, 404, 409, 422))
def relieve_officer(party: PartyCode, body: ReliefRequest, session: SessionDep, officer: OfficerDep,
                    registry: RegistryDep) -> TransferOut:
    """Relieve an officer of an office of the party from a day on (the party's administrator
    only); the steps assigned to them go back to the office."""
    return TransferOut.of(relieve(session, registry, username=body.username, office=body.office,
                                  on=body.on, party=party, by=officer.username))
