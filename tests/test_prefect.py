"""Items as Prefect flow runs on a real Prefect server (started once for this module):
named by reference, suspended while people decide, resumed by the engine's outbox,
finished with a history; decisions typed into Prefect held to the engine's rules; the
outbox catching up after Prefect was down."""

from __future__ import annotations

import importlib
import os
import time
from datetime import datetime, timedelta
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Databases, Manzoori
from tests.forms import form_for
from tests.prefect_support import PrefectView, history_actions
from tests.provinces import Install, fake_distribution
from workflows.stack import Stack, free_port

# A real Prefect server per module and its runs: about a minute and a half, so in the
# `slow` step of `.ci/run` (`python -m pytest -m slow`), not the default run.
pytestmark = [pytest.mark.prefect, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def database(databases: Databases, seeded_home: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The engine's home and database that this module's stack and officers share."""
    home = tmp_path_factory.mktemp("prefect-home")
    url = databases.copy(home)
    yield home, url
    databases.drop(url)


HANGING = """
import time

from engine.contract.hookspecs import hookimpl
from tests.provinces import TestProvince


class Hanging(TestProvince):
    @hookimpl
    def on_event(self, event):
        time.sleep(600)  # an SMS gateway that never answers


_party = Hanging("hanging-province")
party, offices, roles, form, on_event = _party.party, _party.offices, _party.roles, _party.form, _party.on_event
"""
HOOK_TIMEOUT = 3


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A province package whose `on_event` hangs, installed as pip would (an entry point
    in `manzoori.provinces`), for the runner's process and this one."""
    root = tmp_path_factory.mktemp("plugins")
    fake_distribution(root, "hanging_province", HANGING)
    return root


@pytest.fixture(scope="module")
def stack(databases: Databases, database: tuple[Path, str], plugins: Path) -> Iterator[Stack]:
    home, url = database
    running = Stack(home, port=free_port())
    with pytest.MonkeyPatch.context() as environment:
        # The stack's processes (server, runner) inherit it whenever they are (re)started.
        for name, value in databases.environment(url).items():
            environment.setenv(name, value)
        environment.setenv("PYTHONPATH", os.pathsep.join([str(plugins), str(ROOT)]))
        environment.setenv("MANZOORI_HOOK_TIMEOUT", str(HOOK_TIMEOUT))
        try:
            running.start()
            yield running
        finally:
            running.stop()


@pytest.fixture
def prefect(stack: Stack) -> PrefectView:
    if stack.server is None:
        stack.start_server()
    if stack.runner is None:
        stack.start_runner()
    return PrefectView(stack)


@pytest.fixture
def cli(stack: Stack, database: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Manzoori:
    return Manzoori(stack.home, monkeypatch, database[1])


def outbox(cli: Manzoori, reference: str) -> list[tuple[int, str | None]]:
    return [(seq, outcome) for seq, outcome in cli.query(
        "SELECT o.event_seq, o.outcome FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.reference = :r ORDER BY o.id", r=reference)]


def wait_delivered(cli: Manzoori, reference: str, timeout: float = 30) -> list[tuple[int, str | None]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = outbox(cli, reference)
        if all(outcome is not None for _, outcome in entries):
            return entries
        time.sleep(0.25)
    raise AssertionError(f"outbox of {reference} not delivered: {outbox(cli, reference)}")


def test_an_items_run_is_named_suspended_resumed_by_officers_and_completed(cli, prefect) -> None:
    reference = cli.draft("work_plan", "punjab", "WPC Action Plan for the flow run",
                          form_for("punjab", "work_plan"), "punjab.pdu-director")
    run = prefect.wait_suspended_after(reference, 1)
    assert run.name == reference
    assert {"kind:work_plan", "party:punjab"} <= set(run.tags)
    status = prefect.artifact(f"{reference.lower()}-status").data
    assert "waits at step `draft`" in status and "Director, Parliamentary Development Unit" in status

    cli.act(reference, "submit", "punjab.pdu-director")
    prefect.wait_suspended_after(reference, 2)
    assert "waits at step `review`" in prefect.artifact(f"{reference.lower()}-status").data
    cli.act(reference, "clear", "punjab.wpc-member.1")
    cli.act(reference, "approve", "punjab.wpc-convener")
    cli.act(reference, "sign", "punjab.wpc-convener")
    run = prefect.wait_final(reference)

    assert run.state.is_completed() and run.state.message == f"{reference} in_force"
    status = prefect.artifact(f"{reference.lower()}-status").data
    assert f"{reference} is in_force" in status
    assert history_actions(status) == ["draft", "submit", "clear", "approve", "sign", "planned"]
    # Punjab's plugin implements no `on_event`: telling it nothing makes no task run (the
    # hanging province's test below shows the task, once per event, for a party that listens).
    assert not [name for name in prefect.executed_tasks(run) if name.startswith("notify")]
    # The engine stayed the truth: every event was delivered once, none is left.
    assert [seq for seq, _ in wait_delivered(cli, reference)] == [1, 2, 3, 4, 5, 6]
    assert (cli.home / "documents" / f"{reference}.html").exists()


def test_a_decision_typed_into_prefect_is_held_to_the_engines_rules(cli, prefect) -> None:
    reference = cli.draft("work_plan", "kp", "Women empowerment plan, decided in Prefect",
                          form_for("kp", "work_plan"), "kp.swd-secretary")
    cli.act(reference, "submit", "kp.swd-secretary")
    run = prefect.wait_suspended_after(reference, 2)

    # The minister is not the reviewer: refused, logged, and the run waits again.
    wrong = cli("officers", "code", "kp.swd-minister").stdout.strip()
    prefect.resume(run.id, {"officer": "kp.swd-minister", "code": wrong, "action": "clear"})
    run = prefect.wait(reference, lambda r: r.state.is_paused()
                       and r.state.state_details.pause_key == "after-2-1", "waiting again")
    assert cli.state(reference) == "review"
    prefect.wait_log(run.id, lambda line: "refused" in line and "kp.swd-minister cannot clear" in line)

    # The reviewer with a made-up code: refused too.
    prefect.resume(run.id, {"officer": "kp.kpcsw-chair", "code": "not-a-code", "action": "clear"})
    run = prefect.wait(reference, lambda r: r.state.is_paused()
                       and r.state.state_details.pause_key == "after-2-2", "waiting again")
    assert cli.state(reference) == "review"

    # The reviewer with a real code: accepted, recorded by the engine, the code spent.
    code = cli("officers", "code", "kp.kpcsw-chair").stdout.strip()
    prefect.resume(run.id, {"officer": "kp.kpcsw-chair", "code": code, "action": "clear",
                            "comment": "Cleared from the Prefect UI"})
    prefect.wait_suspended_after(reference, 3)
    assert cli.state(reference) == "approval"
    assert cli.actions(reference)[-1] == "clear"
    spent = cli.query("SELECT c.used_at FROM credentials c JOIN officers o ON o.id = c.officer_id "
                      "WHERE o.username = 'kp.kpcsw-chair'")
    assert spent and all(row[0] is not None for row in spent)
    stored = cli.query("SELECT digest FROM credentials")
    assert code not in {row[0] for row in stored}  # only digests are kept


def test_withdrawn_and_rejected_items_end_their_runs_with_the_reason(cli, prefect) -> None:
    withdrawn = cli.draft("work_plan", "sindh", "Work plan to be withdrawn",
                          form_for("sindh", "work_plan"), "sindh.wdd-secretary")
    cli.act(withdrawn, "withdraw", "sindh.wdd-secretary", "--comment", "Superseded by the new plan")
    rejected = cli.draft("work_plan", "sindh", "Work plan to be rejected",
                         form_for("sindh", "work_plan"), "sindh.wdd-secretary")
    cli.act(rejected, "submit", "sindh.wdd-secretary")
    cli.act(rejected, "clear", "sindh.scsw-chair")
    cli.act(rejected, "reject", "sindh.wdd-minister", "--comment", "Outside this year's budget")

    run = prefect.wait_final(withdrawn)
    assert run.state.is_cancelled() and "Superseded by the new plan" in run.state.message
    run = prefect.wait_final(rejected)
    assert run.state.is_failed() and "Outside this year's budget" in run.state.message


def test_actions_while_prefect_is_down_succeed_and_catch_up_in_order_once(cli, prefect, stack) -> None:
    reference = cli.draft("agreement", "punjab,balochistan", "Letter of Intent kept in the outbox",
                          form_for("punjab", "agreement"), "punjab.pspa-dg")
    prefect.wait_suspended_after(reference, 1)
    stack.stop_runner()
    stack.stop_server()

    cli.act(reference, "submit", "punjab.pspa-dg")
    cli.act(reference, "clear", "punjab.swd-secretary")
    cli.act(reference, "comment", "balochistan.law-secretary", "--comment", "Reviewing the data clause")
    cli.act(reference, "clear", "balochistan.law-secretary")
    assert cli.state(reference) == "approval"
    assert [outcome for _, outcome in outbox(cli, reference)][1:] == [None] * 4

    stack.start_server()
    stack.start_runner()
    run = prefect.wait_suspended_after(reference, 5)
    delivered = wait_delivered(cli, reference)
    assert [seq for seq, _ in delivered] == [1, 2, 3, 4, 5]
    outcomes = [outcome for _, outcome in delivered]
    # Started once before the outage. Afterwards the run was woken (resumed; or run again,
    # if stopping the runner had caught it mid-execution and the recovery pass found it
    # crashed), read everything, and the other entries found it caught up.
    assert outcomes[0] == "started"
    assert set(outcomes[1:]) <= {"resumed", "restarted", "caught-up"}
    status = prefect.artifact(f"{reference.lower()}-status").data
    assert history_actions(status) == ["draft", "submit", "clear", "comment", "clear"]


def test_the_deadline_schedule_escalates_through_prefect(cli, prefect) -> None:
    reference = cli.draft("work_plan", "balochistan", "PWL work plan with a deadline",
                          form_for("balochistan", "work_plan"), "balochistan.assembly-secretary")
    cli.act(reference, "submit", "balochistan.assembly-secretary")
    prefect.wait_suspended_after(reference, 2)
    due = cli.query("SELECT s.due_at FROM steps s JOIN items i ON i.id = s.item_id "
                    "WHERE i.reference = :r AND s.status = 'open'", r=reference)[0][0]
    after = (datetime.fromisoformat(str(due)) + timedelta(hours=1)).isoformat(timespec="minutes")
    with prefect.client() as client:
        deployment = client.read_deployment_by_name("deadlines/manzoori")
        client.create_flow_run_from_deployment(deployment.id, parameters={"now": after})
    sweep = prefect.wait_final(f"deadlines {after}")
    assert sweep.state.is_completed()
    assert cli.actions(reference)[-1] == "escalate"
    # The escalation wakes the item's run, whose status says so.
    last = len(cli.actions(reference))
    prefect.wait_suspended_after(reference, last)
    assert history_actions(prefect.artifact(f"{reference.lower()}-status").data)[-1] == "escalate"


def test_an_on_event_that_hangs_holds_up_neither_its_item_nor_the_others(
        cli, prefect, plugins: Path, install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    # The runner found the hanging province through its entry point; this process too.
    monkeypatch.syspath_prepend(str(plugins))
    install(hanging_province=importlib.import_module("hanging_province"))
    cli("init", "--samples")  # its [sample] officers
    data = form_for("punjab", "work_plan")
    data.pop("activities")
    stuck = cli.draft("work_plan", "hanging-province", "Plan of a party whose gateway hangs", data,
                      "hanging-province.director")
    flowing = cli.draft("work_plan", "punjab", "Plan that keeps flowing",
                        form_for("punjab", "work_plan"), "punjab.pdu-director")
    began = time.monotonic()
    cli.act(stuck, "submit", "hanging-province.director")
    cli.act(flowing, "submit", "punjab.pdu-director")
    cli.act(flowing, "clear", "punjab.wpc-member.1")

    # The other item's wake-ups go through while the hook hangs (for 600 s)...
    prefect.wait_suspended_after(flowing, 3, timeout=120)
    assert "waits at step `approval`" in prefect.artifact(f"{flowing.lower()}-status").data
    # ...and the hanging party's own item goes on too: each hook given up after its time.
    run = prefect.wait_suspended_after(stuck, 2, timeout=120)
    assert time.monotonic() - began < 300, "waited for the hanging hook"
    # The party listens (it implements `on_event`): told of each event once, in order.
    assert [name for name in prefect.executed_tasks(run) if name.startswith("notify")] == [
        f"notify {stuck} #1", f"notify {stuck} #2"]
    assert "waits at step `review`" in prefect.artifact(f"{stuck.lower()}-status").data
    line = prefect.wait_log(run.id, lambda text: f"on_event of hanging-province for {stuck} #2" in text)
    assert f"did not return within {HOOK_TIMEOUT} s" in line
