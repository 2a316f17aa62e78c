"""`manzoori demo` replays the seeds' events on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.demo.scenes import LIVE_OFFICERS
from tests.conftest import Databases, Manzoori
from tests.test_pades import OUTPUT, pdfsig


@pytest.fixture
def fresh(databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Manzoori]:
    home = tmp_path / "fresh"
    url = databases.empty(home)
    yield Manzoori(home, monkeypatch, url)
    databases.drop(url)


def test_demo_plays_every_scene_to_its_final_state_and_leaves_work_waiting(fresh: Manzoori) -> None:
    told = fresh("demo").stdout
    # The recorded scenes end; the [sample] items left waiting are checked at the end.
    assert dict(fresh.query("SELECT reference, state FROM items WHERE title NOT LIKE '%[sample]%'")) == {
        "PJ-IPA-2025-0001": "executed", "BL-WP-2025-0001": "in_force",
        "NCSW-JR-2015-0001": "adopted", "PJ-WP-2025-0001": "in_force"}
    # The people of the record act on their day, in their office.
    signers = fresh.query(
        "SELECT o.username, s.party, d.at FROM decisions d JOIN officers o ON o.id = d.officer_id "
        "JOIN steps s ON s.id = d.step_id JOIN items i ON i.id = s.item_id WHERE i.reference = 'PJ-IPA-2025-0001' AND d.action = 'sign' "
        "ORDER BY s.party")
    assert [(name, party, str(at)[:10]) for name, party, at in signers] == [
        ("wali.noorzai", "balochistan", "2025-02-25"), ("jahanara.wattoo", "punjab", "2025-02-25")]
    # The work plan was returned once with the members' recommendations, then approved by three.
    assert fresh.actions("BL-WP-2025-0001").count("return") == 1
    approvers = fresh.query(
        "SELECT COUNT(DISTINCT d.officer_id) FROM decisions d JOIN steps s ON s.id = d.step_id JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = 'BL-WP-2025-0001' AND d.action = 'approve'")
    assert approvers[0][0] == 3
    # Every other party gave feedback on the NCSW's draft; every party approved and signed.
    everyone = {"ncsw", "punjab", "sindh", "kp", "balochistan", "mohr"}
    for action, expected in (("feedback", everyone - {"ncsw"}), ("approve", everyone), ("sign", everyone)):
        parties = fresh.query(
            "SELECT DISTINCT s.party FROM decisions d JOIN steps s ON s.id = d.step_id JOIN items i ON i.id = s.item_id "
            "WHERE i.reference = 'NCSW-JR-2015-0001' AND d.action = :a", a=action)
        assert {row[0] for row in parties} == expected
    # Adopted on 26 November 2015, the resolution is the 2016-Q1 plan; three parties report.
    planned = fresh.query("SELECT DISTINCT a.quarter FROM plan_actions a JOIN items i ON i.id = a.item_id "
                          "WHERE i.reference = 'NCSW-JR-2015-0001'")
    assert {row[0] for row in planned} == {"2016-Q1"}
    # The PWL work plan in force is followed up too: its activities in their own quarters.
    planned = fresh.query("SELECT a.quarter, a.party FROM plan_actions a JOIN items i ON i.id = a.item_id "
                          "WHERE i.reference = 'BL-WP-2025-0001' ORDER BY a.point_index")
    assert planned == [("2025-Q3", "balochistan"), ("2025-Q3", "balochistan"), ("2025-Q4", "balochistan"),
                       ("2026-Q1", "balochistan")]
    reports = fresh.query("SELECT a.party, r.status, r.state, r.reason, r.cleared_at FROM progress_reports r "
                          "JOIN plan_actions a ON a.id = r.action_id ORDER BY a.party")
    assert [(party, status, state) for party, status, state, _, _ in reports] == [
        ("balochistan", "blocked", "cleared"), ("punjab", "done", "cleared"),
        ("sindh", "in_progress", "cleared")]
    assert reports[0][3] and all("2016-01-01" <= str(row[4])[:10] <= "2016-03-31" for row in reports)
    assert "IPMG follow-up, 2016-Q1" in told and "blocked" in told
    assert "finance_review" in told and "illustrative" in told
    assert "[sample] officers" in told
    # The Letter of Intent travels as a PDF with both provinces' PAdES signatures, valid
    # under [sample] CAs for pyHanko's validator and for poppler's pdfsig.
    pdf = fresh.home / "PJ-IPA-2025-0001.pdf"
    fresh("render", "PJ-IPA-2025-0001", "--format", "pdf", "-o", str(pdf))
    assert "PJ-IPA-2025-0001.pdf: intact" in fresh("verify", "--document", str(pdf)).stdout
    for party in ("punjab", "balochistan"):
        fresh("ca", "export", "--party", party, "-o", str(fresh.home / f"{party}-ca.pem"))
    report = pdfsig(pdf, fresh)
    (OUTPUT / "demo-letter-of-intent-pdfsig.txt").write_text(report)
    assert report.count("Signature is Valid") == 2 and "Total document signed" in report, report
    # The record shows both signatories in office on 25 February 2025 only, so their
    # certificates ran for that day: pyHanko checks them on the signing day (above); pdfsig,
    # like Acrobat for a signature without a timestamp, on today's, and says so.
    assert report.count("Certificate has Expired") == 2, report
    assert "[sample]" in fresh("ca", "list").stdout
    # Then it leaves three [sample] items waiting, and names whom each waits for.
    live = {title: state for title, state in fresh.query("SELECT title, state FROM items")
            if "[sample]" in title}
    assert live == {"WPC Action Plan 2027 [sample]": "review",
                    "MoU on sharing social protection data [sample]": "signature",
                    "Joint resolution of an IPMG meeting [sample]": "feedback"}
    # Each named officer finds the item in their inbox, as the demo's closing lines say.
    for title, officer in LIVE_OFFICERS.items():
        reference = fresh.query("SELECT reference FROM items WHERE title = :t", t=title)[0][0]
        assert f"{reference} ({title}): log in as {officer}" in " ".join(told.split())
        assert reference in fresh("inbox", "--as", officer).stdout
    # Half signed: Punjab's signature is recorded, Balochistan's step waits.
    signed = fresh.query(
        "SELECT s.party, s.status FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.title LIKE 'MoU%' AND s.name = 'signature' ORDER BY s.party")
    assert signed == [("balochistan", "open"), ("punjab", "done")]


def test_demo_played_twice_says_so_and_changes_nothing(fresh: Manzoori) -> None:
    fresh("demo")
    before = fresh.snapshot()
    assert "already been played" in fresh("demo").stdout
    assert fresh.snapshot() == before


def test_demo_refuses_a_database_that_holds_other_items(manzoori: Manzoori) -> None:
    from tests.forms import form_for

    manzoori.draft("work_plan", "kp", "Women empowerment plan", form_for("kp", "work_plan"),
                   "kp.swd-secretary")
    before = manzoori.snapshot()
    result = manzoori("demo", expect=6)
    assert "already holds 1 item;" in result.stderr
    assert manzoori.snapshot() == before


def test_demo_gives_sample_officers_a_login_and_public_people_none(fresh: Manzoori) -> None:
    from engine.core.accounts import LoginFailed, check_password
    from engine.store import session_scope

    fresh("demo")
    path = fresh.home / "demo-password"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    password = path.read_text().strip()
    with session_scope(fresh.url) as session:
        assert check_password(session, "balochistan.assembly-secretary", password).sample
        with pytest.raises(LoginFailed):
            check_password(session, "jahanara.wattoo", password)
    hashes = fresh.query("SELECT password_hash FROM officers WHERE sample")
    assert hashes and all(row[0].startswith("$argon2id$") and password not in row[0] for row in hashes)
