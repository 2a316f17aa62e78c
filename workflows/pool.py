"""Manzoori's flows on a Prefect work pool: the layout for several machines.

`manzoori serve` runs the flows in one process beside its own Prefect server. In
production the Prefect server (on PostgreSQL) only orchestrates; the flows' deployments
belong to a work pool of type "process", and any number of Prefect workers on any
machines (`manzoori worker`) run them, each flow-run execution a new Python process that
imports the flow by module path (`workflows.lifecycle.item_lifecycle`), so a machine
needs the manzoori package installed and nothing copied. One dispatcher
(`manzoori dispatch`) delivers the engine's outbox, starting and resuming the runs of
the pool's deployment.

When a worker's machine dies, the runs it was executing are left Running (or Pending)
with nobody behind them. Every flow-run process sends a heartbeat event to the Prefect
server (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, 30 s here); two automations that `deploy`
creates mark a run Crashed when its heartbeats stop for 90 s without it ending or
suspending ("manzoori zombie runs"), or when it stays Pending for 3 minutes without
starting ("manzoori stuck pending runs"). The dispatcher then reruns every crashed item
run (`workflows.dispatch.recover_crashed`) on whichever worker is alive; the run reads the
engine afresh and its tasks are cached, so nothing happens twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import timedelta

from prefect.automations import Automation
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import EntrypointType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL, PREFECT_WORKER_HEARTBEAT_SECONDS
from prefect.workers.process import ProcessWorker

from engine.errors import NotFound
from engine.store import open_database
from workflows.deployments import deployments
from workflows.dispatch import run_dispatcher
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


ENGINE_COMMAND = "python -m prefect.engine"
"""How a worker starts a flow run: straight into Prefect's engine, without the workspace
supervisor process Prefect puts in between otherwise (a second Python start per run)."""


def prepare_worker_environment() -> None:
    """What the flow-run processes a worker starts inherit: heartbeats on, and `python`
    being the interpreter the worker runs on (where manzoori is installed)."""
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_SECONDS))
    here = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != here:
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])


async def create_pool(pool: str) -> bool:
    """The work pool (type process), unless it exists; True if it was created."""
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(
                name=pool, type=ProcessWorker.type,
                base_job_template=ProcessWorker.get_default_base_job_template(),
                description="Manzoori's flows; `manzoori worker` runs them"))
        except ObjectAlreadyExists:
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


async def deploy(pool: str = POOL) -> list[str]:
    """The pool, the flows' deployments on it and the zombie automation; safe to repeat.
    Returns the deployments' names."""
    await create_pool(pool)
    names = []
    for deployment in await deployments(work_pool_name=pool, job_variables={"command": ENGINE_COMMAND},
                                        entrypoint_type=EntrypointType.MODULE_PATH):
        await deployment.aapply()
        names.append(f"{deployment.flow_name}/{deployment.name}")
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
    """One Prefect process worker on the pool until stopped; its runs send heartbeats."""
    prepare_worker_environment()
    async with get_client() as client:
        problem = await client.api_healthcheck()
        if problem is not None:
            raise ConnectionError(str(problem) or type(problem).__name__)
        try:
            await client.read_work_pool(pool)
        except ObjectNotFound:
            raise NotFound(f"no work pool {pool!r} on {PREFECT_API_URL.value()}: "
                           f"run `manzoori deploy --pool {pool}` first") from None
    worker = ProcessWorker(work_pool_name=pool, name=name, limit=limit, create_pool_if_not_found=False,
                           heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()))
    _log_progress()
    stop = stop_on_signals()
    working = asyncio.create_task(worker.start(printer=logging.getLogger("manzoori.worker").info))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({working, stopped}, return_when=asyncio.FIRST_COMPLETED)
    working.cancel()
    stopped.cancel()
    await asyncio.gather(working, stopped, return_exceptions=True)
    failure = working.exception() if working.done() and not working.cancelled() else None
    if failure is not None:
        raise failure
