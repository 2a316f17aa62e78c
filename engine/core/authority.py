"""Who may decide a waiting step, and in what capacity.

One answer for every interface: the service layer (`engine.core.items`) asks it before
recording a decision, and the inbox, the web page and the API ask it to offer only the
actions the engine would accept. Today an officer decides a step as a holder of the
step's office on the day; the organisation model (delegation while away, escalation)
adds further capacities here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.core.directory import holds
from engine.store import Item, Officer, StepRecord
from engine.store.statuses import StepStatus

HOLDER = "holder"


@dataclass(frozen=True)
class Capacity:
    """`officer` may decide `record`, as `basis` says."""

    record: StepRecord
    basis: str = HOLDER


def open_records(item: Item) -> list[StepRecord]:
    """The step records of the item's current cycle that wait for decisions."""
    return [s for s in item.current_steps if s.status == StepStatus.OPEN]


def capacities(item: Item, officer: Officer, day: date) -> list[Capacity]:
    """The open step records of `item` that `officer` may decide on `day`, with the
    capacity in which they would decide (maker ≠ checker, assignment and earlier decisions
    are checked by the caller, which words the refusal)."""
    return [Capacity(record) for record in open_records(item)
            if holds(officer, record.party, record.office, day)]
