"""Persisted officer actions per second, against the peers and the physical limit.

The same 4-step approval of a Punjab work plan (submit, clear, approve, sign; drafting is
done beforehand and not timed) through:

- the engine's service layer (`engine.core.items.act`), one transaction per action, on SQLite
  (the engine's own settings: WAL, `synchronous=FULL`, the SQLite default that WAL keeps)
  and on PostgreSQL (a throw-away cluster with fsync on, `synchronous_commit=on`);
- SpiffWorkflow running bench/four_approvals.bpmn (four user tasks), its workflow
  serialized to a SQLite table (same settings) and committed after every task — kept in
  memory between tasks, and (the stateless way a web app would use it) loaded from the
  table before every task;
- `transitions`, in memory: an upper bound with no persistence;
- raw single-row INSERT + COMMIT on the same databases with the same settings: the rate of
  one durable commit, the ceiling for anything that persists each action.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import PASSPHRASE, seed_directory, spread
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState
from transitions import Machine

from engine.core.items import act, draft
from engine.core.registry import registry
from engine.store import make_engine, open_database
from tests.forms import form_for
from tests.pg_cluster import running_cluster

BPMN = Path(__file__).resolve().parent / "four_approvals.bpmn"
STEPS = (("submit", "punjab.pdu-director"), ("clear", "punjab.wpc-member.1"),
         ("approve", "punjab.wpc-convener"), ("sign", "punjab.wpc-convener"))
ROW = "x" * 200  # the size of a modest audit row


def rate(durations: list[float]) -> dict[str, Any]:
    """Actions per second over the whole series, and the spread of one action in ms."""
    return {"per_s": round(len(durations) / sum(durations), 1),
            "action_ms": spread(durations, scale=1000, digits=2)}


def engine_actions(url: str, items: int) -> dict[str, Any]:
    """Draft `items` Punjab work plans, then time their 4 actions each through `act` (the
    sign action unlocks the convener's [sample] key, one bcrypt round: a holder's own key,
    16 rounds, adds what bench/trust_bench.py measures)."""
    factory = open_database(url)
    parties = registry()
    form = form_for("punjab", "work_plan")
    durations: list[float] = []
    by_action: dict[str, list[float]] = {action: [] for action, _ in STEPS}
    # The process's CPU per action too: unlike the wall time, it hardly moves with the load
    # the other processes put on the machine.
    cpu_by_action: dict[str, list[float]] = {action: [] for action, _ in STEPS}
    try:
        with factory() as session:
            seed_directory(session, parties)
            session.commit()
            references = [draft(session, parties, kind="work_plan", parties=["punjab"],
                                title=f"Work plan {number:05d}", form=form,
                                officer="punjab.pdu-director").reference
                          for number in range(items + 2)]
            for number, reference in enumerate(references):
                for action, officer in STEPS:
                    begin, cpu = time.perf_counter(), time.process_time()
                    outcome = act(session, parties, reference=reference, action=action, officer=officer,
                                  passphrase=PASSPHRASE if action == "sign" else None)
                    if number >= 2:  # the first two warm the caches up
                        durations.append(time.perf_counter() - begin)
                        by_action[action].append(durations[-1])
                        cpu_by_action[action].append(time.process_time() - cpu)
                assert outcome.state == "in_force", outcome
    finally:
        factory.kw["bind"].dispose()
    decisions = [d for action in ("submit", "clear", "approve") for d in by_action[action]]
    # Each kind on its own: a sign unlocks the key (its KDF) as well as deciding.
    return {**rate(durations), "decisions": rate(decisions),
            "by_action_ms": {action: spread(times, scale=1000, digits=2)
                             for action, times in by_action.items()},
            "cpu_by_action_ms": {action: spread(times, scale=1000, digits=2)
                                 for action, times in cpu_by_action.items()}}


def raw_commits(url: str, count: int) -> dict[str, Any]:
    """INSERT one row and COMMIT, `count` times, on the DBAPI connection the engine's
    settings gave (`engine.store.make_engine`)."""
    engine = make_engine(url)
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    connection = engine.raw_connection()
    durations = []
    try:
        cursor = connection.cursor()
        cursor.execute(f"CREATE TABLE bench_commits (id {serial} PRIMARY KEY, at TEXT, row TEXT)")
        connection.commit()
        for number in range(count):
            begin = time.perf_counter()
            cursor.execute(f"INSERT INTO bench_commits (at, row) VALUES ({mark}, {mark})",
                           (str(number), ROW))
            connection.commit()
            durations.append(time.perf_counter() - begin)
    finally:
        connection.close()
        engine.dispose()
    return rate(durations)


def _spiff() -> tuple[Any, Any, Callable[[Any], None]]:
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("work_plan")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure())

    def complete_next(workflow: Any) -> None:
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.run()
        workflow.do_engine_steps()

    def new() -> Any:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        return workflow

    return new, serializer, complete_next


def spiff_actions(url: str, items: int, *, reload: bool) -> dict[str, Any]:
    """Each item's four user tasks, the workflow serialized to a SQLite row and committed
    after every task; with `reload`, deserialized from that row before every task."""
    new, serializer, complete_next = _spiff()
    engine = make_engine(url)
    connection = engine.raw_connection()
    durations: list[float] = []
    try:
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE IF NOT EXISTS spiff_workflows (id INTEGER PRIMARY KEY, state TEXT)")
        start = cursor.execute("SELECT coalesce(max(id), 0) FROM spiff_workflows").fetchone()[0]
        connection.commit()
        for number in range(items + 2):
            identity, workflow = start + number + 1, new()
            cursor.execute("INSERT INTO spiff_workflows (id, state) VALUES (?, ?)",
                           (identity, serializer.serialize_json(workflow)))
            connection.commit()
            for _ in STEPS:
                begin = time.perf_counter()
                if reload:
                    state = cursor.execute("SELECT state FROM spiff_workflows WHERE id = ?",
                                           (identity,)).fetchone()[0]
                    workflow = serializer.deserialize_json(state)
                complete_next(workflow)
                cursor.execute("UPDATE spiff_workflows SET state = ? WHERE id = ?",
                               (serializer.serialize_json(workflow), identity))
                connection.commit()
                if number >= 2:
                    durations.append(time.perf_counter() - begin)
            assert workflow.is_completed()
    finally:
        connection.close()
        engine.dispose()
    return rate(durations)


def transitions_actions(items: int) -> dict[str, Any]:
    """The same four transitions on a `transitions` state machine, in memory."""
    states = ["draft", "review", "approval", "signature", "in_force"]
    moves = [{"trigger": action, "source": source, "dest": dest}
             for (action, _), source, dest in zip(STEPS, states, states[1:], strict=False)]
    durations = []
    for _ in range(items):
        class WorkPlan:
            pass
        plan = WorkPlan()
        Machine(model=plan, states=states, transitions=moves, initial="draft")
        for action, _ in STEPS:
            begin = time.perf_counter()
            getattr(plan, action)()
            durations.append(time.perf_counter() - begin)
        assert plan.state == "in_force"
    return rate(durations)


def run(quick: bool) -> dict[str, Any]:
    items = 3 if quick else 150
    commits = 50 if quick else 1500
    folder = Path(tempfile.mkdtemp(prefix="manzoori-bench-actions-"))
    sqlite = f"sqlite:///{folder / 'manzoori.db'}"
    results: dict[str, Any] = {
        "items": items, "actions_per_item": len(STEPS),
        "flow": "Punjab work plan: submit, clear, approve, sign (draft not timed)",
        "sqlite": {"settings": "WAL, synchronous=FULL (2), busy_timeout=10000, foreign_keys=ON",
                   "file": str(folder)},
    }
    results["sqlite"]["raw_commit"] = raw_commits(sqlite, commits)
    results["sqlite"]["engine"] = engine_actions(sqlite, items)
    results["sqlite"]["spiff_kept"] = spiff_actions(sqlite, items, reload=False)
    results["sqlite"]["spiff_reloaded"] = spiff_actions(sqlite, items, reload=True)
    results["transitions"] = transitions_actions(items * 20)
    with running_cluster(durable=True) as cluster:
        url = cluster.create_database("manzoori_bench")
        version = cluster.psql("SHOW server_version").strip()
        results["postgresql"] = {
            "settings": f"PostgreSQL {version}, fsync=on, synchronous_commit=on, "
                        "full_page_writes=on (durable=True), local TCP",
            "raw_commit": raw_commits(url, commits),
            "engine": engine_actions(url, items),
        }
    for name in ("sqlite", "postgresql"):
        figures = results[name]
        figures["engine_over_raw_commit"] = round(
            figures["engine"]["per_s"] / figures["raw_commit"]["per_s"], 3)
    spiff = results["sqlite"]["spiff_kept"]["per_s"]
    results["ratios"] = {
        "sqlite_engine_over_spiff_kept": round(results["sqlite"]["engine"]["per_s"] / spiff, 2),
        "sqlite_engine_over_spiff_reloaded": round(
            results["sqlite"]["engine"]["per_s"] / results["sqlite"]["spiff_reloaded"]["per_s"], 2),
        "postgresql_engine_over_spiff_kept": round(results["postgresql"]["engine"]["per_s"] / spiff, 2),
        "sqlite_engine_over_raw_commit": results["sqlite"]["engine_over_raw_commit"],
        "postgresql_engine_over_raw_commit": results["postgresql"]["engine_over_raw_commit"],
        "transitions_over_sqlite_engine": round(
            results["transitions"]["per_s"] / results["sqlite"]["engine"]["per_s"], 1),
    }
    shutil.rmtree(folder, ignore_errors=True)
    return results
