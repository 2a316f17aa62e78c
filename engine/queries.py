"""What officers look at: the inbox, lists of items, one item in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from engine.db import Appointment, AuditEvent, Decision, Item, ItemParty, StepRecord
from engine.directory import get_officer
from engine.items import get_item, parse_kind


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


def inbox(session: Session, officer: str, day: date | None = None,
          limit: int | None = None) -> list[InboxEntry]:
    """The steps waiting for this officer today, soonest deadline first (the first
    `limit` of them if given; `inbox_count` says how many there are in all).

    A step waits for an officer who holds its office in its party on the day, and who
    has not already decided on it.
    """
    query = _waiting(session, officer, day, select(StepRecord, Item))
    query = query.options(selectinload(Item.parties)).order_by(StepRecord.due_at, Item.reference)
    if limit is not None:
        query = query.limit(limit)
    return [
        InboxEntry(item.reference, item.kind, item.title, step.name, step.party, step.office,
                   step.due_at, tuple(item.party_codes), item.revision)
        for step, item in session.execute(query).unique()
    ]


def inbox_count(session: Session, officer: str, day: date | None = None) -> int:
    """How many steps wait for this officer today."""
    return session.scalar(_waiting(session, officer, day, select(func.count(StepRecord.id))))


def _waiting(session: Session, officer: str, day: date | None, query: Select) -> Select:
    person = get_officer(session, officer)
    held = aliased(Appointment)
    return (
        query
        .join(Item, Item.id == StepRecord.item_id)
        .join(held, and_(held.party == StepRecord.party, held.office == StepRecord.office))
        .where(held.officer_id == person.id, *waits_for(held, person.id, day or date.today()))
    )


def waits_for(held: Any, officer_id: Any, day: date) -> list[ColumnElement[bool]]:
    """The conditions under which an open step waits for an officer: `held` (an aliased
    Appointment joined on the step's party and office) is active on `day`, the officer
    (an id, or a column such as Officer.id) has not decided it, and it is not assigned to
    someone else. The inbox and the email notifications ask the same question."""
    return [
        StepRecord.status == "open",
        held.since.is_(None) | (held.since <= day),
        held.until.is_(None) | (held.until >= day),
        ~exists().where(Decision.step_id == StepRecord.id, Decision.officer_id == officer_id),
        StepRecord.assigned_to_id.is_(None) | (StepRecord.assigned_to_id == officer_id),
    ]


def list_items(
    session: Session, *, state: str | None = None, kind: str | None = None,
    party: str | None = None, limit: int = 200,
) -> list[Item]:
    query = select(Item).options(selectinload(Item.parties)).order_by(Item.id.desc()).limit(limit)
    if state:
        query = query.where(Item.state == state)
    if kind:
        query = query.where(Item.kind == parse_kind(kind).value)
    if party:
        query = query.where(Item.parties.any(ItemParty.party == party))
    return list(session.scalars(query))


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    events: list[AuditEvent]


def item_detail(session: Session, reference: str) -> ItemDetail:
    item = get_item(session, reference)
    events = list(session.scalars(
        select(AuditEvent).where(AuditEvent.item_id == item.id)
        .options(selectinload(AuditEvent.officer)).order_by(AuditEvent.seq)
    ))
    return ItemDetail(item, events)
