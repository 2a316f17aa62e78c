"""How an item moves along its route: opening steps, counting decisions, advancing,
returning for revision, and recording each action as a hash-chained event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.contract import ExtraStep, ItemKind, PartyIdentity
from engine.contract.calendar import add_working_days, from_local, to_local
from engine.contract.forms import FormModel, validate_form
from engine.core import definitions
from engine.core.definitions import Definition
from engine.core.flows import NEXT, EndState, FlowDefinition, Route, flow_for, resolve_route
from engine.core.registry import Registry
from engine.errors import InvalidForm, NotAllowed, PluginError
from engine.store import AuditEvent, Decision, Item, Officer, OutboxEntry, StepRecord, Version, audit
from engine.store.statuses import StepStatus


def validate(registry: Registry, kind: ItemKind, parties: list[str], data: dict[str, Any],
             definition: Definition | None = None) -> FormModel:
    """The drafting party's form over `data`, with every party's rules applied: those of
    the definition the item follows (`definition`), or of the installed ones for a new item."""
    drafting = registry.party(parties[0])
    model = drafting.form(kind)
    if model is None:
        raise NotAllowed(f"{drafting.code} has no form for {kind.label.lower()}s")
    if not isinstance(data, dict):
        raise InvalidForm("form data must be a mapping of field names to values",
                          problems=[("form", "not a mapping")])
    validated = validate_form(model, data, party=drafting.code)
    versions = definition.versions() if definition else {
        code: registry.party(code).definition_version for code in parties}
    findings = [
        (code, finding)
        for code in parties
        for finding in registry.party(code).call("check", kind=kind, form=validated,
                                                 parties=parties, version=versions[code])
    ]
    if findings:
        problems = [(finding.field or "form", finding.message) for _, finding in findings]
        text = "; ".join(f"{code}: {finding.field or 'form'}: {finding.message}"
                         for code, finding in findings)
        raise InvalidForm(f"the parties' rules refuse this content: {text}", problems=problems,
                          headline="the parties' rules refuse this content:")
    return validated


def resolve(
    registry: Registry, kind: ItemKind, flow: FlowDefinition, definition: Definition,
    parties: list[str], form: FormModel,
) -> Route:
    """The item's route for this content under `definition`; every role it needs must be
    mapped."""
    extras: dict[str, list[ExtraStep]] = {
        code: registry.party(code).call("extra_steps", kind=kind, form=form, parties=parties,
                                        version=definition.version(code))
        for code in parties
    }
    route = resolve_route(flow, parties[0], tuple(parties), extras)
    for step in route.steps:
        for code in step.parties:
            if step.role not in definition.roles(code):
                raise PluginError(code, "roles",
                                  f"maps no office to role {step.role!r} of {kind} (step {step.name!r})")
    return route


def digest(item: Item, version: Version) -> str:
    return audit.version_digest(item.reference, version.number, version.title,
                                version.form_model, version.form, item.party_codes,
                                version.author.username, version.created_at, version.submitted_at)


def open_stage(session: Session, registry: Registry, item: Item, position: int, now: datetime) -> None:
    """Put the item at the join at route step `position`: each party opens its first step
    of the segment that begins there (the signatures in order when the item asks for
    ordered signing), and from there walks its own steps at its own pace."""
    route = Route.from_json(item.route)
    item.stage = position
    if position >= len(route.steps):
        item.state = flow_for(ItemKind(item.kind), item.flow_version).end
        return
    step = route.steps[position]
    in_order = item.ordered_signing and step.name == "signature"
    for code in item.party_codes:
        first = route.first_for(code, position)
        if first is not None:
            waiting = in_order and first == position and code != step.parties[0]
            _open_step(registry, item, route, first, code, now, waiting=waiting)
    _show_progress(item, route)


def _open_step(registry: Registry, item: Item, route: Route, position: int, code: str,
               now: datetime, *, waiting: bool = False) -> None:
    step = route.steps[position]
    rule = definitions.of_item(registry, item).roles(code)[step.role]
    item.steps.append(StepRecord(
        cycle=item.cycle, position=position, name=step.name, party=code, role=step.role,
        office=rule.office, quorum=rule.quorum,
        status=StepStatus.PENDING if waiting else StepStatus.OPEN,
        opened_at=None if waiting else now,
        due_at=None if waiting else due_after(now, rule.deadline_days, registry.party(code).identity),
    ))


def _show_progress(item: Item, route: Route) -> None:
    """The item's state names the least advanced step a party is at (the join it waits at
    when every party is done and nothing is open yet)."""
    live = [s.position for s in item.current_steps if s.status in StepStatus.live()]
    item.state = route.steps[min(live, default=item.stage)].name


def close_open_steps(item: Item, now: datetime) -> None:
    for record in item.steps:
        if record.status in StepStatus.live():
            record.status = StepStatus.CLOSED
            record.closed_at = now


def finish_step(session: Session, registry: Registry, item: Item, actor: Officer, *,
                step_name: str, now: datetime) -> None:
    """The drafting step is done (submission): close it and move on."""
    for record in item.current_steps:
        if record.status == StepStatus.OPEN:
            record.decisions.append(Decision(officer_id=actor.id, action="submit", at=now))
            record.status, record.closed_at = StepStatus.DONE, now
    open_stage(session, registry, item, Route.from_json(item.route).segment(item.stage).stop, now)


def apply_decision(
    session: Session, registry: Registry, item: Item, actor: Officer, record: StepRecord,
    action: str, target: str, now: datetime,
) -> str:
    record.decisions.append(Decision(officer_id=actor.id, action=action, at=now))
    route = Route.from_json(item.route)
    if target == NEXT:
        counted = sum(1 for d in record.decisions if d.action == action)
        if counted < record.quorum:
            return (f"{action} recorded for {record.party} ({counted} of {record.quorum} "
                    f"needed at {record.name})")
        record.status, record.closed_at = StepStatus.DONE, now
        return _move_on(session, registry, item, route, record, action, now)
    close_open_steps(item, now)
    if target == EndState.REJECTED:
        item.state = EndState.REJECTED
        return f"{item.reference} rejected"
    item.cycle += 1
    open_stage(session, registry, item, route.index(target), now)
    return f"{item.reference} returned for revision (to {target})"


def _move_on(session: Session, registry: Registry, item: Item, route: Route, done: StepRecord,
             action: str, now: datetime) -> str:
    """After `done` is complete: the next signatory in order, else each party that has
    finished a step takes its next one; when every party is through, the next join."""
    current = item.current_steps
    pending = [s for s in current if s.status == StepStatus.PENDING and s.position == done.position]
    if pending and not any(s.status == StepStatus.OPEN for s in current):
        nxt = pending[0]
        rule = definitions.item_roles(registry, item, nxt.party)[nxt.role]
        nxt.status, nxt.opened_at = StepStatus.OPEN, now
        nxt.due_at = due_after(now, rule.deadline_days, registry.party(nxt.party).identity)
        return f"{action} recorded for {done.party}; now {nxt.party}'s turn"
    moved = _catch_up(registry, item, route, now)
    if any(s.status in StepStatus.live() for s in item.current_steps):
        _show_progress(item, route)
        if done.party in moved:
            return f"{action} recorded for {done.party}; {done.party} moves on to {moved[done.party]}"
        return f"{action} recorded for {done.party}; other parties still to act"
    open_stage(session, registry, item, route.segment(item.stage).stop, now)
    return f"{action} recorded; {item.reference} is now at {item.state}"


def _catch_up(registry: Registry, item: Item, route: Route, now: datetime) -> dict[str, str]:
    """Open the next step of each party that has nothing open in this segment but has
    steps left in it; what each party moved on to."""
    moved: dict[str, str] = {}
    current = item.current_steps
    for code in item.party_codes:
        mine = [s for s in current if s.party == code]
        if not mine or any(s.status in StepStatus.live() for s in mine):
            continue
        following = route.next_for(code, max(s.position for s in mine))
        if following is not None:
            _open_step(registry, item, route, following, code, now)
            moved[code] = route.steps[following].name
    return moved


def due_after(now: datetime, days: int, identity: PartyIdentity) -> datetime:
    """`days` working days after `now`, counted on the party's own clock and calendar."""
    local = to_local(now, identity.timezone)
    return from_local(add_working_days(local, days, identity.weekend, identity.holidays),
                      identity.timezone)


