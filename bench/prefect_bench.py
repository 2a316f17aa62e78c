"""The Prefect lane measured side by side with the runner before it, in the same run.

Each variant gets a fresh Prefect server (SQLite, or PostgreSQL for `lane-pg`) and engine database under its own
MANZOORI_HOME, M items whose runs wait suspended after their draft (seeded in the state
their flow leaves them, see seed_suspended), and then its runner (`python -m
workflows.runner`, which is `manzoori serve`'s runner):

- `processes`: the runner before issue 16, `--processes` (Prefect's `aserve`, a new
  `python -m prefect.engine` process per wake-up);
- `lane`: the lane (`workflows.lane.LaneWorker`: each wake-up in the runner's process, in
  a thread, with Prefect's engine);
- `lane-pg`: the same lane with the Prefect server on PostgreSQL (a throw-away cluster of
  Debian's binaries, as the production layout has it; the engine's database stays
  SQLite). On SQLite the server answers concurrent state changes with "database is
  locked" now and then (a 503 Prefect's client retries after 2, 4, 8 s); on PostgreSQL it
  does not. The cluster's CPU counts with the server's.

Per variant, once the machine has settled after the seeding (1-minute load under 1, at
most `--settle` seconds):

- action → run visibly updated: from an officer's action (committed by the engine) to the
  item's run suspended again after it, its status artifact written; p50 / p95 / max over
  N actions one at a time, looking every 20 ms;
- CPU-seconds per wake-up of the runner (with every process it started) and of the
  Prefect server, over N more actions, looking once a second (the looks are calls to the
  server as well; their number per wake-up is given);
- C items woken at once (each gets an action in the same moment) → all visible;
- the runner's resident memory and process count with M items suspended, and the peak
  while the crowd is woken;
- with `--catch-up Q` (the lane only): the runner stopped, Q actions taken on Q other
  items, the runner started again → all Q visible.

All looks go through one client kept open, a batch of runs per call.

    python bench/prefect_bench.py [--items 1000] [--actions 20] [--crowd 50] [--catch-up 1000] [--variant lane-pg]

Prints the figures and writes them to bench/results/prefect.json, with the load average
(`python -m bench --only prefect` runs it with these sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load, machine, seed_directory, tree, write_results  # noqa: E402
from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName  # noqa: E402
from prefect.input.run_input import keyset_from_paused_state  # noqa: E402
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings  # noqa: E402
from prefect.states import Suspended  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from engine.core.items import act, draft  # noqa: E402
from engine.core.registry import Registry, registry  # noqa: E402
from engine.store import ItemRun, OutboxEntry, open_database  # noqa: E402
from tests.forms import form_for  # noqa: E402
from tests.prefect_support import PrefectView  # noqa: E402
from workflows.lifecycle import DEPLOYMENT_NAME, OfficerDecision, item_lifecycle, pause_key_seq  # noqa: E402
from workflows.stack import Stack, auth_string, free_port  # noqa: E402

VARIANTS = ("processes", "lane", "lane-pg")
TICKS = os.sysconf("SC_CLK_TCK")
SETTLE = 240.0
"""Seconds to wait at most after the seeding for the machine to settle (`--settle`)."""


def cpu_seconds(pid: int) -> float:
    """CPU-seconds (user + system) of `pid` and its live descendants, and of the children
    each of them has reaped (a finished flow-run process counts too)."""
    total, stack = 0, [pid]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / TICKS


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree(self.pid)[0])
            time.sleep(0.5)


class Watcher:
    """The runs' states as the UI sees them, read through one client kept open (a client
    per look would cost the server a connection and a version check each time, which the
    figures would count as the wake-ups' work)."""

    def __init__(self, stack: Stack) -> None:
        self._settings = temporary_settings(updates={
            PREFECT_API_URL: stack.api_url, PREFECT_API_AUTH_STRING: auth_string(stack.prefect_home)})
        self._settings.__enter__()
        self._client = get_client(sync_client=True)
        self._client.__enter__()
        self.looks = 0

    def waiting_after(self, names: list[str]) -> dict[str, int | None]:
        """Each named run's pause key's event if it is suspended now, else None."""
        self.looks += 1
        runs = self._client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=names)),
                                           limit=len(names))
        found: dict[str, int | None] = dict.fromkeys(names)
        for run in runs:
            if run.state is not None and run.state.is_paused():
                found[run.name] = pause_key_seq(run.state.state_details.pause_key)
        return found

    def wait_all(self, names: list[str], seq: int, every: float, timeout: float) -> float:
        """Wait until every named run is suspended after event `seq`, looking every
        `every` seconds; the seconds it took."""
        begin, left = time.monotonic(), list(names)
        while left:
            for chunk in [left[start:start + 200] for start in range(0, len(left), 200)]:
                seen = self.waiting_after(chunk)
                left = [name for name in left if name not in chunk or seen[name] != seq]
            if not left:
                break
            if time.monotonic() - begin > timeout:
                raise TimeoutError(f"{len(left)} runs not suspended after event {seq} within {timeout:.0f} s")
            time.sleep(every)
        return time.monotonic() - begin

    def close(self) -> None:
        self._client.__exit__(None, None, None)
        self._settings.__exit__(None, None, None)


