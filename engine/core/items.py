"""The service layer for items: draft and act. One call, one transaction, one event.

Every rule of DESIGN.md's invariants lives here, so the CLI, the HTTP app and the
Prefect flows all go through the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.contract.forms import check_line
from engine.core import access, authority, definitions, pades, routing, signatures
from engine.core.credentials import spend_code
from engine.core.directory import get_officer, holdings, holds, party_day, require_office
from engine.core.flows import CHECKER_ACTIONS, EndState, Route, current_flow, flow_for
from engine.core.followup import adopt
from engine.core.registry import Registry
from engine.errors import Conflict, InvalidForm, ManzooriError, NotAllowed, NotFound, missing_item
from engine.store import (
    AuditEvent,
    Item,
    ItemParty,
    Officer,
    StepRecord,
    Version,
    check_text,
    one_transaction,
)
from engine.store.statuses import StepStatus


class Action(StrEnum):
    """What an officer can do to an item; which one is possible depends on the item's step
    and the officer's office, as `possible_actions` decides."""

    SUBMIT = "submit"
    REVISE = "revise"
    COMMENT = "comment"
    FEEDBACK = "feedback"
    CLEAR = "clear"
    RETURN = "return"
    APPROVE = "approve"
    REJECT = "reject"
    SIGN = "sign"
    WITHDRAW = "withdraw"


ACTIONS = tuple(Action)

ENGINE_KEYS = ("mail:", "prefect:", "deadline:", "follow-up:")
"""The beginnings of the idempotency keys the engine makes itself: an email link's, a
decision typed in Prefect's UI, a deadline notice's, a follow-up reminder's. A client's key
may not begin so, or an officer who guessed one (`mail:9`) could spend or block it."""
NEEDS_REASON = frozenset({"return", "reject", "withdraw"})


@dataclass(frozen=True)
class Outcome:
    reference: str
    action: str
    state: str
    message: str
    revision: int
    replayed: bool = False


def parse_kind(kind: str) -> ItemKind:
    try:
        return ItemKind(kind.replace("-", "_"))
    except ValueError:
        known = ", ".join(k.value for k in ItemKind)
        raise NotFound(f"no item kind {kind!r} (kinds: {known})") from None


# Built once, so that SQLAlchemy reuses their cache keys rather than computing them per call.
_ITEM = (select(Item).where(Item.reference == bindparam("reference"))
         .options(selectinload(Item.parties), selectinload(Item.versions),
                  selectinload(Item.steps).selectinload(StepRecord.decisions)))
_ITEM_FOR_UPDATE = _ITEM.with_for_update(of=Item)


def get_item(session: Session, reference: str, *, for_update: bool = False) -> Item:
    """The item and what the rules read of it; `for_update` locks its row until the
    transaction ends (PostgreSQL), so that concurrent actions on it take turns."""
    item = session.scalar(_ITEM_FOR_UPDATE if for_update else _ITEM, {"reference": reference})
    if item is None:
        raise NotFound(missing_item(reference))
    return item


