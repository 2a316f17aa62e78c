"""The lane: a Prefect worker of Manzoori's own type that executes flow runs in its own
long-lived process, each execution in a thread with Prefect's own engine.

Every officer's action wakes its item's flow run (the outbox resumes it; Prefect sets it
Scheduled in the work pool). A process worker would start a new Python process for that
wake-up (~3 CPU-seconds of imports); this worker claims the run exactly as any Prefect
worker does (`BaseWorker`: the pool's queue, Pending, its heartbeats, its concurrency
limit, cancellation) and then calls `prefect.flow_engine.run_flow` with the flow run and
the flow its deployment names (imported once per process), in one of `limit` threads.
The flows stay real Prefect flows: their task runs, artifacts, logs, suspension and the
UI's resume form are Prefect's, unchanged. More lanes on more machines share the pool.

A wake-up is short (read the item, tell the plugins of new events, write the status,
suspend). Plugin code the flows call, which may hang, is bounded by `within`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from uuid import UUID

import anyio.abc
from prefect import Flow
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Abort, Pause
from prefect.flow_engine import run_flow
from prefect.flows import load_flow_from_flow_run
from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

T = TypeVar("T")
log = logging.getLogger("manzoori.lane")

LANE_TYPE = "manzoori-lane"
"""The work-pool type of Manzoori's lane (a pool of this type is served by `LaneWorker`)."""
DEFAULT_LIMIT = 4
"""Flow-run executions at once per lane: threads, not processes, so a few more than cores."""


class SuspensionIsNormal(logging.Filter):
    """Prefect's engine logs "Finished in state Suspended" at ERROR (anything but Completed
    is); for an item's run, waiting for people is the normal case: this filter on the
    `prefect.flow_runs` logger says it at INFO (in the lane's log and in the UI's logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Finished in state Suspended"):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_suspensions() -> None:
    """Install `SuspensionIsNormal` once in this process."""
    runs = logging.getLogger("prefect.flow_runs")
    if not any(isinstance(each, SuspensionIsNormal) for each in runs.filters):
        runs.addFilter(SuspensionIsNormal())


class LaneResult(BaseWorkerResult):
    """What the worker reports of one execution (status 0: it ran; its state is Prefect's)."""


class LaneWorker(BaseWorker[BaseJobConfiguration, BaseVariables, LaneResult]):
    """A Prefect worker that runs each claimed flow run in this process, in a thread."""

    type = LANE_TYPE
    job_configuration = BaseJobConfiguration
    job_configuration_variables = BaseVariables
    _description = ("Manzoori's lane: executes flow runs in the worker's own process with "
                    "Prefect's engine, a thread each (no process per wake-up).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quiet_suspensions()
        self._threads = ThreadPoolExecutor(max_workers=self._limit or DEFAULT_LIMIT,
                                           thread_name_prefix="manzoori-lane")
        self._flows: dict[UUID, Flow[..., Any]] = {}
        self._loading = asyncio.Lock()
        self.after_execution: Callable[[], None] | None = None
        """Called in the worker's event loop after each execution (the runner wakes its
        dispatcher with it: the item's next outbox entry can go now)."""

    async def run(self, flow_run: FlowRun, configuration: BaseJobConfiguration,
                  task_status: anyio.abc.TaskStatus[int] | None = None) -> LaneResult:
        identifier = f"{socket.gethostname()}:{os.getpid()}"
        flow = await self._flow_for(flow_run)
        if task_status is not None:
            # What Prefect records as the run's infrastructure: this process.
            task_status.started(os.getpid())
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        log.info("executing %s (flow run %s)", flow_run.name, flow_run.id)
        try:
            await loop.run_in_executor(self._threads, context.run, _execute, flow, flow_run)
            log.info("executed %s", flow_run.name)
        finally:
            if self.after_execution is not None:
                self.after_execution()
        return LaneResult(identifier=identifier, status_code=0)

    async def _flow_for(self, flow_run: FlowRun) -> Flow[..., Any]:
        """The flow the run's deployment names, imported once per deployment and process."""
        if flow_run.deployment_id is None:
            raise ValueError(f"flow run {flow_run.id} has no deployment; the lane runs deployments only")
        async with self._loading:
            if flow_run.deployment_id not in self._flows:
                self._flows[flow_run.deployment_id] = await load_flow_from_flow_run(
                    flow_run, ignore_storage=True)
        return self._flows[flow_run.deployment_id]

    async def teardown(self, *exc_info: Any) -> None:
        await super().teardown(*exc_info)
        # Executions under way finish (a wake-up takes a second); none is taken any more.
        await asyncio.get_running_loop().run_in_executor(None, self._threads.shutdown, True)


def _execute(flow: Flow[..., Any], flow_run: FlowRun) -> None:
    """One execution of a flow run by Prefect's engine, in this thread: to its end, its
    suspension, or a failure Prefect records on the run."""
    try:
        outcome = run_flow(flow, flow_run=flow_run, return_type="state")
        if asyncio.iscoroutine(outcome):
            asyncio.run(outcome)
    except Pause:
        # The engine ends a suspended run's execution with this signal, as
        # `prefect.engine` does for its process; the run's state is on the server.
        log.info("%s waits, suspended", flow_run.name)
    except Abort as abort:
        log.info("%s not executed: the server said %s", flow_run.name, abort)


class Overdue(TimeoutError):
    """Plugin code did not return within its time; it goes on in a thread of its own."""


def within(seconds: float, what: str, function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a daemon thread of its own, waited for at most `seconds`.

    Python cannot stop a thread, so code that hangs keeps its thread (a daemon: it does not
    hold the process at exit) but no longer holds the caller: the flow run carries on, and
    so do the other items. Raises `Overdue`, or what `function` raised."""
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            outcome["error"] = error
        finally:
            done.set()

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(target,), name=f"manzoori {what}", daemon=True).start()
    if not done.wait(seconds):
        raise Overdue(f"{what} did not return within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def hook_timeout() -> float:
    """Seconds a plugin's `on_event` or a document render may take (MANZOORI_HOOK_TIMEOUT,
    default 30)."""
    try:
        return max(0.1, float(os.environ.get("MANZOORI_HOOK_TIMEOUT", "30")))
    except ValueError:
        return 30.0
