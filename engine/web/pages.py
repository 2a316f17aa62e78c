"""The officers' web pages: log in, inbox, an item with what you may do on it, draft and
revise forms generated from the party's model, bulk decisions, reassignment.

Every page posts through `engine.core.items`; this module only turns requests into service
calls and results into HTML. Forms carry the session's CSRF token; nothing acts on GET.
"""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.contract import ItemKind
from engine.errors import Conflict, InvalidForm, ManzooriError, NotAllowed
from engine.store import Appointment, Item, Officer
from engine.web import db_session
from engine.web.auth import (
    NotLoggedIn,
    check_csrf,
    current_officer,
    end_session,
    session_data,
    start_session,
)
from engine.web.formkit import errors_by_path, fields, parse
from engine.web.i18n import ACTIONS, LANGUAGES, translator

router = APIRouter(include_in_schema=False)

INBOX_ROWS = 500
"""The inbox shows this many waiting steps, soonest deadline first, and says how many more wait."""

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


def _lang(request: Request) -> str:
    data = session_data(request)
    lang = (data or {}).get("lang") or request.cookies.get("manzoori_lang") or "en"
    return lang if lang in LANGUAGES else "en"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    data = session_data(request) or {}
    return templates.TemplateResponse(request, name, {
        "t": translator(lang), "lang": lang, "languages": LANGUAGES, "csrf": data.get("csrf", ""),
        "action_names": {a: names[lang] for a, names in ACTIONS.items()}, **context,
    }, status_code=status)


def error_page(request: Request, error: ManzooriError) -> Response:
    if isinstance(error, NotLoggedIn):
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
    return render(request, "error.html", status=error.http_status, error=error,
                  officer=None)


def _now() -> datetime:
    from engine.clock import utcnow

    return utcnow()


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


# Logging in and out ----------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/inbox") -> HTMLResponse:
    return render(request, "login.html", officer=None, next=_safe_next(next), failed=False)


@router.post("/login")
async def login(request: Request, session: Session = Depends(db_session)) -> Response:
    from engine.core.accounts import LoginFailed, check_password

    posted = await _posted(request)
    target = _safe_next(posted.get("next", "/inbox"))
    try:
        officer = check_password(session, posted.get("username", ""), posted.get("password", ""))
    except LoginFailed:
        return render(request, "login.html", status=401, officer=None, next=target, failed=True,
                      username=posted.get("username", ""))
    session.commit()  # a rehashed password
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, officer, _lang(request))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    check_csrf(request, (await _posted(request)).get("csrf"))
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    return response


@router.get("/lang/{code}")
def language(request: Request, code: str, next: str = "/inbox") -> Response:
    """Switch the interface's language (a preference, not an action on anything)."""
    code = code if code in LANGUAGES else "en"
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie("manzoori_lang", code, max_age=365 * 86400, httponly=True, samesite="lax")
    data = session_data(request)
    if data:
        from engine.web.auth import COOKIE, _serializer

        data["lang"] = code
        response.set_cookie(COOKIE, _serializer(request).dumps(data), httponly=True, samesite="lax",
                            secure=request.app.state.secure_cookies, path="/")
    return response


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"


# The inbox --------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home_page() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    from engine.core.queries import inbox, inbox_count

    officer = current_officer(request, session)
    now = _now()
    entries = inbox(session, officer.username, now.date(), limit=INBOX_ROWS)
    total = inbox_count(session, officer.username, now.date()) if len(entries) == INBOX_ROWS else len(entries)
    groups: dict[str, list[Any]] = {"overdue": [], "this_week": [], "later": [], "no_deadline": []}
    for entry in entries:
        if entry.due_at is None:
            groups["no_deadline"].append(entry)
        elif entry.due_at < now:
            groups["overdue"].append(entry)
        elif entry.due_at < now + timedelta(days=7):
            groups["this_week"].append(entry)
        else:
            groups["later"].append(entry)
    return render(request, "inbox.html", officer=officer, groups=groups, total=total,
                  shown=len(entries),
                  registry=request.app.state.registry)


