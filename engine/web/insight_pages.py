"""The insight page: where approvals wait, for the items the officer may read, with the
charts a secretariat puts in its quarterly papers and their exports (CSV, SVG, PNG) in
the officer's language.

The figures come from `engine.core.insight`, which applies need-to-know in its SQL: an
officer sees figures only over the items they may read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.access import reader_of
from engine.core.followup import parse_quarter, quarter_of
from engine.core.insight import figures
from engine.core.insight_report import CHARTS, chart_png, to_csv
from engine.core.insight_terms import Figures, checked_filters
from engine.errors import InvalidForm, NotFound
from engine.store import Item
from engine.web.auth import current_officer
from engine.web.deps import db_session, registry_of
from engine.web.templating import chosen_language, render

router = APIRouter(include_in_schema=False)
FILTERS = ("party", "kind", "office", "step")


def _day(request: Request, name: str, default: date) -> date:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidForm(f"{name} {value[:40]!r} is not a date (YYYY-MM-DD)",
                          problems=[(name, "not a date")]) from None


def _version(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return None
    if not value.isdigit() or len(value) > 4:
        raise InvalidForm(f"{name} {value[:40]!r} is not a version (1, 2, ...)",
                          problems=[(name, "not a version")])
    return int(value)


def _figures(request: Request, session: Session) -> tuple[Figures, dict[str, Any]]:
    officer = current_officer(request, session)
    registry = registry_of(request)
    now = utcnow()
    reader = reader_of(session, registry, officer, now.date())
    # By default everything the officer may read, from the first quarter with an item of
    # theirs to today; the form narrows it to the quarter a meeting looks at.
    first = session.scalar(select(func.min(Item.created_at)).where(reader.items()))
    year, number = parse_quarter(quarter_of((first or now).date()))
    start = _day(request, "from", date(year, 3 * number - 2, 1))
    end = _day(request, "to", now.date())
    chosen = {name: (request.query_params.get(name) or None) for name in FILTERS}
    filters = checked_filters(session, registry, start, end, **chosen,
                              flow=_version(request, "flow"), definition=_version(request, "definition"))
    found = figures(session, registry, filters, now, reader)
    return found, {"officer": officer, **chosen}


@router.get("/insight", response_class=HTMLResponse)
def insight_page(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    found, context = _figures(request, session)
    lang = chosen_language(request)
    charts = {name: Markup(draw(found, lang)) for name, draw in CHARTS.items()}  # noqa: S704 - escaped as drawn
    return render(request, "insight.html", figures=found, charts=charts,
                  query=str(request.query_params), parties=sorted(registry_of(request).parties), **context)


@router.get("/insight.csv")
def insight_csv(request: Request, session: Session = Depends(db_session)) -> Response:
    found, _ = _figures(request, session)
    lang = chosen_language(request)
    name = f"insight-{found.filters.start}-{found.filters.end}-{lang}.csv"
    # A byte-order mark, so that a spreadsheet opens the Urdu as UTF-8.
    return Response("\ufeff" + to_csv(found, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/insight/charts/{name}.{format}")
def insight_chart(request: Request, name: str, format: str,  # noqa: A002 - the URL's word
                  session: Session = Depends(db_session)) -> Response:
    if name not in CHARTS or format not in ("svg", "png"):
        raise NotFound(f"no chart {name}.{format[:10]} (charts: "
                       f"{', '.join(f'{c}.svg, {c}.png' for c in CHARTS)})")
    found, _ = _figures(request, session)
    lang = chosen_language(request)
    filename = f'attachment; filename="{name}-{found.filters.start}-{found.filters.end}-{lang}.{format}"'
    if format == "svg":
        return Response(CHARTS[name](found, lang), media_type="image/svg+xml",
                        headers={"Content-Disposition": filename})
    return Response(chart_png(found, name, lang), media_type="image/png",
                    headers={"Content-Disposition": filename})
