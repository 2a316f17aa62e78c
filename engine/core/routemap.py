"""A picture of an item's route: its steps (columns) for each party (rows), what is done,
where it waits now and who holds each waiting step, as an SVG drawn on the server.

The route is the item's own (`Item.route`, resolved from its flow definition when it was
drafted); each cell's state is its party's step record in the item's current cycle. The
web app shows the picture on the item page, the Prefect flow in the item's route artifact.
Every text is escaped here: the picture is safe to put in a page as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.orm import Session

from engine.contract import Office
from engine.core.flows import Route
from engine.core.registry import Registry
from engine.core.transfers import holders_today
from engine.store import Item, Officer
from engine.store.statuses import StepStatus

CELL_WIDTH, CELL_HEIGHT, LABEL_WIDTH, HEADER = 170, 72, 110, 34

#: Cell colours by state: fill, stroke (the current position is drawn bold).
COLOURS = {
    "done": ("#d8efe4", "#0b6e4f"),
    "open": ("#fff4cc", "#b7791f"),
    "pending": ("#f3f5f4", "#9aa8a1"),
    "closed": ("#f6dcdc", "#a4161a"),
    "ahead": ("#ffffff", "#c9d3ce"),
}


@dataclass(frozen=True)
class Cell:
    """One party's step on the route: its state and, while it waits, who holds it."""

    position: int
    step: str
    label: str
    party: str
    state: str
    """done, open (waiting now), pending (its turn has not come), closed or ahead."""
    waiting_for: tuple[str, ...] = ()
    office: str = ""


def route_cells(session: Session, registry: Registry, item: Item, now: datetime | None = None,
                office_title: Callable[[Office], str] = lambda office: office.title_en,
                ) -> tuple[list[str], list[Cell]]:
    """(the item's parties in order, a Cell per party and step of its route)."""
    route = Route.from_json(item.route)
    current = {(s.position, s.party): s for s in item.steps if s.cycle == item.cycle}
    cells = []
    for position, step in enumerate(route.steps):
        for party in step.parties:
            record = current.get((position, party))
            state = record.status if record is not None else "ahead"
            waiting: tuple[str, ...] = ()
            office = ""
            if record is not None:
                office = office_title(registry.party(party).office(record.office))
                if record.status == StepStatus.OPEN:
                    assignee = session.get(Officer, record.assigned_to_id) if record.assigned_to_id else None
                    waiting = ((assignee.username,) if assignee is not None else
                               tuple(holders_today(session, registry, party, record.office, now)))
            cells.append(Cell(position, step.name, step.label_en, party, str(state), waiting, office))
    return list(item.party_codes), cells


@dataclass(frozen=True)
class Words:
    """What the picture writes, in the page's language: a step's label by its name, a
    cell's state, an office's title, "waits for". English (the route's own labels) unless
    the caller, which knows the officer's language, gives others."""

    step: Callable[[str], str] | None = None
    state: Callable[[str], str] = str
    office: Callable[[Office], str] = lambda office: office.title_en
    waits_for: str = "waits for"


def route_svg(session: Session, registry: Registry, item: Item, now: datetime | None = None,
              title: str | None = None, words: Words | None = None) -> str:
    """The route picture as an SVG document (`<svg>…</svg>`), every text escaped."""
    words = words or Words()
    parties, cells = route_cells(session, registry, item, now, words.office)
    if words.step is not None:
        cells = [replace(cell, label=words.step(cell.step)) for cell in cells]
    columns = 1 + max((cell.position for cell in cells), default=0)
    width = LABEL_WIDTH + columns * CELL_WIDTH + 10
    height = HEADER + len(parties) * CELL_HEIGHT + 10
    label = title or f"Route of {item.reference}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="route" role="img" direction="ltr" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label={quoteattr(label)} '
             f'font-family="Manzoori Sans, Manzoori Naskh, Manzoori Symbols, Noto Sans, DejaVu Sans, sans-serif" font-size="12">',
             f"<title>{escape(label)}</title>"]
    headers = {cell.position: cell.label for cell in cells}
    for position, text in sorted(headers.items()):
        x = LABEL_WIDTH + position * CELL_WIDTH + CELL_WIDTH // 2
        parts.append(f'<text x="{x}" y="20" text-anchor="middle" font-weight="bold">{escape(_short(text, 22))}</text>')
    for row, party in enumerate(parties):
        y = HEADER + row * CELL_HEIGHT
        parts.append(f'<text x="6" y="{y + CELL_HEIGHT // 2 + 4}" font-weight="bold">{escape(party)}</text>')
    for cell in cells:
        row = parties.index(cell.party) if cell.party in parties else 0
        x, y = LABEL_WIDTH + cell.position * CELL_WIDTH + 6, HEADER + row * CELL_HEIGHT + 4
        fill, stroke = COLOURS.get(cell.state, COLOURS["ahead"])
        bold = ' stroke-width="3"' if cell.state == "open" else ""
        who = ", ".join(cell.waiting_for) or cell.office
        # In the cell: the office, and the first holder and how many more (all in the tooltip).
        held = (cell.waiting_for[0] + (f" +{len(cell.waiting_for) - 1}" if len(cell.waiting_for) > 1 else "")
                if cell.waiting_for else "")
        parts.append(
            f'<g class="cell {escape(cell.state)}" data-step={quoteattr(cell.step)} '
            f'data-party={quoteattr(cell.party)} data-cell-state={quoteattr(cell.state)}>'
            f"<title>{escape(f'{cell.label} · {cell.party} · {words.state(cell.state)}' + (f' · {words.waits_for} {who}' if cell.waiting_for else ''))}</title>"
            f'<rect x="{x}" y="{y}" width="{CELL_WIDTH - 12}" height="{CELL_HEIGHT - 8}" rx="6" '
            f'fill="{fill}" stroke="{stroke}"{bold}/>'
            f'<text x="{x + 8}" y="{y + 18}">{escape(_mark(cell.state))} {escape(words.state(cell.state))}</text>'
            + (f'<text x="{x + 8}" y="{y + 35}" font-size="11">{escape(_short(cell.office, 26))}</text>'
               f'<text x="{x + 8}" y="{y + 52}" font-size="11" font-weight="bold">{escape(_short(held, 26))}</text>'
               if cell.state == "open" else "")
            + "</g>")
    parts.append("</svg>")
    return "".join(parts)


def _mark(state: str) -> str:
    return {"done": "✓", "open": "▶", "closed": "✗"}.get(state, "·")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
