"""Who may decide a waiting step, and in what capacity.

One answer for every interface: the service layer (`engine.core.items`) asks it before
recording a decision, and the inbox, the web page and the API ask it to offer only the
actions the engine would accept. An officer decides a step

- as a *holder* of the step's office on the day;
- as a *substitute* for an absent holder, while the absence is in force and they are fit
  for the office (engine.core.absences); the decision names both officers;
- as the office an overdue step was *escalated* to, when the party's rule for the role
  lets escalation decide (`RoleRule.escalation_decides`, engine.core.deadlines).

Maker ≠ checker holds through every capacity: a substitute decides nothing they or the
absent officer drafted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine.core import absences
from engine.core.directory import holds
from engine.core.registry import Registry
from engine.errors import Conflict, ManzooriError, NotAllowed
from engine.store import Absence, Item, Officer, StepRecord
from engine.store.statuses import StepStatus

HOLDER = "holder"
SUBSTITUTE = "substitute"
ESCALATED = "escalated"


@dataclass(frozen=True)
class Capacity:
    """`officer` may decide `record`, as `basis` says (for `absent`, during `absence`)."""

    record: StepRecord
    basis: str = HOLDER
    absent: Officer | None = None
    absence: Absence | None = None


def open_records(item: Item) -> list[StepRecord]:
    """The step records of the item's current cycle that wait for decisions."""
    return [s for s in item.current_steps if s.status == StepStatus.OPEN]


def capacities(session: Session, registry: Registry, item: Item, officer: Officer,
               day: date) -> list[Capacity]:
    """Every capacity in which `officer` could decide an open step record of `item` on
    `day`, holder first, then substitute, then escalated (maker ≠ checker, assignment and
    earlier decisions are checked by `refusal`, which words the refusal)."""
    records = open_records(item)
    found = [Capacity(record) for record in records
             if holds(officer, record.party, record.office, day)]
    if records:
        for stand in absences.stand_ins(session, registry, officer, day):
            found += [Capacity(record, SUBSTITUTE, stand.absence.officer, stand.absence)
                      for record in records if (record.party, record.office) == (stand.party, stand.office)]
    found += [Capacity(record, ESCALATED) for record in records
              if record.escalated_to and holds(officer, record.party, record.escalated_to, day)]
    return found


def is_maker(item: Item, officer_id: int) -> bool:
    """Whether the officer drafted the item or wrote a version of it."""
    return item.drafter_id == officer_id or any(v.author_id == officer_id for v in item.versions)


def makers(item: Item, officer: Officer, capacity: Capacity) -> list[Officer]:
    """Who of those a decision in `capacity` would speak for drafted the item."""
    return [person for person in (officer, capacity.absent)
            if person is not None and is_maker(item, person.id)]


def refusal(session: Session, item: Item, officer: Officer, capacity: Capacity) -> ManzooriError | None:
    """Why `officer` cannot decide in `capacity` now (assignment, an earlier decision),
    or None."""
    record = capacity.record
    speaks_for = capacity.absent or officer
    if not record.open_to(speaks_for.id) and capacity.basis != ESCALATED:
        assignee = session.get_one(Officer, record.assigned_to_id)
        return NotAllowed(f"step {record.name!r} of {item.reference} for {record.party} was "
                          f"assigned to {assignee.username}; only they may decide it now")
    ids = {officer.id, speaks_for.id}
    if any(d.officer_id in ids or d.for_officer_id in ids for d in record.decisions):
        who = (f"{officer.username} (or {speaks_for.username})" if speaks_for is not officer
               else officer.username)
        return Conflict(f"{who} has already decided at step {record.name!r} of "
                        f"{item.reference} for {record.party}")
    return None


def out_of_period(session: Session, registry: Registry, item: Item, officer: Officer,
                  day: date) -> str | None:
    """When `officer` was named substitute for a holder of an open step's office, but the
    delegation is not in force on `day`: the refusal, saying when it ran."""
    records = open_records(item)
    for absence in absences.delegations_of(session, officer):
        if absence.in_force(day):
            continue
        if any(holds(absence.officer, r.party, r.office, day) for r in records):
            return (f"{officer.username} stood in for {absence.officer.username} "
                    f"{absences.period(absence)}; on {day} the delegation is not in force, "
                    f"so {officer.username} cannot decide for them")
    return None


def event_fields(capacity: Capacity, registry: Registry) -> dict[str, Any]:
    """What a decision's event records of a capacity other than holder's."""
    record = capacity.record
    if capacity.basis == SUBSTITUTE and capacity.absent is not None and capacity.absence is not None:
        return {"capacity": SUBSTITUTE, "for": capacity.absent.username, "office": record.office,
                "office_title": _title(registry, record.party, record.office),
                "absence": {"since": capacity.absence.since.isoformat(),
                            "until": capacity.absence.last_day.isoformat()}}
    if capacity.basis == ESCALATED:
        return {"capacity": ESCALATED, "escalated_to": record.escalated_to,
                "office_title": _title(registry, record.party, record.escalated_to or "")}
    return {}


def _title(registry: Registry, party: str, office: str) -> str:
    known = registry.parties.get(party)
    return known.offices[office].title_en if known and office in known.offices else office


def who(username: str | None, payload: dict[str, Any] | None) -> str:
    """Who acted, as the history says it: "USERNAME2 for USERNAME (Office)" for a
    substitute, "USERNAME (escalated to Office)" for an escalated decision."""
    name = username or "system"
    payload = payload or {}
    if payload.get("capacity") == SUBSTITUTE:
        return f"{name} for {payload.get('for')} ({payload.get('office_title')})"
    if payload.get("capacity") == ESCALATED:
        return f"{name} (escalated to {payload.get('office_title')})"
    return name
