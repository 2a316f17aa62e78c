"""What an item's flow run shows in the Prefect UI: the item as the run reads it
(`ItemView`), and its artifact, written once at each wake-up under a key in lower case
(Prefect's rule for keys): `<reference>-status` (e.g. `bl-wp-2025-0001-status`), the
step, party and office it waits for, the route picture (`engine.core.routemap`) with the
same in words, and the history, one event a line so that comments are read whole at the
width the UI gives an artifact.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from prefect.artifacts import acreate_markdown_artifact
from sqlalchemy.orm import Session

from engine.core.registry import Registry
from engine.core.routemap import route_cells, route_svg
from engine.store import Item


@dataclass(frozen=True)
class Waiting:
    step: str
    party: str
    office: str
    office_title: str
    due_at: datetime | None
    decided: int
    quorum: int


@dataclass(frozen=True)
class HistoryLine:
    seq: int
    at: datetime
    officer: str
    action: str
    step: str
    party: str
    comment: str


@dataclass(frozen=True)
class ItemView:
    """What the run needs of an item, read in one go from the engine's database."""

    item_id: int
    reference: str
    kind: str
    title: str
    state: str
    parties: list[str]
    ended: bool
    history: list[HistoryLine]
    waiting: list[Waiting]
    submitted_version: int | None
    route: str = ""
    """The route picture's markdown (`route_markdown`)."""

    @property
    def last_seq(self) -> int:
        return self.history[-1].seq if self.history else 0

    @property
    def slug(self) -> str:
        """The reference as Prefect artifact keys want it: lower case and dashes."""
        return self.reference.lower()


def status_markdown(view: ItemView) -> str:
    """What the item waits for (step, party, office), its route and its history, as one
    markdown page."""
    if view.ended:
        lines = [f"## {view.reference} is {view.state}", "", view.title]
    else:
        lines = [f"## {view.reference} waits at step `{view.state}`", "", view.title, "",
                 "### Waiting for", ""]
        lines += [
            f"- **{w.step}** · {w.party} · {_inline(w.office_title)} · {w.decided} of {w.quorum} decided"
            + (f" · due {w.due_at:%Y-%m-%d}" if w.due_at else "")
            for w in view.waiting
        ]
    if view.route:
        lines += ["", view.route]
    # One fact a line rather than tables: a table's last columns (the comment, the due
    # day) are cut off at the width the UI gives an artifact.
    lines += ["", "### History", ""]
    for h in view.history:
        where = f" · {h.step}" + (f" ({h.party})" if h.party else "") if h.step else ""
        lines.append(f"- #{h.seq} {h.at:%Y-%m-%d %H:%M} · **{h.action}** · {_inline(h.officer)}{where}")
        if h.comment:
            lines.append(f"  > {_inline(h.comment)}")
    return "\n".join(lines)


def history_actions(markdown: str) -> list[str]:
    """The actions of a status artifact's history, in order (for readers and tests)."""
    history = markdown.split("### History", 1)[1]
    return [line.split("**")[1] for line in history.splitlines() if line.startswith("- #")]


def _inline(text: str) -> str:
    """Text kept on its line and read as text, not markdown."""
    return "".join("\\" + char if char in "\\`*_[]<>|#" else char for char in " ".join(text.split()))


def route_markdown(session: Session, registry: Registry, item: Item) -> str:
    """The route section of the status artifact: the picture (an SVG, inline as a data
    URI) and the same in words, a line per party (a table would be cut off at the UI's
    width)."""
    parties, cells = route_cells(session, registry, item)
    picture = base64.b64encode(route_svg(session, registry, item).encode()).decode()
    lines = ["### Route", "",
             f"![Route of {item.reference}](data:image/svg+xml;base64,{picture})", "",
             "▶ waits now (for whom) · ✓ done · ✗ closed · … its turn not yet come", ""]
    marks = {"done": "✓ ", "closed": "✗ ", "pending": "… ", "ahead": ""}
    for party in parties:
        steps = []
        for cell in (c for c in cells if c.party == party):
            if cell.state == "open":
                steps.append(f"▶ **{_inline(cell.label)}** ({_inline(', '.join(cell.waiting_for) or cell.office)})")
            else:
                steps.append(marks.get(cell.state, "") + _inline(cell.label))
        lines.append(f"- **{party}**: " + " → ".join(steps))
    return "\n".join(lines)


async def report_status(view: ItemView) -> None:
    """Publish what the item waits for, its route and its history: one artifact write per
    wake-up (the key's latest version is what the UI's Artifacts page shows)."""
    await acreate_markdown_artifact(status_markdown(view), key=f"{view.slug}-status",
                                    description=f"What {view.reference} waits for, its route and its history")