@router.post("/bulk", response_class=HTMLResponse)
async def bulk(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    from engine.core.items import act_many

    officer = current_officer(request, session)
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    references = [value for value in form.getlist("reference") if isinstance(value, str)]
    action = str(form.get("action", ""))
    if not references:
        raise InvalidForm("select at least one item", problems=[("reference", "required")])
    results = act_many(session, request.app.state.registry, references=references, action=action,
                       officer=officer.username, comment=str(form.get("comment", "")).strip() or None,
                       passphrase=str(form.get("passphrase", "")) or None)
    return render(request, "bulk.html", officer=officer, results=results, action=action)


# One item -----------------------------------------------------------------------------------

@router.get("/items/{reference}", response_class=HTMLResponse)
def item_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _item_view(request, session, officer, reference)


def _item_view(request: Request, session: Session, officer: Officer, reference: str,
               status: int = 200, problem: str | None = None) -> HTMLResponse:
    from engine.core.items import get_item, may_reassign, possible_actions
    from engine.core.queries import item_detail

    registry = request.app.state.registry
    detail = item_detail(session, reference)
    item = detail.item
    now = _now()
    model = registry.party(item.drafting_party).form(ItemKind(item.kind))
    versions = item.versions
    current = versions[-1]
    shown = fields(model, current.form) if model else []
    changes = _diff(versions[-2].form, current.form) if len(versions) > 1 else []
    steps = [
        {"record": step, "label": registry.party(step.party).office(step.office).title_en,
         "holders": _holders(session, step.party, step.office, now),
         "assignee": session.get(Officer, step.assigned_to_id).username if step.assigned_to_id else None,
         "decisions": [(d.action, d.officer.username, d.at) for d in step.decisions]}
        for step in item.steps
    ]
    open_parties = sorted({s.party for s in item.steps if s.status == "open"
                           and may_reassign(registry, item, officer, s.party, now)})
    return render(
        request, "item.html", status=status, officer=officer, item=get_item(session, reference),
        events=detail.events, fields=shown, version=current, changes=changes, steps=steps,
        possible=possible_actions(session, registry, item, officer, now),
        reassignable=open_parties, problem=problem, registry=registry,
    )


def _holders(session: Session, party: str, office: str, now: datetime) -> list[str]:
    day = now.date()
    rows = session.execute(
        select(Officer.username).join(Appointment, Appointment.officer_id == Officer.id)
        .where(Appointment.party == party, Appointment.office == office,
               (Appointment.since.is_(None)) | (Appointment.since <= day),
               (Appointment.until.is_(None)) | (Appointment.until >= day))
        .order_by(Officer.username)
    )
    return [row[0] for row in rows]


def _flatten(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        return [line for key, value in data.items() for line in _flatten(value, f"{prefix}{key}.")]
    if isinstance(data, list):
        return [line for index, value in enumerate(data) for line in _flatten(value, f"{prefix[:-1]}[{index}].")]
    return [f"{prefix[:-1]}: {data}"]


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """Changed lines between two versions' content, as ('-'|'+', line)."""
    lines = difflib.ndiff(_flatten(before), _flatten(after))
    return [(line[0], line[2:]) for line in lines if line[:1] in "+-"]


@router.post("/items/{reference}/act", response_class=HTMLResponse)
async def act_page(request: Request, reference: str, session: Session = Depends(db_session)) -> Response:
    from engine.core.items import act

    officer = current_officer(request, session)
    posted = await _posted(request)
    check_csrf(request, posted.get("csrf"))
    revision = posted.get("revision")
    try:
        act(session, request.app.state.registry, reference=reference, action=posted.get("action", ""),
            officer=officer.username, comment=posted.get("comment", "").strip() or None,
            expected_revision=int(revision) if revision and revision.isdigit() else None,
            passphrase=posted.get("passphrase") or None)
    except (NotAllowed, InvalidForm, Conflict) as error:
        session.rollback()
        return _item_view(request, session, officer, reference, status=error.http_status,
                          problem=error.message)
    return RedirectResponse(f"/items/{quote(reference)}", status_code=303)


@router.post("/items/{reference}/reassign", response_class=HTMLResponse)
async def reassign_page(request: Request, reference: str, session: Session = Depends(db_session)) -> Response:
    from engine.core.items import reassign

    officer = current_officer(request, session)
    posted = await _posted(request)
    check_csrf(request, posted.get("csrf"))
    try:
        reassign(session, request.app.state.registry, reference=reference, party=posted.get("party", ""),
                 to_officer=posted.get("to_officer", "").strip(), officer=officer.username,
                 reason=posted.get("reason", ""))
    except (NotAllowed, InvalidForm) as error:
        session.rollback()
        return _item_view(request, session, officer, reference, status=error.http_status,
                          problem=error.message)
    return RedirectResponse(f"/items/{quote(reference)}", status_code=303)


# Drafting and revising --------------------------------------------------------------------------

@router.get("/draft", response_class=HTMLResponse)
def draft_page(request: Request, kind: str = "", parties: str = "",
               session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _form_view(request, session, officer, kind=kind, parties=parties, title="", data={})


def _drafting_choices(request: Request, officer: Officer, now: datetime) -> list[tuple[str, str, str]]:
    """(party, kind, label) the officer may draft: their offices that a party maps to drafter."""
    from engine.core.directory import holdings

    registry = request.app.state.registry
    held = holdings(officer, now.date())
    choices = []
    for holding in held:
        party = registry.party(holding.party)
        for kind in ItemKind:
            rule = (party.roles(kind) or {}).get("drafter")
            if rule and rule.office == holding.office and party.form(kind):
                choices.append((holding.party, kind.value, f"{kind.label} — {party.identity.name_en}"))
    return choices


def _form_view(request: Request, session: Session, officer: Officer, *, kind: str, parties: str,
               title: str, data: dict[str, Any], errors: dict[str, str] | None = None,
               reference: str | None = None, status: int = 200, problem: str | None = None) -> HTMLResponse:
    registry = request.app.state.registry
    choices = _drafting_choices(request, officer, _now())
    if reference is None and not kind and choices:
        parties, kind = choices[0][0], choices[0][1]
    model = None
    if kind and parties:
        drafting = parties.split(",")[0].strip()
        model = registry.party(drafting).form(ItemKind(kind)) if kind in {k.value for k in ItemKind} else None
    return render(request, "form.html", status=status, officer=officer, choices=choices, kind=kind,
                  parties=parties, title=title, reference=reference, problem=problem,
                  fields=fields(model, data, errors) if model else [], errors=errors or {},
                  multi=kind in ("joint_resolution", "agreement"),
                  all_parties=sorted(registry.parties))


@router.post("/draft", response_class=HTMLResponse)
async def draft_post(request: Request, session: Session = Depends(db_session)) -> Response:
    from engine.core.items import draft

    officer = current_officer(request, session)
    posted = await _posted(request)
    check_csrf(request, posted.get("csrf"))
    kind, parties, title = posted.pop("kind", ""), posted.pop("parties", ""), posted.pop("title", "")
    registry = request.app.state.registry
    codes = [code.strip() for code in parties.split(",") if code.strip()]
    model = registry.party(codes[0]).form(ItemKind(kind)) if codes and kind in {k.value for k in ItemKind} else None
    data = parse(model, posted) if model else {}
    try:
        outcome = draft(session, registry, kind=kind, parties=codes, title=title, form=data,
                        officer=officer.username)
    except InvalidForm as error:
        return _form_view(request, session, officer, kind=kind, parties=parties, title=title, data=data,
                          errors=errors_by_path(error.problems), status=422, problem=error.headline)
    return RedirectResponse(f"/items/{quote(outcome.reference)}", status_code=303)


@router.get("/items/{reference}/revise", response_class=HTMLResponse)
def revise_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    from engine.core.items import get_item

    officer = current_officer(request, session)
    item = get_item(session, reference)
    return _form_view(request, session, officer, kind=item.kind, parties=",".join(item.party_codes),
                      title=item.versions[-1].title, data=item.versions[-1].form, reference=reference)


@router.post("/items/{reference}/revise", response_class=HTMLResponse)
async def revise_post(request: Request, reference: str, session: Session = Depends(db_session)) -> Response:
    from engine.core.items import act, get_item

    officer = current_officer(request, session)
    posted = await _posted(request)
    check_csrf(request, posted.get("csrf"))
    item = get_item(session, reference)
    model = request.app.state.registry.party(item.drafting_party).form(ItemKind(item.kind))
    title = posted.pop("title", item.title)
    for key in ("kind", "parties"):
        posted.pop(key, None)
    data = parse(model, posted)
    try:
        act(session, request.app.state.registry, reference=reference, action="revise",
            officer=officer.username, form=data, title=title)
    except (InvalidForm, NotAllowed) as error:
        session.rollback()
        problems = errors_by_path(error.problems) if isinstance(error, InvalidForm) else {}
        headline = error.headline if isinstance(error, InvalidForm) else error.message
        return _form_view(request, session, officer, kind=item.kind, parties=",".join(item.party_codes),
                          title=title, data=data, errors=problems, reference=reference,
                          status=error.http_status, problem=headline)
    return RedirectResponse(f"/items/{quote(reference)}", status_code=303)


@router.get("/items/{reference}/document", response_class=HTMLResponse)
def document_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    from engine.core.documents import render_document
    from engine.core.items import get_item

    current_officer(request, session)
    return HTMLResponse(render_document(get_item(session, reference), request.app.state.registry))


__all__ = ["Item", "error_page", "router"]


# The quarter's action plan and the follow-up report -----------------------------------------

@router.get("/plan", response_class=HTMLResponse)
def latest_plan(request: Request, session: Session = Depends(db_session)) -> Response:
    from sqlalchemy import func

    from engine.core.followup import quarter_of
    from engine.store import PlanAction

    current_officer(request, session)
    latest = session.scalar(select(func.max(PlanAction.quarter))) or quarter_of(_now().date())
    return RedirectResponse(f"/plan/{latest}", status_code=303)


def _plan_view(request: Request, session: Session, officer: Officer, quarter: str,
               status: int = 200, problem: str | None = None) -> HTMLResponse:
    from engine.core.directory import holdings
    from engine.core.followup import parse_quarter, plan, reporting_offices

    parse_quarter(quarter)
    registry = request.app.state.registry
    held = {(h.party, h.office) for h in holdings(officer, _now().date())}
    rows = []
    for action in plan(session, quarter):
        drafting, clearing = reporting_offices(registry, action.party, ItemKind(action.item.kind))
        report = max(action.reports, key=lambda r: r.id) if action.reports else None
        rows.append({
            "action": action, "report": report,
            "may_report": (action.party, drafting) in held and (report is None or report.state != "cleared"),
            "may_clear": (action.party, clearing) in held and report is not None
            and report.state == "draft" and report.drafted_by_id != officer.id,
        })
    return render(request, "plan.html", status=status, officer=officer, quarter=quarter, rows=rows,
                  problem=problem, statuses=["not_started", "in_progress", "done", "blocked"])


@router.get("/plan/{quarter}", response_class=HTMLResponse)
def plan_page(request: Request, quarter: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _plan_view(request, session, officer, quarter)


@router.post("/plan/actions/{action_id}/{what}", response_class=HTMLResponse)
async def plan_post(request: Request, action_id: int, what: str,
                    session: Session = Depends(db_session)) -> Response:
    from engine.core.followup import clear_report, report_progress
    from engine.store import PlanAction

    officer = current_officer(request, session)
    posted = await _posted(request)
    check_csrf(request, posted.get("csrf"))
    action = session.get(PlanAction, action_id)
    if action is None:
        from engine.errors import NotFound

        raise NotFound(f"no action {action_id} in any plan")
    quarter = action.quarter
    try:
        if what == "progress":
            report_progress(session, request.app.state.registry, action_id=action_id,
                            status=posted.get("status", ""), officer=officer.username,
                            reason=posted.get("reason"), note=posted.get("note"), now=_now())
        elif what == "clear":
            clear_report(session, request.app.state.registry, action_id=action_id,
                         officer=officer.username, now=_now())
        else:
            raise NotAllowed(f"no such thing to do with an action: {what!r}")
    except (NotAllowed, InvalidForm, Conflict) as error:
        session.rollback()
        return _plan_view(request, session, officer, quarter, status=error.http_status, problem=error.message)
    return RedirectResponse(f"/plan/{quote(quarter)}#action-{action_id}", status_code=303)


@router.get("/report/{quarter}", response_class=HTMLResponse)
def report_page(request: Request, quarter: str, session: Session = Depends(db_session)) -> HTMLResponse:
    from engine.core.followup import parse_quarter, quarter_report, render_report_html

    current_officer(request, session)
    parse_quarter(quarter)
    return HTMLResponse(render_report_html(quarter_report(session, quarter, _now())))
