"""An item's state rebuilt from its events alone: a pure fold over the hash-chained history.

The engine stores an item's state (items, versions, steps, decisions) and, in the same
transaction, one event per action. `rebuild` folds the events into the state they imply;
`stored` reads the same shape from the tables; the two must be equal (checked by the
generated tests, and usable by `manzoori verify`). Events without the data the fold needs
(recorded before the draft event carried the route) raise `ReplayError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.contract import ItemKind
from engine.core.flows import NEXT, EndState, flow_for
from engine.errors import ManzooriError
from engine.store import AuditEvent, Item, Officer
from engine.store.statuses import StepStatus


class ReplayError(ManzooriError):
    """The events do not fold into a state: one is missing data, or contradicts the others."""


@dataclass(frozen=True)
class Event:
    """What the fold reads of one event."""

    seq: int
    action: str
    officer: str | None
    party: str | None
    version: int | None
    payload: dict[str, Any]


@dataclass
class StepState:
    cycle: int
    position: int
    name: str
    party: str
    office: str
    quorum: int
    status: str
    assigned_to: str | None = None
    decisions: list[tuple[str, str]] = field(default_factory=list)
    """(officer, action) in the order they were taken."""


@dataclass
class VersionState:
    number: int
    frozen: bool
    digest: str | None


@dataclass
class ItemState:
    kind: str
    parties: list[str]
    drafter: str
    title: str
    state: str
    stage: int
    cycle: int
    versions: list[VersionState]
    steps: list[StepState]

    def key(self) -> tuple[Any, ...]:
        """Comparable form: steps in (cycle, position, party) order."""
        steps = sorted(self.steps, key=lambda s: (s.cycle, s.position, s.party))
        return (self.kind, self.parties, self.drafter, self.title, self.state, self.stage,
                self.cycle, self.versions, steps)


def events_of(session: Session, item: Item) -> list[Event]:
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.action, Officer.username, AuditEvent.party,
               AuditEvent.version, AuditEvent.payload)
        .outerjoin(Officer, Officer.id == AuditEvent.officer_id)
        .where(AuditEvent.item_id == item.id).order_by(AuditEvent.seq)
    )
    return [Event(*row) for row in rows]


def stored(session: Session, item: Item) -> ItemState:
    """The item's state as its tables hold it, in the shape `rebuild` produces."""
    names: dict[int | None, str] = dict(session.execute(select(Officer.id, Officer.username)).all())
    return ItemState(
        kind=item.kind, parties=item.party_codes, drafter=names[item.drafter_id],
        title=item.title, state=item.state, stage=item.stage, cycle=item.cycle,
        versions=[VersionState(v.number, v.frozen, v.digest) for v in item.versions],
        steps=[
            StepState(s.cycle, s.position, s.name, s.party, s.office, s.quorum, s.status,
                      names.get(s.assigned_to_id),
                      [(names[d.officer_id], d.action) for d in s.decisions])
            for s in item.steps
        ],
    )


def rebuild(events: Iterable[Event]) -> ItemState:
    """Fold the events, first to last, into the state they imply."""
    events = iter(events)
    first = next(events, None)
    if first is None or first.action != "draft":
        raise ReplayError("an item's history starts with its draft event")
    fold = _Fold(first)
    for event in events:
        fold.apply(event)
    return fold.item


def check(session: Session, item: Item) -> str | None:
    """None when the events rebuild the stored state, else what differs."""
    rebuilt, actual = rebuild(events_of(session, item)), stored(session, item)
    if rebuilt.key() == actual.key():
        return None
    return f"{item.reference}: events rebuild {rebuilt.key()!r}, tables hold {actual.key()!r}"


