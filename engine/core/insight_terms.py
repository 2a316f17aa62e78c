"""The terms of the insight figures (engine.core.insight): what they are over (`Filters`,
checked by `checked_filters`) and what they say (`Figures` and its parts). Times are in
days; see engine.core.insight for what counts where."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.flows import FLOWS, EndState
from engine.core.items import parse_kind
from engine.core.registry import Registry
from engine.errors import InvalidForm, NotFound
from engine.store import StepRecord

#: The ageing of open steps: the upper bounds of the groups, in days since the step opened.
AGE_BUCKETS: tuple[tuple[str, float], ...] = (("0-5", 5), ("5-10", 10), ("10-30", 30),
                                              ("30+", float("inf")))
OUTCOMES: tuple[str, ...] = tuple(EndState)


@dataclass(frozen=True)
class Filters:
    """What the figures are over: a period (inclusive UTC days) and optional filters."""

    start: date
    end: date
    party: str | None = None
    kind: str | None = None
    office: str | None = None
    step: str | None = None
    flow: int | None = None
    """The engine's flow version the items follow."""
    definition: int | None = None
    """The party's definition version (of `party`, else of the drafting party)."""

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time())

    @property
    def before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time())


def checked_filters(session: Session, registry: Registry, start: date, end: date, *, party: str | None = None,
                    kind: str | None = None, office: str | None = None, step: str | None = None,
                    flow: int | None = None, definition: int | None = None) -> Filters:
    """The filters, each checked: an unknown party, kind, office or step, or a period that
    ends before it starts, is refused naming what was wrong."""
    if end < start:
        raise InvalidForm(f"the period ends ({end}) before it starts ({start})",
                          problems=[("to", "before from")])
    if party is not None:
        registry.party(party)
    if kind is not None:
        kind = parse_kind(kind).value
    if office is not None:
        offices = ({office for office in registry.party(party).offices} if party else
                   {office for known in registry.parties.values() for office in known.offices})
        if office not in offices:
            where = f"of {party}" if party else "of any party"
            raise NotFound(f"no office {office!r} {where} (see `manzoori provinces`)", field="office")
    if step is not None and not _known_step(session, step):
        names = sorted({step.name for flow in FLOWS.values() for step in flow.steps})
        raise NotFound(f"no step {step!r} in any flow or item (the flows' steps: {', '.join(names)})",
                       field="step")
    for value, name in ((flow, "flow"), (definition, "definition")):
        if value is not None and value < 1:
            raise InvalidForm(f"--{name} {value} is not a version (1, 2, ...)",
                              problems=[(name, "not a version")])
    return Filters(start, end, party, kind, office, step, flow, definition)


def _known_step(session: Session, name: str) -> bool:
    """A step of a flow, or one a party's rules added to some item (an extra step)."""
    if any(step.name == name for flow in FLOWS.values() for step in flow.steps):
        return True
    return session.scalar(select(StepRecord.id).where(StepRecord.name == name).limit(1)) is not None


@dataclass(frozen=True)
class Spread:
    """How long something took: count, median, 90th percentile and maximum, in days."""

    count: int
    median: float | None
    p90: float | None
    max: float | None


@dataclass(frozen=True)
class StepWait:
    party: str
    step: str
    office: str
    spread: Spread
    overdue: int
    """Of `spread.count`, closed after their deadline."""


@dataclass(frozen=True)
class LateStep:
    reference: str
    party: str
    step: str
    office: str
    due_at: datetime
    closed_at: datetime | None
    """None: still open at `now`."""
    days_late: float
    working_days_late: int
    """On the party's working calendar: working days from the due date to the closing (or now)."""


@dataclass(frozen=True)
class Returned:
    party: str
    step: str
    returns: int


@dataclass(frozen=True)
class Notices:
    party: str
    reminders: int
    escalations: int


@dataclass(frozen=True)
class OpenAge:
    party: str
    step: str
    office: str
    count: int
    oldest: float
    """Days since the oldest of them opened."""
    overdue: int
    buckets: dict[str, int]


@dataclass(frozen=True)
class QuarterShare:
    quarter: str
    closed: int
    overdue: int

    @property
    def share(self) -> float | None:
        return self.overdue / self.closed if self.closed else None


@dataclass
class Figures:
    filters: Filters
    now: datetime
    started: int
    ended: dict[str, int]
    submission_to_end: Spread
    waits: list[StepWait]
    returns: list[Returned]
    cycles: dict[int, int]
    """Items that ended in the period, by how many cycles they took."""
    steps_closed: int
    steps_overdue: int
    longest_late: list[LateStep]
    notices: list[Notices]
    open_steps: list[OpenAge]
    quarters: list[QuarterShare] = field(default_factory=list)

    @property
    def overdue_share(self) -> float | None:
        return self.steps_overdue / self.steps_closed if self.steps_closed else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = {key: str(value) if isinstance(value, date) else value
                           for key, value in asdict(self.filters).items()}
        data["now"] = self.now.isoformat()
        data["overdue_share"] = self.overdue_share
        data["cycles"] = {str(cycles): count for cycles, count in self.cycles.items()}
        data["quarters"] = [{**asdict(q), "share": q.share} for q in self.quarters]
        for late in data["longest_late"]:
            for key in ("due_at", "closed_at"):
                late[key] = late[key].isoformat() if late[key] else None
        return data



def quarters(filters: Filters) -> list[tuple[str, datetime, datetime]]:
    """The calendar quarters the period touches, each cut to the period."""
    found = []
    day = date(filters.start.year, 3 * ((filters.start.month - 1) // 3) + 1, 1)
    while day <= filters.end:
        following = date(day.year + (day.month > 9), (day.month + 2) % 12 + 1, 1)
        since = max(day, filters.start)
        before = min(following, filters.end + timedelta(days=1))
        found.append((f"{day.year}-Q{(day.month - 1) // 3 + 1}",
                      datetime.combine(since, time()), datetime.combine(before, time())))
        day = following
    return found
