"""The "I will be away" page: an officer (or the holder of their supervising office)
records an absence with a substitute and a period, sees the absences they are part of,
and ends one early. Every post goes through `engine.core.absences`; a refusal shows the
page again with the error's status and message, nothing recorded.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.absences import absences, end_absence, period, record_absence
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.store import Officer
from engine.web.auth import check_csrf, current_officer
from engine.web.deps import PostedText, db_session, registry_of
from engine.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/away", response_class=HTMLResponse)
def away_page(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    return _away_view(request, session, current_officer(request, session))


def _away_view(request: Request, session: Session, officer: Officer, status: int = 200,
               problem: str | None = None, done: str | None = None,
               posted: dict[str, str] | None = None) -> HTMLResponse:
    rows = [{"absence": absence, "period": period(absence),
             "running": absence.last_day >= utcnow().date() and absence.last_day >= absence.since}
            for absence in absences(session, officer.username)]
    return render(request, "away.html", status=status, officer=officer, rows=rows,
                  problem=problem, done=done, posted=posted or {}, today=utcnow().date())


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidForm(f"{name} {value!r} is not a date (YYYY-MM-DD)",
                          problems=[(name, "not a date")]) from None


@router.post("/away", response_class=HTMLResponse)
def away_post(request: Request, posted: PostedText, session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    absent = posted.get("officer", "").strip() or officer.username
    try:
        absence = record_absence(
            session, registry_of(request), officer=absent,
            substitute=posted.get("substitute", "").strip(),
            since=_date(posted.get("since", ""), "from"), until=_date(posted.get("until", ""), "until"),
            reason=posted.get("reason", ""), by=officer.username, now=utcnow())
    except (NotAllowed, InvalidForm, Conflict, NotFound) as error:
        session.rollback()
        return _away_view(request, session, officer, status=error.http_status,
                          problem=error.message, posted=posted)
    return _away_view(request, session, officer,
                      done=f"{absent} is away {period(absence)}; "
                           f"{absence.substitute.username} acts for them.")


@router.post("/away/back", response_class=HTMLResponse)
def back_post(request: Request, posted: PostedText, session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    try:
        end_absence(session, registry_of(request), officer=posted.get("officer", "") or officer.username,
                    by=officer.username, now=utcnow())
    except (NotAllowed, InvalidForm, NotFound) as error:
        session.rollback()
        return _away_view(request, session, officer, status=error.http_status, problem=error.message)
    return RedirectResponse("/away", status_code=303)
