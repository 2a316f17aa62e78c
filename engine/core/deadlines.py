"""Deadlines: reminding the office a step waits for, and escalating when it is overdue.

Every open step carries a `due_at` counted in working days when it opened (see
`routing.open_stage`). A sweep at a given moment — the clock is an argument, so a
scheduler, the CLI and the tests all say what time it is — records, for each open step:

- one "remind" event from the start of the working day that lies the rule's
  `remind_days_before` working days before the deadline, on the party's calendar and
  clock, until the deadline;
- one "escalate" event once the deadline has passed, telling the rule's `escalate_to`
  office (by default the party's approver office for the kind). When the rule lets
  escalation decide (`RoleRule.escalation_decides`), the step also records that office
  (`StepRecord.escalated_to`): it sees the step in its inbox and may decide or reassign it
  (engine.core.authority).

Both are system events (no officer) in the item's hash chain, so the parties hear of
them like of any other event (through the outbox and the item's flow run); the item's
state is not changed. A step is reminded and escalated at most once, however often
the sweep runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Literal
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.contract import ItemKind, PartyIdentity, RoleRule
from engine.contract.calendar import from_local, to_local, working_days_before
from engine.core import definitions, routing
from engine.core.flows import Route
from engine.core.registry import Party, Registry
from engine.errors import Conflict, InvalidForm, PluginError
from engine.store import AuditEvent, Item, StepRecord
from engine.store.statuses import StepStatus

NoticeKind = Literal["remind", "escalate"]
REMIND: NoticeKind = "remind"
ESCALATE: NoticeKind = "escalate"


@dataclass(frozen=True)
class Notice:
    """One reminder or escalation a sweep recorded."""

    reference: str
    step: str
    party: str
    office: str
    """The office the step waits for."""
    kind: NoticeKind
    due_at: datetime
    """The step's deadline, naive UTC as stored."""
    to_office: str
    """Who is told: the step's own office for a reminder, the escalation office otherwise."""


@dataclass(frozen=True)
class DeadlinePolicy:
    """What a party's rule for one role says about its deadlines."""

    remind_days_before: int
    escalate_to: str | None
    """The office told when the deadline passes; None: the step's own office."""
    decides: bool = False
    """Whether that office may then decide the step (`RoleRule.escalation_decides`)."""


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment (`2026-03-12T09:00`, UTC unless it names an offset) as naive UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidForm(f"now {text!r} is not a moment (YYYY-MM-DDTHH:MM, UTC unless it names an offset)",
                          problems=[("now", "not a moment")]) from None
    return as_utc(moment)


