"""The follow-up pages: the quarter's action plan, where each party's reporting office
drafts its progress on an action and its clearing office clears it, and the secretariat's
quarter report.

Every post goes through `engine.core.followup`; a refusal shows the plan again with the
error's status and message.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core.access import reader_of
from engine.core.directory import holdings
from engine.core.followup import (
    clear_report,
    latest_quarter,
    parse_quarter,
    plan,
    plan_action,
    quarter_of,
    quarter_report,
    render_report_html,
    report_progress,
    reporting_offices,
)
from engine.errors import Conflict, InvalidForm, NotAllowed
from engine.store import Officer
from engine.store.statuses import ProgressStatus
from engine.web.auth import check_csrf, current_officer
from engine.web.deps import PostedText, db_session, registry_of
from engine.web.guards import built_page
from engine.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/plan", response_class=HTMLResponse)
def latest_plan(request: Request, session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    reader = reader_of(session, registry_of(request), officer, utcnow().date())
    latest = latest_quarter(session, reader) or quarter_of(utcnow().date())
    return RedirectResponse(f"/plan/{latest}", status_code=303)


def _plan_view(request: Request, session: Session, officer: Officer, quarter: str,
               status: int = 200, problem: str | None = None) -> HTMLResponse:
    parse_quarter(quarter)
    registry = registry_of(request)
    held = {(h.party, h.office) for h in holdings(officer, utcnow().date())}
    rows = []
    for action in plan(session, quarter, reader_of(session, registry, officer, utcnow().date())):
        drafting, clearing = reporting_offices(registry, action.party, ItemKind(action.item.kind))
        report = max(action.reports, key=lambda r: r.id) if action.reports else None
        rows.append({
            "action": action, "report": report,
            "may_report": (action.party, drafting) in held and (report is None or report.state != "cleared"),
            "may_clear": (action.party, clearing) in held and report is not None
            and report.state == "draft" and report.drafted_by_id != officer.id,
        })
    return render(request, "plan.html", status=status, officer=officer, quarter=quarter, rows=rows,
                  problem=problem, statuses=list(ProgressStatus))


@router.get("/plan/{quarter}", response_class=HTMLResponse)
def plan_page(request: Request, quarter: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _plan_view(request, session, officer, quarter)


@router.post("/plan/actions/{action_id}/{what}", response_class=HTMLResponse)
def plan_post(request: Request, action_id: int, what: str, posted: PostedText,
              session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    action = plan_action(session, action_id, reader_of(session, registry_of(request), officer,
                                                        utcnow().date()))
    quarter = action.quarter
    try:
        if what == "progress":
            report_progress(session, registry_of(request), action_id=action_id,
                            status=posted.get("status", ""), officer=officer.username,
                            reason=posted.get("reason"), note=posted.get("note"), now=utcnow())
        elif what == "clear":
            clear_report(session, registry_of(request), action_id=action_id,
                         officer=officer.username, now=utcnow())
        else:
            raise NotAllowed(f"no such thing to do with an action: {what!r}")
    except (NotAllowed, InvalidForm, Conflict) as error:
        session.rollback()
        return _plan_view(request, session, officer, quarter, status=error.http_status, problem=error.message)
    return RedirectResponse(f"/plan/{quote(quarter)}#action-{action_id}", status_code=303)


@router.get("/report/{quarter}", response_class=HTMLResponse)
def report_page(request: Request, quarter: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    parse_quarter(quarter)
    now = utcnow()
    reader = reader_of(session, registry_of(request), officer, now.date())
    return built_page(render_report_html(quarter_report(session, quarter, now, reader)))
