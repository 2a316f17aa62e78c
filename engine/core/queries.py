"""What officers look at: the inbox, lists of items, one item in full.

Each obeys need-to-know (`engine.core.access`) in its SQL: the inbox and its count, and a
list, hold only items the reading officer may read; one item in full is refused as if
it did not exist. `reader=None` is the server's console, which reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.core import absences
from engine.core.access import CONDITIONS_KEPT, Reader, Terms, readable_terms, require_readable, terms
from engine.core.authority import ESCALATED, HOLDER, SUBSTITUTE
from engine.core.directory import get_officer, holdings
from engine.core.items import get_item, parse_kind
from engine.core.registry import registry
from engine.store import AuditEvent, Decision, Item, ItemParty, Officer, StepRecord
from engine.store.statuses import StepStatus


@dataclass(frozen=True)
class InboxEntry:
    reference: str
    kind: str
    title: str
    step: str
    party: str
    office: str
    due_at: datetime | None
    parties: tuple[str, ...]
    revision: int
    capacity: str = HOLDER
    """holder, substitute (for `acting_for`, who is away) or escalated (engine.core.authority)."""
    acting_for: str | None = None


def inbox(session: Session, officer: str, day: date | None = None,
          limit: int | None = None) -> list[InboxEntry]:
    """The steps waiting for this officer today, soonest deadline first (the first
    `limit` of them if given; `inbox_count` says how many there are in all).

    A step waits for an officer who holds its office in its party on the day, and who
    has not already decided on it; for a substitute, while the absence is in force, the
    absent officer's steps too; for the office an overdue step was escalated to (when its
    party's rule lets it decide), that step.
    """
    person = get_officer(session, officer)
    day = day or date.today()
    stand_ins = absences.stand_ins(session, registry(), person, day)
    query = _waiting(person, stand_ins, day, select(
        StepRecord.name, StepRecord.party, StepRecord.office, StepRecord.due_at, Item.id,
        Item.reference, Item.kind, Item.title, Item.revision, StepRecord.assigned_to_id,
    ).join(Item, Item.id == StepRecord.item_id)).order_by(StepRecord.due_at, Item.reference)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    # The items' parties in one more query, rather than loading whole items.
    parties: dict[int, list[str]] = {}
    for item_id, party in session.execute(
        select(ItemParty.item_id, ItemParty.party)
        .where(ItemParty.item_id.in_({row.id for row in rows}))
        .order_by(ItemParty.item_id, ItemParty.position)
    ):
        parties.setdefault(item_id, []).append(party)
    held = {(h.party, h.office) for h in holdings(person, day)}
    entries = []
    for row in rows:
        capacity, acting_for = HOLDER, None
        if (row.party, row.office) not in held or row.assigned_to_id not in (None, person.id):
            stand = next((s for s in stand_ins if (s.party, s.office) == (row.party, row.office)), None)
            capacity, acting_for = ((SUBSTITUTE, stand.absence.officer.username) if stand
                                    else (ESCALATED, None))
        entries.append(InboxEntry(row.reference, row.kind, row.title, row.name, row.party,
                                  row.office, row.due_at, tuple(parties.get(row.id, ())),
                                  row.revision, capacity, acting_for))
    return entries


def inbox_count(session: Session, officer: str, day: date | None = None) -> int:
    """How many steps wait for this officer today."""
    person = get_officer(session, officer)
    day = day or date.today()
    stand_ins = absences.stand_ins(session, registry(), person, day)
    return session.scalar(_waiting(person, stand_ins, day, select(func.count(StepRecord.id))))


def _waiting(person: Officer, stand_ins: list[absences.StandIn], day: date, query: Select) -> Select:
    # The offices the officer holds on the day are few and already loaded with them, so
    # the steps are found by (status, party, office) on ix_steps_waiting directly, the
    # same plan on every database, rather than by joining the appointments and leaving
    # the join order to the planner (SQLite without statistics scanned every open step).
    offices = tuple(sorted({(held.party, held.office) for held in holdings(person, day)}))
    stands = tuple((s.party, s.office, s.absence.officer_id) for s in stand_ins)
    return query.where(_waits(person.id, offices, stands, terms(person), day))


# The condition depends only on these values and is immutable: built once per officer, day
# and process, since building it cost more CPU than running the query.
@lru_cache(maxsize=CONDITIONS_KEPT)
def _waits(person_id: int, offices: tuple[tuple[str, str], ...],
           stands: tuple[tuple[str, str, int], ...], held: Terms, day: date) -> ColumnElement[bool]:
    waiting = []
    if offices:
        waiting.append(and_(
            or_(*(and_(StepRecord.status == StepStatus.OPEN, StepRecord.party == party,
                       StepRecord.office == office) for party, office in offices)),
            *step_waits_for(person_id)))
        # Overdue steps escalated to an office held, where the party's rule lets it decide.
        waiting.append(and_(
            or_(*(and_(StepRecord.escalated_to == office, StepRecord.status == StepStatus.OPEN,
                       StepRecord.party == party) for party, office in offices)),
            ~exists().where(Decision.step_id == StepRecord.id, Decision.officer_id == person_id)))
    for party, office, absent_id in stands:  # an absent officer's steps, for their substitute
        ids = (person_id, absent_id)
        waiting.append(and_(
            StepRecord.status == StepStatus.OPEN, StepRecord.party == party,
            StepRecord.office == office,
            ~exists().where(Decision.step_id == StepRecord.id,
                            Decision.officer_id.in_(ids) | Decision.for_officer_id.in_(ids)),
            StepRecord.open_to(absent_id)))
    if not waiting:
        return false()
    return and_(
        or_(*waiting),
        # A step one may decide is of an item one may read; the rule is asked all the same,
        # so that the inbox and its count can never show more than need-to-know.
        select(Item.id).where(Item.id == StepRecord.item_id, readable_terms(held, person_id, day))
        .correlate_except(Item).exists(),
    )


def waits_for(held: Any, officer_id: Any, day: date) -> list[ColumnElement[bool]]:
    """The conditions under which an open step waits for an officer: `held` (an aliased
    Appointment joined on the step's party and office) is active on `day`, the officer
    (an id, or a column such as Officer.id) has not decided it, and it is not assigned to
    someone else. The inbox and the email notifications ask the same question."""
    return [
        held.active_on(day),
        *step_waits_for(officer_id),
    ]


def step_waits_for(officer_id: Any) -> list[ColumnElement[bool]]:
    """What `waits_for` asks of the step itself, whoever holds its office: it is open,
    the officer has not decided it, and it is not assigned to someone else."""
    return [
        StepRecord.status == StepStatus.OPEN,
        ~exists().where(Decision.step_id == StepRecord.id, Decision.officer_id == officer_id),
        and_(StepRecord.open_to(officer_id)),  # and_: a ColumnElement, as the list holds
    ]


def list_items(
    session: Session, *, reader: Reader | None, state: str | None = None,
    kind: str | None = None, party: str | None = None, limit: int = 200,
) -> list[Item]:
    """Items `reader` may read (all of them for the console, `None`), newest first."""
    query = select(Item).options(selectinload(Item.parties)).order_by(Item.id.desc()).limit(limit)
    if reader is not None:
        query = query.where(reader.items())
    if state:
        query = query.where(Item.state == state)
    if kind:
        query = query.where(Item.kind == parse_kind(kind).value)
    if party:
        query = query.where(Item.parties.any(ItemParty.party == party))
    return list(session.scalars(query))


@dataclass(frozen=True)
class ItemSearch:
    """What an officer looks for: any of these, all of them must match (empty: any)."""

    reference: str = ""
    """Part of the reference, e.g. `PJ-WP` or `2025-0001`."""
    words: str = ""
    """Words that must all appear in the title, in any order and case."""
    party: str = ""
    kind: str = ""
    state: str = ""
    step: str = ""
    """A step the item waits at now (an open step of that name, for any party)."""
    since: date | None = None
    until: date | None = None
    """The item's last change on or after `since` and on or before `until`."""


def search_items(session: Session, *, reader: Reader | None, search: ItemSearch,
                 offset: int = 0, limit: int = 25) -> tuple[list[Item], int]:
    """One page of the items `reader` may read that match `search`, most recently changed
    first, and how many match in all. Need-to-know is in the query (`Reader.items`), so
    the count and the pages never see an item the reader may not read."""
    conditions: list[ColumnElement[bool]] = []
    if reader is not None:
        conditions.append(reader.items())
    if search.reference.strip():
        conditions.append(func.upper(Item.reference).contains(search.reference.strip().upper(),
                                                              autoescape=True))
    for word in search.words.split():
        conditions.append(func.lower(Item.title).contains(word.lower(), autoescape=True))
    if search.party:
        conditions.append(Item.parties.any(ItemParty.party == search.party))
    if search.kind:
        conditions.append(Item.kind == parse_kind(search.kind).value)
    if search.state:
        conditions.append(Item.state == search.state)
    if search.step:
        conditions.append(Item.steps.any(and_(
            StepRecord.status == StepStatus.OPEN,
            or_(StepRecord.name == search.step, StepRecord.name.startswith(f"{search.step}:")))))
    if search.since is not None:
        conditions.append(Item.updated_at >= datetime.combine(search.since, time()))
    if search.until is not None:
        conditions.append(Item.updated_at < datetime.combine(search.until + timedelta(days=1), time()))
    total = session.scalar(select(func.count(Item.id)).where(*conditions)) or 0
    items = session.scalars(
        select(Item).where(*conditions).options(selectinload(Item.parties), selectinload(Item.steps))
        .order_by(Item.updated_at.desc(), Item.id.desc()).offset(offset).limit(limit))
    return list(items), total


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    events: list[AuditEvent]


def item_detail(session: Session, reference: str, reader: Reader | None) -> ItemDetail:
    """One item and its history, if `reader` may read it (NotFound as for a missing item
    otherwise; `None`, the console, reads every item)."""
    item = get_item(session, reference)
    require_readable(session, reader, item)
    events = list(session.scalars(
        select(AuditEvent).where(AuditEvent.item_id == item.id)
        .options(selectinload(AuditEvent.officer)).order_by(AuditEvent.seq)
    ))
    return ItemDetail(item, events)


def routes_of(session: Session, references: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The resolved routes of these items, by reference: their steps' labels in English and
    Urdu, a party's extra steps included (what a list shows beside a step's name)."""
    if not references:
        return {}
    rows = session.execute(select(Item.reference, Item.route).where(Item.reference.in_(references)))
    return {reference: route for reference, route in rows}
