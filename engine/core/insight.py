"""Where approvals wait: cycle times, late offices and trends, in SQL.

Every figure is one aggregate query over the steps, their decisions and the audit
events (the item's stored state, which the events rebuild: engine.core.replay), never
a loop over items in Python. A period runs from the first moment of `start` to the last
of `end`, UTC days. What counts where:

- an item *started* in the period when it was drafted then; it *ended* when it came to
  an end state (`EndState`) then — its last action, `Item.updated_at`, the end of its
  life for need-to-know too (engine.core.access);
- *submission to end*: from the first submission (the drafting step of the first cycle
  done) to the end, for the items that ended in the period;
- a step *waited* from its opening to its closing (done, or closed by a return, a
  rejection or a withdrawal), counted in the period it closed in; it was *overdue* when
  it closed after its `due_at`, which the engine set on the party's working calendar
  (weekends, public holidays) when the step opened; how late the latest ones were is said
  in working days on that calendar too;
- *returns* are the return decisions taken in the period; *cycles* how many rounds of
  revision the items that ended took;
- *reminders* and *escalations* the deadline sweep's events of the period;
- *open steps* are judged at `now`: who is waited on, how long since the step opened.

Percentiles are nearest-rank (the median of 4 values is the 2nd), computed by the
database with window functions, the same on SQLite and PostgreSQL. An officer sees
figures only over the items they may read (`Reader.items()`, the need-to-know rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from engine.contract.calendar import to_local, working_days_between
from engine.core.access import Reader
from engine.core.deadlines import ESCALATE, REMIND
from engine.core.insight_terms import (
    AGE_BUCKETS,
    OUTCOMES,
    Figures,
    Filters,
    LateStep,
    Notices,
    OpenAge,
    QuarterShare,
    Returned,
    Spread,
    StepWait,
    quarters,
)
from engine.core.registry import Registry
from engine.store import AuditEvent, Decision, Item, ItemParty, StepRecord
from engine.store.statuses import StepStatus

DAY = 86_400.0
Columns = TypeVarTuple("Columns")


class seconds_between(FunctionElement[float]):  # noqa: N801 - a SQL function's name
    """`end - start` in seconds, in SQL."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def figures(session: Session, registry: Registry, filters: Filters, now: datetime,
            reader: Reader | None) -> Figures:
    """All the figures for `filters` at `now`, over the items `reader` may read (all of
    them for the console, `None`)."""
    scope = _Scope(filters, reader, registry)
    closed, overdue = _overdue_count(session, scope, filters.since, filters.before)
    return Figures(
        filters=filters, now=now,
        started=session.scalar(select(func.count(Item.id)).where(
            scope.items(), Item.created_at >= filters.since, Item.created_at < filters.before)) or 0,
        ended=_ended(session, scope),
        submission_to_end=_submission_to_end(session, scope),
        waits=_waits(session, scope),
        returns=_returns(session, scope),
        cycles=_cycles(session, scope),
        steps_closed=closed, steps_overdue=overdue,
        longest_late=_longest_late(session, registry, scope, now),
        notices=_notices(session, scope),
        open_steps=_open_steps(session, scope, now),
        # A period of one quarter has that quarter's counts already.
        quarters=[QuarterShare(name, *((closed, overdue) if (since, before) == (filters.since, filters.before)
                                       else _overdue_count(session, scope, since, before)))
                  for name, since, before in quarters(filters)],
    )


class _Scope:
    """The filters as SQL conditions on items and on steps."""

    def __init__(self, filters: Filters, reader: Reader | None, registry: Registry) -> None:
        self.filters, self.reader, self.registry = filters, reader, registry

    @property
    def reads_items(self) -> bool:
        """Whether the conditions on steps read their item's row (else no join is needed:
        a quarter's steps are read without touching as many rows of the items table)."""
        f = self.filters
        return self.reader is not None or any(v is not None for v in (f.kind, f.flow, f.definition))

    def join_items(self, query: Select[*Columns], onto: Any = None) -> Select[*Columns]:
        """`query` joined to the items of its steps (or of `onto`'s) when the conditions need them."""
        return query.join(Item, Item.id == (onto if onto is not None else StepRecord.item_id)) \
            if self.reads_items else query

    def items(self, *, party: bool = True) -> ColumnElement[bool]:
        """The items the figures are over (`party=False`: whatever their parties)."""
        f = self.filters
        conditions: list[ColumnElement[bool]] = []
        if self.reader is not None:
            conditions.append(self.reader.items())
        if f.kind is not None:
            conditions.append(Item.kind == f.kind)
        if f.flow is not None:
            conditions.append(Item.flow_version == f.flow)
        if f.party is not None and party:
            conditions.append(exists().where(ItemParty.item_id == Item.id, ItemParty.party == f.party))
        if f.definition is not None:
            conditions.append(self._definition(f.definition))
        return and_(literal(True), *conditions)

    def _definition(self, version: int) -> ColumnElement[bool]:
        def of(code: str) -> ColumnElement[bool]:
            held = func.coalesce(Item.definition[("parties", code, "version")].as_integer(), 1)
            return held == version

        if self.filters.party is not None:
            return of(self.filters.party)
        return or_(*(and_(Item.drafting_party == code, of(code)) for code in sorted(self.registry.parties)))

    def steps(self) -> ColumnElement[bool]:
        f = self.filters
        # A step of the party is a step of one of its items: the step's own column says it.
        conditions = [self.items(party=False)]
        if f.party is not None:
            conditions.append(StepRecord.party == f.party)
        if f.office is not None:
            conditions.append(StepRecord.office == f.office)
        if f.step is not None:
            conditions.append(StepRecord.name == f.step)
        return and_(*conditions)


