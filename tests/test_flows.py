"""The three flows end to end through the CLI, for several provinces, checked in the database."""

from __future__ import annotations

from tests.forms import form_for


def steps_of(manzoori, reference: str) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in manzoori.query(
        "SELECT s.name, s.party, s.status FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r ORDER BY s.id", r=reference)]


def test_punjab_work_plan_returned_revised_and_brought_into_force(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    assert reference.startswith("PJ-WP-")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    manzoori.act(reference, "return", "punjab.wpc-member.1", "--comment", "Name a lead for each activity")
    assert manzoori.state(reference) == "draft"
    revised = {**form_for("punjab", "work_plan"), "summary": "Revised after the caucus members' inputs."}
    manzoori.act(reference, "submit", "punjab.pdu-director", "--form", manzoori.form("v2", revised))
    manzoori.act(reference, "clear", "punjab.wpc-member.1")
    manzoori.act(reference, "approve", "punjab.wpc-convener")
    manzoori.act(reference, "sign", "punjab.wpc-convener")

    assert manzoori.state(reference) == "in_force"
    # In force, its activities join their quarters' plans for follow-up ("planned").
    assert manzoori.actions(reference) == ["draft", "submit", "return", "submit", "clear",
                                           "approve", "sign", "planned"]
    versions = manzoori.query("SELECT number, submitted_at IS NOT NULL, digest FROM versions "
                              "ORDER BY number")
    assert [(v[0], bool(v[1])) for v in versions] == [(1, True), (2, True)]
    assert versions[0][2] != versions[1][2]
    shown = manzoori("show", reference).stdout
    assert "in_force" in shown and "Name a lead for each activity" in shown


def test_balochistan_work_plan_needs_three_members_and_a_finance_review(manzoori) -> None:
    reference = manzoori.draft("work_plan", "balochistan", "PWL work plan 2025-26",
                               form_for("balochistan", "work_plan"), "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    assert manzoori.state(reference) == "finance_review"
    assert "finance_review" in manzoori("inbox", "--as", "balochistan.finance-secretary").stdout
    manzoori.act(reference, "clear", "balochistan.finance-secretary")
    for member in ("balochistan.wpc-member.2", "balochistan.wpc-member.3"):
        manzoori.act(reference, "approve", member)
        assert manzoori.state(reference) == "approval"
    manzoori.act(reference, "approve", "balochistan.wpc-member.4")
    assert manzoori.state(reference) == "signature"
    manzoori.act(reference, "sign", "balochistan.deputy-speaker")
    assert manzoori.state(reference) == "in_force"
    assert [s[0] for s in steps_of(manzoori, reference)] == [
        "draft", "review", "finance_review", "approval", "signature"]
    approvals = manzoori.query("SELECT count(*) FROM decisions WHERE action = 'approve'")[0][0]
    assert approvals == 3


def test_ipmg_joint_resolution_feedback_round_then_every_party_signs(manzoori) -> None:
    parties = ["ncsw", "punjab", "sindh", "kp", "balochistan", "mohr"]
    approvers = {"ncsw": "ncsw.chairperson", "punjab": "punjab.wdd-minister",
                 "sindh": "sindh.wdd-minister", "kp": None, "balochistan": "balochistan.wdd-minister",
                 "mohr": "mohr.secretary"}
    reference = manzoori.draft("joint_resolution", ",".join(parties), "IPMG joint resolutions",
                               form_for("ncsw", "joint_resolution", parties), "ncsw.secretary")
    manzoori.act(reference, "submit", "ncsw.secretary")
    assert manzoori.state(reference) == "feedback"
    # The drafting party wrote the draft: the others give their feedback on it.
    asked = {row[0] for row in manzoori.query(
        "SELECT s.party FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r AND s.name = 'feedback'", r=reference)}
    assert asked == set(parties) - {"ncsw"}
    for party in parties[1:]:
        assert manzoori.state(reference) == "feedback"
        officer = manzoori.officer_for(party, "joint_resolution", "reviewer", exclude="ncsw.secretary")
        manzoori.act(reference, "feedback", officer, "--comment", f"{party} agrees in principle")
    assert manzoori.state(reference) == "revision"
    manzoori.act(reference, "submit", "ncsw.secretary")
    for party in parties:
        manzoori.act(reference, "approve", approvers[party] or
                     manzoori.officer_for(party, "joint_resolution", "approver"))
    assert manzoori.state(reference) == "signature"
    for party in parties:
        manzoori.act(reference, "sign", manzoori.officer_for(party, "joint_resolution", "signatory"))
    assert manzoori.state(reference) == "adopted"
    signed = {row[0] for row in manzoori.query(
        "SELECT s.party FROM steps s JOIN decisions d ON d.step_id = s.id WHERE d.action = 'sign'")}
    assert signed == set(parties)


def _steps(manzoori, reference: str) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in manzoori.query(
        "SELECT s.name, s.party, s.status FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r ORDER BY s.id", r=reference)]


def test_each_party_of_an_agreement_reviews_and_approves_at_its_own_pace(manzoori) -> None:
    """Punjab's approver decides while Balochistan's law secretary has yet to clear;
    the joint signature waits for both approvals."""
    reference = manzoori.draft("agreement", "punjab,balochistan", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    manzoori.act(reference, "clear", "punjab.swd-secretary")
    assert ("approval", "punjab", "open") in _steps(manzoori, reference)
    assert ("internal_review", "balochistan", "open") in _steps(manzoori, reference)
    assert manzoori.state(reference) == "internal_review"  # the least advanced party's step
    approved = manzoori.act(reference, "approve", "punjab.pspa-vice-chair")
    assert "other parties still to act" in approved.stdout
    assert manzoori.state(reference) == "internal_review"
    assert "sign" not in manzoori.actions(reference)
    early = manzoori.act(reference, "approve", "balochistan.ps-social-welfare", expect=3)
    assert "not possible at step 'internal_review'" in early.stderr
    cleared = manzoori.act(reference, "clear", "balochistan.law-secretary")
    assert "balochistan moves on to approval" in cleared.stdout
    assert manzoori.state(reference) == "approval"
    manzoori.act(reference, "approve", "balochistan.ps-social-welfare")
    assert manzoori.state(reference) == "signature"
    assert [(n, p, s) for n, p, s in _steps(manzoori, reference) if n == "signature"] == [
        ("signature", "punjab", "open"), ("signature", "balochistan", "open")]
    assert manzoori("verify").exit_code == 0


def test_a_return_by_one_party_sends_the_agreement_back_to_the_drafter_for_all(manzoori) -> None:
    reference = manzoori.draft("agreement", "punjab,balochistan", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    manzoori.act(reference, "clear", "punjab.swd-secretary")
    manzoori.act(reference, "approve", "punjab.pspa-vice-chair")  # Punjab is through
    manzoori.act(reference, "return", "balochistan.law-secretary", "--comment", "clause 3 unclear")
    assert manzoori.state(reference) == "draft"
    assert not [row for row in _steps(manzoori, reference) if row[2] in ("open", "pending")
                and row[0] != "draft"]
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    # A new cycle: both parties review again, Punjab's approval of the old version counts no more.
    assert sorted(row[1] for row in _steps(manzoori, reference)
                  if row[0] == "internal_review" and row[2] == "open") == ["balochistan", "punjab"]


def test_letter_of_intent_needs_both_signatories_in_order(manzoori) -> None:
    reference = manzoori.draft("agreement", "punjab,balochistan", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg", "--ordered-signing")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    assert manzoori.state(reference) == "internal_review"
    manzoori.act(reference, "clear", "punjab.swd-secretary")
    assert manzoori.state(reference) == "internal_review"  # Balochistan's review still open
    manzoori.act(reference, "clear", "balochistan.law-secretary")
    manzoori.act(reference, "approve", "punjab.pspa-vice-chair")
    manzoori.act(reference, "approve", "balochistan.ps-social-welfare")
    assert manzoori.state(reference) == "signature"
    early = manzoori.act(reference, "sign", "balochistan.ps-social-welfare", expect=3)
    assert "turn has not come" in early.stderr
    manzoori.act(reference, "sign", "punjab.pspa-vice-chair")
    assert manzoori.state(reference) == "signature"
    manzoori.act(reference, "sign", "balochistan.ps-social-welfare")
    assert manzoori.state(reference) == "executed"


def test_sindh_and_kp_agreement_returned_by_one_party_runs_again(manzoori) -> None:
    drafter = manzoori.officer_for("sindh", "agreement", "drafter")
    reference = manzoori.draft("agreement", "sindh,kp", "MoU on harmonising social protection data",
                               form_for("sindh", "agreement"), drafter)
    manzoori.act(reference, "submit", drafter)
    kp_reviewer = manzoori.officer_for("kp", "agreement", "reviewer")
    manzoori.act(reference, "return", kp_reviewer, "--comment", "Name the data each side shares")
    assert manzoori.state(reference) == "draft"
    assert {s[2] for s in steps_of(manzoori, reference) if s[0] == "internal_review"} == {"closed"}
    manzoori.act(reference, "submit", drafter, "--title", "MoU on harmonising social protection data (v2)")
    for party in ("sindh", "kp"):
        manzoori.act(reference, "clear", manzoori.officer_for(party, "agreement", "reviewer"))
    for party in ("sindh", "kp"):
        manzoori.act(reference, "approve", manzoori.officer_for(party, "agreement", "approver", exclude=drafter))
    for party in ("sindh", "kp"):
        manzoori.act(reference, "sign", manzoori.officer_for(party, "agreement", "signatory", exclude=drafter))
    assert manzoori.state(reference) == "executed"
    assert manzoori.query("SELECT count(*) FROM versions")[0][0] == 2


def test_inbox_lists_what_waits_and_drops_it_once_decided(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    assert "Nothing waits" in manzoori("inbox", "--as", "punjab.wpc-member.1").stdout
    manzoori.act(reference, "submit", "punjab.pdu-director")
    assert reference in manzoori("inbox", "--as", "punjab.wpc-member.1").stdout
    manzoori.act(reference, "clear", "punjab.wpc-member.1")
    assert reference not in manzoori("inbox", "--as", "punjab.wpc-member.1").stdout
    assert reference in manzoori("inbox", "--as", "punjab.wpc-convener").stdout
    listed = manzoori("items", "--state", "approval", "--party", "punjab").stdout
    assert reference in listed


def test_inbox_on_the_command_line_shows_the_soonest_and_says_how_many_wait(manzoori) -> None:
    references = []
    for n in range(3):
        reference = manzoori.draft("work_plan", "punjab", f"WPC Action Plan 2026 part {n}",
                                   form_for("punjab", "work_plan"), "punjab.pdu-director")
        manzoori.act(reference, "submit", "punjab.pdu-director")
        references.append(reference)
    shown = manzoori("inbox", "--as", "punjab.wpc-member.1", "--limit", "2").stdout
    assert "the 2 soonest of 3" in shown
    assert sum(reference in shown for reference in references) == 2
    everything = manzoori("inbox", "--as", "punjab.wpc-member.1").stdout
    assert "soonest of" not in everything and all(r in everything for r in references)
    refused = manzoori("inbox", "--as", "punjab.wpc-member.1", "--limit", "0", expect=2)
    assert "--limit" in refused.output
