"""The process that runs Manzoori's flows and delivers the outbox on one machine.

`python -m workflows.runner` (started by `manzoori serve`) puts the flows' deployments on
a work pool of Manzoori's lane type, runs a lane on it (`workflows.lane.LaneWorker`: each
wake-up of an item's run executes in this process, in a thread) and the outbox
dispatcher beside it in the same event loop. When the dispatcher starts or resumes a
run, it nudges the lane to look at the pool at once rather than at its next poll.

`python -m workflows.runner --processes` is the runner as it was before the lane:
Prefect's `aserve`, a new `python -m prefect.engine` process per wake-up. It is kept
only so that `bench/prefect_bench.py` can measure both side by side.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from sqlalchemy.orm import sessionmaker

from engine.store import open_database
from workflows.dispatch import run_dispatcher
from workflows.signals import stop_on_signals

POOL = "manzoori"


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("manzoori").setLevel(logging.INFO)
    factory = open_database()
    stop = stop_on_signals()
    limit = int(os.environ.get("MANZOORI_RUNNER_LIMIT", "4"))
    if "--processes" in sys.argv[1:]:
        await _serve_processes(factory, stop, limit)
        return

    from workflows.lane import LaneWorker  # lazy: only this branch runs a lane
    from workflows.pool import deploy  # lazy: only this branch deploys to a pool

    await deploy(POOL, automations=False)
    worker = LaneWorker(work_pool_name=POOL, name=f"runner {os.getpid()}", limit=limit,
                        create_pool_if_not_found=False)
    nudge, woken = asyncio.Event(), asyncio.Event()
    worker.after_execution = woken.set

    async def look_at_once() -> None:
        while not stop.is_set():
            await nudge.wait()
            nudge.clear()
            if worker.is_setup:
                try:
                    await worker.get_and_submit_flow_runs()
                except Exception:  # its own poll goes on; a failed nudge is only a delay
                    logging.getLogger("manzoori.lane").debug("nudge failed", exc_info=True)

    working = asyncio.create_task(worker.start(printer=logging.getLogger("manzoori.lane").info))
    nudging = asyncio.create_task(look_at_once())
    dispatching = asyncio.create_task(run_dispatcher(factory, stop, on_delivered=nudge.set,
                                                     woken=woken))
    await stop.wait()
    nudge.set()
    await dispatching
    working.cancel()
    await asyncio.gather(working, nudging, return_exceptions=True)


async def _serve_processes(factory: sessionmaker, stop: asyncio.Event, limit: int) -> None:
    """The runner before the lane: `aserve`, a process per execution (for the benchmark)."""
    from prefect import aserve  # lazy: only the benchmark's comparison uses it

    from workflows.deployments import deployments  # lazy: with aserve

    serving = asyncio.create_task(aserve(*(await deployments()), print_starting_message=False,
                                         limit=limit))
    dispatching = asyncio.create_task(run_dispatcher(factory, stop))
    await stop.wait()
    serving.cancel()
    await asyncio.gather(serving, dispatching, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