def draft(
    session: Session, registry: Registry, *, kind: str, parties: list[str], title: str,
    form: dict[str, Any], officer: str, ordered_signing: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Open a new item drafted by `officer` for the first of `parties`."""
    now = now or utcnow()
    check_text(title, "title")
    check_text(form, "form")
    check_text(parties, "parties")
    with one_transaction(session, "the new item"):
        return _draft(session, registry, kind, parties, title, form, officer, ordered_signing, now)


def _draft(
    session: Session, registry: Registry, kind: str, parties: list[str], title: str,
    form: dict[str, Any], officer: str, ordered_signing: bool, now: datetime,
) -> Outcome:
    item_kind = parse_kind(kind)
    flow = current_flow(item_kind)
    drafter = get_officer(session, officer)
    codes = _check_parties(registry, item_kind, flow.multi_party, parties)
    drafting = registry.party(codes[0])
    drafter_rule = (drafting.roles(item_kind) or {}).get("drafter")
    if drafter_rule is None:
        raise NotAllowed(f"{drafting.code} does not draft {item_kind.label.lower()}s")
    require_office(registry, drafter, drafting.code, drafter_rule.office, now.date(), "draft")
    title = _check_title(title)
    # New items follow each party's installed definition, kept with the item.
    definition = definitions.installed(registry, item_kind, flow.version, codes)
    validated = routing.validate(registry, item_kind, codes, form, definition)
    route = routing.resolve(registry, item_kind, flow, definition, codes, validated)

    item = Item(
        reference=_next_reference(session, drafting.identity.reference_prefix, item_kind, now),
        kind=item_kind.value, title=title, state="draft", drafting_party=drafting.code,
        drafter=drafter, flow_version=flow.version, route=route.to_json(),
        definition=definition.to_json(), stage=0, cycle=1,
        ordered_signing=ordered_signing, created_at=now, updated_at=now,
        parties=[ItemParty(party=code, position=position) for position, code in enumerate(codes)],
    )
    session.add(item)
    item.versions.append(
        Version(number=1, title=title, form_model=type(validated).__name__,
                form=validated.model_dump(mode="json"), author=drafter, created_at=now)
    )
    routing.open_stage(session, registry, item, 0, now)
    routing.record(session, item, drafter, "draft", now, step="draft", party=drafting.code, payload={
        "kind": item_kind.value, "parties": codes, "title": title,
        "form": item.versions[0].form, "ordered_signing": ordered_signing,
        # What engine.core.replay needs to rebuild the item's state from its events alone.
        "flow_version": flow.version, "route": item.route, "opened": _opened(item.steps),
    })
    return Outcome(item.reference, "draft", item.state,
                   f"{item.reference} drafted by {drafter.username}", item.revision)


def act(
    session: Session, registry: Registry, *, reference: str, action: str, officer: str,
    comment: str | None = None, form: dict[str, Any] | None = None, title: str | None = None,
    key: str | None = None, expected_revision: int | None = None, now: datetime | None = None,
    code: str | None = None, passphrase: str | None = None, own_key: str | None = None,
) -> Outcome:
    """Take one action on an item as `officer`; refused actions change nothing.

    `key` is a client's idempotency key (none of ENGINE_KEYS' namespaces); `own_key` one
    the engine makes itself for the same purpose (an email link's, a Prefect decision's).

    `code` is a one-time code (engine.core.credentials) that interfaces which do not hold the
    officer's session, such as the Prefect UI, must give; it is spent with the action.
    `passphrase` unlocks the officer's signing key for `sign` (engine.core.signatures); it is
    used for that and nothing else, never stored or logged.
    """
    now = now or utcnow()
    for value, where in ((comment, "comment"), (title, "title"), (form, "form"), (key, "key")):
        check_text(value, where)
    if key is not None and key.startswith(ENGINE_KEYS):
        raise InvalidForm(f"idempotency keys beginning with {key.partition(':')[0]}: are the "
                          "engine's own: choose another key", problems=[("key", "reserved")])
    if own_key is not None:
        assert own_key.startswith(ENGINE_KEYS), "the engine's own keys are in its namespaces"
        key = own_key
    if action not in ACTIONS:
        raise NotAllowed(f"no action {action!r} (actions: {', '.join(ACTIONS)})")
    if (form is not None or title is not None) and action not in ("submit", "revise"):
        raise InvalidForm(f"only submit and revise take form data or a title, not {action}")
    # The key's KDF before the write lock: the other officers' actions need not wait for it.
    unlocked = (signatures.open_ahead(session.get_bind(), officer, passphrase)
                if action == "sign" and passphrase else None)
    with one_transaction(session, reference):
        outcome = _act(session, registry, reference, action, officer, comment, form, title, key,
                       expected_revision, now, code, passphrase, unlocked)
    # The parties hear of it from the item's flow run (workflows.lifecycle), via the outbox.
    return outcome


def _act(
    session: Session, registry: Registry, reference: str, action: str, officer: str,
    comment: str | None, form: dict[str, Any] | None, title: str | None, key: str | None,
    expected_revision: int | None, now: datetime, code: str | None, passphrase: str | None,
    unlocked: signatures.Opened | None = None,
) -> Outcome:
    item = get_item(session, reference, for_update=True)
    known_steps = len(item.steps)
    actor = get_officer(session, officer)
    # Outside need-to-know the item is not there, whatever the action (and the Prefect UI's).
    access.require_readable(session, access.reader_of(session, registry, actor, now.date()), item)
    if code is not None:
        spend_code(session, actor, code, now)
    if key is not None:
        replay = _replay(session, item, actor, action, key)
        if replay is not None:
            return replay
    if expected_revision is not None and expected_revision != item.revision:
        raise Conflict(
            f"{reference} changed since you saw it (revision {expected_revision}, now "
            f"{item.revision}): look at it again (`manzoori show {reference}`) and decide again"
        )
    flow = flow_for(ItemKind(item.kind), item.flow_version)
    if item.state in flow.end_states:
        raise NotAllowed(f"{reference} is {item.state}: no further action is possible")
    if action in NEEDS_REASON and not (comment and comment.strip()):
        raise InvalidForm(f"give a reason to {action} (comment)",
                          problems=[("comment", "required")])
    at_step, party = item.state, item.drafting_party
    payload: dict[str, Any] = {}
    if action == "comment":
        message = _comment(item, actor, comment, now)
    elif action == "withdraw":
        message = _withdraw(session, registry, item, actor, now)
    elif action in ("submit", "revise"):
        message = _drafting(session, registry, item, actor, action, form, title, now)
        payload["added_steps"] = [
            {"step": step["name"], "party": step["source"], "reason": step["reason"]}
            for step in item.route if step["reason"]
        ]
        payload.update(title=item.title, route=item.route, digest=item.versions[-1].digest)
    else:
        record = _decide(session, registry, item, actor, action, now)
        message, party, at_step = record.message, record.party, record.step
        payload.update(authority.event_fields(record.capacity, registry))
        if action == "sign":
            signature = signatures.sign(session, item, actor, record.party, record.office,
                                        passphrase, now, acting_for=record.capacity.absent,
                                        opened=unlocked)
            payload["signature"] = signatures.event_copy(signature, actor.username)
            # The PDF signature too, while the passphrase is at hand (when the holder has a
            # certificate): the PDF then carries every signature in signing order.
            pades.sign_document(session, registry, item, signature, passphrase or "")
    item.updated_at = now
    event = routing.record(
        session, item, actor, action, now, step=at_step, party=party, comment=comment, key=key,
        payload={**payload, "state": item.state, "stage": item.stage, "cycle": item.cycle,
                 **({"opened": opened} if (opened := _opened(item.steps[known_steps:])) else {})},
    )
    if "signature" in payload:
        signature.event_seq = event.seq
    if item.kind in (ItemKind.JOINT_RESOLUTION, ItemKind.WORK_PLAN) and item.state == flow.end:
        # Signed by every party: a resolution's points become the next quarter's action
        # plan, a work plan's activities the plans of their quarters, to be followed up.
        planned = adopt(session, item, now)
        message += f"; {len(planned)} actions planned for follow-up"
    # Written now (the commit would anyway) so that the revision reported is the new one,
    # without loading the item again after the commit.
    session.flush()
    return Outcome(item.reference, action, item.state, message, item.revision)


def _comment(item: Item, actor: Officer, comment: str | None, now: datetime) -> str:
    if not (comment and comment.strip()):
        raise InvalidForm("a comment needs text (comment)", problems=[("comment", "required")])
    if not any(h.party in item.party_codes for h in holdings(actor, now.date())):
        raise NotAllowed(
            f"{actor.username} holds no office in the parties of {item.reference} "
            f"({', '.join(item.party_codes)}) and cannot comment on it"
        )
    return f"comment recorded on {item.reference}"


def is_signed(session: Session, item: Item) -> bool:
    """Whether any party has signed the item (then it can no longer be withdrawn)."""
    return session.scalar(
        select(AuditEvent.id).where(AuditEvent.item_id == item.id, AuditEvent.action == "sign").limit(1)
    ) is not None


def _withdraw(session: Session, registry: Registry, item: Item, actor: Officer, now: datetime) -> str:
    drafter_office = _drafter_office(registry, item)
    require_office(registry, actor, item.drafting_party, drafter_office, now.date(), "withdraw")
    if is_signed(session, item):
        raise NotAllowed(f"{item.reference} has been signed; it can no longer be withdrawn")
    routing.close_open_steps(item, now)
    item.state = EndState.WITHDRAWN
    return f"{item.reference} withdrawn"


def _drafting(
    session: Session, registry: Registry, item: Item, actor: Officer, action: str,
    form: dict[str, Any] | None, title: str | None, now: datetime,
) -> str:
    route = Route.from_json(item.route)
    step = route.steps[item.stage]
    latest = item.versions[-1]
    if not step.is_drafting:
        raise NotAllowed(
            f"version {latest.number} of {item.reference} is submitted and frozen; it can be "
            f"changed only when returned for revision (now at step {step.name!r})"
        )
    kind = ItemKind(item.kind)
    require_office(registry, actor, item.drafting_party, _drafter_office(registry, item), now.date(), action)
    definition = definitions.of_item(registry, item)
    if form is not None or title is not None:
        data = form if form is not None else latest.form
        validated = routing.validate(registry, kind, item.party_codes, data, definition)
        new_title = _check_title(title) if title is not None else latest.title
        if latest.frozen:
            latest = Version(number=latest.number + 1, title=new_title,
                             form_model=type(validated).__name__,
                             form=validated.model_dump(mode="json"), author=actor, created_at=now)
            item.versions.append(latest)
        else:
            latest.title, latest.form, latest.author = new_title, validated.model_dump(mode="json"), actor
        item.title = new_title
    if action == "revise":
        if form is None and title is None:
            raise InvalidForm("revise needs new form data (form) or a new title (title)",
                              problems=[("form", "new form data or a new title required")])
        return f"{item.reference} now at version {latest.number} (not yet submitted)"
    validated = routing.validate(registry, kind, item.party_codes, latest.form, definition)
    item.route = routing.resolve(registry, kind, flow_for(kind, item.flow_version), definition,
                                  item.party_codes, validated).to_json()
    unchanged = latest.frozen  # submitted again as it stands, after feedback or a return
    if not unchanged:
        # The digest reads the author, who may need loading (a successor submits their
        # predecessor's draft): no flush of the version with its date but not its digest.
        with session.no_autoflush:
            latest.submitted_at = now
            latest.digest = routing.digest(item, latest)
    routing.finish_step(session, registry, item, actor, step_name=step.name, now=now)
    again = " unchanged" if unchanged else ""
    return f"version {latest.number} of {item.reference} submitted{again}; now at {item.state}"


@dataclass(frozen=True)
class Decided:
    message: str
    party: str
    office: str
    step: str
    capacity: authority.Capacity


def _decide(
    session: Session, registry: Registry, item: Item, actor: Officer, action: str, now: datetime
) -> Decided:
    route = Route.from_json(item.route)
    open_now = authority.open_records(item)
    if not any(action in route.steps[record.position].actions for record in open_now):
        at = "/".join(dict.fromkeys(record.name for record in open_now)) or item.state
        possible = ", ".join([*dict.fromkeys(a for record in open_now
                                             for a in route.steps[record.position].actions),
                              "comment", "withdraw"])
        raise NotAllowed(
            f"{action!r} is not possible at step {at!r} of {item.reference} (possible now: {possible})"
        )
    day = now.date()
    mine = [capacity for capacity in authority.capacities(session, registry, item, actor, day)
            if action in route.steps[capacity.record.position].actions]
    if not mine:
        current = item.current_steps
        waiting = [s for s in current if s.status == StepStatus.PENDING and holds(actor, s.party, s.office, day)]
        if waiting:
            raise NotAllowed(f"{waiting[0].party} signs {item.reference} after the parties "
                             "before it in the agreement's order; its turn has not come")
        lapsed = authority.out_of_period(session, registry, item, actor, day)
        if lapsed:
            raise NotAllowed(lapsed)
        needs = "; ".join(
            f"{registry.party(s.party).office(s.office).title_en} ({s.party})"
            for s in open_now if action in route.steps[s.position].actions
        ) or "nobody (this step is complete)"
        held = ", ".join(f"{h.office} ({h.party})" for h in holdings(actor, day)) or "no office"
        raise NotAllowed(
            f"{actor.username} cannot {action} at step {item.state!r} of {item.reference}: "
            f"it needs {needs}; {actor.username} holds {held}"
        )
    refusals: list[ManzooriError] = []
    for capacity in mine:
        if _relieved_today(registry, actor, capacity.record, now):
            refusals.append(NotAllowed(
                f"{actor.username} was relieved of {capacity.record.office} ({capacity.record.party}) "
                f"by {party_day(registry, capacity.record.party, now)}, {capacity.record.party}'s "
                f"today, and can no longer {action}"))
            continue
        makers = authority.makers(item, actor, capacity)
        if action in CHECKER_ACTIONS and makers:
            acting = "" if makers == [actor] else f" (acting for {makers[-1].username})"
            refusals.append(NotAllowed(
                f"{makers[-1].username} drafted {item.reference}; maker and checker must differ, "
                f"so {actor.username}{acting} cannot {action} it: another officer must"))
            continue
        problem = authority.refusal(session, item, actor, capacity)
        if problem is None:
            break
        refusals.append(problem)
    else:
        raise refusals[0]
    record = capacity.record
    message = routing.apply_decision(session, registry, item, actor, record, action,
                                      route.steps[record.position].actions[action], now)
    if capacity.basis != authority.HOLDER:
        decision = next(d for d in reversed(record.decisions) if d.officer_id == actor.id)
        decision.capacity = capacity.basis
        decision.for_officer_id = capacity.absent.id if capacity.absent else None
        message = f"{authority.who(actor.username, authority.event_fields(capacity, registry))}: {message}"
    return Decided(message, record.party, record.office, record.name, capacity)


def possible_actions(session: Session, registry: Registry, item: Item, officer: Officer,
                     now: datetime | None = None) -> list[str]:
    """The actions `officer` may take on `item` right now: what the engine would accept
    (short of a missing comment or form), so an interface offers these and no others."""
    now = now or utcnow()
    day = now.date()
    if item.state in flow_for(ItemKind(item.kind), item.flow_version).end_states:
        return []
    possible: list[str] = []
    route = Route.from_json(item.route)
    step = route.steps[item.stage]
    is_drafter = holds(officer, item.drafting_party, _drafter_office(registry, item), day)
    if step.is_drafting:
        if is_drafter:
            possible += ["submit", "revise"]
    else:
        usable = [capacity for capacity in authority.capacities(session, registry, item, officer, day)
                  if authority.refusal(session, item, officer, capacity) is None
                  and not _relieved_today(registry, officer, capacity.record, now)]
        possible += dict.fromkeys(
            action for capacity in usable
            for action in route.steps[capacity.record.position].actions
            if action not in CHECKER_ACTIONS or not authority.makers(item, officer, capacity))
    if any(h.party in item.party_codes for h in holdings(officer, day)):
        possible.append("comment")
    if is_drafter and not is_signed(session, item):
        possible.append("withdraw")
    return possible


def may_reassign(registry: Registry, item: Item, officer: Officer, party: str,
                 now: datetime | None = None) -> bool:
    """Whether `officer` may move `party`'s waiting step of `item` (see `reassign`)."""
    day = (now or utcnow()).date()
    roles = definitions.item_roles(registry, item, party)
    if any(holds(officer, party, roles[role].office, day) for role in REASSIGNERS if role in roles):
        return True
    # The office an overdue step was escalated to, when the party's rule lets it decide.
    return any(record.party == party and record.escalated_to
               and holds(officer, party, record.escalated_to, day)
               for record in authority.open_records(item))


