"""The process that serves Manzoori's Prefect deployments and delivers the outbox.

`python -m workflows.runner` (started by `manzoori serve`) serves the item-lifecycle
deployment, whose runs it executes as they are scheduled or resumed, and the schedules
(deadlines), and runs the outbox dispatcher beside them in the same event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from prefect import aserve

from engine.store import open_database
from workflows.dispatch import run_dispatcher
from workflows.lifecycle import DEPLOYMENT_NAME, item_lifecycle
from workflows.pool import stop_on_signals


async def deployments(**options: Any) -> list:
    """The flows' deployments; `options` (a work pool, the entrypoint's type) go to each."""
    found = [await item_lifecycle.ato_deployment(name=DEPLOYMENT_NAME, tags=["manzoori"], **options)]
    from workflows.deadlines import deadlines_deployment
    from workflows.followup import followup_deployment

    return [*found, await deadlines_deployment(**options), await followup_deployment(**options)]


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
