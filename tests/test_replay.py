"""An item's state rebuilt from its events alone (engine.core.replay) equals the stored state,
through returns, extra steps, quorums, reassignment, hand-over after a relief and ordered
signing; tampering shows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.core import replay
from engine.store import make_engine
from engine.core.items import get_item, reassign
from engine.core.registry import registry
from tests.conftest import Manzoori
from tests.forms import form_for


def check(manzoori, reference: str) -> str | None:
    engine = make_engine(manzoori.url)
    try:
        with Session(engine) as session:
            return replay.check(session, get_item(session, reference))
    finally:
        engine.dispose()


def test_work_plan_with_a_return_a_finance_review_and_a_quorum_rebuilds(manzoori) -> None:
    reference = manzoori.draft("work_plan", "balochistan", "PWL work plan 2025-26",
                               form_for("balochistan", "work_plan"), "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    manzoori.act(reference, "return", "balochistan.wpc-member.1", "--comment", "Add dates")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary", "--title", "PWL work plan, revised")
    engine = make_engine(manzoori.url)
    with Session(engine) as session:  # what the web app's reassign form calls
        reassign(session, registry(), reference=reference, party="balochistan",
                 to_officer="balochistan.wpc-member.3", officer="balochistan.assembly-secretary",
                 reason="Member 1 is abroad")
    engine.dispose()
    manzoori.act(reference, "clear", "balochistan.wpc-member.3")
    manzoori.act(reference, "clear", "balochistan.finance-secretary")
    assert check(manzoori, reference) is None
    for member in ("balochistan.wpc-member.1", "balochistan.wpc-member.2", "balochistan.wpc-member.4"):
        manzoori.act(reference, "approve", member)
    assert manzoori.state(reference) == "signature"
    assert check(manzoori, reference) is None
    assert manzoori.query("SELECT cycle, title FROM items WHERE reference = :r", r=reference)[0] == (
        2, "PWL work plan, revised")


def test_agreement_signed_in_order_rebuilds(manzoori) -> None:
    reference = manzoori.draft("agreement", "punjab,sindh", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg", "--ordered-signing")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    for officer in ("punjab.swd-secretary", "sindh.law-secretary"):
        manzoori.act(reference, "clear", officer)
    for officer in ("punjab.pspa-vice-chair", "sindh.sspa-ceo"):
        manzoori.act(reference, "approve", officer)
    manzoori.act(reference, "sign", "punjab.pspa-vice-chair")
    assert check(manzoori, reference) is None  # Sindh's signature step opened in its turn
    manzoori.act(reference, "sign", "sindh.sspa-ceo")
    assert manzoori.state(reference) == "executed"
    assert check(manzoori, reference) is None


def test_a_changed_table_no_longer_matches_its_events(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    assert check(manzoori, reference) is None
    engine = make_engine(manzoori.url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE steps SET status = 'done' WHERE name = 'review'")
    engine.dispose()
    difference = check(manzoori, reference)
    assert difference is not None and reference in difference and "'done'" in difference


def test_a_step_handed_back_to_the_office_after_a_relief_rebuilds(manzoori: Manzoori) -> None:
    """The hand-over event (engine.core.transfers) clears the assignment in the rebuilt state too."""
    reference = manzoori.draft("work_plan", "balochistan", "PWL work plan 2025-26",
                               form_for("balochistan", "work_plan"), "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    engine = make_engine(manzoori.url)
    with Session(engine) as session:
        reassign(session, registry(), reference=reference, party="balochistan",
                 to_officer="balochistan.wpc-member.3", officer="balochistan.assembly-secretary",
                 reason="Member 3 knows the schemes")
    engine.dispose()
    manzoori("officers", "relieve", "balochistan.wpc-member.3", "--office", "wpc-member",
             "--as", "balochistan.assembly-secretary")
    assert manzoori.actions(reference)[-2:] == ["reassign", "hand-over"]
    assert check(manzoori, reference) is None
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    assert check(manzoori, reference) is None
    engine = make_engine(manzoori.url)  # a hand-over the tables do not show is caught
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE steps SET assigned_to_id = (SELECT id FROM officers WHERE username = "
            "'balochistan.wpc-member.3') WHERE name = 'review'")
    engine.dispose()
    assert "balochistan.wpc-member.3" in (check(manzoori, reference) or "")
