"""The outbox dispatcher: tells Prefect what the engine recorded, in order, once.

Every event the engine records leaves an outbox entry in the same transaction. The
dispatcher takes undelivered entries oldest first and, per entry:

- starts the item's flow run if it has none (named by the reference, tagged with the
  kind and parties), or
- resumes the item's suspended run if it waits after an earlier event, or
- marks the entry caught up if the run already waits after this event or has ended.

While an item's run is executing (scheduled, pending, running) its later entries wait
for the next round, so a run never misses an event it was not awake for. If Prefect
cannot be reached, nothing is marked and the next round tries again.

A round starts as soon as a session of this process commits an outbox entry (a decision
typed into the Prefect UI, a deadline sweep: both run in the lane's process), and
otherwise every `interval` seconds (actions from the web app, another process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.states import Scheduled
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.core.flows import current_flow
from engine.store import Item, ItemRun, OutboxEntry
from engine.store.statuses import OutboxOutcome
from workflows.lifecycle import DEPLOYMENT_NAME, FLOW_NAME, pause_key_seq

log = logging.getLogger("manzoori.dispatch")

BATCH = 200
RECOVER_EVERY = 60.0
"""Seconds between looks for crashed runs."""


@dataclass
class Round:
    """What one pass over the outbox did."""

    started: int = 0
    resumed: int = 0
    caught_up: int = 0
    waiting: int = 0
    error: str | None = None
    delivered: list[int] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.started or self.resumed or self.caught_up)


async def dispatch_once(factory: sessionmaker, client: PrefectClient,
                        deployments: dict[str, UUID] | None = None) -> Round:
    """One pass over the undelivered outbox entries. `deployments` keeps the item
    deployment's id from round to round (one call less per wake-up); it is forgotten
    after any error, since the deployment may have been applied again."""
    result = Round()
    deployments = {} if deployments is None else deployments
    name = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
    with factory() as session:
        entries = session.scalars(
            select(OutboxEntry).where(OutboxEntry.delivered_at.is_(None))
            .order_by(OutboxEntry.id).limit(BATCH)
        ).all()
        busy_items: set[int] = set()
        runs: dict[int, FlowRun] | None = None
        for entry in entries:
            if entry.item_id in busy_items:
                result.waiting += 1
                continue
            try:
                if name not in deployments:
                    deployments[name] = (await client.read_deployment_by_name(name)).id
                if runs is None:
                    runs = await _read_runs(session, client, {entry.item_id for entry in entries})
                outcome = await _deliver(session, client, deployments[name], entry, runs.get(entry.item_id))
            except (httpx.HTTPError, PrefectHTTPStatusError, ObjectNotFound, OSError) as error:
                deployments.clear()
                entry.attempts += 1
                entry.last_error = f"{type(error).__name__}: {error}"[:500]
                session.commit()
                result.error = entry.last_error
                return result
            if outcome is None:
                busy_items.add(entry.item_id)
                result.waiting += 1
                continue
            entry.delivered_at, entry.outcome = utcnow(), outcome
            entry.attempts += 1
            session.commit()
            if outcome in (OutboxOutcome.STARTED, OutboxOutcome.RESTARTED, OutboxOutcome.RESUMED):
                busy_items.add(entry.item_id)  # awake now: its later entries wait for their round
            result.delivered.append(entry.id)
            if outcome in (OutboxOutcome.STARTED, OutboxOutcome.RESTARTED):
                result.started += 1
            elif outcome == OutboxOutcome.RESUMED:
                result.resumed += 1
            else:
                result.caught_up += 1
    return result


async def _read_runs(session: Session, client: PrefectClient, item_ids: set[int]) -> dict[int, FlowRun]:
    """The flow runs of these items that have one, in one call to the API (not one each)."""
    records = session.scalars(select(ItemRun).where(ItemRun.item_id.in_(item_ids))).all()
    if not records:
        return {}
    by_run = {UUID(record.flow_run_id): record.item_id for record in records}
    found = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(by_run))),
                                        limit=len(by_run))
    return {by_run[flow_run.id]: flow_run for flow_run in found}


async def _deliver(session: Session, client: PrefectClient, deployment_id: UUID,
                   entry: OutboxEntry, known: FlowRun | None = None) -> OutboxOutcome | None:
    """Deliver one entry; None means the run is awake and the entry must wait. `known`:
    the item's flow run as read at the start of this round."""
    run_record = session.get(ItemRun, entry.item_id)
    if run_record is None:
        item = session.get_one(Item, entry.item_id)
        flow_run = await client.create_flow_run_from_deployment(
            deployment_id,
            parameters={"item_id": item.id, "reference": item.reference},
            name=item.reference,
            tags=[f"kind:{item.kind}", *(f"party:{code}" for code in item.party_codes)],
            idempotency_key=f"manzoori-item-{item.id}",
        )
        session.add(ItemRun(item_id=item.id, flow_run_id=str(flow_run.id), created_at=utcnow()))
        return OutboxOutcome.STARTED

    flow_run = known if known is not None else await client.read_flow_run(UUID(run_record.flow_run_id))
    state = flow_run.state
    if state is None or state.is_final():
        if state is not None and not state.is_crashed() and _item_ended(session, entry.item_id):
            return OutboxOutcome.ENDED
        # Crashed (its process or its worker's machine died), or stopped by hand while the
        # item is still open: run it again from the top, which is harmless by design; a
        # crashed run of an ended item ends as its item did.
        await _restart(client, flow_run.id, (state.name or state.type.value) if state else "no state")
        return OutboxOutcome.RESTARTED
    if not state.is_paused():
        return None
    waited = pause_key_seq(state.state_details.pause_key)
    if waited is not None and waited >= entry.event_seq:
        return OutboxOutcome.CAUGHT_UP
    response = await client.resume_flow_run(flow_run.id, run_input={})
    if response.status != SetStateStatus.ACCEPT:
        return None  # it moved meanwhile; look again next round
    return OutboxOutcome.RESUMED


