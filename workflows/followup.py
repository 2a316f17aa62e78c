"""The quarterly follow-up as a Prefect schedule: on the first day of each quarter the
secretariat sees the quarter just ended.

The run logs the actions still without a cleared report, records one "follow-up
reminder" event per resolution and party that owes reports, writes the quarter report
to MANZOORI_HOME/reports/QUARTER.html, and leaves a markdown artifact of the figures.
It also writes where approvals waited that quarter (engine.core.insight) to
MANZOORI_HOME/reports/QUARTER-insight/ (CSV and the charts, English and Urdu) and
leaves them as the artifact `where-approvals-wait`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.deployments.runner import RunnerDeployment
from prefect.runtime import flow_run

from engine.clock import utcnow
from engine.core.deadlines import parse_moment
from engine.core.followup import (
    QuarterReport,
    open_round,
    previous_quarter,
    quarter_end,
    quarter_report,
    remind,
    render_report_html,
)
from engine.core.insight import figures
from engine.core.insight_report import CHARTS, chart_png, markdown, to_csv
from engine.core.insight_terms import Figures, checked_filters
from engine.core.registry import registry
from engine.store import home, session_scope


def _run_name() -> str:
    return f"follow-up {flow_run.parameters.get('quarter') or 'last quarter'}"


@flow(name="quarterly-follow-up", flow_run_name=_run_name, persist_result=False)
def quarterly_follow_up(quarter: str | None = None, now: str | None = None) -> str:
    """Follow up `quarter` (default: the quarter before `now`) as at `now` (ISO; default:
    the current time). Returns the path of the report written."""
    moment = parse_moment(now) if now else utcnow()
    quarter = quarter or previous_quarter(moment.date())
    logger = get_run_logger()
    with session_scope() as session:
        for action in open_round(session, quarter, moment):
            logger.info("open: action %s of %s (%s), due %s: %s", action.id, action.item.reference,
                        action.party, action.due_on, action.text)
        for reference, party, count in remind(session, quarter, moment):
            logger.info("reminded %s on %s: %s action(s) unreported", party, reference, count)
        report = quarter_report(session, quarter, moment, None)
        parties = registry()
        end = quarter_end(quarter)
        waited = figures(session, parties, checked_filters(session, parties, end.replace(
            month=end.month - 2, day=1), end), moment, None)
    write_insight(waited, home() / "reports" / f"{quarter}-insight")
    create_markdown_artifact(markdown(waited), key="where-approvals-wait",
                             description=f"Where approvals waited, {quarter}")
    path = home() / "reports" / f"{quarter}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report_html(report), encoding="utf-8")
    create_markdown_artifact(markdown_summary(report), key="quarterly-follow-up",
                             description=f"Follow-up of joint resolutions, {quarter}")
    return str(path)


def write_insight(waited: Figures, folder: Path) -> None:
    """The figures for the meeting's papers: a CSV and each chart (SVG, PNG) per language."""
    folder.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "ur"):
        (folder / f"figures-{lang}.csv").write_text(to_csv(waited, lang), encoding="utf-8-sig")
        for name, draw in CHARTS.items():
            (folder / f"{name}-{lang}.svg").write_text(draw(waited, lang), encoding="utf-8")
            (folder / f"{name}-{lang}.png").write_bytes(chart_png(waited, name, lang))


def markdown_summary(report: QuarterReport) -> str:
    head = "| party | " + " | ".join(c.replace("_", " ") for c in report.columns) + " |"
    rule = "|---" * (len(report.columns) + 1) + "|"
    rows = [f"| {party} | " + " | ".join(str(report.by_party[party][c]) for c in report.columns) + " |"
            for party in report.parties]
    late = [f"- action {o['action']} of {o['item']} ({o['party']}), due {o['due_on']}"
            for o in report.overdue] or ["- nothing is overdue"]
    return "\n".join([f"# Follow-up {report.quarter}", "", head, rule, *rows, "", "## Overdue", *late])


async def followup_deployment(**options: Any) -> RunnerDeployment:
    return await quarterly_follow_up.ato_deployment(name="manzoori", cron="0 6 1 1,4,7,10 *",
                                                    tags=["manzoori"], **options)
