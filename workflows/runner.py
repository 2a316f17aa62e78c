"""The process that serves Manzoori's Prefect deployments and delivers the outbox.

`python -m workflows.runner` (started by `manzoori serve`) serves the item-lifecycle
deployment, whose runs it executes as they are scheduled or resumed, and the schedules
(deadlines), and runs the outbox dispatcher beside them in the same event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os

from prefect import aserve

from engine.store import open_database
from workflows.deployments import deployments
from workflows.dispatch import run_dispatcher
from workflows.signals import stop_on_signals


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    factory = open_database()
    stop = stop_on_signals()
    # Executions are processes: a few at a time keep a small machine responsive when
    # many items wake at once (a demo, a catch-up after an outage).
    limit = int(os.environ.get("MANZOORI_RUNNER_LIMIT", "4"))
    serving = asyncio.create_task(aserve(*(await deployments()), print_starting_message=False,
                                         limit=limit))
    dispatching = asyncio.create_task(run_dispatcher(factory, stop))
    await stop.wait()
    serving.cancel()
    await asyncio.gather(serving, dispatching, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
