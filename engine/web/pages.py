"""The officers' web pages: log in, inbox, an item with what you may do on it, draft and
revise forms generated from the party's model, bulk decisions, reassignment.

Every page posts through `engine.core.items`; this module only turns requests into service
calls and results into HTML. Forms carry the session's CSRF token; nothing acts on GET.
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core.access import reader_of, require_readable
from engine.core.accounts import LoginFailed, check_password
from engine.core.authority import who
from engine.core.documents import render_document
from engine.core.items import act, act_many, draft, get_item, may_reassign, possible_actions, reassign
from engine.core.queries import inbox, inbox_count, item_detail
from engine.core.routemap import route_svg
from engine.core.throttle import LoginGuard
from engine.core.transfers import holders_today
from engine.errors import Conflict, InvalidForm, ManzooriError, NotAllowed, Throttled
from engine.store import Item, Officer
from engine.web.auth import (
    NotLoggedIn,
    check_csrf,
    check_login_csrf,
    client_address,
    current_officer,
    end_session,
    keep_login_cookie,
    login_token,
    start_session,
    trusted_device,
    web_session,
)
from engine.web.deps import PostedForm, PostedText, db_session, registry_of, revision_seen
from engine.web.formkit import fields, form_headline, parse, problems_shown, row_request, rows_wanted
from engine.web.guards import built_page
from engine.web.guidance import (
    BULK_ACTIONS,
    common_actions,
    confirmation,
    drafting_choices,
    keep_notice,
    step_actions,
    where_now,
)
from engine.web.i18n import LANGUAGES
from engine.web.templating import LANGUAGE_COOKIE, chosen_language, render, t_for

router = APIRouter(include_in_schema=False)

INBOX_ROWS = 500
"""The inbox shows this many waiting steps, soonest deadline first, and says how many more wait."""


def error_page(request: Request, error: ManzooriError) -> Response:
    """A refusal as a page with the error's status; without a session, the login page."""
    if isinstance(error, NotLoggedIn):
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
    return render(request, "error.html", status=error.http_status, error=error,
                  officer=None)


# Logging in and out ----------------------------------------------------------------------

def _login_view(request: Request, target: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The login page, its form bound to this browser's pre-session cookie (login CSRF)."""
    value, token = login_token(request)
    context.setdefault("failed", False)
    response = render(request, "login.html", status=status, officer=None, next=target,
                      csrf=token, **context)
    keep_login_cookie(request, response, value)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/inbox") -> HTMLResponse:
    return _login_view(request, _safe_next(next))


@router.post("/login")
async def login(request: Request, posted: PostedText) -> Response:
    """Log in from the login page (its token: login CSRF). The throttle
    (`engine.core.throttle.LoginGuard`: per account, per address, per trusted browser)
    refuses a guess at once, before anything else; the password check then runs in a
    thread of a small pool of its own (`HASHING`), so logins waiting for their turn hold
    none of the threads the officers' requests run in, and a browser that logged in
    before has a thread of that pool to itself, so it never waits behind guesses."""
    check_login_csrf(request, posted.get("csrf"))
    username = posted.get("username", "")
    client, device = client_address(request), trusted_device(request, username)
    guard: LoginGuard = request.app.state.login_guard
    guard.begin(username, client, device)
    checked = partial(_check_login, request, username, posted.get("password", ""),
                      _safe_next(posted.get("next", "/inbox")), client, device)
    limiter = request.app.state.hashing if device is None else request.app.state.hashing_trusted
    response: Response = await anyio.to_thread.run_sync(checked, limiter=limiter)
    return response


def _check_login(request: Request, username: str, password: str, target: str, client: str | None,
                 device: str | None) -> Response:
    factory: sessionmaker[Session] = request.app.state.factory
    with factory() as session:
        try:
            officer = check_password(session, username, password)
        except LoginFailed:
            return _login_view(request, target, status=401, failed=True, username=username)
        request.app.state.login_guard.succeeded(username, client, device)
        response = RedirectResponse(target, status_code=303)
        start_session(request, response, session, officer)  # commits a rehashed password too
        return response


@router.post("/logout")
def logout(request: Request, posted: PostedText, session: Session = Depends(db_session)) -> Response:
    response = RedirectResponse("/login", status_code=303)
    if web_session(request, session) is not None:
        check_csrf(request, posted.get("csrf"))
        end_session(request, response, session)
    return response


@router.get("/lang/{code}")
def language(code: str, next: str = "/inbox") -> Response:
    """Switch the interface's language: a preference of the browser, kept in its own
    cookie; the session is not touched (and so not extended)."""
    code = code if code in LANGUAGES else "en"
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"


# The inbox --------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home_page() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    now = utcnow()
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
                  shown=len(entries), bulk_actions=common_actions(entries), step_actions=step_actions,
                  registry=registry_of(request))