# Built once, so that SQLAlchemy reuses its cache key rather than computing it per event.
_LAST_EVENT = (select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.item_id == bindparam("item_id"))
               .order_by(AuditEvent.seq.desc()).limit(1))


def record(
    session: Session, item: Item, officer: Officer | None, action: str, now: datetime, *,
    step: str | None = None, party: str | None = None, comment: str | None = None,
    key: str | None = None, payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the item's chain."""
    if item.id is None:
        session.flush()
    last = session.execute(_LAST_EVENT, {"item_id": item.id}).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, audit.GENESIS)
    version = item.versions[-1].number if item.versions else None
    event = AuditEvent(
        item_id=item.id, seq=seq, at=now, officer=officer, action=action,
        step=step, party=party, version=version, comment=comment, payload=payload or {},
        idempotency_key=key, prev_hash=prev_hash, hash="",
    )
    session.add(event)
    # The global sequence is the row's autoincrement id, race-free on SQLite and
    # PostgreSQL alike; the hash, which covers it, can only be computed once it is known.
    session.flush()
    event.global_seq = event.id
    event.hash = audit.event_hash(prev_hash, audit.event_fields(
        item.reference, officer.username if officer else None, event))
    session.add(OutboxEntry(item_id=item.id, event_seq=seq, created_at=now))
    return event

