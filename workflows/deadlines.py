"""Deadlines as a Prefect schedule: every half hour, remind and escalate what is due.

The sweep (`engine.core.deadlines.sweep`) records reminders and escalations as events of the
items; their outbox entries wake the items' runs, whose `notify-parties` tasks tell the
parties' plugins. The run's table artifact lists what this sweep sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.deployments.runner import RunnerDeployment
from prefect.runtime import flow_run

from engine.clock import utcnow
from engine.core.deadlines import parse_moment, sweep
from engine.core.registry import registry
from engine.core.transfers import hand_over_due
from engine.store import session_scope

SWEEP_EVERY = timedelta(minutes=30)


def _run_name() -> str:
    now = flow_run.parameters.get("now")
    return f"deadlines {now or f'{utcnow():%Y-%m-%dT%H:%M}'}"


@flow(name="deadlines", flow_run_name=_run_name, persist_result=False)
def sweep_deadlines(now: str | None = None) -> int:
    """Hand over the steps of officers relieved by now, then remind and escalate what is due
    at `now` (ISO time; default: the current time)."""
    moment = parse_moment(now) if now else utcnow()
    with session_scope() as session:
        # Steps assigned to officers relieved from today go back to their offices first.
        handed = hand_over_due(session, registry(), moment)
        notices = sweep(session, registry(), moment)
    logger = get_run_logger()
    for reference in handed:
        logger.info("%s: a step assigned to a relieved officer went back to its office", reference)
    for notice in notices:
        logger.info("%s %s: step %s of %s (%s), due %s, told %s", notice.kind, notice.reference,
                    notice.step, notice.party, notice.office, f"{notice.due_at:%Y-%m-%d %H:%M}",
                    notice.to_office)
    if notices:
        create_table_artifact(
            [{"item": n.reference, "notice": n.kind, "step": n.step, "party": n.party,
              "office": n.office, "due": f"{n.due_at:%Y-%m-%d %H:%M}", "told": n.to_office}
             for n in notices],
            key="deadline-notices", description="Reminders and escalations of the last sweep",
        )
    return len(notices)


async def deadlines_deployment(**options: Any) -> RunnerDeployment:
    return await sweep_deadlines.ato_deployment(name="manzoori", interval=SWEEP_EVERY,
                                                tags=["manzoori"], **options)