def _item_ended(session: Session, item_id: int) -> bool:
    item = session.get_one(Item, item_id)
    return item.state in current_flow(ItemKind(item.kind)).end_states


async def _restart(client: PrefectClient, flow_run_id: UUID, was: str) -> None:
    log.warning("flow run %s was %s; running it again", flow_run_id, was)
    await client.set_flow_run_state(flow_run_id, Scheduled(name="Recovering"), force=True)


async def recover_crashed(factory: sessionmaker, client: PrefectClient) -> int:
    """Run again every item-lifecycle run that crashed: one of an open item goes on
    waiting, one of an ended item ends in its item's final state."""
    crashed = await client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.CRASHED]))),
    )
    restarted = 0
    with factory() as session:
        for flow_run in crashed:
            item_id = flow_run.parameters.get("item_id")
            if item_id is None or session.get(Item, item_id) is None:
                continue
            await _restart(client, flow_run.id, "Crashed")
            restarted += 1
    return restarted


def wake_on_outbox_commits(wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` (from any thread) after each commit in this process that added outbox
    entries; returns the function that stops it."""
    def flushed(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(added, OutboxEntry) for added in session.new):
            session.info["manzoori_outbox"] = True

    def committed(session: Session) -> None:
        if session.info.pop("manzoori_outbox", False):
            wake()

    event.listen(Session, "before_flush", flushed)
    event.listen(Session, "after_commit", committed)

    def remove() -> None:
        event.remove(Session, "before_flush", flushed)
        event.remove(Session, "after_commit", committed)
    return remove


async def run_dispatcher(factory: sessionmaker, stop: asyncio.Event, interval: float = 0.5,
                         recover_every: float = RECOVER_EVERY,
                         on_delivered: Callable[[], None] | None = None,
                         woken: asyncio.Event | None = None) -> None:
    """Deliver the outbox until `stop` is set; quiet while Prefect is away, loud when back.
    Every `recover_every` seconds, rerun the crashed runs. `on_delivered` is called after
    a round that started or resumed runs (the runner nudges its lane with it); setting
    `woken` starts a round at once (the runner's lane sets it when an execution ends)."""
    loop = asyncio.get_running_loop()
    woken = woken or asyncio.Event()

    def wake() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(woken.set)

    stop_waking = wake_on_outbox_commits(wake)
    try:
        await _dispatch_until(factory, stop, woken, interval, recover_every, on_delivered)
    finally:
        stop_waking()


async def _dispatch_until(factory: sessionmaker, stop: asyncio.Event, woken: asyncio.Event,
                          interval: float, recover_every: float,
                          on_delivered: Callable[[], None] | None) -> None:
    away, last_recovery = False, 0.0
    deployments: dict[str, UUID] = {}
    async with get_client() as client:
        while not stop.is_set():
            if not away and time.monotonic() - last_recovery > recover_every:
                try:
                    await recover_crashed(factory, client)
                    last_recovery = time.monotonic()
                except (httpx.HTTPError, PrefectHTTPStatusError, OSError):
                    pass  # the outbox round below notices and reports it
            woken.clear()  # a commit from now on calls for another round
            try:
                result = await dispatch_once(factory, client, deployments)
            except Exception:  # never let one bad round end the dispatcher
                log.exception("outbox round failed")
                result = Round(error="unexpected")
            if result.error and not away:
                log.warning("Prefect is not reachable; actions are kept in the outbox (%s)", result.error)
            if away and not result.error:
                log.warning("Prefect is back; catching up on the outbox")
            away = bool(result.error)
            if (result.started or result.resumed) and on_delivered is not None:
                on_delivered()
            if result.busy:
                log.info("outbox: %d started, %d resumed, %d caught up, %d waiting", result.started,
                         result.resumed, result.caught_up, result.waiting)
                continue
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
            await asyncio.wait(waits, timeout=interval if not away else 2.0,
                               return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
