"""Transfers: appointing officers to offices, relieving them, and handing over the steps a
relieved holder was assigned.

Offices are permanent; people pass through them. An appointment runs from its first day
(`since`) to its last (`until`, inclusive); relieving a holder on a day ends their
appointment the day before, so from that day on they no longer decide, sign or can be
assigned (`engine.core.directory.holds` says so everywhere). Appointing a holder to a
single-seat office relieves the one before on the same day, unless told to keep them; no
office gets more holders than its seats. Days are the party's own (`party_day`).

Who may change a party's directory: the holders of the offices its plugin marks with
`Office.keeps_directory` (the web app and the API act as them), or the operator at the
command line, who holds the database anyway and is recorded as such.

A step that was reassigned to one officer and waits while that officer no longer holds its
office goes back to the office, for every holder (the successor) to see: one `hand-over`
event in the item's hash chain, by the administrator who relieved them, or by the system
when the relief was dated ahead and `hand_over_due` finds it on the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.clock import utcnow
from engine.contract.calendar import from_local
from engine.core import routing
from engine.core.directory import get_officer, holdings, holds, party_day
from engine.core.items import get_item
from engine.core.registry import Registry
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.store import Appointment, Decision, Item, Officer, StepRecord, check_text, one_transaction
from engine.store.statuses import StepStatus

HAND_OVER = "hand-over"
"""The event recorded in an item's chain when a step goes back to its office."""

COMMAND_LINE = "the operator at the command line"
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class Relief:
    """`username` no longer holds `office` of `party` from `on` (their last day was the day before)."""

    username: str
    party: str
    office: str
    on: date


@dataclass(frozen=True)
class Transfer:
    """What an appointment or a relief changed: who was relieved, which items' steps went
    back to the office, and a sentence saying so."""

    username: str
    party: str
    office: str
    relieved: tuple[Relief, ...]
    handed_over: tuple[str, ...]
    message: str


def keepers(registry: Registry, party: str) -> list[str]:
    """The offices of `party` whose holders keep its directory (`Office.keeps_directory`)."""
    return [code for code, office in registry.party(party).offices.items() if office.keeps_directory]


def may_keep_directory(registry: Registry, officer: Officer, party: str, now: datetime) -> bool:
    """Whether `officer` may appoint and relieve `party`'s officers today."""
    day = party_day(registry, party, now)
    return any(holds(officer, party, office, day) for office in keepers(registry, party))


def _administrator(session: Session, registry: Registry, by: str | None, party: str,
                   now: datetime) -> Officer | None:
    """The officer acting for the party's administration (None: the operator), checked."""
    if by is None:
        return None
    actor = get_officer(session, by)
    if may_keep_directory(registry, actor, party, now):
        return actor
    titles = " or ".join(registry.party(party).office(code).title_en for code in keepers(registry, party))
    held = ", ".join(f"{h.office} ({h.party})" for h in holdings(actor, party_day(registry, party, now)))
    raise NotAllowed(
        f"{actor.username} cannot change {party}'s officer directory: that needs "
        f"{titles or 'an office the party marks as keeping its directory (it marks none)'} "
        f"({party}); {actor.username} holds {held or 'no office'}")


def _take_turns(session: Session, party: str, office: str) -> None:
    """Changes to one office's holders take turns, so that two appointments at once cannot
    both take a single seat: on PostgreSQL a lock on the office until the transaction ends
    (a row lock would miss the appointment the other adds); SQLite writes one at a time."""
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"manzoori:office:{party}/{office}"))))


def _not_before_today(registry: Registry, party: str, day: date, now: datetime, field: str) -> None:
    today = party_day(registry, party, now)
    if day < today:
        raise InvalidForm(
            f"{field} {day} is in the past ({party}'s today is {today}): a transfer takes "
            "effect today or later, so that decisions already taken stand",
            problems=[(field, "in the past")])