def quiet(limit: float = 1.0, most: float = 240.0) -> dict[str, Any]:
    """Wait until the 1-minute load average falls under `limit` (seeding leaves the machine
    busy for a minute after it), at most `most` seconds; the load then."""
    begin = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - begin < most:
        time.sleep(5)
    return {**load(), "waited_s": round(time.monotonic() - begin)}


def seed_suspended(factory: sessionmaker, parties: Registry, stack: Stack, variant: str,
                   count: int) -> float:
    """Draft `count` items and give each a flow run of the variant's deployment, suspended
    after its draft, as the flow leaves it; returns the seconds it took."""
    begin = time.monotonic()
    with factory() as session:
        for number in range(count):
            draft(session, parties, kind="work_plan", parties=["kp"], title=f"Benchmark plan {number:04d}",
                  form=form_for("kp", "work_plan"), officer="kp.swd-secretary")
    view = PrefectView(stack)
    deployment_id = asyncio.run(_deploy(variant, view))
    with view.client() as client, factory() as session:
        for item_id, reference in session.execute(text("SELECT id, reference FROM items WHERE reference LIKE 'KP-%'")):
            run = client.create_flow_run_from_deployment(
                deployment_id, parameters={"item_id": item_id, "reference": reference}, name=reference,
                tags=["kind:work_plan", "party:kp"], idempotency_key=f"manzoori-item-{item_id}")
            state = Suspended(pause_key="after-1")
            state.state_details.run_input_keyset = keyset_from_paused_state(state)
            client.set_flow_run_state(run.id, state, force=True)
            OfficerDecision.save(state.state_details.run_input_keyset, flow_run_id=run.id)
            session.add(ItemRun(item_id=item_id, flow_run_id=str(run.id), created_at=datetime.now()))
            for entry in session.scalars(select(OutboxEntry).where(OutboxEntry.item_id == item_id)):
                entry.delivered_at, entry.outcome = datetime.now(), "started"
        session.commit()
    return time.monotonic() - begin


async def _deploy(variant: str, view: PrefectView) -> object:
    """The item-lifecycle deployment as the variant's runner makes it (it applies it again)."""
    with temporary_settings(updates={PREFECT_API_URL: view.stack.api_url,
                                     PREFECT_API_AUTH_STRING: auth_string(view.stack.prefect_home)}):
        if variant.startswith("lane"):
            from workflows.pool import deploy  # lazy: the lane variant only

            await deploy("manzoori", automations=False)

            async with get_client() as client:
                return (await client.read_deployment_by_name(f"item-lifecycle/{DEPLOYMENT_NAME}")).id
        deployment = await item_lifecycle.ato_deployment(name=DEPLOYMENT_NAME, tags=["manzoori"])
        return await deployment.apply()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20)
    parser.add_argument("--crowd", type=int, default=50)
    parser.add_argument("--variant", action="append", choices=VARIANTS)
    parser.add_argument("--settle", type=float, default=240.0,
                        help="seconds to wait at most, after the seeding, for the load to fall under 1")
    parser.add_argument("--catch-up", type=int, default=0,
                        help="actions queued while the lane is stopped (the lane only; it seeds as many more items)")
    arguments = parser.parse_args()
    global SETTLE
    SETTLE = arguments.settle
    figures = run(arguments.items, arguments.actions, arguments.crowd,
                  tuple(arguments.variant or VARIANTS), arguments.catch_up)
    write_results("prefect", {**machine(), **figures, "load_after": load()})


def run(items: int, actions: int, crowd: int, variants: tuple[str, ...] = VARIANTS,
        catch_up: int = 0) -> dict[str, Any]:
    """Every variant's figures, each on a new MANZOORI_HOME (removed afterwards)."""
    results: dict[str, Any] = {"sizes": {"items_suspended": items, "actions": actions, "crowd": crowd,
                                         "catch_up": catch_up}}
    for variant in variants:
        home = Path(tempfile.mkdtemp(prefix=f"manzoori-bench-{variant}-"))
        before = os.environ.get("MANZOORI_HOME")
        os.environ["MANZOORI_HOME"] = str(home)
        try:
            queued = catch_up if variant.startswith("lane") else 0
            results[variant] = {"load_before": load(), **_measure(
                home, variant, items + queued, actions, crowd, queued)}
        finally:
            if before is None:
                os.environ.pop("MANZOORI_HOME", None)
            else:
                os.environ["MANZOORI_HOME"] = before
            shutil.rmtree(home, ignore_errors=True)
        print(json.dumps({variant: results[variant]}, indent=2), flush=True)
    return results


