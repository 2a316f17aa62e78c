"""Follow-up of joint resolutions: the next quarter's plan and the parties' reports.

When a joint resolution is adopted, each of its points becomes one action per party it
names (every party of the item when it names none) in the plan of the quarter after
the adoption, due on that quarter's last day. Each party reports its status per action
with a short approval of its own: its `reporter` office drafts, its `report_clearer`
office clears (a plugin that maps neither: its reviewer and approver for joint
resolutions). Only cleared reports count for the secretariat's quarter report.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from engine.contract import ItemKind, RoleRule
from engine.core import routing
from engine.core.access import Reader, reader_of, require_readable
from engine.core.directory import get_officer, require_office
from engine.core.followup_chart import grouped_bars
from engine.core.registry import Registry
from engine.errors import InvalidForm, NotAllowed, NotFound
from engine.store import AuditEvent, Item, PlanAction, ProgressReport, check_text, one_transaction
from engine.store.statuses import UNREPORTED, ProgressStatus, ReportState

PLANNED = "planned"
REPORTED = "progress report"
CLEARED = "progress cleared"
REMINDED = "follow-up reminder"
#: The quarter report's columns: each status a cleared report can give, then the unreported.
COLUMNS: tuple[str, ...] = (*ProgressStatus, UNREPORTED)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


# -- quarters -------------------------------------------------------------------------

def parse_quarter(quarter: str) -> tuple[int, int]:
    match = _QUARTER.match(quarter or "")
    if not match:
        raise InvalidForm(f"{quarter!r} is not a quarter; write it like 2016-Q1",
                          problems=[("quarter", "format YYYY-QN")])
    return int(match[1]), int(match[2])


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    year, number = parse_quarter(quarter_of(day))
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


def next_quarter(day: date) -> str:
    year, number = parse_quarter(quarter_of(day))
    return f"{year + 1}-Q1" if number == 4 else f"{year}-Q{number + 1}"


def quarter_end(quarter: str) -> date:
    year, number = parse_quarter(quarter)
    if number == 4:
        return date(year, 12, 31)
    return date(year, 3 * number + 1, 1) - timedelta(days=1)


# -- adoption -------------------------------------------------------------------------

def adopt(session: Session, item: Item, now: datetime) -> list[PlanAction]:
    """Put an adopted joint resolution's points into the next quarter's plan, or a work
    plan's activities, now in force, into the plans of their own quarters (the next one
    when an activity names none or one already past).

    Called in the transaction of the last signature, so the plan exists exactly when
    the item comes into force."""
    following = next_quarter(now.date())
    form = item.versions[-1].form
    actions = []
    if item.kind == ItemKind.WORK_PLAN:
        for index, activity in enumerate(form.get("activities", [])):
            quarter = activity.get("quarter") or following
            if quarter_end(quarter) < now.date():
                quarter = following
            actions.append(PlanAction(
                item_id=item.id, point_index=index, party=item.drafting_party, quarter=quarter,
                text=activity["activity"], priority_area=activity.get("pillar") or "Work plan",
                due_on=quarter_end(quarter), created_at=now))
    else:
        for index, point in enumerate(form.get("points", [])):
            for party in point.get("parties") or item.party_codes:
                actions.append(PlanAction(
                    item_id=item.id, point_index=index, party=party, quarter=following,
                    text=point["text"], priority_area=point["priority_area"],
                    due_on=quarter_end(following), created_at=now))
    session.add_all(actions)
    quarters = sorted({action.quarter for action in actions})
    routing.record(session, item, None, PLANNED, now, step=item.state,
                    payload={"state": item.state, "quarter": quarters[0] if quarters else following,
                             "quarters": quarters, "actions": len(actions)})
    return actions


def plan(session: Session, quarter: str, reader: Reader | None) -> list[PlanAction]:
    """The actions of `quarter`'s plan, by resolution, point and party: of the items
    `reader` may read (need-to-know), or all of them for the console (`None`)."""
    parse_quarter(quarter)
    query = select(PlanAction).where(PlanAction.quarter == quarter)
    if reader is not None:
        query = query.join(Item, Item.id == PlanAction.item_id).where(reader.items())
    return list(session.scalars(
        query.options(selectinload(PlanAction.item), selectinload(PlanAction.reports))
        .order_by(PlanAction.item_id, PlanAction.point_index, PlanAction.id)))


def latest_quarter(session: Session, reader: Reader | None) -> str | None:
    """The last quarter with actions `reader` may read (any, for the console)."""
    query = select(func.max(PlanAction.quarter))
    if reader is not None:
        query = query.join(Item, Item.id == PlanAction.item_id).where(reader.items())
    return session.scalar(query)


# -- reporting ------------------------------------------------------------------------

#: Where a party's plugin names no reporting offices: who reports and who clears, per kind.
#: A resolution's reviewing and approving offices; a work plan's own secretariat (its
#: drafter) and the caucus office that reviewed it.
FALLBACK = {ItemKind.JOINT_RESOLUTION: ("reviewer", "approver"),
            ItemKind.WORK_PLAN: ("drafter", "reviewer")}


def reporting_offices(registry: Registry, party: str,
                      kind: ItemKind = ItemKind.JOINT_RESOLUTION) -> tuple[str, str]:
    """(drafting office, clearing office) of a party's progress reports on items of `kind`."""
    roles: dict[str, RoleRule] = registry.party(party).roles(kind) or {}
    drafts, clears = FALLBACK.get(kind, ("reviewer", "approver"))
    reporter = roles.get("reporter") or roles.get(drafts)
    clearer = roles.get("report_clearer") or roles.get(clears)
    if reporter is None or clearer is None:
        raise NotAllowed(f"{party} maps no office to report on {kind.label.lower()}s "
                         f"(roles reporter and report_clearer, or {drafts} and {clears})")
    return reporter.office, clearer.office


