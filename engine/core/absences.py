"""Officers away: an absence with a substitute and a period, who may record and end it,
and who stands in for whom on a given day.

While an absence is in force, its substitute may decide the absent officer's waiting
steps in the offices they are fit for: the same office, or one the party's `delegation`
hook names as a substitute for it (engine.core.authority records the capacity). The
absent officer records their own absence, or the holder of the office their party names
as supervisor does. A delegation does not chain: an officer away cannot stand in for
another, so overlapping and circular delegations are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from engine.core.directory import Holding, get_officer, holdings
from engine.core.registry import Registry
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.store import Absence, Officer, check_text, one_transaction

MAX_DAYS = 366
"""The longest absence one record covers; a longer one is a transfer, not a leave."""


def period(absence: Absence) -> str:
    """When the delegation ran (or runs), as a refusal says it."""
    ended = f", ended early: back on {absence.back_on}" if absence.back_on else ""
    return f"from {absence.since} to {absence.last_day}{ended}"


def fit_offices(registry: Registry, substitute: Officer, absent: Officer, day: date) -> list[Holding]:
    """The offices `absent` holds on `day` that `substitute` may act in on that day."""
    mine = holdings(substitute, day)
    fit = []
    for held in holdings(absent, day):
        party = registry.parties.get(held.party)
        allowed = party.delegation(held.office).substitutes if party is not None else ()
        if held in mine or any(Holding(held.party, office) in mine for office in allowed):
            fit.append(held)
    return fit


@dataclass(frozen=True)
class StandIn:
    """`absence.substitute` may act for `absence.officer` in `office` of `party` today."""

    absence: Absence
    party: str
    office: str


def stand_ins(session: Session, registry: Registry, substitute: Officer, day: date) -> list[StandIn]:
    """Whom `substitute` stands in for on `day`, and in which offices."""
    found = []
    for absence in _of(session, Absence.substitute_id == substitute.id):
        if absence.in_force(day):
            found += [StandIn(absence, held.party, held.office)
                      for held in fit_offices(registry, substitute, absence.officer, day)]
    return found


def delegations_of(session: Session, substitute: Officer) -> list[Absence]:
    """Every absence `substitute` was named for, to say when a delegation ran."""
    return _of(session, Absence.substitute_id == substitute.id)


def absences(session: Session, officer: str | None = None) -> list[Absence]:
    """Absences, newest first: all, or those of `officer` (away or standing in)."""
    if officer is None:
        return _of(session, None)
    person = get_officer(session, officer)
    return _of(session, or_(Absence.officer_id == person.id, Absence.substitute_id == person.id))


def _of(session: Session, condition: object) -> list[Absence]:
    query = (select(Absence).order_by(Absence.since.desc(), Absence.id.desc())
             .options(selectinload(Absence.officer).selectinload(Officer.appointments),
                      selectinload(Absence.substitute).selectinload(Officer.appointments)))
    if condition is not None:
        query = query.where(condition)  # type: ignore[arg-type]
    return list(session.scalars(query))


def may_record(registry: Registry, actor: Officer, officer: Officer, day: date) -> bool:
    """The officer themself, or a holder of the office their party names as supervisor
    of an office they hold."""
    if actor.id == officer.id:
        return True
    mine = holdings(actor, day)
    for held in holdings(officer, day):
        party = registry.parties.get(held.party)
        supervisor = party.delegation(held.office).supervisor if party is not None else None
        if supervisor and Holding(held.party, supervisor) in mine:
            return True
    return False


def record_absence(
    session: Session, registry: Registry, *, officer: str, substitute: str, since: date,
    until: date, reason: str, by: str | None = None, now: datetime,
) -> Absence:
    """Record that `officer` is away from `since` to `until` (inclusive), `substitute`
    acting for them; `by` (default: the officer) records it."""
    check_text(reason, "reason")
    with one_transaction(session, f"{officer}'s absence"):
        absent = get_officer(session, officer)
        actor = get_officer(session, by or officer)
        stand_in = get_officer(session, substitute)
        day = now.date()
        if not may_record(registry, actor, absent, day):
            raise NotAllowed(f"{actor.username} cannot record an absence of {absent.username}: "
                             "that is for the officer themself or the holder of their "
                             "supervising office")
        reason = (reason or "").strip()
        if not reason:
            raise InvalidForm("give a reason for the absence (reason)", problems=[("reason", "required")])
        if until < since:
            raise InvalidForm(f"the absence ends (until {until}) before it starts (from {since})",
                              problems=[("until", "before from")])
        if until < day:
            raise InvalidForm(f"the absence ended on {until}, in the past; record absences "
                              "before or while they run", problems=[("until", "in the past")])
        if (until - since).days >= MAX_DAYS:
            raise InvalidForm(f"an absence covers at most {MAX_DAYS} days; a longer one is a "
                              "transfer (appoint a new holder)", problems=[("until", "too long")])
        if stand_in.id == absent.id:
            raise InvalidForm(f"{absent.username} cannot stand in for themself",
                              problems=[("substitute", "the absent officer")])
        first = max(since, day)
        if not holdings(absent, first):
            raise NotAllowed(f"{absent.username} holds no office on {first}; there is nothing "
                             "to delegate")
        _refuse_overlaps(session, absent, stand_in, since, until)
        if not fit_offices(registry, stand_in, absent, first):
            held = ", ".join(f"{h.office} ({h.party})" for h in holdings(absent, first))
            raise NotAllowed(f"{stand_in.username} cannot stand in for {absent.username}: a "
                             f"substitute must hold the same office ({held}) or one its party "
                             "allows as substitute for it")
        absence = Absence(officer=absent, substitute=stand_in, since=since, until=until,
                          reason=reason, recorded_by=actor, recorded_at=now)
        session.add(absence)
    return absence


def _refuse_overlaps(session: Session, absent: Officer, stand_in: Officer, since: date,
                     until: date) -> None:
    involved = _of(session, or_(Absence.officer_id.in_((absent.id, stand_in.id)),
                                Absence.substitute_id.in_((absent.id, stand_in.id))))
    for other in involved:
        if other.last_day < since or until < other.since or other.last_day < other.since:
            continue  # another time, or called off
        if other.officer_id == absent.id:
            raise Conflict(f"{absent.username} is already away {period(other)} "
                           f"({other.substitute.username} standing in); end that absence or "
                           "choose other dates")
        if other.officer_id == stand_in.id and other.substitute_id == absent.id:
            raise Conflict(f"circular delegation: {stand_in.username} is away {period(other)} "
                           f"with {absent.username} standing in for them")
        if other.officer_id == stand_in.id:
            raise Conflict(f"{stand_in.username} is away themself {period(other)}; a "
                           "substitute must be at work")
        if other.substitute_id == absent.id:
            raise Conflict(f"{absent.username} stands in for {other.officer.username} "
                           f"{period(other)}; delegations do not chain: name another "
                           f"substitute for {other.officer.username} first")


def end_absence(
    session: Session, registry: Registry, *, officer: str, back_on: date | None = None,
    by: str | None = None, now: datetime,
) -> Absence:
    """End `officer`'s absence early: they are back on `back_on` (default: today), and
    their substitute no longer acts for them from that day."""
    back_on = back_on or now.date()
    with one_transaction(session, f"{officer}'s absence"):
        absent = get_officer(session, officer)
        actor = get_officer(session, by or officer)
        if not may_record(registry, actor, absent, now.date()):
            raise NotAllowed(f"{actor.username} cannot end an absence of {absent.username}: "
                             "that is for the officer themself or the holder of their "
                             "supervising office")
        running = [a for a in _of(session, Absence.officer_id == absent.id)
                   if a.last_day >= back_on and a.last_day >= a.since]
        if not running:
            raise NotFound(f"{absent.username} has no absence running on or after {back_on} to end")
        absence = min(running, key=lambda a: a.since)
        # Back before it began: the absence is called off whole (it never runs).
        absence.back_on = max(back_on, absence.since)
        absence.ended_by_id = actor.id
    return absence