@dataclass(frozen=True)
class BulkResult:
    """One item's result in a bulk action: its outcome, or why it was refused."""

    reference: str
    outcome: Outcome | None
    error: ManzooriError | None


def act_many(
    session: Session, registry: Registry, *, references: list[str], action: str, officer: str,
    comment: str | None = None, now: datetime | None = None, passphrase: str | None = None,
) -> list[BulkResult]:
    """The same decision on several items, each checked and recorded on its own: one
    refusal does not undo the others."""
    now = now or utcnow()
    results = []
    for reference in dict.fromkeys(references):  # each once, in the order given
        try:
            outcome = act(session, registry, reference=reference, action=action, officer=officer,
                          comment=comment, now=now, passphrase=passphrase)
            results.append(BulkResult(reference, outcome, None))
        except ManzooriError as error:
            results.append(BulkResult(reference, None, error))
    return results


REASSIGNERS = ("drafter", "approver")
"""Roles whose office may move a waiting step of their party to another officer: the
secretariat that drafts and the office that approves (supervises)."""


def reassign(
    session: Session, registry: Registry, *, reference: str, party: str, to_officer: str,
    officer: str, reason: str, now: datetime | None = None,
) -> Outcome:
    """Move the open step of `party` on `reference` to `to_officer`, who must hold its office."""
    now = now or utcnow()
    check_text(reason, "reason")
    with one_transaction(session, reference):
        item = get_item(session, reference, for_update=True)
        actor = get_officer(session, officer)
        access.require_readable(session, access.reader_of(session, registry, actor, now.date()), item)
        target = get_officer(session, to_officer)
        if not (reason and reason.strip()):
            raise InvalidForm("give a reason to reassign", problems=[("reason", "required")])
        current = [s for s in item.current_steps if s.party == party and s.status == StepStatus.OPEN]
        if not current:
            raise NotFound(f"no step of {party} waits on {reference} now")
        record = current[0]
        roles = definitions.item_roles(registry, item, party)
        offices = {roles[role].office for role in REASSIGNERS if role in roles}
        if not may_reassign(registry, item, actor, party, now):
            offices |= {record.escalated_to} if record.escalated_to else set()
            titles = ", ".join(registry.party(party).office(o).title_en for o in sorted(offices))
            raise NotAllowed(f"{actor.username} cannot reassign {party}'s steps on {reference}: "
                             f"that needs {titles} ({party})")
        if not (holds(target, party, record.office, now.date())
                and holds(target, party, record.office, party_day(registry, party, now))):
            title = registry.party(party).office(record.office).title_en
            raise NotAllowed(f"{target.username} does not hold {title} ({party}), which step "
                             f"{record.name!r} needs")
        if not Route.from_json(item.route).steps[record.position].is_drafting and authority.is_maker(item, target.id):
            raise NotAllowed(f"{target.username} drafted {reference}; maker and checker must "
                             f"differ, so step {record.name!r} cannot be assigned to them")
        if any(d.officer_id == target.id for d in record.decisions):
            raise Conflict(f"{target.username} has already decided at this step")
        before = session.get_one(Officer, record.assigned_to_id).username if record.assigned_to_id else None
        record.assigned_to_id = target.id
        item.updated_at = now
        routing.record(session, item, actor, "reassign", now, step=record.name, party=party,
                        comment=reason.strip(),
                        payload={"step_id": record.id, "from": before, "to": target.username,
                                 "office": record.office, **_escalated(registry, actor, record, now)})
        outcome = Outcome(reference, "reassign", item.state,
                          f"step {record.name!r} of {reference} ({party}) assigned to {target.username}",
                          item.revision)
    return replace(outcome, revision=_revision(session, reference))


