"""Moving in-flight items to a newer definition of a party (`manzoori migrate`).

An item follows the definition it was drafted under (engine.core.definitions) until it is
moved. Moving is per party: PARTY's definition VERSION replaces the one the item
follows, the item's route is resolved again under it (extra steps, rules) and the item
stands at the same step in the new route, its open step now waiting for the office the
new definition names. An item cannot move when its current step is not in the new
route, when the new rules refuse its content, or when a lower quorum would leave its
step already complete; it is left as it is and reported. Each item moves in its own
transaction, with a `migrated` event in its hash-chained history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core import routing
from engine.core.definitions import Definition, of_item, party_definition
from engine.core.flows import FLOWS, NEXT, Route, flow_for
from engine.core.items import get_item, parse_kind
from engine.core.registry import Registry
from engine.errors import InvalidForm, ManzooriError, NotFound
from engine.store import Item, ItemParty, StepRecord, one_transaction
from engine.store.statuses import StepStatus


@dataclass(frozen=True)
class Move:
    """What migrating one item means: where it stands, where it would stand, or why it
    cannot move."""

    reference: str
    step: str
    """The step the item is at now."""
    to_step: str | None
    """The same step in the new definition's route; None when the item cannot move."""
    changes: tuple[str, ...] = ()
    """What differs for the item: steps added or dropped, offices changed at its step."""
    reason: str | None = None
    """Why the item cannot move (or did not, in a real run)."""
    moved: bool = False

    @property
    def can_move(self) -> bool:
        return self.to_step is not None


def check_target(registry: Registry, kind: ItemKind, party: str, version: int) -> None:
    """Refuse a migration target that is not a newer definition the plugin offers."""
    installed = registry.party(party).definition_version
    if version < 2:
        raise InvalidForm(
            f"definition {version} (to) is not newer than any definition: {party}'s definitions start at 1, "
            f"so items can move only to 2 to {installed}" if installed > 1 else
            f"definition {version} (to) is not newer than any definition: {party} has only definition 1",
            problems=[("to", "not newer")])
    if version > installed:
        raise NotFound(f"{party} has no definition {version}: its installed plugin offers "
                       f"definitions up to {installed}")
    party_definition(registry, kind, party, version)  # takes part in the kind, roles sound


def candidates(session: Session, kind: ItemKind, party: str) -> list[Item]:
    """The in-flight items of `kind` that `party` is party to, by reference."""
    return list(session.scalars(
        select(Item).where(Item.kind == kind.value, Item.parties.any(ItemParty.party == party),
                           Item.state.not_in(_end_states(kind)))
        .options(selectinload(Item.parties), selectinload(Item.versions),
                 selectinload(Item.steps).selectinload(StepRecord.decisions))
        .order_by(Item.reference)))


def plan_move(registry: Registry, item: Item, party: str,
              version: int) -> tuple[Move, Route, Definition] | None:
    """Where `item` would stand under `party`'s definition `version`, with its new route
    and definition; None if it already follows that version or a newer one."""
    kind = ItemKind(item.kind)
    held = of_item(registry, item)
    if held.version(party) >= version:
        return None
    target = held.replace_party(party, party_definition(registry, kind, party, version))
    where = f"{party} definition {version}"
    try:
        form = routing.validate(registry, kind, item.party_codes, item.versions[-1].form, target)
        route = routing.resolve(registry, kind, flow_for(kind, item.flow_version), target,
                                 item.party_codes, form)
    except ManzooriError as error:
        return Move(item.reference, item.state, None, reason=f"under {where}: {error.message}"), \
            Route(), target
    old = Route.from_json(item.route)
    names = [step.name for step in route.steps]
    if item.state not in names:
        return Move(item.reference, item.state, None, reason=(
            f"its current step {item.state!r} no longer exists in {where} "
            f"(steps: {', '.join(names)})")), route, target
    changes = [f"+{name}" for name in names if name not in {s.name for s in old.steps}]
    changes += [f"-{step.name}" for step in old.steps if step.name not in names]
    step = route.steps[names.index(item.state)]
    at = {record.name for record in item.current_steps if record.status in StepStatus.live()}
    if len(at) > 1:
        return Move(item.reference, item.state, None, reason=(
            f"its parties are at different steps ({', '.join(sorted(at))}); move it once they "
            "meet at the next joint step")), route, target
    for record in item.current_steps:
        if record.status not in StepStatus.live():
            continue
        rule = target.roles(record.party).get(step.role)
        same = rule is not None and (rule.office, rule.quorum) == (record.office, record.quorum)
        if record.party != party or rule is None or same:
            continue
        counted = sum(1 for d in record.decisions if step.actions.get(d.action) == NEXT)
        if record.status == StepStatus.OPEN and counted >= rule.quorum:
            return Move(item.reference, item.state, None, reason=(
                f"{counted} decisions at step {step.name!r} already meet {where}'s quorum of "
                f"{rule.quorum}; let the step finish first")), route, target
        changes.append(f"{step.name} ({party}): {record.office} ×{record.quorum} → "
                       f"{rule.office} ×{rule.quorum}")
    return Move(item.reference, item.state, step.name, tuple(changes)), route, target


def migrate(session: Session, registry: Registry, *, kind: str, party: str, version: int,
            dry_run: bool = False, now: datetime | None = None) -> list[Move]:
    """Move the in-flight items of `kind` that follow an older definition of `party` to
    its definition `version`, each in its own transaction with a `migrated` event in its
    history; items whose current step the new definition lacks are left as they are.
    A dry run changes nothing and says what a real run would do."""
    item_kind = parse_kind(kind)
    check_target(registry, item_kind, party, version)
    moves: list[Move] = []
    listed = candidates(session, item_kind, party)
    if dry_run:
        planned = [plan_move(registry, item, party, version) for item in listed]
        session.rollback()  # nothing of a dry run is kept
        return [plan[0] for plan in planned if plan is not None]
    for reference in [item.reference for item in listed]:
        try:
            with one_transaction(session, reference):
                move = _move(session, registry, reference, party, version, now or utcnow())
        except ManzooriError as error:
            move = Move(reference, get_item(session, reference).state, None, reason=error.message)
        moves += [move] if move else []
    return moves


def _move(session: Session, registry: Registry, reference: str, party: str, version: int,
          now: datetime) -> Move | None:
    item = get_item(session, reference)  # again: it may have moved since it was listed
    planned = plan_move(registry, item, party, version)
    if planned is None or not planned[0].can_move:
        return planned[0] if planned else None
    move, route, target = planned
    before = of_item(registry, item).version(party)
    position = route.index(item.state)
    stage = route.segment(position).start
    step = route.steps[position]
    for record in item.current_steps:
        if record.status not in StepStatus.live():
            continue
        record.position, record.role = position, step.role
        rule = target.roles(record.party)[step.role]
        if record.office != rule.office:
            record.office, record.assigned_to_id = rule.office, None
        record.quorum = rule.quorum
    item.route, item.definition, item.stage = route.to_json(), target.to_json(), stage
    item.updated_at = now
    routing.record(session, item, None, "migrated", now, step=item.state, party=party,
                    comment=f"moved from {party} definition {before} to {version}",
                    payload={"party": party, "from": before, "to": version,
                             "stage": stage, "changes": list(move.changes)})
    return Move(move.reference, move.step, move.to_step, move.changes, moved=True)




def _end_states(kind: ItemKind) -> list[str]:
    return sorted({state for (k, _), flow in FLOWS.items() if k == kind for state in flow.end_states})
