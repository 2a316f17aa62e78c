"""The pages behind the one-time links in notification emails (`engine.core.mail`).

The token in the address is the credential, so no login is needed; opening the link
only shows the item and the decisions its officer may take, and the decision is a POST
from that page, through `engine.core.items.act`. A refused decision (a return without a
reason, someone else acted first) shows the page again and leaves the link live; a
used, expired or overtaken link says so plainly (410), an unknown one is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core.mail import DeadLink, LiveLink, decide, link_actions, local_time, open_link
from engine.errors import Conflict, InvalidForm, NotAllowed, NotFound
from engine.web.deps import PostedForm, db_session, registry_of, revision_seen
from engine.web.formkit import fields
from engine.web.templating import render

router = APIRouter(include_in_schema=False)

# The token in the address must not travel further: not in a Referer, not in a cache.
_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex"}


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = render(request, name, status=status, officer=None, **context)
    response.headers.update(_PRIVATE)
    return response


def _refused(request: Request, error: NotFound | DeadLink) -> HTMLResponse:
    """The link cannot be used: unknown (404) or dead (410, see `DeadLink`)."""
    return _page(request, "mail_refused.html", status=error.http_status, message=error.message)


def _confirm(request: Request, session: Session, token: str, live: LiveLink, now: datetime,
             status: int = 200, problem: str | None = None, comment: str = "") -> HTMLResponse:
    registry = registry_of(request)
    item, step = live.item, live.step
    party = registry.party(step.party)
    model = registry.party(item.drafting_party).form(ItemKind(item.kind))
    version = item.versions[-1]
    timezone = party.identity.timezone
    return _page(
        request, "mail_confirm.html", status=status, token=token, item=item, version=version,
        step=step, office=party.office(step.office).title_en, party_name=party.identity.name_en,
        due=local_time(step.due_at, timezone) if step.due_at else None,
        expires=local_time(live.link.expires_at, timezone), person=live.officer,
        fields=fields(model, version.form) if model else [],
        possible=link_actions(session, registry, live, now), problem=problem, comment=comment,
    )


def _open(request: Request, session: Session, token: str, now: datetime) -> LiveLink:
    return open_link(session, registry_of(request), token, now)


@router.get("/mail/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str, session: Session = Depends(db_session)) -> HTMLResponse:
    """What the link is for and the decisions on offer; opening it changes nothing."""
    now = utcnow()
    try:
        live = _open(request, session, token, now)
    except (NotFound, DeadLink) as error:
        return _refused(request, error)
    return _confirm(request, session, token, live, now)


@router.post("/mail/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str, form: PostedForm,
            session: Session = Depends(db_session)) -> HTMLResponse:
    action = str(form.get("action", ""))
    comment = str(form.get("comment", "")).strip()
    revision = str(form.get("revision", ""))
    registry = registry_of(request)
    now = utcnow()
    try:
        live = _open(request, session, token, now)
    except (NotFound, DeadLink) as error:
        return _refused(request, error)
    if action not in link_actions(session, registry, live, now):
        return _confirm(request, session, token, live, now, status=InvalidForm.http_status,
                        comment=comment, problem="Choose one of the decisions offered below.")
    try:
        outcome = decide(session, registry, live, action=action, comment=comment or None,
                         expected_revision=revision_seen(revision), now=now)
    except DeadLink as error:
        return _refused(request, error)
    except (NotAllowed, InvalidForm, Conflict) as error:
        try:  # the refusal may be that the step moved on meanwhile
            live = _open(request, session, token, now)
        except (NotFound, DeadLink) as dead:
            return _refused(request, dead)
        problem = error.message
        if isinstance(error, InvalidForm) and error.field == "comment":
            problem = "Write your reason in the comment box; nothing was recorded."
        return _confirm(request, session, token, live, now, status=error.http_status,
                        problem=problem, comment=comment)
    return _page(request, "mail_done.html", outcome=outcome, person=live.officer)