def _escalated(registry: Registry, actor: Officer, record: StepRecord, now: datetime) -> dict[str, Any]:
    """How a reassignment records that it was made by the office the step was escalated to
    (and not by one of the party's reassigning offices)."""
    if record.escalated_to and holds(actor, record.party, record.escalated_to, now.date()):
        return authority.event_fields(authority.Capacity(record, authority.ESCALATED), registry)
    return {}


def _revision(session: Session, reference: str) -> int:
    """The item's revision as committed (one query, not the whole item again)."""
    return session.execute(select(Item.revision).where(Item.reference == reference)).scalar_one()


def _relieved_today(registry: Registry, officer: Officer, record: StepRecord, now: datetime) -> bool:
    """Whether `officer` holds the record's office on `now`'s UTC day but no longer on its
    party's own day (engine.core.transfers: reliefs take effect on the party's days)."""
    return (holds(officer, record.party, record.office, now.date())
            and not holds(officer, record.party, record.office, party_day(registry, record.party, now)))


def _drafter_office(registry: Registry, item: Item) -> str:
    return definitions.item_roles(registry, item, item.drafting_party)["drafter"].office


def _opened(records: list[StepRecord]) -> list[dict[str, Any]]:
    """The step records an action opened, as its event records them (see engine.core.replay)."""
    return [{"party": r.party, "position": r.position, "office": r.office, "quorum": r.quorum,
             "status": r.status} for r in records]