def missing_action(action_id: int) -> str:
    """What an officer is told of a plan action that does not exist, or whose item they
    may not read."""
    return f"no plan action {action_id} (see `manzoori plan QUARTER`)"


def plan_action(session: Session, action_id: int, reader: Reader | None) -> PlanAction:
    """The plan action, if `reader` may read its item (else as if there were none)."""
    action = session.get(PlanAction, action_id) if 1 <= action_id <= 2**31 - 1 else None
    if action is None:
        raise NotFound(missing_action(action_id))
    require_readable(session, reader, action.item, missing=missing_action(action_id))
    return action


def _report_of(session: Session, action: PlanAction) -> ProgressReport | None:
    return session.scalar(select(ProgressReport).where(
        ProgressReport.action_id == action.id, ProgressReport.party == action.party,
        ProgressReport.quarter == action.quarter))


def report_progress(
    session: Session, registry: Registry, *, action_id: int, status: str, officer: str,
    reason: str | None = None, note: str | None = None,
    evidence: list[dict[str, str]] | None = None, now: datetime,
) -> ProgressReport:
    """Draft (or redraft, until cleared) the party's report on one action of its plan."""
    for value, where in ((status, "status"), (reason, "reason"), (note, "note"),
                         (evidence, "evidence")):
        check_text(value, where)
    with one_transaction(session, f"action {action_id}"):
        if status not in tuple(ProgressStatus):
            raise InvalidForm(f"no status {status!r} (statuses: {', '.join(ProgressStatus)})",
                              problems=[("status", "unknown")])
        reason = (reason or "").strip() or None
        if status == ProgressStatus.BLOCKED and reason is None:
            raise InvalidForm("a blocked action needs a reason (reason)",
                              problems=[("reason", "required when blocked")])
        actor = get_officer(session, officer)
        action = plan_action(session, action_id, reader_of(session, registry, actor, now.date()))
        drafting, _ = reporting_offices(registry, action.party, ItemKind(action.item.kind))
        require_office(registry, actor, action.party, drafting, now.date(),
                 f"report on action {action.id} of {action.party}")
        report = _report_of(session, action)
        if report is not None and report.state == ReportState.CLEARED:
            raise NotAllowed(f"{action.party}'s report on action {action.id} for {action.quarter} "
                             "is cleared; it can no longer change")
        if report is None:
            report = ProgressReport(action_id=action.id, party=action.party,
                                    quarter=action.quarter, state=ReportState.DRAFT)
            session.add(report)
        report.status, report.reason, report.note = status, reason, (note or "").strip() or None
        report.evidence = list(evidence or [])
        report.drafted_by, report.drafted_at = actor, now
        routing.record(session, action.item, actor, REPORTED, now, party=action.party,
                        comment=reason or report.note,
                        payload={"state": action.item.state, "action_id": action.id,
                                 "quarter": action.quarter, "status": status,
                                 "evidence": report.evidence})
    return report


def clear_report(session: Session, registry: Registry, *, action_id: int, officer: str,
                 now: datetime) -> ProgressReport:
    """Clear the party's drafted report on one action: from now on it counts."""
    with one_transaction(session, f"action {action_id}"):
        actor = get_officer(session, officer)
        action = plan_action(session, action_id, reader_of(session, registry, actor, now.date()))
        report = _report_of(session, action)
        if report is None:
            raise NotFound(f"{action.party} has drafted no report on action {action.id} for "
                           f"{action.quarter}; its reporter drafts one with `manzoori progress`")
        if report.state == ReportState.CLEARED:
            raise NotAllowed(f"{action.party}'s report on action {action.id} is already cleared")
        _, clearing = reporting_offices(registry, action.party, ItemKind(action.item.kind))
        require_office(registry, actor, action.party, clearing, now.date(),
                 f"clear {action.party}'s report on action {action.id}")
        if report.drafted_by_id == actor.id:
            raise NotAllowed(f"{actor.username} drafted this report; maker and checker must "
                             "differ, so another officer must clear it")
        report.state, report.cleared_by, report.cleared_at = ReportState.CLEARED, actor, now
        routing.record(session, action.item, actor, CLEARED, now, party=action.party,
                        payload={"state": action.item.state, "action_id": action.id,
                                 "quarter": action.quarter, "status": report.status})
    return report


