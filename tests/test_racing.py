"""Officers racing on one item, on the database the suite runs on (--db): two reviewers
deciding the same step at once, the same request retried at once, an approval against a
withdrawal. Each race is run on many items: two threads, each with its own session,
released together by a barrier, acting through the service layer. Afterwards the stored
state is read with SQL: one outcome per item, no lost update, no doubled event, and the
loser told why.

Every run races 50 pairs; the 1,000 pairs (MANZOORI_RACING_PAIRS) that find the rare
interleavings are marked `slow`, run by `.ci/run` in a step of their own (`-m slow`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from engine.core import items
from engine.core.registry import registry
from engine.errors import Conflict, ManzooriError, NotAllowed
from engine.store import AuditEvent, Decision, Item, ItemParty, StepRecord, Version, open_database
from tests.conftest import Databases
from tests.forms import form_for

QUICK_PAIRS = 50
PAIRS = int(os.environ.get("MANZOORI_RACING_PAIRS", "1000"))
DRAFTER = "punjab.pdu-director"
REVIEWERS = ("punjab.wpc-member.1", "punjab.wpc-member.2")
APPROVER = "punjab.wpc-convener"


@dataclass
class Racing:
    factory: sessionmaker
    pairs: int
    in_review: list[str]
    """`pairs` items for each of the two races at the review step, and one more."""
    in_approval: list[str]

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.factory() as session:
            return list(session.execute(text(sql), params))


@pytest.fixture(scope="module", params=[pytest.param(QUICK_PAIRS, id=f"{QUICK_PAIRS}-pairs"),
                                        pytest.param(PAIRS, id=f"{PAIRS}-pairs", marks=pytest.mark.slow)])
def racing(request: pytest.FixtureRequest, databases: Databases, seeded_home: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Racing]:
    """A copy of the seeded database with 2 x pairs + 1 Punjab work plans in review and
    pairs in approval: one of each made through the service layer, the rest bulk copies."""
    pairs = request.param
    url = databases.copy(tmp_path_factory.mktemp("racing"))
    factory = open_database(url)
    parties = registry()
    with factory() as session:
        review = items.draft(session, parties, kind="work_plan", parties=["punjab"],
                             title="Racing work plan in review", form=form_for("punjab", "work_plan"),
                             officer=DRAFTER).reference
        items.act(session, parties, reference=review, action="submit", officer=DRAFTER)
        approval = items.draft(session, parties, kind="work_plan", parties=["punjab"],
                               title="Racing work plan in approval", form=form_for("punjab", "work_plan"),
                               officer=DRAFTER).reference
        items.act(session, parties, reference=approval, action="submit", officer=DRAFTER)
        items.act(session, parties, reference=approval, action="clear", officer=REVIEWERS[0])
        in_review = [review, *_copies(session, review, "PJ-WP-RACE-R", 2 * pairs)]
        in_approval = [approval, *_copies(session, approval, "PJ-WP-RACE-A", pairs - 1)]
        session.commit()
    try:
        yield Racing(factory, pairs, in_review, in_approval)
    finally:
        factory.kw["bind"].dispose()
        databases.drop(url)


def _unsequenced(model: type) -> dict[str, None]:
    return {"global_seq": None} if model is AuditEvent else {}


def _copies(session: Session, reference: str, prefix: str, count: int) -> list[str]:
    """`count` copies of an item (its parties, versions, steps, decisions and events) under
    new references, inserted in bulk. The copied events keep the original's hashes: these
    items are for racing, not for checking the audit chain."""
    references = [f"{prefix}-{number:05d}" for number in range(1, count + 1)]
    items_table = Item.__table__
    original = session.execute(select(items_table).where(items_table.c.reference == reference)).mappings().one()
    rows = [{**_without_id(original), "reference": new} for new in references]
    ids = session.execute(insert(items_table).returning(items_table.c.id, sort_by_parameter_order=True),
                          rows).scalars().all()
    for model in (ItemParty, Version, AuditEvent):
        table = model.__table__
        children = session.execute(select(table).where(table.c.item_id == original["id"])).mappings().all()
        session.execute(insert(table), [{**_without_id(child), "item_id": new} | _unsequenced(model)
                                        for new in ids for child in children])
    events = AuditEvent.__table__  # each copied event's global sequence is its own row id
    session.execute(update(events).where(events.c.global_seq.is_(None)).values(global_seq=events.c.id))
    steps = StepRecord.__table__
    decisions = Decision.__table__
    for step in session.execute(select(steps).where(steps.c.item_id == original["id"])).mappings().all():
        step_ids = session.execute(insert(steps).returning(steps.c.id, sort_by_parameter_order=True),
                                   [{**_without_id(step), "item_id": new} for new in ids]).scalars().all()
        made = session.execute(select(decisions).where(decisions.c.step_id == step["id"])).mappings().all()
        if made:
            session.execute(insert(decisions), [{**_without_id(decision), "step_id": new}
                                                for new in step_ids for decision in made])
    return references


def _without_id(row: Any) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "id"}


Call = Callable[[Session, int], items.Outcome]


def race(factory: sessionmaker, first: Call, second: Call, rounds: int) -> list[tuple[Any, Any]]:
    """Run `first(session, i)` and `second(session, i)` at the same moment for each round,
    in two threads with their own sessions; each call's Outcome or exception, per round."""
    barrier = threading.Barrier(2)
    results: list[list[Any]] = [[None] * rounds, [None] * rounds]

    def racer(side: int, call: Call) -> None:
        for number in range(rounds):
            with factory() as session:
                barrier.wait(timeout=120)
                try:
                    results[side][number] = call(session, number)
                except Exception as error:  # kept, and checked by the test
                    results[side][number] = error

    threads = [threading.Thread(target=racer, args=(side, call), daemon=True)
               for side, call in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return list(zip(*results, strict=True))


def _report(name: str, started: float, pairs: int, tally: dict[str, int]) -> None:
    # Shown with -s (or in the captured output of a failure): the figures of the run.
    figures = ", ".join(f"{key} {value}" for key, value in sorted(tally.items()))
    print(f"\n{name}: {pairs} pairs in {time.monotonic() - started:.1f} s; {figures}")


def _one_winner(race_name: str, started: float, chosen: list[str], results: list[tuple[Any, Any]],
                actions: tuple[str, str]) -> tuple[dict[str, str], dict[str, ManzooriError]]:
    """Per item, the action that won and the loser's refusal: exactly one of the pair went
    through, and the other was told why by one of our errors, never by a driver error such
    as SQLite's 'database is locked'."""
    winners, refusals = {}, {}
    tally = {f"{action} won": 0 for action in actions}
    for reference, pair in zip(chosen, results, strict=True):
        outcomes = [result for result in pair if isinstance(result, items.Outcome)]
        assert len(outcomes) == 1, f"{reference}: {pair[0]!r} / {pair[1]!r}"
        [loser] = [result for result in pair if result is not outcomes[0]]
        assert isinstance(loser, (NotAllowed, Conflict)), f"{reference}: {type(loser).__name__}: {loser}"
        assert reference in loser.message, loser
        winners[reference], refusals[reference] = outcomes[0].action, loser
        tally[f"{outcomes[0].action} won"] += 1
    _report(race_name, started, len(chosen), tally)
    return winners, refusals


def _stored(racing: Racing, references: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each item's events (their actions, in order) and its state, as stored."""
    rows = racing.query(
        "SELECT i.reference, e.action FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE i.reference LIKE 'PJ-WP-%' ORDER BY i.reference, e.seq")
    wanted = set(references)
    events: dict[str, list[str]] = {}
    for reference, action in rows:
        if reference in wanted:
            events.setdefault(reference, []).append(action)
    return events, dict(racing.query("SELECT reference, state FROM items WHERE reference LIKE 'PJ-WP-%'"))


def test_two_reviewers_deciding_one_step_at_once_one_decision_stands(racing: Racing) -> None:
    """A quorum-1 review: one member clears while another returns it, at the same moment."""
    parties = registry()
    chosen = racing.in_review[:racing.pairs]
    started = time.monotonic()
    results = race(
        racing.factory,
        lambda session, n: items.act(session, parties, reference=chosen[n], action="clear",
                                     officer=REVIEWERS[0]),
        lambda session, n: items.act(session, parties, reference=chosen[n], action="return",
                                     officer=REVIEWERS[1], comment="Pillar 4 needs dates"),
        len(chosen),
    )
    winners, _ = _one_winner("two reviewers", started, chosen, results, ("clear", "return"))

    events, states = _stored(racing, chosen)
    decided = dict(racing.query(
        "SELECT i.reference, COUNT(d.id) FROM items i JOIN steps s ON s.item_id = i.id "
        "JOIN decisions d ON d.step_id = s.id WHERE s.name = 'review' GROUP BY i.reference"))
    for reference in chosen:
        assert events[reference] == ["draft", "submit", winners[reference]], reference
        assert states[reference] == ("approval" if winners[reference] == "clear" else "draft"), reference
        assert decided[reference] == 1, reference


def test_the_same_request_retried_at_once_is_done_once_and_answered_alike(racing: Racing) -> None:
    """A reviewer's client sends the same clear twice (same key) before hearing back."""
    parties = registry()
    chosen = racing.in_review[racing.pairs:2 * racing.pairs]

    def clear(session: Session, n: int) -> items.Outcome:
        return items.act(session, parties, reference=chosen[n], action="clear",
                         officer=REVIEWERS[0], key=f"clear-{chosen[n]}")

    started = time.monotonic()
    results = race(racing.factory, clear, clear, len(chosen))
    for reference, (first, second) in zip(chosen, results, strict=True):
        assert isinstance(first, items.Outcome) and isinstance(second, items.Outcome), (
            f"{reference}: {first!r} / {second!r}")
        assert sorted([first.replayed, second.replayed]) == [False, True], reference
        assert (first.state, first.revision) == (second.state, second.revision) == ("approval", first.revision)
    _report("one request twice", started, len(chosen), {"replayed": len(chosen)})

    events, states = _stored(racing, chosen)
    keyed = dict(racing.query(
        "SELECT i.reference, COUNT(e.id) FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE e.idempotency_key IS NOT NULL GROUP BY i.reference"))
    for reference in chosen:
        assert events[reference] == ["draft", "submit", "clear"], reference
        assert keyed[reference] == 1 and states[reference] == "approval", reference


def test_approval_racing_withdrawal_one_wins_and_the_item_agrees(racing: Racing) -> None:
    """The approver approves and the drafter withdraws what both saw at the same revision."""
    parties = registry()
    chosen = racing.in_approval
    seen = racing.query("SELECT revision FROM items WHERE reference = :r", r=chosen[0])[0][0]
    started = time.monotonic()
    results = race(
        racing.factory,
        lambda session, n: items.act(session, parties, reference=chosen[n], action="approve",
                                     officer=APPROVER, expected_revision=seen),
        lambda session, n: items.act(session, parties, reference=chosen[n], action="withdraw",
                                     officer=DRAFTER, comment="Superseded", expected_revision=seen),
        len(chosen),
    )
    winners, refusals = _one_winner("approve against withdraw", started, chosen, results,
                                    ("approve", "withdraw"))
    for loser in refusals.values():  # each decided on what it saw; the other had changed it
        assert isinstance(loser, Conflict) and "changed since you saw it" in loser.message, loser

    events, states = _stored(racing, chosen)
    still_open = dict(racing.query(
        "SELECT i.reference, COUNT(s.id) FROM items i JOIN steps s ON s.item_id = i.id "
        "WHERE s.status = 'open' GROUP BY i.reference"))
    for reference in chosen:
        assert events[reference] == ["draft", "submit", "clear", winners[reference]], reference
        if winners[reference] == "withdraw":
            assert states[reference] == "withdrawn" and reference not in still_open, reference
        else:
            assert states[reference] == "signature" and still_open[reference] == 1, reference


def test_an_officers_action_waits_for_anothers_instead_of_failing(racing: Racing) -> None:
    """While another transaction holds the item (PostgreSQL: its row; SQLite: the write
    lock), an action waits for it, then goes through: no 'database is locked'."""
    parties = registry()
    reference = racing.in_review[2 * racing.pairs]
    done: list[Any] = []
    with racing.factory() as holder:
        if holder.get_bind().dialect.name == "sqlite":
            holder.connection().exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.execute(text("SELECT id FROM items WHERE reference = :r FOR UPDATE"), {"r": reference})

        def clear() -> None:
            with racing.factory() as session:
                try:
                    done.append(items.act(session, parties, reference=reference, action="clear",
                                          officer=REVIEWERS[0]))
                except Exception as error:  # kept, and checked below
                    done.append(error)

        waiting = threading.Thread(target=clear, daemon=True)
        waiting.start()
        waiting.join(2)
        assert waiting.is_alive() and not done, f"did not wait: {done}"
        holder.rollback()
    waiting.join(60)
    assert len(done) == 1 and isinstance(done[0], items.Outcome), done
    assert racing.query("SELECT state FROM items WHERE reference = :r", r=reference)[0][0] == "approval"
