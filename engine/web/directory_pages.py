"""The directory pages: each party's offices and who holds them today, and for the party's
administrator (an office its plugin marks `keeps_directory`) the forms to appoint and
relieve officers.

Every post goes through `engine.core.transfers`, which checks who may change the directory;
this module only shows the forms to those it would accept. A refusal shows the page again
with the error's status and message; nothing acts on GET.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.directory import holdings, party_day
from engine.core.transfers import appoint, holders_on, may_keep_directory, relieve
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.store import Officer
from engine.web.auth import check_csrf, current_officer
from engine.web.deps import PostedText, db_session, registry_of
from engine.web.templating import render

router = APIRouter(include_in_schema=False)


def _directory_view(request: Request, session: Session, officer: Officer, party: str,
                    status: int = 200, problem: str | None = None) -> HTMLResponse:
    registry = registry_of(request)
    known = registry.party(party)
    now = utcnow()
    day = party_day(registry, party, now)
    offices = [{"code": code, "office": office, "holders": holders_on(session, party, code, day)}
               for code, office in known.offices.items()]
    return render(request, "directory.html", status=status, officer=officer, party=known, day=day,
                  offices=offices, may_change=may_keep_directory(registry, officer, party, now),
                  problem=problem)


@router.get("/directory", response_class=HTMLResponse)
def my_directory(request: Request, session: Session = Depends(db_session)) -> Response:
    """The directory of the first party the officer holds an office in today."""
    officer = current_officer(request, session)
    held = holdings(officer, utcnow().date())
    party = held[0].party if held else next(iter(registry_of(request).parties))
    return RedirectResponse(f"/directory/{quote(party)}", status_code=303)


@router.get("/directory/{party}", response_class=HTMLResponse)
def directory_page(request: Request, party: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _directory_view(request, session, officer, party)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidForm(f"{field} {value!r} is not a date (YYYY-MM-DD)",
                          problems=[(field, "not a date")]) from None


@router.post("/directory/{party}/{what}", response_class=HTMLResponse)
def directory_post(request: Request, party: str, what: str, posted: PostedText,
                   session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    registry = registry_of(request)
    registry.party(party)
    username, office = posted.get("username", "").strip(), posted.get("office", "").strip()
    try:
        if what == "appoint":
            transfer = appoint(session, registry, username=username, party=party, office=office,
                               since=_day(posted.get("since"), "since"),
                               name=posted.get("name", "").strip() or None,
                               keep_previous=bool(posted.get("keep_previous")), by=officer.username)
        elif what == "relieve":
            transfer = relieve(session, registry, username=username, office=office,
                               on=_day(posted.get("on"), "on"), party=party, by=officer.username)
        else:
            raise NotFound(f"nothing called {what!r} to do in a directory (appoint, relieve)")
    except (NotAllowed, InvalidForm, Conflict, NotFound) as error:
        session.rollback()
        return _directory_view(request, session, officer, party, status=error.http_status,
                               problem=error.message)
    return RedirectResponse(f"/directory/{quote(party)}#{quote(transfer.office)}", status_code=303)