def _measure(home: Path, variant: str, items: int, actions: int, crowd_size: int,
             catch_up: int) -> dict[str, Any]:
    if variant != "lane-pg":
        return _measure_on(home, variant, items, actions, crowd_size, catch_up, None)
    from tests.pg_cluster import running_cluster  # lazy: this variant only

    with running_cluster() as cluster:
        prefect_url = cluster.create_database("prefect").replace("postgresql+psycopg://", "postgresql+asyncpg://")
        postmaster = int((cluster.directory / "data" / "postmaster.pid").read_text().split()[0])
        return _measure_on(home, variant, items, actions, crowd_size, catch_up, prefect_url, postmaster)


def _measure_on(home: Path, variant: str, items: int, actions: int, crowd_size: int, catch_up: int,
                prefect_url: str | None, postmaster: int | None = None) -> dict[str, Any]:
    url = f"sqlite:///{home / 'manzoori.db'}"
    factory = open_database(url)
    parties = registry()
    with factory() as session:
        seed_directory(session, parties)
        session.commit()
    environment = {"MANZOORI_DATABASE_URL": url}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    stack = Stack(home, port=free_port(), prefect_database_url=prefect_url)
    results: dict[str, Any] = {}

    def server_cpu() -> float:
        """The Prefect server's CPU-seconds, with its database's when that is a cluster."""
        assert stack.server is not None
        return cpu_seconds(stack.server.pid) + (cpu_seconds(postmaster) if postmaster else 0.0)

    try:
        stack.start_server()
        results["seeding_s"] = round(seed_suspended(factory, parties, stack, variant, items), 1)
        results["load_at_measure"] = quiet(most=SETTLE)
        stack.start_runner(processes=variant == "processes")
        watcher = Watcher(stack)
        assert stack.runner is not None and stack.server is not None
        runner = stack.runner.pid

        # 1. One item, actions one at a time: action → run suspended again after it,
        #    looking every 20 ms.
        with factory() as session:
            reference = draft(session, parties, kind="work_plan", parties=["punjab"], title="Benchmark plan",
                              form=form_for("punjab", "work_plan"), officer="punjab.pdu-director").reference
        watcher.wait_all([reference], 1, every=0.1, timeout=300)
        time.sleep(3)  # let the first execution's tail (logs, events) settle
        idle_mb, idle_processes = tree(runner)
        results["runner_mb_with_all_suspended"] = round(idle_mb)
        results["runner_processes_with_all_suspended"] = idle_processes
        seq, delays = 1, []

        def comment() -> None:
            nonlocal seq
            with factory() as session:
                act(session, parties, reference=reference, action="comment", officer="punjab.wpc-member.1",
                    comment=f"benchmark comment {seq}")
            seq += 1

        for _ in range(actions):
            comment()
            delays.append(watcher.wait_all([reference], seq, every=0.02, timeout=300))
        results["action_to_visible_s"] = {
            "p50": round(statistics.median(delays), 2), "p95": round(percentile(delays, 0.95), 2),
            "max": round(max(delays), 2), "n": len(delays)}

        # 2. CPU per wake-up: the same again, looking only every second (each look is a
        #    call to the server too; they are counted and said).
        time.sleep(2)
        cpu_runner, cpu_server, looks = cpu_seconds(runner), server_cpu(), watcher.looks
        for _ in range(actions):
            comment()
            watcher.wait_all([reference], seq, every=1.0, timeout=300)
        time.sleep(2)  # the last execution's tail
        results["cpu_s_per_wake_up"] = {
            "runner": round((cpu_seconds(runner) - cpu_runner) / actions, 2),
            "prefect_server": round((server_cpu() - cpu_server) / actions, 2),
            "looks_per_wake_up": round((watcher.looks - looks) / actions, 1)}

        # 3. C seeded runs woken at once.
        sampler = PeakSampler(runner)
        sampler.start()
        seeded = [row[0] for row in factory().execute(text(
            "SELECT reference FROM items WHERE reference LIKE 'KP-%' ORDER BY id"))]
        crowd, queued = seeded[:crowd_size], seeded[crowd_size:crowd_size + catch_up]
        begin = time.monotonic()
        with factory() as session:
            for each in crowd:
                act(session, parties, reference=each, action="submit", officer="kp.swd-secretary")
        watcher.wait_all(crowd, 2, every=0.25, timeout=1800)
        results["crowd"] = {"woken_at_once": len(crowd),
                            "all_visible_s": round(time.monotonic() - begin, 1),
                            "peak_runner_mb": round(sampler.peak)}
        sampler.stop.set()
        mb, processes = tree(runner)
        results["after_crowd"] = {"runner_mb": round(mb), "runner_processes": processes}

        # 4. An outage: the runner stopped while officers act on Q items; started again,
        #    it catches up.
        if queued:
            stack.stop_runner()
            with factory() as session:
                for each in queued:
                    act(session, parties, reference=each, action="submit", officer="kp.swd-secretary")
            begin = time.monotonic()
            stack.start_runner(processes=variant == "processes")
            watcher.wait_all(queued, 2, every=1.0, timeout=3600)
            results["catch_up"] = {"queued_actions": len(queued),
                                   "all_visible_s": round(time.monotonic() - begin, 1)}
        watcher.close()
    finally:
        stack.stop()
        factory.kw["bind"].dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return results


if __name__ == "__main__":
    main()
