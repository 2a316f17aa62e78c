"""Prefect figures of issue 3, measured on a real `manzoori serve`:

- the delay from an officer's action (committed by the engine) to the item's run
  resuming (state Running) and to it waiting again (suspended after the new event),
  median and spread over N actions;
- the memory (RSS summed over `manzoori serve` and every process it started) with M
  items' runs suspended (seeded in the state their flow leaves them, see seed_suspended),
  and the peak while a crowd of them is woken by actions at once.

    python bench/prefect_bench.py [--items 1000] [--actions 20] [--crowd 50]

Prints the figures and writes them to bench/results/prefect.json; `python -m bench --only
prefect` runs it with these sizes (`--quick` skips it unless named with --only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
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

from common import machine, seed_directory, spread, tree, write_results  # noqa: E402
from prefect import Flow  # noqa: E402
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
from workflows.lifecycle import DEPLOYMENT_NAME, OfficerDecision, item_lifecycle  # noqa: E402
from workflows.stack import Stack, auth_string, free_port  # noqa: E402


def tree_rss_mb(pid: int) -> float:
    return tree(pid)[0]


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.5)


def seed_suspended(factory: sessionmaker, parties: Registry, home: Path,
                   count: int) -> tuple[list[str], float]:
    """Draft `count` items and give each a flow run suspended after its draft."""
    begin = time.monotonic()
    references = []
    with factory() as session:
        for number in range(count):
            references.append(draft(session, parties, kind="work_plan", parties=["kp"],
                                    title=f"Benchmark plan {number:04d}", form=form_for("kp", "work_plan"),
                                    officer="kp.swd-secretary").reference)
    stack = Stack(home, port=free_port())
    stack.start_server()
    view = PrefectView(stack)
    try:
        with view.client() as client:
            deployment_id = asyncio.run(_deploy(item_lifecycle, DEPLOYMENT_NAME, view))
            with factory() as session:
                for item_id, reference in session.execute(
                        text("SELECT id, reference FROM items WHERE reference LIKE 'KP-%'")):
                    run = client.create_flow_run_from_deployment(
                        deployment_id, parameters={"item_id": item_id, "reference": reference}, name=reference,
                        tags=["kind:work_plan", "party:kp"], idempotency_key=f"manzoori-item-{item_id}")
                    state = Suspended(pause_key="after-1")
                    state.state_details.run_input_keyset = keyset_from_paused_state(state)
                    client.set_flow_run_state(run.id, state, force=True)
                    OfficerDecision.save(state.state_details.run_input_keyset, flow_run_id=run.id)
                    session.add(ItemRun(item_id=item_id, flow_run_id=str(run.id), created_at=datetime.now()))
                    for entry in session.scalars(select(OutboxEntry)
                                                 .where(OutboxEntry.item_id == item_id)):
                        entry.delivered_at, entry.outcome = datetime.now(), "started"
                session.commit()
    finally:
        stack.stop_server()
    return references, time.monotonic() - begin


async def _deploy(flow: Flow, name: str, view: PrefectView) -> object:
    with temporary_settings(updates={PREFECT_API_URL: view.stack.api_url,
                                     PREFECT_API_AUTH_STRING: auth_string(view.stack.prefect_home)}):
        deployment = await flow.ato_deployment(name=name, tags=["manzoori"])
        return await deployment.apply()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20)
    parser.add_argument("--crowd", type=int, default=50)
    arguments = parser.parse_args()
    write_results("prefect", {**machine(), **run(arguments.items, arguments.actions, arguments.crowd)})


def run(items: int, actions: int, crowd: int) -> dict[str, Any]:
    """The figures on a new MANZOORI_HOME (a temporary folder, removed afterwards)."""
    home = Path(tempfile.mkdtemp(prefix="manzoori-bench-"))
    before = os.environ.get("MANZOORI_HOME")
    os.environ["MANZOORI_HOME"] = str(home)  # for `manzoori serve` and the Prefect view
    try:
        return _measure(home, items, actions, crowd)
    finally:
        if before is None:
            os.environ.pop("MANZOORI_HOME", None)
        else:
            os.environ["MANZOORI_HOME"] = before
        shutil.rmtree(home, ignore_errors=True)


def _measure(home: Path, items: int, actions: int, crowd_size: int) -> dict[str, Any]:
    factory = open_database(f"sqlite:///{home / 'manzoori.db'}")
    parties = registry()
    with factory() as session:
        seed_directory(session, parties)
        session.commit()

    # Seed M items whose runs wait suspended after their draft, exactly as the flow leaves
    # them (Suspended, pause key after-1, the decision form's schema saved), without making
    # a 2-core machine execute M runs first (each execution is a ~3 s process).
    seeded, seeding_s = seed_suspended(factory, parties, home, items)
    results_seed = {"items_suspended": items, "seeding_s": round(seeding_s, 1)}

    port = free_port()
    environment = {**os.environ}
    environment.pop("MANZOORI_DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port),
                              "--web-port", str(free_port())], env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert serve.stdout is not None
    while True:
        line = serve.stdout.readline()
        if line.startswith("Serving;"):
            break
        if not line and serve.poll() is not None:
            raise RuntimeError(f"manzoori serve ended with {serve.returncode} before serving")
    prefect = PrefectView(Stack(home, port=port))
    time.sleep(15)  # the runner's recovery pass and first outbox rounds
    idle_mb, idle_processes = tree(serve.pid)
    results: dict[str, Any] = {**results_seed,
                               "serve_mb_with_all_suspended": round(idle_mb),
                               "serve_processes_with_all_suspended": idle_processes}
    print(json.dumps(results, indent=2), flush=True)
    try:
        # 1. Action → run resumes.
        with factory() as session:
            reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                              title="Benchmark plan", form=form_for("punjab", "work_plan"),
                              officer="punjab.pdu-director").reference
        prefect.wait_suspended_after(reference, 1, timeout=120)
        to_running, to_waiting = [], []
        for number in range(actions):
            with factory() as session:
                act(session, parties, reference=reference, action="comment",
                    officer="punjab.wpc-member.1", comment=f"benchmark comment {number}")
            start, running = time.monotonic(), None
            seq = number + 2
            while True:
                run = prefect.run(reference)
                now = time.monotonic()
                if running is None and run.state.is_running():
                    running = now - start
                if run.state.is_paused() and run.state.state_details.pause_key == f"after-{seq}":
                    break
                if now - start > 300:
                    raise TimeoutError(f"{reference} did not wait again within 300 s of action {seq}")
                time.sleep(0.02)
            to_running.append(running if running is not None else now - start)
            to_waiting.append(now - start)
        results["action_to_running_s"] = spread(to_running, digits=2)
        results["action_to_waiting_again_s"] = spread(to_waiting, digits=2)
        print(json.dumps(results, indent=2), flush=True)

        # 2. The same runs woken in a crowd: N seeded runs each get an action at once.
        sampler = PeakSampler(serve.pid)
        sampler.start()
        crowd = seeded[:crowd_size]
        begin = time.monotonic()
        with factory() as session:
            for reference in crowd:
                act(session, parties, reference=reference, action="submit", officer="kp.swd-secretary")
        for reference in crowd:
            prefect.wait_suspended_after(reference, 2, timeout=900)
        results["crowd"] = {
            "items_woken_at_once": len(crowd),
            "until_all_waiting_again_s": round(time.monotonic() - begin, 1),
            "peak_serve_mb": round(sampler.peak),
        }
        sampler.stop.set()
        mb, processes = tree(serve.pid)
        results["after_crowd"] = {"serve_mb": round(mb), "serve_processes": processes}
    finally:
        serve.send_signal(2)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait(10)
        factory.kw["bind"].dispose()
    return results


if __name__ == "__main__":
    main()
