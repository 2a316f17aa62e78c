"""Who may read an item: need-to-know, in one place.

An officer reads an item when they hold or held an office of one of its parties during
the item's life (an appointment overlapping the time from the item's creation to its
end, or to the day of reading while it lives), or hold today an office its party's
plugin marks as auditing the item's kind (`Office.audits`: the IPMG secretariat for
joint resolutions), or stand in as a substitute during a delegation
(`substitute_reads`). An item lives until it is withdrawn or rejected; one that came
into force (a work plan in force, a resolution adopted, an agreement executed) lives
on, since its parties implement it and report on it every quarter.

The rule is one SQLAlchemy condition on `Item` (`readable_by`): lists, inbox counts and
the follow-up plan and report put it in their WHERE clause, and `require_readable` asks
the same condition of one item. An item outside the rule is answered exactly like one
that does not exist (`engine.errors.missing_item`); only the server's console is told
why (`NotFound.console`). Whoever reads without being an officer (the operator at the
server's console, `reader=None`) reads everything, as before.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from engine.core.directory import get_officer, holdings
from engine.core.flows import EndState
from engine.core.registry import Registry
from engine.errors import NotFound, missing_item
from engine.store import Absence, Appointment, Item, ItemParty, Officer

CONDITIONS_KEPT = 256
"""Officer-days whose need-to-know and inbox conditions a process keeps built (about 64 KiB
each, both together): more than a province's officers acting on one day."""

#: The end states that end an item's life; an item in force lives on (see the module's doc).
DEAD_ENDS: tuple[str, ...] = (EndState.WITHDRAWN, EndState.REJECTED)


def audited_kinds(registry: Registry, officer: Officer, day: date) -> frozenset[str]:
    """The item kinds `officer` reads as an auditor on `day`: those the offices they hold
    then audit (`Office.audits`)."""
    kinds: set[str] = set()
    for held in holdings(officer, day):
        party = registry.parties.get(held.party)
        office = party.offices.get(held.office) if party is not None else None
        if office is not None:
            kinds.update(office.audits)
    return frozenset(kinds)


def held_during_life(officer: Officer, day: date) -> ColumnElement[bool]:
    """Items of a party whose office `officer` held at some time between the item's
    creation and its end (or `day`, while it lives).

    Built from the officer's appointments, which are few and loaded with them, rather
    than by joining the appointments table: one EXISTS on the item's parties each."""
    return _held_during_life(terms(officer), day)


Terms = tuple[tuple[str, date | None, date | None], ...]
"""An officer's appointments as the rule reads them: (party, since, until) each."""


def terms(officer: Officer) -> Terms:
    """What of `officer` the rule reads: their appointments, (party, since, until) each."""
    return tuple((a.party, a.since, a.until) for a in officer.appointments)


# A condition is immutable and depends only on these values, so each officer's is built
# once per day and process: building one cost more CPU than the query it is part of.
@lru_cache(maxsize=CONDITIONS_KEPT)
def _held_during_life(held: Terms, day: date) -> ColumnElement[bool]:
    clauses = []
    for party, since, until in held:
        if since is not None and since > day:
            continue  # not in office yet
        overlap = [Item.parties.any(ItemParty.party == party)]
        if until is not None:  # in office before the item's last day
            overlap.append(Item.created_at < _midnight(until + timedelta(days=1)))
        if since is not None:  # and the item still lived when they took office
            overlap.append(or_(Item.state.not_in(DEAD_ENDS), Item.updated_at >= _midnight(since)))
        clauses.append(and_(*overlap))
    return or_(false(), *clauses)


def held_during_life_of(officer: Officer, day: date, item: Item) -> bool | None:
    """`held_during_life` asked in Python of one loaded item: True when it holds, None
    when only the database can tell (not a refusal: ask the SQL rule then).

    The same comparisons of the same stored values; an item whose dates or state are not
    stored values yet (a new, unflushed item) is left to the database."""
    created, updated, state = item.created_at, item.updated_at, item.state
    if not (isinstance(created, datetime) and isinstance(updated, datetime) and state
            and created.tzinfo is None and updated.tzinfo is None):
        return None
    parties = set(item.party_codes)
    for party, since, until in terms(officer):
        if (since is not None and since > day) or party not in parties:
            continue
        if until is not None and not created < _midnight(until + timedelta(days=1)):
            continue
        if since is not None and not (state not in DEAD_ENDS or updated >= _midnight(since)):
            continue
        return True
    return None


