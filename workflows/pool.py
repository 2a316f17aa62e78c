"""Manzoori's flows on a Prefect work pool: one lane or many, on one machine or several.

The flows' deployments belong to a work pool of Manzoori's own type (`manzoori-lane`),
and any number of lanes on any machines (`manzoori worker`, and the runner of `manzoori
serve`) take their runs from it: each lane is a Prefect worker (`workflows.lane.LaneWorker`)
that executes a run in its own long-lived process, in a thread, with Prefect's engine. A
lane imports the flows by module path (`workflows.lifecycle.item_lifecycle`), so a
machine needs the manzoori package installed and nothing copied. One dispatcher
(`manzoori dispatch`) delivers the engine's outbox, starting and resuming the runs of
the pool's deployment.

When a lane's machine dies, the runs it was executing are left Running (or Pending) with
nobody behind them. Every execution sends a heartbeat event to the Prefect server
(PREFECT_FLOWS_HEARTBEAT_FREQUENCY, 30 s here); two automations that `deploy` creates mark
a run Crashed when its heartbeats stop for 90 s without it ending or suspending
("manzoori zombie runs"), or when it stays Pending for 3 minutes without starting
("manzoori stuck pending runs"). The dispatcher then reruns every crashed item run
(`workflows.dispatch.recover_crashed`) on whichever lane is alive; the run reads the
engine afresh and its tasks are cached, so nothing happens twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from prefect.automations import Automation
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import EntrypointType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_WORKER_HEARTBEAT_SECONDS,
    temporary_settings,
)

from engine.errors import NotFound
from engine.store import open_database
from workflows.deployments import deployments
from workflows.dispatch import run_dispatcher
from workflows.lane import DEFAULT_LIMIT, LaneWorker
from workflows.signals import stop_on_signals

POOL = "manzoori"
HEARTBEAT_SECONDS = 30
"""How often a flow-run process says it is alive (Prefect's minimum is 30 s)."""
ZOMBIE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
"""A Running run silent this long (three missed heartbeats) is crashed."""
STUCK_AFTER = timedelta(minutes=3)
"""A run Pending this long without starting (its worker died as it claimed it) is crashed.
Longer than a process start on a busy machine, which can take a minute."""
RECOVER_EVERY = 10.0
"""Seconds between the dispatcher's looks for crashed runs in this layout."""

# Events that show a run is alive, or that it stopped on purpose (ended or suspended).
_ALIVE = {"prefect.flow-run.heartbeat", "prefect.flow-run.Running"}
_STOPPED = {f"prefect.flow-run.{name}" for name in (
    "Completed", "Failed", "Cancelled", "Crashed", "Cancelling", "Suspended", "Paused",
    "Scheduled", "Recovering", "Late")}


async def create_pool(pool: str) -> bool:
    """The work pool (Manzoori's lane type), unless it exists; True if it was created."""
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(
                name=pool, type=LaneWorker.type,
                base_job_template=LaneWorker.get_default_base_job_template(),
                description="Manzoori's flows; `manzoori worker` (a lane) runs them"))
        except ObjectAlreadyExists:
            existing = await client.read_work_pool(pool)
            if existing.type != LaneWorker.type:
                logging.getLogger("manzoori.pool").warning(
                    "work pool %r is of type %r, not %r: lanes still take its runs; to be tidy, "
                    "`prefect work-pool delete %s` and deploy again", pool, existing.type,
                    LaneWorker.type, pool)
            return False
    return True


async def create_zombie_automations() -> list[str]:
    """Prefect's documented zombie detection: automations that mark Crashed a run whose
    process stopped sending heartbeats, and one left Pending by a worker that died as it
    claimed it. Created once per server; returns the names of those created."""
    wanted = {
        "manzoori zombie runs": (_ALIVE, ZOMBIE_AFTER, "its process stopped sending heartbeats"),
        # A worker claims a run as Pending named "Submitting"; the process it starts
        # sets Pending, then Running.
        "manzoori stuck pending runs": ({"prefect.flow-run.Submitting", "prefect.flow-run.Pending"},
                                        STUCK_AFTER,
                                        "its worker never started it"),
    }
    created = []
    for name, (after, within, why) in wanted.items():
        try:
            await Automation.aread(name=name)
            continue
        except (ObjectNotFound, ValueError):
            pass
        await Automation(
            name=name,
            description=f"A flow run is marked Crashed when {why} (its worker or machine "
                        "died); Manzoori's dispatcher reruns it.",
            trigger=EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"}, after=after,
                expect=_ALIVE | _STOPPED, for_each={"prefect.resource.id"},
                posture=Posture.Proactive, threshold=1, within=within),
            actions=[ChangeFlowRunState(state=StateType.CRASHED, name="Crashed",
                                        message=f"Crashed after {within.seconds} s: {why}")],
        ).acreate()
        created.append(name)
    return created


async def deploy(pool: str = POOL, automations: bool = True) -> list[str]:
    """The pool, the flows' deployments on it and (unless `automations` is False: one
    machine, where a dead lane means everything stopped) the zombie automations; safe to
    repeat. Returns the deployments' names."""
    await create_pool(pool)
    names = []
    for deployment in await deployments(work_pool_name=pool, entrypoint_type=EntrypointType.MODULE_PATH):
        await deployment.aapply()
        names.append(f"{deployment.flow_name}/{deployment.name}")
    if automations:
        await create_zombie_automations()
    return names


def _log_progress() -> None:
    """Manzoori's INFO lines too (Prefect's logging setup shows warnings only for others)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("manzoori").setLevel(logging.INFO)


async def dispatch(pool: str = POOL) -> None:
    """Deploy, then deliver the outbox and rerun crashed runs until stopped."""
    _log_progress()
    factory = open_database()
    names = await deploy(pool)
    logging.getLogger("manzoori.dispatch").info("deployed %s to work pool %r", ", ".join(names), pool)
    await run_dispatcher(factory, stop_on_signals(), recover_every=RECOVER_EVERY)


async def work(pool: str = POOL, limit: int | None = None, name: str | None = None) -> None:
    """One lane on the pool until stopped; its executions send heartbeats."""
    async with get_client() as client:
        problem = await client.api_healthcheck()
        if problem is not None:
            raise ConnectionError(str(problem) or type(problem).__name__)
        try:
            await client.read_work_pool(pool)
        except ObjectNotFound:
            raise NotFound(f"no work pool {pool!r} on {PREFECT_API_URL.value()}: "
                           f"run `manzoori deploy --pool {pool}` first") from None
    _log_progress()
    heartbeats = PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() or HEARTBEAT_SECONDS
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: heartbeats}):
        await run_lane(pool, limit, name, stop_on_signals())


async def run_lane(pool: str, limit: int | None, name: str | None, stop: asyncio.Event) -> None:
    """A lane (`LaneWorker`) on `pool` until `stop` is set; a failure of the worker is raised."""
    worker = LaneWorker(work_pool_name=pool, name=name, limit=limit or DEFAULT_LIMIT,
                        create_pool_if_not_found=False,
                        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()))
    working = asyncio.create_task(worker.start(printer=logging.getLogger("manzoori.lane").info))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({working, stopped}, return_when=asyncio.FIRST_COMPLETED)
    working.cancel()
    stopped.cancel()
    await asyncio.gather(working, stopped, return_exceptions=True)
    failure = working.exception() if working.done() and not working.cancelled() else None
    if failure is not None:
        raise failure