def _no_decisions_from(session: Session, registry: Registry, officer: Officer, party: str,
                       office: str, on: date, field: str) -> None:
    """Refuse to relieve `officer` from a day on which they already decided as holder of the
    office: what they decided must stay valid (`manzoori verify` checks the office was held)."""
    start = from_local(datetime.combine(on, time.min), registry.party(party).identity.timezone)
    taken = session.execute(
        select(Item.reference, Decision.action, Decision.at)
        .join(StepRecord, StepRecord.id == Decision.step_id).join(Item, Item.id == StepRecord.item_id)
        .where(Decision.officer_id == officer.id, StepRecord.party == party,
               StepRecord.office == office, Decision.at >= start)
        .order_by(Decision.at.desc()).limit(1)).first()
    if taken is not None:
        reference, action, at = taken
        later = party_day(registry, party, at) + timedelta(days=1)
        raise Conflict(f"{officer.username} already decided as {office} ({party}) on or after {on} "
                       f"({action} on {reference}); relieve them from {later} at the earliest, "
                       "so that what they decided stays valid", field=field)


def appoint(
    session: Session, registry: Registry, *, username: str, party: str, office: str,
    since: date | None = None, name: str | None = None, keep_previous: bool = False,
    by: str | None = None, now: datetime | None = None,
) -> Transfer:
    """Appoint `username` to `office` of `party` from `since` (default: the party's today).

    `name` adds an officer not yet in the directory. A single-seat office's holders are
    relieved on `since` unless `keep_previous`; appointing beyond the office's seats is
    refused. `by` is the administrator acting (checked), None the operator."""
    now = now or utcnow()
    for value, where in ((username, "username"), (name, "name"), (office, "office"), (party, "party")):
        check_text(value, where)
    with one_transaction(session, f"{party}'s officer directory"):
        return _appoint(session, registry, username, party, office, since, name, keep_previous,
                        by, now)


def _appoint(
    session: Session, registry: Registry, username: str, party: str, office: str,
    since: date | None, name: str | None, keep_previous: bool, by: str | None, now: datetime,
) -> Transfer:
    seat = registry.party(party).office(office)
    _take_turns(session, party, office)
    actor = _administrator(session, registry, by, party, now)
    since = since or party_day(registry, party, now)
    _not_before_today(registry, party, since, now, "since")
    officer = _officer(session, username, name, now)
    for held in officer.appointments:
        if (held.party, held.office) == (party, office) and (held.until is None or held.until >= since):
            raise Conflict(f"{username} already holds {seat.title_en} ({party}) "
                           f"from {held.since or 'the start'}" + (f" until {held.until}" if held.until else ""))
    others = [a for a in session.scalars(
        select(Appointment).where(Appointment.party == party, Appointment.office == office,
                                  or_(Appointment.until.is_(None), Appointment.until >= since))
        .options(selectinload(Appointment.officer)).order_by(Appointment.id))
        if a.officer_id != officer.id]
    relieved: list[Relief] = []
    if seat.seats == 1 and not keep_previous:
        for previous in others:
            if previous.since is not None and previous.since >= since:
                raise Conflict(f"{previous.officer.username} is appointed to {seat.title_en} "
                               f"({party}) from {previous.since}; relieve them first")
            _no_decisions_from(session, registry, previous.officer, party, office, since, "since")
            previous.until = since - timedelta(days=1)
            relieved.append(Relief(previous.officer.username, party, office, since))
        others = []
    # The most holders at once from `since` on: on `since`, or when a later appointment starts.
    for day in sorted({since, *(a.since for a in others if a.since is not None and a.since > since)}):
        holding = sorted({a.officer.username for a in others if a.active_on(day)})
        if len(holding) + 1 > seat.seats:
            seats = f"{seat.seats} seat" + ("" if seat.seats == 1 else "s")
            raise Conflict(
                f"{seat.title_en} ({party}) has {seats}, held on {day} by {', '.join(holding)}: "
                f"relieve one of them first, so that {username} does not make {len(holding) + 1}"
                + (" (or appoint without keeping the previous holder)"
                   if keep_previous and seat.seats == 1 else ""),
                field="keep_previous" if keep_previous else None)
    who = f"{actor.username} ({', '.join(keepers(registry, party))})" if actor else COMMAND_LINE
    officer.appointments.append(Appointment(
        party=party, office=office, since=since, until=None,
        source=f"appointed by {who} on {party_day(registry, party, now)}"))
    session.flush()
    handed = _hand_over_relieved(session, registry, relieved, actor, now)
    message = f"{username} holds {seat.title_en} ({party}) from {since}"
    if relieved:
        message += "; relieved: " + ", ".join(r.username for r in relieved)
    return Transfer(username, party, office, tuple(relieved), handed, message + _handed(handed))


