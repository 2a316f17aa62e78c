"""Follow-up: `plan` (a quarter's actions), `progress` and `progress-clear` (a party's
report on an action), and `report` (the secretariat's quarter report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from engine.cli.common import (
    Listing,
    add_row,
    as_reader,
    engine_session,
    err,
    json_option,
    moment,
    out,
    print_json,
    print_table,
    reader_option,
    reports_errors,
)
from engine.errors import InvalidForm

if TYPE_CHECKING:
    from engine.core.followup import QuarterReport
    from engine.store import PlanAction

commands = typer.Typer()

NOW_OPTION = typer.Option(None, "--now", help="The moment of the action (YYYY-MM-DDTHH:MM, UTC); "
                          "default: now.")


@commands.command("plan")
@reports_errors
def plan_command(quarter: str = typer.Argument(..., help="Like 2016-Q1."),
                 officer: str | None = reader_option("the actions"),
                 as_json: bool = json_option()) -> None:
    """The actions of a quarter's plan from adopted joint resolutions, with their reports."""
    from engine.core.followup import plan  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        actions = plan(session, quarter, as_reader(session, registry, officer))
        if as_json:
            print_json({"quarter": quarter, "actions": [_action_json(action) for action in actions]})
            return
        if not actions:
            out.print(f"No actions are planned for {quarter}.")
            return
        table = Listing(title=f"Action plan {quarter}")
        for column in ("action", "item", "point", "party", "priority area", "due", "report", "text"):
            table.add_column(column)
        for action in actions:
            report = next((r for r in action.reports if r.quarter == action.quarter), None)
            status = f"{report.status} ({report.state})" if report else "—"
            add_row(table, action.id, action.item.reference, action.point_index + 1, action.party,
                    action.priority_area, action.due_on, status, action.text)
        print_table(table)


def _action_json(action: PlanAction) -> dict[str, Any]:
    report = next((r for r in action.reports if r.quarter == action.quarter), None)
    return {"id": action.id, "reference": action.item.reference, "point": action.point_index + 1,
            "party": action.party, "priority_area": action.priority_area, "due_on": action.due_on,
            "text": action.text, "report": None if report is None else {
                "status": report.status, "state": report.state, "reason": report.reason, "note": report.note}}


@commands.command("progress")
@reports_errors
def progress_command(
    action_id: int = typer.Argument(..., metavar="ACTION_ID"),
    status: str = typer.Option(..., help="not_started, in_progress, done or blocked."),
    reason: str | None = typer.Option(None, help="Why the action is blocked (required then)."),
    note: str | None = typer.Option(None),
    evidence: list[Path] = typer.Option([], "--evidence", help="A file to hash as evidence; repeatable."),
    officer: str = typer.Option(..., "--as", help="The party's reporting officer."),
    now: str | None = NOW_OPTION,
) -> None:
    """Draft (or redraft, until cleared) the party's report on one action of its plan."""
    from engine.core.followup import file_evidence, report_progress  # lazy: the core, ~1 s; keeps --help fast

    files = file_evidence(evidence)
    with engine_session() as (session, registry):
        report = report_progress(session, registry, action_id=action_id, status=status,
                                 officer=officer, reason=reason, note=note, evidence=files,
                                 now=moment(now))
        out.print(f"report on action {action_id} ({report.party}, {report.quarter}): "
                  f"{report.status}, drafted; its clearer clears it with `manzoori progress-clear`",
                  highlight=False, markup=False)


@commands.command("progress-clear")
@reports_errors
def progress_clear(
    action_id: int = typer.Argument(..., metavar="ACTION_ID"),
    officer: str = typer.Option(..., "--as", help="The party's clearing officer."),
    now: str | None = NOW_OPTION,
) -> None:
    """Clear the party's drafted report on one action, so the secretariat counts it."""
    from engine.core.followup import clear_report  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        report = clear_report(session, registry, action_id=action_id, officer=officer,
                              now=moment(now))
        out.print(f"report on action {action_id} ({report.party}, {report.quarter}): "
                  f"{report.status}, cleared", highlight=False, markup=False)


@commands.command("report")
@reports_errors
def report_command(
    quarter: str = typer.Argument(..., help="Like 2016-Q1."),
    format: str = typer.Option("table", "--format", help="table or html."),  # noqa: A002
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the report here."),
    chart: Path | None = typer.Option(None, "--chart", help="Write the bar chart (PNG) here."),
    now: str | None = NOW_OPTION,
    officer: str | None = reader_option("the report, on the items"),
) -> None:
    """The secretariat's quarter report: cleared reports by party and priority area, overdue actions."""
    from engine.core.followup import (  # lazy: the core, ~1 s; keeps --help fast
        quarter_report,
        render_report_html,
    )

    if format not in ("table", "html"):
        raise InvalidForm(f"no format {format!r} (formats: table, html)", problems=[("format", "unknown")])
    with engine_session() as (session, registry):
        report = quarter_report(session, quarter, moment(now), as_reader(session, registry, officer))
    if chart is not None:
        chart.write_bytes(report.chart_png)
        err.print(f"chart written to {escape(str(chart))}", highlight=False)
    if format == "html":
        html = render_report_html(report)
        if output is None:
            typer.echo(html)
        else:
            output.write_text(html, encoding="utf-8")
            err.print(f"report written to {escape(str(output))}", highlight=False)
        return
    _print_tables(report, quarter)


def _print_tables(report: QuarterReport, quarter: str) -> None:
    """The report as tables: progress by party and by priority area, then what is overdue."""
    for title, rows in ((f"Progress by party, {quarter}", report.by_party),
                        (f"Progress by priority area, {quarter}", report.by_area)):
        table = Listing(title=title)
        for column in ("", *report.columns):
            table.add_column(column.replace("_", " "))
        for name, row in sorted(rows.items()):
            add_row(table, name, *(row[column] for column in report.columns))
        print_table(table)
    if report.overdue:
        table = Listing(title=f"Overdue at {report.now:%Y-%m-%d %H:%M} UTC")
        for column in ("action", "item", "party", "due", "text"):
            table.add_column(column)
        for row in report.overdue:
            add_row(table, row["action"], row["item"], row["party"], row["due_on"], row["text"])
        print_table(table)
    else:
        out.print("Nothing is overdue.")
