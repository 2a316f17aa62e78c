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
from engine.core.flows import NEXT, EndState, Route, flow_for
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
    decisions: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(officer, action, capacity, absent officer acted for) in the order they were taken."""
    escalated_to: str | None = None


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
                      [(names[d.officer_id], d.action, d.capacity, names.get(d.for_officer_id))
                       for d in s.decisions], s.escalated_to)
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
    """The engine's routing (engine.core.routing) over events instead of tables: which
    steps open is worked out here from the route and checked against what each event
    records having opened."""

    def __init__(self, draft: Event) -> None:
        payload = draft.payload
        missing = [name for name in ("route", "opened", "flow_version") if name not in payload]
        if missing:
            raise ReplayError(f"draft event lacks {', '.join(missing)} (recorded by an older engine)")
        self.route = Route.from_json(payload["route"])
        self.end = flow_for(ItemKind(payload["kind"]), payload["flow_version"]).end
        self.ordered_signing = bool(payload.get("ordered_signing"))
        self.item = ItemState(
            kind=payload["kind"], parties=list(payload["parties"]), drafter=draft.officer or "",
            title=payload["title"], state="", stage=0, cycle=1,
            versions=[VersionState(1, False, None)], steps=[],
        )
        self._unclaimed: list[dict[str, Any]] = []
        self._begin(draft)
        self._open_stage(0, draft)
        self._finish(draft)

    def apply(self, event: Event) -> None:
        item, payload = self.item, event.payload
        self._begin(event)
        if "route" in payload:  # a submission resolves it again; a migration rewrites it
            self.route = Route.from_json(payload["route"])
            if event.action == "migrated" and item.stage < len(self.route.steps):
                item.stage = self.route.segment(item.stage).start
        if event.action in ("submit", "revise"):
            self._drafting(event)
        elif event.action == "withdraw":
            self._close()
            item.state = EndState.WITHDRAWN
        elif event.action in ("reassign", "hand-over"):  # a hand-over gives it back to the office
            self._record(event).assigned_to = payload["to"]
        elif event.action in ("clear", "feedback", "approve", "reject", "sign", "return"):
            self._decide(event)
        elif event.action == "escalate" and payload.get("decides"):
            self._record(event).escalated_to = payload["to_office"]
        else:  # comments, reminders, told-only escalations, follow-up: state unchanged
            pass
        self._finish(event)
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
        for record in self._current(StepStatus.OPEN):
            record.decisions.append((event.officer or "", "submit", "holder", None))
            record.status = StepStatus.DONE
        self._open_stage(self.route.segment(item.stage).stop, event)

    def _decide(self, event: Event) -> None:
        item = self.item
        record = self._record(event)
        record.decisions.append((event.officer or "", event.action,
                                 event.payload.get("capacity", "holder"), event.payload.get("for")))
        target = self.route.steps[record.position].actions[event.action]
        if target == NEXT:
            counted = sum(1 for _, action, _, _ in record.decisions if action == event.action)
            if counted < record.quorum:
                return
            record.status = StepStatus.DONE
            self._move_on(record, event)
            return
        self._close()
        if target == EndState.REJECTED:
            item.state = EndState.REJECTED
            return
        item.cycle += 1
        self._open_stage(self.route.index(target), event)

    def _move_on(self, done: StepState, event: Event) -> None:
        pending = [s for s in self._current(StepStatus.PENDING) if s.position == done.position]
        if pending and not self._current(StepStatus.OPEN):
            pending[0].status = StepStatus.OPEN
            return
        for code in self.item.parties:
            mine = [s for s in self._current() if s.party == code]
            if not mine or any(s.status in StepStatus.live() for s in mine):
                continue
            following = self.route.next_for(code, max(s.position for s in mine))
            if following is not None:
                self._open_step(following, code, event, waiting=False)
        if any(s.status in StepStatus.live() for s in self._current()):
            self._show_progress()
            return
        self._open_stage(self.route.segment(self.item.stage).stop, event)

    def _open_stage(self, position: int, event: Event) -> None:
        item = self.item
        item.stage = position
        if position >= len(self.route.steps):
            item.state = self.end
            return
        step = self.route.steps[position]
        in_order = self.ordered_signing and step.name == "signature"
        for code in item.parties:
            first = self.route.first_for(code, position)
            if first is not None:
                self._open_step(first, code, event,
                                waiting=in_order and first == position and code != step.parties[0])
        self._show_progress()

    def _open_step(self, position: int, code: str, event: Event, *, waiting: bool) -> None:
        step = self.route.steps[position]
        recorded = self._claim(code, position, event)
        status = StepStatus.PENDING if waiting else StepStatus.OPEN
        if recorded["status"] != status:
            raise ReplayError(f"event {event.seq} opens {step.name!r} for {code} as "
                              f"{recorded['status']}; its history gives {status}")
        self.item.steps.append(StepState(self.item.cycle, position, step.name, code,
                                         recorded["office"], recorded["quorum"], status))

    def _claim(self, code: str, position: int, event: Event) -> dict[str, Any]:
        """What `event` recorded opening for `code` at `position` (events recorded before
        parties moved at their own pace name no position)."""
        for index, opened in enumerate(self._unclaimed):
            if opened["party"] == code and opened.get("position", position) == position:
                return self._unclaimed.pop(index)
        raise ReplayError(f"event {event.seq} ({event.action}) should open "
                          f"{self.route.steps[position].name!r} for {code}; it records no such step")

    def _begin(self, event: Event) -> None:
        self._unclaimed = list(event.payload.get("opened", []))

    def _finish(self, event: Event) -> None:
        if self._unclaimed:
            names = ", ".join(f"{o['party']}" for o in self._unclaimed)
            raise ReplayError(f"event {event.seq} ({event.action}) records opening steps for "
                              f"{names} that its history does not open")

    def _show_progress(self) -> None:
        live = [s.position for s in self._current() if s.status in StepStatus.live()]
        self.item.state = self.route.steps[min(live, default=self.item.stage)].name

    def _current(self, status: str | None = None) -> list[StepState]:
        return [s for s in self.item.steps if s.cycle == self.item.cycle
                and s.position >= self.item.stage and status in (None, s.status)]

    def _record(self, event: Event) -> StepState:
        for record in self._current(StepStatus.OPEN):
            if record.party == event.party:
                return record
        raise ReplayError(f"event {event.seq} ({event.action}) acts on {event.party}'s step "
                          f"at {self.item.state!r}, which is not open in its history")

    def _close(self) -> None:
        for record in self.item.steps:
            if record.status in StepStatus.live():
                record.status = StepStatus.CLOSED