def _officer(session: Session, username: str, name: str | None, now: datetime) -> Officer:
    officer = session.scalar(select(Officer).where(Officer.username == username)
                             .options(selectinload(Officer.appointments)))
    if officer is not None:
        if name is not None and name.strip() != officer.name:
            raise Conflict(f"username {username!r} already belongs to {officer.name}")
        return officer
    if not (name and name.strip()):
        raise NotFound(f"no officer {username!r} in the directory: give their full name (name) "
                       "to add them", field="name")
    if not USERNAME.match(username):
        raise InvalidForm(f"username {username!r} must start with a letter and use only a-z, "
                          "0-9, '.', '_' and '-'", problems=[("username", "not a username")])
    officer = Officer(username=username, name=name.strip(), sample=False, created_at=now,
                      appointments=[])
    session.add(officer)
    return officer


def relieve(
    session: Session, registry: Registry, *, username: str, office: str, on: date | None = None,
    party: str | None = None, by: str | None = None, now: datetime | None = None,
) -> Transfer:
    """Relieve `username` of `office` from `on` (default: the party's today): their last day
    in office is the day before. `party` is needed only when they hold offices of that code
    in several parties. Steps assigned to them that wait go back to the office."""
    now = now or utcnow()
    with one_transaction(session, f"{username}'s appointments"):
        return _relieve(session, registry, username, office, on, party, by, now)


def _relieve(
    session: Session, registry: Registry, username: str, office: str, on: date | None,
    party: str | None, by: str | None, now: datetime,
) -> Transfer:
    officer = get_officer(session, username)
    running = [a for a in officer.appointments if a.office == office
               and (party is None or a.party == party)
               and (a.until is None or a.until >= (on or party_day(registry, a.party, now)))]
    if not running:
        held = ", ".join(f"{a.office} ({a.party}) {a.since or ''}–{a.until or ''}"
                         for a in officer.appointments)
        raise NotFound(f"{username} holds no appointment to {office}"
                       + (f" ({party})" if party else "") + f" running on {on or 'today'}; "
                       f"their appointments: {held or 'none'}")
    parties = sorted({a.party for a in running})
    if len(parties) > 1:
        raise InvalidForm(f"{username} holds {office} in {', '.join(parties)}: name the party (party)",
                          problems=[("party", "required")])
    party = parties[0]
    _take_turns(session, party, office)
    actor = _administrator(session, registry, by, party, now)
    on = on or party_day(registry, party, now)
    _not_before_today(registry, party, on, now, "on")
    for appointment in running:
        if appointment.since is not None and appointment.since > on:
            raise InvalidForm(f"{username}'s appointment to {office} ({party}) starts on "
                              f"{appointment.since}; relieve them on that day or later",
                              problems=[("on", "before the appointment starts")])
        appointment.until = on - timedelta(days=1)
    _no_decisions_from(session, registry, officer, party, office, on, "on")
    session.flush()
    relief = Relief(username, party, office, on)
    handed = _hand_over_relieved(session, registry, [relief], actor, now)
    title = registry.party(party).office(office).title_en
    return Transfer(username, party, office, (relief,), handed,
                    f"{username} relieved of {title} ({party}) from {on}{_handed(handed)}")


