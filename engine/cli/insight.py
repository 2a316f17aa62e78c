"""Insight: `insight` (where approvals wait, for a period), as tables, JSON or CSV, with
the charts for a meeting's papers."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from engine.cli.common import (
    Listing,
    add_row,
    as_reader,
    engine_session,
    err,
    moment,
    out,
    parse_date,
    print_table,
    reader_option,
    reports_errors,
)
from engine.errors import InvalidForm

commands = typer.Typer()


@commands.command()
@reports_errors
def insight(
    since: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD, UTC)."),
    until: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD, UTC)."),
    party: str | None = typer.Option(None, "--party", help="Only items of this party, and its steps."),
    kind: str | None = typer.Option(None, "--kind", help="work_plan, joint_resolution or agreement."),
    office: str | None = typer.Option(None, "--office", help="Only the steps of this office."),
    step: str | None = typer.Option(None, "--step", help="Only this step (review, approval, ...)."),
    flow: int | None = typer.Option(None, "--flow", help="Only items following this flow version."),
    definition: int | None = typer.Option(None, "--definition",
                                          help="Only items under this definition version of the party."),
    as_json: bool = typer.Option(False, "--json", help="The figures as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="The figures as CSV."),
    lang: str = typer.Option("en", "--lang", help="en or ur: the language of the CSV and the charts."),
    charts: Path | None = typer.Option(None, "--charts", help="Write the charts (SVG and PNG) into "
                                       "this folder."),
    now: str | None = typer.Option(None, "--now", help="Judge open steps at this moment "
                                   "(YYYY-MM-DDTHH:MM, UTC); default: now."),
    officer: str | None = reader_option("the figures, over the items"),
) -> None:
    """Where approvals wait in a period: items started and ended, time from submission to
    end, each step's wait, returns, overdue steps on each party's calendar, reminders and
    escalations, and who is waited on now."""
    from engine.core.insight import figures  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.insight_report import CHARTS, chart_png, to_csv  # lazy: with the core
    from engine.core.insight_terms import checked_filters  # lazy: with the core

    if as_json and as_csv:
        raise InvalidForm("give --json or --csv, not both", problems=[("csv", "with --json")])
    if lang not in ("en", "ur"):
        raise InvalidForm(f"--lang {lang!r} is not a language (en, ur)", problems=[("lang", "unknown")])
    start, end = parse_date(since, "from"), parse_date(until, "to")
    assert start is not None and end is not None  # both options are required
    at = moment(now)
    with engine_session() as (session, registry):
        chosen = checked_filters(session, registry, start, end, party=party, kind=kind, office=office,
                                 step=step, flow=flow, definition=definition)
        found = figures(session, registry, chosen, at, as_reader(session, registry, officer))
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        for name, draw in CHARTS.items():
            (charts / f"{name}-{lang}.svg").write_text(draw(found, lang), encoding="utf-8")
            (charts / f"{name}-{lang}.png").write_bytes(chart_png(found, name, lang))
        err.print(f"charts written to {escape(str(charts))}", highlight=False)
    if as_json:
        typer.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
    elif as_csv:
        typer.echo(to_csv(found, lang), nl=False)
    else:
        _print(found)


def _print(found: object) -> None:
    from engine.core.insight_terms import Figures  # lazy: the core, ~1 s; keeps --help fast

    assert isinstance(found, Figures)
    f, s = found.filters, found.submission_to_end
    out.print(f"Where approvals wait, {f.start} to {f.end}: {found.started} items started; ended "
              + ", ".join(f"{o.replace('_', ' ')} {n}" for o, n in found.ended.items())
              + f"; submission to end: median {_d(s.median)} d, p90 {_d(s.p90)} d ({s.count} items); "
              f"{found.steps_overdue} of {found.steps_closed} steps closed late.", highlight=False,
              markup=False)
    table = Listing(title="Days each step waited")
    for column in ("party", "step", "office", "steps", "median", "p90", "max", "late", "returns"):
        table.add_column(column)
    returns = {(r.party, r.step): r.returns for r in found.returns}
    for w in found.waits:
        add_row(table, w.party, w.step, w.office, w.spread.count, _d(w.spread.median), _d(w.spread.p90),
                _d(w.spread.max), w.overdue, returns.get((w.party, w.step), 0))
    print_table(table)
    if found.open_steps:
        table = Listing(title=f"Waited on at {found.now:%Y-%m-%d %H:%M} UTC (days since the step opened)")
        for column in ("party", "step", "office", "open", "oldest (days)", "overdue", "0-5", "5-10",
                       "10-30", "30+"):
            table.add_column(column)
        for o in found.open_steps:
            add_row(table, o.party, o.step, o.office, o.count, f"{o.oldest:.1f}", o.overdue,
                    *o.buckets.values())
        print_table(table)
    else:
        out.print(f"Nothing is waited on at {found.now:%Y-%m-%d %H:%M} UTC.", highlight=False)
    if found.longest_late:
        table = Listing(title="Latest steps")
        for column in ("item", "party", "step", "office", "due (UTC)", "days late", "working days late"):
            table.add_column(column)
        for x in found.longest_late:
            add_row(table, x.reference, x.party, x.step, x.office, f"{x.due_at:%Y-%m-%d %H:%M}",
                    f"{x.days_late:.1f}", x.working_days_late)
        print_table(table)
    notices = ", ".join(f"{n.party} {n.reminders} reminders, {n.escalations} escalations" for n in found.notices)
    out.print(f"Cycles: {dict(found.cycles) or '—'}; notices: {notices or 'none'}.", highlight=False,
              markup=False)


def _d(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
