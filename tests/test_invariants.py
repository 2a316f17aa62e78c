"""Each invariant of DESIGN.md refuses what it must, says why, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engine.store import make_engine
from engine.errors import Conflict, NotAllowed
from engine.core.items import act, get_item
from engine.core.registry import registry
from tests.forms import form_for

WP = "work_plan"


@pytest.fixture
def in_review(manzoori) -> str:
    reference = manzoori.draft(WP, "punjab", "WPC Action Plan 2026", form_for("punjab", WP),
                               "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    assert manzoori.state(reference) == "review"
    return reference


@pytest.fixture
def in_approval(manzoori, in_review) -> str:
    manzoori.act(in_review, "clear", "punjab.wpc-member.1")
    assert manzoori.state(in_review) == "approval"
    return in_review


def refused(manzoori, expect: int, *args: str) -> str:
    """Run a command that must be refused; check it changed nothing; return its message."""
    before = manzoori.snapshot()
    result = manzoori(*args, expect=expect)
    assert manzoori.snapshot() == before
    assert "Traceback" not in result.output
    return result.stderr


def test_officer_without_the_steps_role_cannot_approve(manzoori, in_approval) -> None:
    message = refused(manzoori, 3, "act", in_approval, "approve", "--as", "punjab.wpc-member.2")
    assert "cannot approve" in message and "Convener" in message


def test_officer_of_another_party_cannot_act_on_the_step(manzoori, in_review) -> None:
    # Outside need-to-know the item is not there for them (exit 4), and the console says why.
    message = refused(manzoori, 4, "act", in_review, "clear", "--as", "balochistan.wpc-member.1")
    assert f"balochistan.wpc-member.1 may not read {in_review} (need-to-know)" in message


def test_drafter_cannot_approve_own_work_plan(manzoori, in_approval) -> None:
    manzoori("officers", "add", "punjab.pdu-director", "--name",
             "Sample officer, Director, Parliamentary Development Unit, Provincial Assembly of the Punjab [sample]",
             "--party", "punjab", "--office", "wpc-convener", "--since", "2000-01-01", "--sample")
    message = refused(manzoori, 3, "act", in_approval, "approve", "--as", "punjab.pdu-director")
    assert "maker and checker must differ" in message


def test_submitted_version_cannot_be_edited(manzoori, in_review) -> None:
    changed = manzoori.form("changed", {**form_for("punjab", WP), "summary": "A different plan altogether."})
    message = refused(manzoori, 3, "act", in_review, "revise", "--as", "punjab.pdu-director",
                      "--form", changed)
    assert "submitted and frozen" in message


def test_frozen_version_is_guarded_below_the_service_layer(manzoori, in_review) -> None:
    engine = make_engine(manzoori.url)
    with Session(engine) as session:
        version = get_item(session, in_review).versions[0]
        version.title = "Quietly changed"
        with pytest.raises(NotAllowed, match="frozen"):
            session.flush()
    engine.dispose()
    assert manzoori.query("SELECT title FROM versions")[0][0] == "WPC Action Plan 2026"


def test_stale_decision_is_refused_as_a_conflict(manzoori, in_review) -> None:
    seen = manzoori.query("SELECT revision FROM items WHERE reference = :r", r=in_review)[0][0]
    manzoori.act(in_review, "comment", "punjab.wpc-member.2", "--comment", "Pillar 4 needs dates")
    message = refused(manzoori, 6, "act", in_review, "clear", "--as", "punjab.wpc-member.1",
                      "--revision", str(seen))
    assert "changed since you saw it" in message


def test_two_officers_racing_on_one_step_one_wins(manzoori, in_review) -> None:
    """Both read the item before either commits: the second commit is the loser."""
    engine = make_engine(manzoori.url)
    parties = registry()
    first, second = Session(engine), Session(engine)
    seen_by_second = get_item(second, in_review)  # the second officer has the item open
    assert seen_by_second.state == "review"
    act(first, parties, reference=in_review, action="clear", officer="punjab.wpc-member.1")
    with pytest.raises(Conflict, match="changed by someone else"):
        act(second, parties, reference=in_review, action="clear", officer="punjab.wpc-member.2")
    first.close(), second.close()
    engine.dispose()
    assert manzoori.actions(in_review) == ["draft", "submit", "clear"]
    assert manzoori.state(in_review) == "approval"


def test_retry_with_the_same_key_is_not_applied_twice(manzoori, in_review) -> None:
    manzoori.act(in_review, "clear", "punjab.wpc-member.1", "--key", "req-42")
    before = manzoori.snapshot()
    again = manzoori.act(in_review, "clear", "punjab.wpc-member.1", "--key", "req-42")
    assert "already done" in again.output
    assert manzoori.snapshot() == before


def test_same_officer_deciding_twice_is_a_conflict(manzoori) -> None:
    reference = manzoori.draft(WP, "balochistan", "PWL work plan 2025-26",
                               form_for("balochistan", WP), "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    if manzoori.state(reference) == "finance_review":
        manzoori.act(reference, "clear", "balochistan.finance-secretary")
    manzoori.act(reference, "approve", "balochistan.wpc-member.2")
    message = refused(manzoori, 6, "act", reference, "approve", "--as", "balochistan.wpc-member.2")
    assert "already decided" in message


def test_form_failing_the_provinces_validation_names_the_field(manzoori) -> None:
    data = form_for("balochistan", WP)
    data["psdp_schemes"][0]["constituency"] = "PB-99"
    path = manzoori.form("bad", data)
    message = refused(manzoori, 5, "draft", WP, "--parties", "balochistan", "--title",
                      "PWL work plan 2025-26", "--form", path, "--as", "balochistan.assembly-secretary")
    assert "psdp_schemes[0].constituency" in message


def test_rule_refusing_content_names_the_field(manzoori) -> None:
    data = form_for("punjab", WP)
    data["activities"] = [a for a in data["activities"] if a["pillar"] != data["activities"][0]["pillar"]]
    path = manzoori.form("missing-pillar", data)
    message = refused(manzoori, 5, "draft", WP, "--parties", "punjab", "--title",
                      "WPC Action Plan 2026", "--form", path, "--as", "punjab.pdu-director")
    assert "activities" in message


def test_unknown_item_is_not_found(manzoori) -> None:
    message = refused(manzoori, 4, "act", "PJ-WP-2025-9999", "approve", "--as", "punjab.wpc-convener")
    assert "no item 'PJ-WP-2025-9999'" in message


def test_unknown_officer_is_not_found(manzoori, in_review) -> None:
    message = refused(manzoori, 4, "act", in_review, "clear", "--as", "nobody.at.all")
    assert "no officer 'nobody.at.all'" in message


def test_unknown_action_and_wrong_step_are_refused(manzoori, in_review) -> None:
    assert "no action 'bless'" in refused(manzoori, 3, "act", in_review, "bless", "--as", "punjab.wpc-member.1")
    message = refused(manzoori, 3, "act", in_review, "sign", "--as", "punjab.wpc-convener")
    assert "'sign' is not possible at step 'review'" in message


def test_return_without_a_reason_is_refused(manzoori, in_review) -> None:
    message = refused(manzoori, 5, "act", in_review, "return", "--as", "punjab.wpc-member.1")
    assert "give a reason" in message


def test_withdrawn_item_takes_no_further_action(manzoori, in_review) -> None:
    manzoori.act(in_review, "withdraw", "punjab.pdu-director", "--comment", "Superseded")
    assert manzoori.state(in_review) == "withdrawn"
    assert "withdrawn" in refused(manzoori, 3, "act", in_review, "clear", "--as", "punjab.wpc-member.1")


def test_text_that_is_not_utf8_is_refused_plainly(manzoori, in_review, tmp_path) -> None:
    """A terminal may hand over bytes that are not UTF-8 (as lone surrogates): refused by name."""
    message = refused(manzoori, 5, "act", in_review, "comment", "--as", "punjab.wpc-member.1",
                      "--comment", "bad \udcff text")
    assert "comment is not valid text" in message
    message = refused(manzoori, 5, "draft", WP, "--parties", "punjab", "--title", "WPC plan \udcff",
                      "--form", manzoori.form("ok", form_for("punjab", WP)), "--as", "punjab.pdu-director")
    assert "title is not valid text" in message
