"""The officer directory: who holds which office of which party, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from engine.contract.calendar import to_local
from engine.core.registry import Registry
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.store import Appointment, Officer

SAMPLE_SINCE = date(2000, 1, 1)
SAMPLE_SEATS = 5


@dataclass(frozen=True)
class Holding:
    party: str
    office: str


def party_day(registry: Registry, party: str, now: datetime) -> date:
    """The day it is at `now` on `party`'s own clock: appointments and reliefs take effect
    on the party's local days."""
    return to_local(now, registry.party(party).identity.timezone).date()


# Built once: a statement object reused keeps its cache key, which SQLAlchemy otherwise
# computes again on every call (a fifth of this lookup's CPU, on every action and page).
_OFFICER = (select(Officer).where(Officer.username == bindparam("username"))
            .options(selectinload(Officer.appointments)))


def get_officer(session: Session, username: str) -> Officer:
    officer = session.scalar(_OFFICER, {"username": username})
    if officer is None:
        raise NotFound(f"no officer {username!r} in the directory (see `manzoori officers`)")
    return officer


def holdings(officer: Officer, day: date) -> list[Holding]:
    return [
        Holding(appointment.party, appointment.office)
        for appointment in officer.appointments
        if appointment.active_on(day)
    ]


def holds(officer: Officer, party: str, office: str, day: date) -> bool:
    return Holding(party, office) in holdings(officer, day)


def require_office(registry: Registry, officer: Officer, party: str, office: str, day: date,
                   doing: str) -> None:
    """Refuse `doing` unless `officer` holds `office` of `party` on `day`, saying what it
    needs and what the officer holds."""
    if holds(officer, party, office, day):
        return
    title = registry.party(party).office(office).title_en
    held = ", ".join(f"{h.office} ({h.party})" for h in holdings(officer, day)) or "no office"
    raise NotAllowed(f"{officer.username} cannot {doing}: it needs {title} ({party}) on {day}; "
                     f"{officer.username} holds {held}")


def add_officer(
    session: Session, registry: Registry, *, username: str, name: str, party: str,
    office: str, since: date | None = None, until: date | None = None,
    source: str = "added by an administrator", sample: bool = False, now: datetime,
) -> Officer:
    """Add an officer (or a further appointment of an existing one) to the directory."""
    registry.party(party).office(office)
    if since and until and until < since:
        raise InvalidForm(f"the last day in office (until) {until} is before the first (since) {since}", problems=[("until", "before since")])
    if sample and "[sample]" not in name:
        name = f"{name} [sample]"
    officer = session.scalar(select(Officer).where(Officer.username == username))
    if officer is None:
        officer = Officer(username=username, name=name, sample=sample, created_at=now)
        session.add(officer)
    elif officer.name != name:
        raise Conflict(f"username {username!r} already belongs to {officer.name}")
    else:
        for appointment in officer.appointments:
            if (appointment.party, appointment.office, appointment.since) == (party, office, since):
                raise Conflict(f"{username} already holds {party}/{office} from {since}")
    officer.appointments.append(
        Appointment(party=party, office=office, since=since, until=until, source=source)
    )
    return officer


def load_public_holders(session: Session, registry: Registry, now: datetime) -> int:
    """Put every party's office holders from the public record into the directory."""
    added = 0
    for party in registry.parties.values():
        for holder in party.call("office_holders"):
            existing = session.scalar(select(Officer).where(Officer.username == holder.username))
            if existing is not None:
                continue
            add_officer(
                session, registry, username=holder.username, name=holder.name,
                party=party.code, office=holder.office, since=holder.since,
                until=holder.until, source=holder.source, sample=holder.sample, now=now,
            )
            added += 1
    return added


def seed_sample_officers(session: Session, registry: Registry, now: datetime) -> int:
    """Sample officers for every office of every party, clearly marked `[sample]`.

    For demos and tests: one officer per single-seat office, up to five for offices
    with several seats (caucus members), appointed from 2000 with no end.
    """
    added = 0
    for party in registry.parties.values():
        for office in party.offices.values():
            seats = min(office.seats, SAMPLE_SEATS)
            for seat in range(1, seats + 1):
                username = f"{party.code}.{office.code}" + (f".{seat}" if office.seats > 1 else "")
                if session.scalar(select(Officer.id).where(Officer.username == username)):
                    continue
                suffix = f" {seat}" if office.seats > 1 else ""
                add_officer(
                    session, registry, username=username,
                    name=f"Sample officer{suffix}, {office.title_en}", party=party.code,
                    office=office.code, since=SAMPLE_SINCE, source="sample", sample=True, now=now,
                )
                added += 1
    return added


def list_officers(session: Session, party: str | None = None) -> list[Officer]:
    query = select(Officer).options(selectinload(Officer.appointments)).order_by(Officer.username)
    if party:
        query = query.where(Officer.appointments.any(Appointment.party == party))
    return list(session.scalars(query))
