"""What the pages tell an officer after and before they act: the confirmation shown once
on the page after an action (what happened, where the item is now, who has it), and
the decisions the inbox's bulk form may offer for the items it lists.

The confirmation travels to the next page in a short-lived cookie of its own
(`NOTICE_COOKIE`), read and cleared by `engine.web.templating.render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy.orm import Session

from engine.contract import ItemKind
from engine.core.directory import holdings
from engine.core.flows import current_flow
from engine.core.items import get_item
from engine.core.queries import InboxEntry
from engine.core.registry import Registry
from engine.core.routemap import route_cells
from engine.errors import DefinitionError
from engine.store import Item, Officer

NOTICE_COOKIE = "manzoori_notice"
NOTICE_LIMIT = 400
"""Characters a confirmation may have: quoted, 400 Urdu letters stay under a cookie's 4 KB."""

BULK_ACTIONS = ("approve", "clear", "sign", "feedback")
"""The decisions the inbox may take on several items at once (those needing no form)."""


def where_now(session: Session, registry: Registry, item: Item, t: Callable[[str], str],
              now: datetime | None = None) -> str:
    """"It is now at review, waiting for …" or "It is now in_force." in the page's language."""
    _parties, cells = route_cells(session, registry, item, now)
    waiting = [cell for cell in cells if cell.state == "open"]
    if not waiting:
        return t("notice_ended").format(state=item.state)
    holders = "; ".join(f"{cell.office} ({cell.party}): {', '.join(cell.waiting_for) or '—'}"
                        for cell in waiting)
    steps = ", ".join(dict.fromkeys(cell.label for cell in waiting))
    return t("notice_waits").format(step=steps, who=holders)


def confirmation(session: Session, registry: Registry, reference: str, done: str,
                 t: Callable[[str], str], now: datetime | None = None) -> str:
    """`done` ("Approved PJ-WP-2025-0001.") followed by where the item is now."""
    session.expire_all()
    item = get_item(session, reference)
    return f"{done} {where_now(session, registry, item, t, now)}"


def keep_notice(response: Response, text: str) -> Response:
    """Carry `text` to the next page the browser opens (once; a minute at most)."""
    response.set_cookie(NOTICE_COOKIE, quote(text[:NOTICE_LIMIT]), max_age=60, httponly=True,
                        samesite="lax")
    return response


def drafting_choices(registry: Registry, officer: Officer, day: date) -> list[tuple[str, str, str]]:
    """(party, kind, label) the officer may draft on `day`: the offices they hold that a
    party's roles name as the kind's drafter (the draft page's choices, and whether the
    header offers "New draft" at all)."""
    choices = []
    for holding in holdings(officer, day):
        party = registry.parties.get(holding.party)
        if party is None:
            continue
        for kind in ItemKind:
            rule = (party.roles(kind) or {}).get("drafter")
            if rule and rule.office == holding.office and party.form(kind):
                choices.append((holding.party, kind.value, f"{kind.label} — {party.identity.name_en}"))
    return choices


def step_actions(entry: InboxEntry) -> list[str]:
    """The bulk decisions the entry's step takes (its flow's step; a party's extra step
    clears or returns)."""
    try:
        flow = current_flow(ItemKind(entry.kind))
        actions: Iterable[str] = flow.step(entry.step).actions
    except (DefinitionError, ValueError):
        actions = ("clear", "return")
    return [action for action in BULK_ACTIONS if action in actions]


def common_actions(entries: Iterable[InboxEntry]) -> list[str]:
    """The bulk decisions possible for every one of `entries` (none if they differ)."""
    common: list[str] | None = None
    for entry in entries:
        mine = step_actions(entry)
        common = mine if common is None else [action for action in common if action in mine]
    return common or []