# -- the secretariat's view -----------------------------------------------------------

def _cleared(action: PlanAction) -> ProgressReport | None:
    for report in action.reports:
        if report.state == ReportState.CLEARED and report.quarter == action.quarter:
            return report
    return None


def open_round(session: Session, quarter: str, now: datetime) -> list[PlanAction]:
    """The actions of `quarter` without a cleared report at `now`."""
    return [action for action in plan(session, quarter, None) if _cleared(action) is None]


def overdue(session: Session, quarter: str, now: datetime) -> list[PlanAction]:
    """The actions of `quarter` still without a cleared report after their due date."""
    return [action for action in open_round(session, quarter, now) if now.date() > action.due_on]


@dataclass
class QuarterReport:
    quarter: str
    now: datetime
    parties: list[str]
    by_party: dict[str, dict[str, int]]
    """party → status → actions; `UNREPORTED` counts actions without a cleared report."""
    by_area: dict[str, dict[str, int]]
    overdue: list[dict[str, Any]] = field(default_factory=list)
    chart_png: bytes = b""

    @property
    def columns(self) -> list[str]:
        return list(COLUMNS)

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.by_party.values())


def quarter_report(session: Session, quarter: str, now: datetime,
                   reader: Reader | None) -> QuarterReport:
    """What the parties reported (cleared reports only) on `quarter`'s plan, at `now`:
    on the actions of items `reader` may read (all of them for the console, `None`)."""
    actions = plan(session, quarter, reader)
    by_party: dict[str, dict[str, int]] = {}
    by_area: dict[str, dict[str, int]] = {}
    for action in actions:
        cleared = _cleared(action)
        status = cleared.status if cleared else UNREPORTED
        for table, key in ((by_party, action.party), (by_area, action.priority_area)):
            table.setdefault(key, dict.fromkeys(COLUMNS, 0))[status] += 1
    late = [{"action": a.id, "item": a.item.reference, "party": a.party,
             "priority_area": a.priority_area, "due_on": a.due_on.isoformat(), "text": a.text}
            for a in actions if _cleared(a) is None and now.date() > a.due_on]
    report = QuarterReport(quarter, now, sorted(by_party), by_party, by_area, late)
    report.chart_png = render_chart(report)
    return report


def render_chart(report: QuarterReport) -> bytes:
    """A grouped bar chart: one group per party, one bar per status (PNG)."""
    return grouped_bars(report.parties, report.columns,
                        {party: report.by_party[party] for party in report.parties},
                        title=f"Implementation status by party, {report.quarter}")


def render_report_html(report: QuarterReport) -> str:
    environment = Environment(loader=PackageLoader("engine.core", "templates"),
                              autoescape=select_autoescape(default=True, default_for_string=True))
    chart = base64.b64encode(report.chart_png or render_chart(report)).decode("ascii")
    return environment.get_template("followup_report.html").render(report=report, chart=chart)


def file_evidence(paths: list[Any]) -> list[dict[str, str]]:
    """Name and SHA-256 of each evidence file (the files themselves stay with the party)."""
    evidence = []
    for path in map(Path, paths):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            raise InvalidForm(f"cannot read evidence file {path}: {error.strerror}",
                              problems=[("evidence", "unreadable")]) from None
        evidence.append({"name": path.name, "sha256": digest})
    return evidence


def remind(session: Session, quarter: str, now: datetime) -> list[tuple[str, str, int]]:
    """Record one "follow-up reminder" event per (resolution, party) with actions of
    `quarter` still unreported (no cleared report); once per quarter each.

    Returns (reference, party, open actions) of the reminders recorded now."""
    waiting: dict[tuple[int, str], list[PlanAction]] = {}
    for action in open_round(session, quarter, now):
        waiting.setdefault((action.item_id, action.party), []).append(action)
    sent = []
    with one_transaction(session, f"the {quarter} follow-up"):
        for (_item_id, party), actions in sorted(waiting.items()):
            item = actions[0].item
            key = f"follow-up:{quarter}:{party}"
            if session.scalar(select(AuditEvent.id).where(AuditEvent.item_id == item.id,
                                                          AuditEvent.idempotency_key == key)):
                continue
            routing.record(session, item, None, REMINDED, now, party=party, key=key,
                            comment=f"{len(actions)} action(s) of {quarter} await {party}'s "
                                    "cleared progress report",
                            payload={"state": item.state, "quarter": quarter,
                                     "actions": [a.id for a in actions]})
            sent.append((item.reference, party, len(actions)))
    return sent
