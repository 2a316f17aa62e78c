"""The flows' deployments: the item lifecycle, the deadlines sweep and the quarterly
follow-up. `workflows.runner` serves them in its own process; `workflows.pool` applies
them to a work pool for Prefect workers on other machines.
"""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment

from workflows.deadlines import deadlines_deployment
from workflows.followup import followup_deployment
from workflows.lifecycle import DEPLOYMENT_NAME, item_lifecycle


async def deployments(**options: Any) -> list[RunnerDeployment]:
    """The flows' deployments; `options` (a work pool, the entrypoint's type) go to each."""
    return [
        await item_lifecycle.ato_deployment(name=DEPLOYMENT_NAME, tags=["manzoori"], **options),
        await deadlines_deployment(**options),
        await followup_deployment(**options),
    ]