def _check_parties(registry: Registry, kind: ItemKind, multi: bool, parties: list[str]) -> list[str]:
    codes = [code.strip() for code in parties if code.strip()]
    for code in codes:
        registry.party(code)
    if len(set(codes)) != len(codes):
        raise InvalidForm(f"a party is named twice: {', '.join(codes)}", problems=[("parties", "duplicate")])
    if not multi and len(codes) != 1:
        raise InvalidForm(f"a {kind.label.lower()} has exactly one party, not {len(codes)}",
                          problems=[("parties", "exactly one")])
    if multi and len(codes) < 2:
        raise InvalidForm(f"a {kind.label.lower()} needs at least two parties",
                          problems=[("parties", "at least two")])
    return codes


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not 5 <= len(title) <= 300:
        raise InvalidForm("the title must have 5 to 300 characters",
                          problems=[("title", "Write a title of 5 to 300 characters.")],
                          problems_ur=[("title", "عنوان 5 سے 300 حروف کا لکھیں۔")])
    # A title is one line: it heads pages and is the subject of notification emails.
    check_line(title, "title")
    return title


def _next_reference(session: Session, prefix: str, kind: ItemKind, now: datetime) -> str:
    stem = f"{prefix}-{kind.code}-{now.year}-"
    count = session.execute(select(func.count()).select_from(Item).where(Item.reference.like(stem + "%"))).scalar_one()
    return f"{stem}{count + 1:04d}"


def _replay(session: Session, item: Item, actor: Officer, action: str, key: str) -> Outcome | None:
    earlier = session.scalar(
        select(AuditEvent).where(AuditEvent.item_id == item.id, AuditEvent.idempotency_key == key)
    )
    if earlier is None:
        return None
    if earlier.action != action or earlier.officer_id != actor.id:
        raise Conflict(f"key {key!r} was already used on {item.reference} for "
                       f"{earlier.action!r} by another request")
    return Outcome(item.reference, action, item.state,
                   f"already done: {action} on {item.reference} (key {key!r}), nothing repeated",
                   item.revision, replayed=True)