def _handed(handed: tuple[str, ...]) -> str:
    return f"; their waiting steps went back to the office on {', '.join(handed)}" if handed else ""


def _hand_over_relieved(session: Session, registry: Registry, relieved: list[Relief],
                        actor: Officer | None, now: datetime) -> tuple[str, ...]:
    """Hand over now the steps of those relieved from today (a later relief waits for its day)."""
    due = [r for r in relieved if r.on <= party_day(registry, r.party, now)]
    handed: list[str] = []
    for relief in due:
        handed += _hand_over(session, registry, now, actor, relief.username, relief.party, relief.office)
    return tuple(dict.fromkeys(handed))


def hand_over_due(session: Session, registry: Registry, now: datetime | None = None) -> list[str]:
    """Give back to their offices the waiting steps assigned to officers who no longer hold
    them today (relieved on a day now come), as system events; the references changed.
    Run by `manzoori deadlines` and the deadlines deployment."""
    now = now or utcnow()
    with one_transaction(session, "the hand-over of relieved officers' steps"):
        return list(dict.fromkeys(_hand_over(session, registry, now, None)))


def _hand_over(session: Session, registry: Registry, now: datetime, actor: Officer | None,
               username: str | None = None, party: str | None = None,
               office: str | None = None) -> list[str]:
    query = (select(StepRecord.id, Item.reference, Officer.username)
             .join(Item, Item.id == StepRecord.item_id)
             .join(Officer, Officer.id == StepRecord.assigned_to_id)
             .where(StepRecord.status.in_(StepStatus.live())).order_by(StepRecord.id))
    if username is not None:
        query = query.where(Officer.username == username, StepRecord.party == party,
                            StepRecord.office == office)
    handed = []
    for step_id, reference, assignee_name in session.execute(query).all():
        item = get_item(session, reference, for_update=True)
        record = next(s for s in item.steps if s.id == step_id)
        assignee = get_officer(session, assignee_name)
        day = party_day(registry, record.party, now)
        if record.assigned_to_id != assignee.id or holds(assignee, record.party, record.office, day):
            continue
        ended = max((a.until for a in assignee.appointments
                     if (a.party, a.office) == (record.party, record.office) and a.until is not None
                     and a.until < day), default=None)
        since = f" from {ended + timedelta(days=1)}" if ended else ""
        successors = [o.username for o, _ in holders_on(session, record.party, record.office, day)]
        title = registry.party(record.party).office(record.office).title_en
        record.assigned_to_id = None
        item.updated_at = now
        routing.record(
            session, item, actor, HAND_OVER, now, step=record.name, party=record.party,
            comment=f"{assignee.username} no longer holds {title} ({record.party}){since}; "
                    f"the step goes back to the office",
            payload={"step_id": record.id, "from": assignee.username, "to": None,
                     "office": record.office, "holders": successors})
        handed.append(reference)
    return handed


def holders_on(session: Session, party: str, office: str, day: date) -> list[tuple[Officer, Appointment]]:
    """Who holds `office` of `party` on `day`, with the appointment, by username."""
    rows = session.execute(
        select(Officer, Appointment).join(Appointment, Appointment.officer_id == Officer.id)
        .where(Appointment.party == party, Appointment.office == office, Appointment.active_on(day))
        .order_by(Officer.username, Appointment.id))
    return [(officer, appointment) for officer, appointment in rows.all()]


def holders_today(session: Session, registry: Registry, party: str, office: str,
                  now: datetime | None = None) -> list[str]:
    """The usernames of those who hold `office` of `party` on the party's today."""
    day = party_day(registry, party, now or utcnow())
    return list(dict.fromkeys(o.username for o, _ in holders_on(session, party, office, day)))
