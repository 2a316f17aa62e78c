"""The production layout on one machine: a PostgreSQL cluster holding Prefect's database
and the engine's, a Prefect server on it, the dispatcher (`manzoori dispatch`) and two
lanes (`manzoori worker`) as separate processes. Officers push items through the
engine's service layer; one lane is SIGKILLed while it executes flow runs (in its own
process, in threads); every item still reaches its end exactly once.

The test always uses its own PostgreSQL, whatever database the rest of the suite uses;
deselect it with `-m "not distributed"`.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Manzoori
from tests.forms import form_for
from tests.pg_cluster import Cluster, running_cluster
from tests.prefect_support import PrefectView
from workflows.stack import Stack, free_port

pytestmark = pytest.mark.distributed

ITEMS = int(os.environ.get("MANZOORI_DISTRIBUTED_ITEMS", "200"))
"""How many items; fewer for a quick look at a change (the brief of this test is 200)."""
WORKER_LIMIT = 4

# Three ways through: signed into force, withdrawn, rejected; each with its officers'
# actions and the events the engine records, and the state its flow run ends in.
ENDINGS: list[dict[str, Any]] = [
    {"party": "punjab", "drafter": "punjab.pdu-director", "state": "COMPLETED",
     "steps": [("submit", "punjab.pdu-director", None), ("clear", "punjab.wpc-member.1", None),
               ("approve", "punjab.wpc-convener", None), ("sign", "punjab.wpc-convener", None)],
     "events": ["draft", "submit", "clear", "approve", "sign", "planned"]},
    {"party": "sindh", "drafter": "sindh.wdd-secretary", "state": "CANCELLED",
     "steps": [("withdraw", "sindh.wdd-secretary", "Superseded by the new plan")],
     "events": ["draft", "withdraw"]},
    {"party": "sindh", "drafter": "sindh.wdd-secretary", "state": "FAILED",
     "steps": [("submit", "sindh.wdd-secretary", None), ("clear", "sindh.scsw-chair", None),
               ("reject", "sindh.wdd-minister", "Outside this year's budget")],
     "events": ["draft", "submit", "clear", "reject"]},
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster() as running:
        yield running


@pytest.fixture
def layout(cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Prefect's server and the engine on PostgreSQL, the dispatcher; workers are the test's."""
    engine_url = cluster.create_database("engine")
    prefect_url = cluster.create_database("prefect").replace("postgresql+psycopg://",
                                                             "postgresql+asyncpg://")
    monkeypatch.setenv("MANZOORI_DATABASE_URL", engine_url)
    Manzoori(tmp_path, monkeypatch, engine_url)("init", "--samples")
    stack = Stack(tmp_path, port=free_port(), database_url=engine_url, prefect_database_url=prefect_url)
    try:
        stack.start_server(timeout=180)
        stack.start_dispatcher(timeout=120)
        yield stack
    finally:
        stack.stop()


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def executing(log: Path) -> int:
    """How many flow runs a lane is executing now, from its log ("executing" and "executed"
    lines of `workflows.lane`)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return 0
    return len(re.findall(r"manzoori\.lane - executing ", text)) - len(re.findall(r"manzoori\.lane - executed ", text))


def kill_machine(pid: int) -> list[int]:
    """SIGKILL a worker and everything it started, as if its machine lost power."""
    victims = [pid, *descendants(pid)]
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return victims


def lifecycle_runs(prefect: PrefectView) -> list[Any]:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    runs: list[Any] = []
    with prefect.client() as client:
        while True:
            page = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["item-lifecycle"])),
                                         sort=FlowRunSort.NAME_ASC, offset=len(runs), limit=200)
            runs += page
            if len(page) < 200:
                return runs


def wait_until(check, what: str, timeout: float, log: Path) -> Any:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"not {what} after {timeout:.0f} s; see {log}")


def test_two_workers_carry_200_items_to_their_ends_once_though_one_is_killed(
        layout: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.store import open_database
    from engine.core.items import act, draft
    from engine.core.registry import registry

    prefect = PrefectView(layout)
    for name in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
        monkeypatch.setenv(name, layout.env()[name])
    result = Manzoori(tmp_path, monkeypatch, layout.database_url)("worker", "--pool", "manzoori-typo",
                                                                  expect=4)
    assert "no work pool 'manzoori-typo'" in result.stderr and "manzoori deploy" in result.stderr
    workers = {name: layout.start_worker(name, WORKER_LIMIT) for name in ("worker-a", "worker-b")}
    worker_a_log = layout.prefect_home / "worker-a.log"
    started = time.monotonic()
    try:
        factory = open_database(layout.database_url)
        parties = registry()
        passphrase = (tmp_path / "sample-passphrase").read_text().strip()  # the [sample] keys'
        expected: dict[str, dict[str, Any]] = {}
        killed: list[int] = []
        with factory() as session:
            for number in range(ITEMS):
                way = ENDINGS[number % len(ENDINGS)]
                reference = draft(session, parties, kind="work_plan", parties=[way["party"]],
                                  title=f"Distributed work plan {number + 1}",
                                  form=form_for(way["party"], "work_plan"),
                                  officer=way["drafter"]).reference
                for action, officer, comment in way["steps"]:
                    act(session, parties, reference=reference, action=action, officer=officer,
                        comment=comment, passphrase=passphrase)
                expected[reference] = way
                # Kill worker-a in the middle, while it executes flow runs.
                if not killed and number >= ITEMS // 3 and executing(worker_a_log) > 0:
                    killed = kill_machine(workers["worker-a"].pid)
        if not killed:  # all pushed before worker-a ran anything: kill it as soon as it does
            wait_until(lambda: executing(worker_a_log) > 0, "running a flow on worker-a",
                       300, worker_a_log)
            killed = kill_machine(workers["worker-a"].pid)
        pushed = time.monotonic() - started
        # Another machine carries on: an operator starts a third worker later.
        workers["worker-c"] = layout.start_worker("worker-c", WORKER_LIMIT)

        def all_ended() -> list[Any] | None:
            runs = lifecycle_runs(prefect)
            done = [run for run in runs if run.state is not None and run.state.is_final()
                    and not run.state.is_crashed()]
            return runs if len(done) >= ITEMS else None

        runs = wait_until(all_ended, f"all {ITEMS} item runs ended", 3600,
                          layout.prefect_home / "dispatcher.log")
        elapsed = time.monotonic() - started
    finally:
        for process in workers.values():
            layout.stop_process(process)

    # One flow run per item, named by it, in the final state matching the item.
    names = Counter(run.name for run in runs)
    assert set(names) == set(expected) and set(names.values()) == {1}
    for run in runs:
        assert run.state.type.value == expected[run.name]["state"], (run.name, run.state)

    engine = create_engine(layout.database_url)

    def undelivered() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")).scalar()

    try:
        # The dispatcher marks the last entries "ended" in its next round after the runs end.
        wait_until(lambda: undelivered() == 0, "the outbox all delivered", 120,
                   layout.prefect_home / "dispatcher.log")
        with engine.connect() as connection:
            events: dict[str, list[str]] = {}
            for reference, action in connection.execute(text(
                    "SELECT i.reference, e.action FROM events e JOIN items i ON i.id = e.item_id "
                    "ORDER BY i.reference, e.seq")):
                events.setdefault(reference, []).append(action)
            outcomes = Counter(row[0] for row in connection.execute(text("SELECT outcome FROM outbox")))
            item_runs = connection.execute(text("SELECT count(*) FROM item_runs")).scalar()
    finally:
        engine.dispose()
    # The engine's events are not doubled, and the outbox was all delivered.
    assert events == {reference: way["events"] for reference, way in expected.items()}
    assert item_runs == ITEMS

    # The runs the killed worker had taken were orphaned, crashed by the automations
    # (heartbeats stopped, or claimed and never started), and run again by the dispatcher
    # (state Recovering) on a live worker. On a starved machine a live run may be crashed
    # too; it then finishes by itself or is rerun, and its end was checked above.
    log = (layout.prefect_home / "worker-a.log").read_text(errors="replace")
    taken = set(re.findall(r"Worker 'worker-a' submitting flow run '([0-9a-f-]+)'", log))
    taken -= set(re.findall(r"Aborted submission of flow run '([0-9a-f-]+)'", log))
    recovered, crashed_alive = [], 0
    with prefect.client() as client:
        for run in runs:
            history = [state.name for state in client.read_flow_run_states(run.id)]
            if "Crashed" not in history:
                continue
            if str(run.id) in taken:
                assert "Recovering" in history[history.index("Crashed"):], (run.name, history)
                recovered.append(run.name)
            else:
                crashed_alive += 1
    assert taken and recovered, f"worker-a took {len(taken)} runs, none crashed and recovered"
    print(f"\n{ITEMS} items pushed in {pushed:.0f} s, all ended {elapsed:.0f} s after the start; "
          f"{len(runs)} flow runs; outbox {dict(outcomes)}; killed {len(killed)} processes of "
          f"worker-a, which had taken {len(taken)} runs; recovered {len(recovered)}: "
          f"{sorted(recovered)}; live runs crashed and finished anyway: {crashed_alive}")


def test_worker_and_deploy_report_an_unreachable_prefect_plainly(
        manzoori: Manzoori, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    for command in ("deploy", "worker"):
        result = manzoori(command, "--pool", "manzoori", expect=1)
        assert "Prefect is not reachable" in result.stderr and "PREFECT_API_URL" in result.stderr
        assert "Traceback" not in result.output
    result = manzoori("worker", "--limit", "0", expect=2)
    assert "--limit" in result.output
