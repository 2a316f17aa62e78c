"""The items page: every item the officer may read, searched by reference, title words,
party, kind, state, the step it waits at and the day of its last change, a page at a time.

The search runs in `engine.core.queries.search_items`, need-to-know in its SQL; a wrong
value (a date that is not one, an unknown kind) is said beside its field and nothing is
searched.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core.access import reader_of
from engine.core.flows import current_flow
from engine.core.queries import ItemSearch, search_items
from engine.web.auth import current_officer
from engine.web.deps import db_session, registry_of
from engine.web.templating import render, t_for

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
"""Items on one page of the search."""

FILTERS = ("reference", "words", "party", "kind", "state", "step", "since", "until")


def step_names() -> list[str]:
    """The steps an item may wait at, of every kind's current flow."""
    return sorted({step.name for kind in ItemKind for step in current_flow(kind).steps})


def state_names() -> list[str]:
    """The states an item may be in: a step of its flow, or an end."""
    return sorted({*step_names(), *(end for kind in ItemKind for end in current_flow(kind).end_states)})


@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request, reference: str = "", words: str = "", party: str = "",
               kind: str = "", state: str = "", step: str = "", since: str = "", until: str = "",
               page: int = 1, session: Session = Depends(db_session)) -> HTMLResponse:
    officer = current_officer(request, session)
    registry = registry_of(request)
    t = t_for(request)
    asked = {"reference": reference, "words": words, "party": party, "kind": kind, "state": state,
             "step": step, "since": since, "until": until}
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = date.fromisoformat(asked[name].strip()) if asked[name].strip() else None
        except ValueError:
            errors[name], days[name] = t("bad_date"), None
    choices = {"party": sorted(registry.parties), "kind": [k.value for k in ItemKind],
               "state": state_names(), "step": step_names()}
    for name, allowed in choices.items():
        if asked[name] and asked[name] not in allowed:
            errors[name] = f"{t('any')}: {', '.join(allowed)}"
    context: dict[str, Any] = {"asked": asked, "errors": errors, "choices": choices}
    if errors:
        return render(request, "items.html", status=422, officer=officer, items=[], total=0,
                      page=1, pages=1, links={}, **context)
    search = ItemSearch(reference=reference, words=words, party=party, kind=kind, state=state,
                        step=step, since=days["since"], until=days["until"])
    now = utcnow()
    page = max(page, 1)
    found, total = search_items(session, reader=reader_of(session, registry, officer, now.date()),
                                search=search, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    kept = {key: value for key, value in asked.items() if value}
    links = {name: f"/items?{urlencode({**kept, 'page': number})}"
             for name, number in (("previous", page - 1), ("next_page", page + 1)) if 1 <= number <= pages}
    return render(request, "items.html", officer=officer, items=found, total=total, page=page,
                  pages=pages, links=links, **context)