class _Fold:
    def __init__(self, draft: Event) -> None:
        payload = draft.payload
        missing = [name for name in ("route", "opened", "flow_version") if name not in payload]
        if missing:
            raise ReplayError(f"draft event lacks {', '.join(missing)} (recorded by an older engine)")
        self.route: list[dict[str, Any]] = payload["route"]
        self.end = flow_for(ItemKind(payload["kind"]), payload["flow_version"]).end
        self.item = ItemState(
            kind=payload["kind"], parties=list(payload["parties"]), drafter=draft.officer or "",
            title=payload["title"], state="", stage=0, cycle=1,
            versions=[VersionState(1, False, None)], steps=[],
        )
        self._open(0, payload["opened"], draft)

    def apply(self, event: Event) -> None:
        item, payload = self.item, event.payload
        if event.action in ("submit", "revise"):
            self._drafting(event)
        elif event.action == "withdraw":
            self._close()
            item.state = EndState.WITHDRAWN
        elif event.action in ("reassign", "hand-over"):  # a hand-over gives it back to the office
            self._record(event).assigned_to = payload["to"]
        elif event.action in ("clear", "feedback", "approve", "reject", "sign", "return"):
            self._decide(event)
        else:  # comments, reminders, follow-up: recorded, the item's state unchanged
            pass
        for name in ("state", "stage", "cycle"):
            if name in payload and event.action not in ("reassign", "hand-over") and payload[name] != getattr(item, name):
                raise ReplayError(f"event {event.seq} ({event.action}) records {name} "
                                  f"{payload[name]!r}; its history gives {getattr(item, name)!r}")

    def _drafting(self, event: Event) -> None:
        item, payload = self.item, event.payload
        latest = item.versions[-1]
        if event.version is not None and event.version > latest.number:
            latest = VersionState(event.version, False, None)
            item.versions.append(latest)
        item.title = payload.get("title", item.title)
        if event.action == "revise":
            return
        if not latest.frozen:
            latest.frozen, latest.digest = True, payload.get("digest")
        self.route = payload.get("route", self.route)
        for record in self._current(status=StepStatus.OPEN):
            record.decisions.append((event.officer or "", "submit"))
            record.status = StepStatus.DONE
        self._open(item.stage + 1, payload.get("opened", []), event)

    def _decide(self, event: Event) -> None:
        item, payload = self.item, event.payload
        record = self._record(event)
        record.decisions.append((event.officer or "", event.action))
        target = self.route[item.stage]["actions"][event.action]
        if target == NEXT:
            counted = sum(1 for _, action in record.decisions if action == event.action)
            if counted < record.quorum:
                return
            record.status = StepStatus.DONE
            if self._current(status=StepStatus.OPEN):
                return
            pending = self._current(status=StepStatus.PENDING)
            if pending:
                pending[0].status = StepStatus.OPEN
                return
            self._open(item.stage + 1, payload.get("opened", []), event)
            return
        self._close()
        if target == EndState.REJECTED:
            item.state = EndState.REJECTED
            return
        item.cycle += 1
        position = next((i for i, step in enumerate(self.route) if step["name"] == target), None)
        if position is None:
            raise ReplayError(f"event {event.seq} returns to {target!r}, not on the route")
        self._open(position, payload.get("opened", []), event)

    def _open(self, position: int, opened: list[dict[str, Any]], event: Event) -> None:
        item = self.item
        item.stage = position
        if position >= len(self.route):
            item.state = self.end
            return
        step = self.route[position]
        item.state = step["name"]
        if [o["party"] for o in opened] != list(step["parties"]):
            raise ReplayError(f"event {event.seq} opens step {step['name']!r} for "
                              f"{[o['party'] for o in opened]}, the route names {step['parties']}")
        item.steps.extend(
            StepState(item.cycle, position, step["name"], o["party"], o["office"], o["quorum"],
                      o["status"])
            for o in opened
        )

    def _current(self, status: str) -> list[StepState]:
        return [s for s in self.item.steps if s.cycle == self.item.cycle
                and s.position == self.item.stage and s.status == status]

    def _record(self, event: Event) -> StepState:
        for record in self._current(status=StepStatus.OPEN):
            if record.party == event.party:
                return record
        raise ReplayError(f"event {event.seq} ({event.action}) acts on {event.party}'s step "
                          f"at {self.item.state!r}, which is not open in its history")

    def _close(self) -> None:
        for record in self.item.steps:
            if record.status in StepStatus.live():
                record.status = StepStatus.CLOSED