def _ended_in(scope: _Scope) -> ColumnElement[bool]:
    f = scope.filters
    # `state || ''`: most items have ended, so the state index would select nearly all of
    # them; the period's index on the end moment (ix_items_ended) selects a quarter's.
    return and_(scope.items(), (Item.state + "").in_(OUTCOMES), Item.updated_at >= f.since,
                Item.updated_at < f.before)


def _ended(session: Session, scope: _Scope) -> dict[str, int]:
    rows = session.execute(select(Item.state, func.count(Item.id)).where(_ended_in(scope))
                           .group_by(Item.state))
    counts = dict.fromkeys(OUTCOMES, 0)
    counts.update({state: count for state, count in rows})
    return counts


def spread(session: Session, seconds: Select[*tuple[Any, ...]], groups: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """(*groups, count, median, p90, max) per group of `seconds`, a query whose columns are
    the `groups` and `d` (seconds); the percentiles nearest-rank, in days."""
    inner = seconds.subquery()
    keys = [inner.c[name] for name in groups]
    ranked = select(*keys, inner.c.d,
                    func.row_number().over(partition_by=keys or None, order_by=inner.c.d).label("rank"),
                    func.count().over(partition_by=keys or None).label("n")).subquery()
    keys = [ranked.c[name] for name in groups]
    n, rank, d = ranked.c.n, ranked.c["rank"], ranked.c.d

    def at(numerator: int, denominator: int) -> ColumnElement[Any]:  # ceil(n × p), in integers
        return func.max(case((rank == (n * numerator + denominator - 1) // denominator, d)))

    query = select(*keys, func.max(n), at(1, 2), at(9, 10), func.max(d))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return [(*row[:len(groups)], row[len(groups)], *(None if v is None else float(v) / DAY
                                                    for v in row[len(groups) + 1:]))
            for row in session.execute(query) if row[len(groups)]]


def _submission_to_end(session: Session, scope: _Scope) -> Spread:
    # The first submission: the drafting step of the first cycle, done; reached by the
    # item's steps (`status || ''` keeps SQLite off the status index most steps share).
    seconds = (select(seconds_between(StepRecord.closed_at, Item.updated_at).label("d")).select_from(Item)
               .join(StepRecord, and_(StepRecord.item_id == Item.id, StepRecord.cycle == 1,
                                      StepRecord.position == 0, (StepRecord.status + "") == StepStatus.DONE))
               .where(_ended_in(scope)))
    rows = spread(session, seconds)
    return Spread(*rows[0]) if rows else Spread(0, None, None, None)


def _closed_in(scope: _Scope, since: datetime, before: datetime) -> ColumnElement[bool]:
    # Only a done or closed step has a closing moment; asking for the status as well
    # would lead SQLite to the status index rather than the closing moment's.
    return and_(scope.steps(), StepRecord.opened_at.is_not(None),
                StepRecord.closed_at >= since, StepRecord.closed_at < before)


def _waits(session: Session, scope: _Scope) -> list[StepWait]:
    f = scope.filters
    waited = scope.join_items(select(StepRecord.party, StepRecord.name, StepRecord.office,
                                     seconds_between(StepRecord.opened_at, StepRecord.closed_at).label("d"))
                              ).where(_closed_in(scope, f.since, f.before))
    late = dict(((party, name, office), count) for party, name, office, count in session.execute(
        scope.join_items(select(StepRecord.party, StepRecord.name, StepRecord.office,
                                func.count(StepRecord.id)))
        .where(_closed_in(scope, f.since, f.before), StepRecord.closed_at > StepRecord.due_at)
        .group_by(StepRecord.party, StepRecord.name, StepRecord.office)))
    return [StepWait(party, name, office, Spread(count, median, p90, longest),
                     late.get((party, name, office), 0))
            for party, name, office, count, median, p90, longest
            in spread(session, waited, ("party", "name", "office"))]


def _overdue_count(session: Session, scope: _Scope, since: datetime, before: datetime) -> tuple[int, int]:
    """(steps with a deadline closed in [since, before), of them closed after it)."""
    row = session.execute(
        scope.join_items(select(
            func.count(StepRecord.id),
            func.coalesce(func.sum(case((StepRecord.closed_at > StepRecord.due_at, 1), else_=0)), 0)))
        .where(_closed_in(scope, since, before), StepRecord.due_at.is_not(None))).one()
    return int(row[0]), int(row[1])


def _returns(session: Session, scope: _Scope) -> list[Returned]:
    f = scope.filters
    rows = session.execute(
        select(StepRecord.party, StepRecord.name, func.count(Decision.id))
        .join(StepRecord, StepRecord.id == Decision.step_id).join(Item, Item.id == StepRecord.item_id)
        .where(scope.steps(), Decision.action == "return", Decision.at >= f.since, Decision.at < f.before)
        .group_by(StepRecord.party, StepRecord.name).order_by(StepRecord.party, StepRecord.name))
    return [Returned(*row) for row in rows]


def _cycles(session: Session, scope: _Scope) -> dict[int, int]:
    rows = session.execute(select(Item.cycle, func.count(Item.id)).where(_ended_in(scope))
                           .group_by(Item.cycle).order_by(Item.cycle))
    return {cycle: count for cycle, count in rows}


def _longest_late(session: Session, registry: Registry, scope: _Scope, now: datetime,
                  limit: int = 5) -> list[LateStep]:
    """The steps that were (closed in the period) or are (open at `now`) the longest past
    their deadline: the longest of each kind, by its own index, then the longest of both."""
    f = scope.filters
    rows: list[Any] = []
    for finished, which in ((StepRecord.closed_at, _closed_in(scope, f.since, f.before)),
                            (literal(now), and_(scope.steps(), StepRecord.status == StepStatus.OPEN))):
        late = seconds_between(StepRecord.due_at, finished)
        rows += session.execute(
            scope.join_items(select(StepRecord.item_id, StepRecord.party, StepRecord.name, StepRecord.office,
                                    StepRecord.due_at, StepRecord.closed_at, late.label("late")))
            .where(which, StepRecord.due_at.is_not(None), StepRecord.due_at < finished)
            .order_by(late.desc(), StepRecord.id).limit(limit)).all()
    references = dict(session.execute(select(Item.id, Item.reference).where(
        Item.id.in_({row[0] for row in rows}))).all())
    found = []
    for item_id, party, name, office, due_at, closed_at, seconds in sorted(
            rows, key=lambda row: (-row[-1], references[row[0]]))[:limit]:
        reference = references[item_id]
        if due_at is None:  # excluded by the query; keeps the type checker honest
            continue
        identity = registry.party(party).identity
        working = working_days_between(to_local(due_at, identity.timezone).date(),
                                       to_local(closed_at or now, identity.timezone).date(),
                                       identity.weekend, identity.holidays)
        found.append(LateStep(reference, party, name, office, due_at, closed_at,
                              float(seconds) / DAY, working))
    return found


def _notices(session: Session, scope: _Scope) -> list[Notices]:
    f = scope.filters
    # A notice names the party whose step it is about: that party's item.
    party_ok = AuditEvent.party == f.party if f.party else literal(True)
    rows = session.execute(
        scope.join_items(select(AuditEvent.party,
                                func.sum(case((AuditEvent.action == REMIND, 1), else_=0)),
                                func.sum(case((AuditEvent.action == ESCALATE, 1), else_=0))),
                         onto=AuditEvent.item_id)
        .where(scope.items(party=False), party_ok, AuditEvent.action.in_((REMIND, ESCALATE)),
               AuditEvent.at >= f.since, AuditEvent.at < f.before)
        .group_by(AuditEvent.party).order_by(AuditEvent.party))
    return [Notices(party or "", int(reminders), int(escalations)) for party, reminders, escalations in rows]


def _open_steps(session: Session, scope: _Scope, now: datetime) -> list[OpenAge]:
    age = seconds_between(StepRecord.opened_at, literal(now)) / DAY
    bounds = [bound for _, bound in AGE_BUCKETS[:-1]]
    bucket = case(*((age < bound, index) for index, bound in enumerate(bounds)), else_=len(bounds))
    rows = session.execute(
        scope.join_items(select(StepRecord.party, StepRecord.name, StepRecord.office, bucket.label("bucket"),
                                func.count(StepRecord.id), func.max(age),
                                func.sum(case((StepRecord.due_at < now, 1), else_=0))))
        .where(scope.steps(), StepRecord.status == StepStatus.OPEN, StepRecord.opened_at <= now)
        .group_by(StepRecord.party, StepRecord.name, StepRecord.office, bucket))
    groups: dict[tuple[str, str, str], OpenAge] = {}
    for party, name, office, index, count, oldest, overdue in rows:
        key = (party, name, office)
        known = groups.get(key) or OpenAge(party, name, office, 0, 0.0, 0,
                                           {label: 0 for label, _ in AGE_BUCKETS})
        known.buckets[AGE_BUCKETS[index][0]] += count
        groups[key] = OpenAge(party, name, office, known.count + count,
                              max(known.oldest, float(oldest)), known.overdue + int(overdue or 0),
                              known.buckets)
    return sorted(groups.values(), key=lambda open_age: (-open_age.oldest, open_age.party))