def substitute_reads(officer: Officer, day: date) -> ColumnElement[bool]:
    """Items `officer` reads on `day` as the substitute of an absent officer, while the
    delegation runs (engine.core.absences): those of the parties whose offices the absent
    officer holds that day — the items whose steps the substitute may decide."""
    return _substitute_reads(officer.id, day)


@lru_cache(maxsize=CONDITIONS_KEPT)
def _substitute_reads(officer_id: int, day: date) -> ColumnElement[bool]:
    held = aliased(Appointment)
    return exists().where(
        Absence.substitute_id == officer_id, Absence.since <= day, Absence.until >= day,
        or_(Absence.back_on.is_(None), Absence.back_on > day),
        held.officer_id == Absence.officer_id, held.active_on(day),
        Item.parties.any(ItemParty.party == held.party),
    )


def readable_by(officer: Officer, day: date, audits: Collection[str] = ()) -> ColumnElement[bool]:
    """The items `officer` may read on `day`, as a condition on `Item`: the whole rule.

    `audits` are the kinds they audit (`audited_kinds`); an interface that only lists
    steps waiting for the officer's own offices (the inbox) may leave it out."""
    return readable_terms(terms(officer), officer.id, day, tuple(sorted(audits)))


@lru_cache(maxsize=CONDITIONS_KEPT)
def readable_terms(held: Terms, officer_id: int, day: date,
                   audits: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """`readable_by` from the officer's `terms` and id: the same condition, built once per
    officer, day and process (it is immutable; building it cost more than the query)."""
    return or_(
        _held_during_life(held, day),
        Item.kind.in_(audits) if audits else false(),
        _substitute_reads(officer_id, day),
    )


@dataclass(frozen=True)
class Reader:
    """An officer reading on a day, with the kinds they audit."""

    officer: Officer
    day: date
    audits: frozenset[str]

    def items(self) -> ColumnElement[bool]:
        """The condition on `Item` of what this reader may read."""
        return readable_by(self.officer, self.day, self.audits)


def reader_of(session: Session, registry: Registry, officer: Officer | str,
              day: date) -> Reader:
    """`officer` (an Officer or a username) as a reader on `day`."""
    person = get_officer(session, officer) if isinstance(officer, str) else officer
    return Reader(person, day, audited_kinds(registry, person, day))


def require_readable(session: Session, reader: Reader | None, item: Item,
                     missing: str | None = None) -> None:
    """Refuse to show `item` to `reader` unless the rule lets them read it (no reader:
    the server's console, which reads everything).

    The refusal is the NotFound of an item that does not exist (`missing`, by default
    the missing item's message), so that no interface tells an officer that it exists;
    its `console` text says why, for the command line."""
    if reader is None:
        return
    # Most reads are by an officer of the item's parties: that branch of the rule is
    # answered from the item and the officer already loaded; every other case asks the
    # whole rule of the database.
    if held_during_life_of(reader.officer, reader.day, item):
        return
    readable = session.scalar(select(Item.id).where(Item.id == item.id, reader.items()))
    if readable is not None:
        return
    raise NotFound(missing or missing_item(item.reference), console=_why(reader, item))


def _why(reader: Reader, item: Item) -> str:
    username = reader.officer.username
    parties = ", ".join(item.party_codes)
    until = f"{item.updated_at:%Y-%m-%d}" if item.state in DEAD_ENDS else "today"
    return (f"{username} may not read {item.reference} (need-to-know): it is an item of "
            f"{parties}, and {username} held no office of {'these parties' if ',' in parties else parties} "
            f"during its life ({item.created_at:%Y-%m-%d} to {until}), holds no office that "
            f"audits {item.kind.replace('_', ' ')}s, and stands in for nobody who may read it")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())