def as_utc(moment: datetime) -> datetime:
    """Naive UTC, as the engine stores moments; an aware moment is converted."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def policy(party: Party, kind: ItemKind, role: str,
           roles: dict[str, RoleRule] | None = None) -> DeadlinePolicy:
    """The deadline rule of `party` for `role` in `kind`'s flow, its escalation office
    checked: under `roles` (an item's, see engine.core.definitions), or the installed ones."""
    roles = roles if roles is not None else party.roles(kind) or {}
    rule = roles.get(role)
    if rule is None:
        raise PluginError(party.name, "roles",
                          f"maps no office to role {role!r} of {kind}, which an open step needs")
    if rule.escalate_to is not None:
        if rule.escalate_to not in party.offices:
            raise PluginError(
                party.name, "roles",
                f"role {role!r} of {kind} escalates to office {rule.escalate_to!r}, "
                f"which offices() lacks (offices: {', '.join(party.offices)})",
            )
        return DeadlinePolicy(rule.remind_days_before, rule.escalate_to, rule.escalation_decides)
    approver = roles.get("approver")
    return DeadlinePolicy(rule.remind_days_before, approver.office if approver else None,
                          rule.escalation_decides and approver is not None)


def reminder_from(due_at: datetime, days_before: int, identity: PartyIdentity) -> datetime:
    """When reminders for a step due at `due_at` start (naive UTC): the beginning, on the
    party's clock, of the working day `days_before` working days before the due date."""
    due_day = to_local(due_at, identity.timezone).date()
    day = working_days_before(due_day, days_before, identity.weekend, identity.holidays)
    return from_local(datetime.combine(day, time()), identity.timezone)


def notice_due(due_at: datetime, remind_from: datetime, now: datetime) -> NoticeKind | None:
    """Which notice a step calls for at `now`, if any."""
    if now > due_at:
        return ESCALATE
    if remind_from <= now:
        return REMIND
    return None


def sweep(session: Session, registry: Registry, now: datetime) -> list[Notice]:
    """Record the reminders and escalations due at `now`, in one transaction.

    Running it again at the same or a later moment records nothing new for a step
    already reminded or escalated.
    """
    now = as_utc(now)
    try:
        notices = _sweep(session, registry, now)
        session.commit()
    except (IntegrityError, StaleDataError):
        session.rollback()
        raise Conflict("another deadline sweep recorded the same notices at the same moment; "
                       "nothing of this one was saved: run it again") from None
    except BaseException:
        session.rollback()
        raise
    return notices


def _sweep(session: Session, registry: Registry, now: datetime) -> list[Notice]:
    waiting = (
        select(StepRecord, Item).join(Item, Item.id == StepRecord.item_id)
        .where(StepRecord.status == StepStatus.OPEN, StepRecord.due_at.is_not(None))
        .order_by(StepRecord.due_at, StepRecord.id)
    )
    rows = session.execute(waiting).all()
    if not rows:
        return []
    sent = _already_sent(session)
    policies: dict[tuple[str, ItemKind, int, str], DeadlinePolicy] = {}
    notices: list[Notice] = []
    for record, item in rows:
        party = registry.party(record.party)
        kind = ItemKind(item.kind)
        # The item's own definition: an upgrade of the plugin does not change its deadlines.
        definition = definitions.of_item(registry, item)
        key = (record.party, kind, definition.version(record.party), record.role)
        rule = policies.get(key)
        if rule is None:
            rule = policies[key] = policy(party, kind, record.role, definition.roles(record.party))
        if record.due_at is None:  # excluded by the query; keeps the type checker honest
            continue
        if record.opened_at is not None and now < record.opened_at:
            continue  # a clock set before the step opened: nothing was due yet
        due = notice_due(record.due_at, _reminder_from(party, record.due_at, rule), now)
        # Once escalated, a step is past reminding, even for a sweep told an earlier time.
        if due is None or (due, record.id) in sent or (ESCALATE, record.id) in sent:
            continue
        notice = Notice(item.reference, record.name, record.party, record.office, due,
                        record.due_at,
                        record.office if due == REMIND else rule.escalate_to or record.office)
        decides = due == ESCALATE and rule.decides and rule.escalate_to is not None
        if decides:  # the office escalated to sees the step in its inbox and may decide it
            record.escalated_to = rule.escalate_to
        comment = _comment(party, item, record, notice, decides)
        routing.record(
            session, item, None, due, now, step=record.name, party=record.party,
            comment=comment, key=f"deadline:{due}:step-{record.id}",
            payload={"step_id": record.id, "office": record.office,
                     "due_at": record.due_at.isoformat(), "to_office": notice.to_office,
                     **({"decides": True} if decides else {})},
        )
        notices.append(notice)
    return notices


def _already_sent(session: Session) -> set[tuple[str, int]]:
    """(action, step id) of every reminder and escalation on items with open steps.

    The step id is in the JSON payload, which SQLite and PostgreSQL query differently,
    so the payloads are loaded and read here.
    """
    open_items = select(StepRecord.item_id).where(
        StepRecord.status == StepStatus.OPEN, StepRecord.due_at.is_not(None))
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.payload)
        .where(AuditEvent.action.in_((REMIND, ESCALATE)), AuditEvent.item_id.in_(open_items))
    )
    return {(action, payload.get("step_id")) for action, payload in rows if payload}


def _reminder_from(party: Party, due_at: datetime, rule: DeadlinePolicy) -> datetime:
    try:
        return reminder_from(due_at, rule.remind_days_before, party.identity)
    except (ZoneInfoNotFoundError, ValueError):
        raise PluginError(party.name, "party",
                          f"timezone {party.identity.timezone!r} is not in this machine's time "
                          "zone database (the `tzdata` package provides one)") from None


def _comment(party: Party, item: Item, record: StepRecord, notice: Notice, decides: bool) -> str:
    """The event's comment in plain English, with the due date on the party's clock."""
    route = Route.from_json(item.route).steps
    step = route[record.position].label_en if record.position < len(route) else record.name
    due_on = f"{to_local(notice.due_at, party.identity.timezone):%Y-%m-%d}"
    who = f"{_title(party, record.office)} ({record.party})"
    if notice.kind == REMIND:
        return f"Reminder: {step} of {item.reference} by {who} is due on {due_on}."
    may = ", who may now decide it" if decides else ""
    return (f"Overdue: {step} of {item.reference} by {who} was due on {due_on}; "
            f"escalated to {_title(party, notice.to_office)}{may}.")


def _title(party: Party, office: str) -> str:
    known = party.offices.get(office)
    return known.title_en if known else office