@router.post("/bulk", response_class=HTMLResponse)
def bulk(request: Request, form: PostedForm, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    csrf = form.get("csrf")
    check_csrf(request, csrf if isinstance(csrf, str) else None)
    references = [value for value in form.getlist("reference") if isinstance(value, str)]
    action = str(form.get("action", ""))
    if not references:
        raise InvalidForm("select at least one item", problems=[("reference", "required")])
    if action not in BULK_ACTIONS:
        raise InvalidForm(f"choose the decision to take on the selected items ({', '.join(BULK_ACTIONS)})",
                          problems=[("action", "required")])
    results = act_many(session, registry_of(request), references=references, action=action,
                       officer=officer.username, comment=str(form.get("comment", "")).strip() or None,
                       passphrase=str(form.get("passphrase", "")) or None)
    t, registry = t_for(request), registry_of(request)
    session.expire_all()
    where = {result.reference: where_now(session, registry, get_item(session, result.reference), t)
             for result in results if result.outcome is not None}
    return render(request, "bulk.html", officer=officer, results=results, action=action, where=where)


# One item -----------------------------------------------------------------------------------

@router.get("/items/{reference}", response_class=HTMLResponse)
def item_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _item_view(request, session, officer, reference)


def _item_view(request: Request, session: Session, officer: Officer, reference: str,
               status: int = 200, problem: str | None = None) -> HTMLResponse:
    registry = registry_of(request)
    now = utcnow()
    detail = item_detail(session, reference, reader_of(session, registry, officer, now.date()))
    item = detail.item
    model = registry.party(item.drafting_party).form(ItemKind(item.kind))
    versions = item.versions
    current = versions[-1]
    shown = fields(model, current.form) if model else []
    changes = _diff(versions[-2].form, current.form) if len(versions) > 1 else []
    steps = [
        {"record": step, "label": registry.party(step.party).office(step.office).title_en,
         "holders": holders_today(session, registry, step.party, step.office, now),
         "assignee": _username(session, step.assigned_to_id),
         "decisions": [(d.action, d.officer.username + (f" for {d.for_officer.username}" if d.for_officer
                                                        else " (escalated)" if d.capacity == "escalated" else ""),
                        d.at) for d in step.decisions]}
        for step in item.steps
    ]
    open_parties = sorted({s.party for s in item.steps if s.status == "open"
                           and may_reassign(registry, item, officer, s.party, now)})
    return render(
        request, "item.html", status=status, officer=officer, item=get_item(session, reference),
        events=detail.events, fields=shown, version=current, changes=changes, steps=steps,
        possible=possible_actions(session, registry, item, officer, now),
        reassignable=open_parties, problem=problem, registry=registry, who=who,
        route=Markup(route_svg(session, registry, item, now, title=f"{item.reference}")),  # escaped by route_svg
    )


def _readable_item(request: Request, session: Session, officer: Officer, reference: str) -> Item:
    """The item, if the officer may read it (need-to-know); else the 404 of a missing one."""
    item = get_item(session, reference)
    require_readable(session, reader_of(session, registry_of(request), officer, utcnow().date()), item)
    return item


def _username(session: Session, officer_id: int | None) -> str | None:
    officer = session.get(Officer, officer_id) if officer_id is not None else None
    return officer.username if officer else None


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
def act_page(request: Request, reference: str, posted: PostedText,
             session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    revision = posted.get("revision")
    try:
        act(session, registry_of(request), reference=reference, action=posted.get("action", ""),
            officer=officer.username, comment=posted.get("comment", "").strip() or None,
            expected_revision=revision_seen(revision),
            passphrase=posted.get("passphrase") or None)
    except (NotAllowed, InvalidForm, Conflict) as error:
        session.rollback()
        page = _item_view(request, session, officer, reference, status=error.http_status,
                          problem=error.message)
        if isinstance(error, Throttled):  # too many wrong passphrases
            page.headers["Retry-After"] = str(error.retry_after)
        return page
    return _done(request, session, reference, posted.get("action", ""))


def _done(request: Request, session: Session, reference: str, action: str) -> Response:
    """Back to the item, with the confirmation of what was done and where it is now."""
    t = t_for(request)
    done = t("notice_done").format(action=t(action), reference=reference)
    text = confirmation(session, registry_of(request), reference, done, t)
    return keep_notice(RedirectResponse(f"/items/{quote(reference)}", status_code=303), text)


@router.post("/items/{reference}/reassign", response_class=HTMLResponse)
def reassign_page(request: Request, reference: str, posted: PostedText,
                  session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    try:
        reassign(session, registry_of(request), reference=reference, party=posted.get("party", ""),
                 to_officer=posted.get("to_officer", "").strip(), officer=officer.username,
                 reason=posted.get("reason", ""))
    except (NotAllowed, InvalidForm) as error:
        session.rollback()
        return _item_view(request, session, officer, reference, status=error.http_status,
                          problem=error.message)
    return _done(request, session, reference, "reassign_done")


# Drafting and revising --------------------------------------------------------------------------

@router.get("/draft", response_class=HTMLResponse)
def draft_page(request: Request, kind: str = "", parties: str = "",
               session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    return _form_view(request, session, officer, kind=kind, parties=parties, title="", data={})


def _form_view(request: Request, session: Session, officer: Officer, *, kind: str, parties: str,
               title: str, data: dict[str, Any], errors: dict[str, str] | None = None,
               reference: str | None = None, status: int = 200, problem: str | None = None,
               extra_rows: dict[str, int] | None = None) -> HTMLResponse:
    registry = registry_of(request)
    choices = drafting_choices(registry, officer, utcnow().date())
    if reference is None and not kind and choices:
        parties, kind = choices[0][0], choices[0][1]
    model = None
    if kind and parties:
        drafting = parties.split(",")[0].strip()
        model = registry.party(drafting).form(ItemKind(kind)) if kind in {k.value for k in ItemKind} else None
    return render(request, "form.html", status=status, officer=officer, choices=choices, kind=kind,
                  parties=parties, title=title, reference=reference, problem=problem,
                  fields=fields(model, data, errors, extra_rows=extra_rows) if model else [],
                  errors=errors or {},
                  multi=kind in ("joint_resolution", "agreement"),
                  all_parties=sorted(registry.parties))


@router.post("/draft", response_class=HTMLResponse)
def draft_post(request: Request, posted: PostedText, session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    kind, parties, title = posted.pop("kind", ""), posted.pop("parties", ""), posted.pop("title", "")
    registry = registry_of(request)
    codes = [code.strip() for code in parties.split(",") if code.strip()]
    model = registry.party(codes[0]).form(ItemKind(kind)) if codes and kind in {k.value for k in ItemKind} else None
    rows = row_request(posted)
    data = parse(model, posted) if model else {}
    if rows is not None:  # "add a row" or "remove this row" without script: nothing is saved
        return _form_view(request, session, officer, kind=kind, parties=parties, title=title, data=data,
                          extra_rows=rows_wanted(rows, data))
    try:
        outcome = draft(session, registry, kind=kind, parties=codes, title=title, form=data,
                        officer=officer.username)
    except InvalidForm as error:
        return _form_view(request, session, officer, kind=kind, parties=parties, title=title, data=data,
                          errors=problems_shown(error, chosen_language(request)), status=422, problem=form_headline(error, chosen_language(request)))
    t = t_for(request)
    text = confirmation(session, registry, outcome.reference,
                        t("notice_drafted").format(reference=outcome.reference), t)
    return keep_notice(RedirectResponse(f"/items/{quote(outcome.reference)}", status_code=303), text)


@router.get("/items/{reference}/revise", response_class=HTMLResponse)
def revise_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    item = _readable_item(request, session, officer, reference)
    return _form_view(request, session, officer, kind=item.kind, parties=",".join(item.party_codes),
                      title=item.versions[-1].title, data=item.versions[-1].form, reference=reference)


@router.post("/items/{reference}/revise", response_class=HTMLResponse)
def revise_post(request: Request, reference: str, posted: PostedText,
                session: Session = Depends(db_session)) -> Response:
    officer = current_officer(request, session)
    check_csrf(request, posted.get("csrf"))
    item = _readable_item(request, session, officer, reference)
    registry = registry_of(request)
    model = registry.party(item.drafting_party).form(ItemKind(item.kind))
    title = posted.pop("title", item.title)
    for key in ("kind", "parties"):
        posted.pop(key, None)
    rows = row_request(posted)
    data = parse(model, posted) if model else {}
    if rows is not None:
        return _form_view(request, session, officer, kind=item.kind, parties=",".join(item.party_codes),
                          title=title, data=data, reference=reference, extra_rows=rows_wanted(rows, data))
    try:
        act(session, registry, reference=reference, action="revise",
            officer=officer.username, form=data, title=title)
    except (InvalidForm, NotAllowed) as error:
        session.rollback()
        problems = problems_shown(error, chosen_language(request)) if isinstance(error, InvalidForm) else {}
        headline = form_headline(error, chosen_language(request)) if isinstance(error, InvalidForm) else error.message
        return _form_view(request, session, officer, kind=item.kind, parties=",".join(item.party_codes),
                          title=title, data=data, errors=problems, reference=reference,
                          status=error.http_status, problem=headline)
    return _done(request, session, reference, "revise")


@router.get("/items/{reference}/document", response_class=HTMLResponse)
def document_page(request: Request, reference: str, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    item = _readable_item(request, session, officer, reference)
    return built_page(render_document(item, registry_of(request)))


