"""Transfers as a party's administration makes them: appointing an officer to an office,
relieving one, the single-seat hand-over and the seat limit, from the command line, the
API and the web pages; a relieved holder no longer decides, signs or can be assigned, the
steps assigned to them go back to the office (an event in each item's chain, rebuilt by
replay), and what they decided before stays valid (`manzoori verify`)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core import replay
from engine.core.accounts import issue_token, set_password
from engine.core.directory import get_officer, party_day
from engine.core.items import act, get_item, possible_actions, reassign
from engine.core.registry import registry
from engine.core.transfers import appoint, hand_over_due
from engine.errors import Conflict, NotAllowed
from engine.store import make_engine, session_scope
from engine.web import create_app
from tests.conftest import Manzoori
from tests.forms import form_for

DRAFTER, CONVENER = "punjab.pdu-director", "punjab.wpc-convener"
MEMBER, OTHER_MEMBER = "punjab.wpc-member.1", "punjab.wpc-member.2"
ADMIN = "punjab.wdd-secretary"  # Punjab's plugin marks its office as keeping the directory
SUCCESSOR = "successor.convener"
SUCCESSOR_NAME = "Sample successor, WPC Convener [sample]"
PASSWORD = "sample-password-1"


def today() -> date:
    return party_day(registry(), "punjab", utcnow())


def in_review(manzoori: Manzoori, title: str = "WPC Action Plan 2026") -> str:
    reference = manzoori.draft("work_plan", "punjab", title, form_for("punjab", "work_plan"), DRAFTER)
    manzoori.act(reference, "submit", DRAFTER)
    return reference


def reassign_to(manzoori: Manzoori, reference: str, officer: str) -> None:
    with session_scope(manzoori.url) as session:  # what the item page's reassign form calls
        reassign(session, registry(), reference=reference, party="punjab", to_officer=officer,
                 officer=DRAFTER, reason=f"{officer} knows the file")


def step_row(manzoori: Manzoori, reference: str, name: str) -> tuple[Any, ...]:
    return manzoori.query(
        "SELECT s.status, o.username FROM steps s JOIN items i ON i.id = s.item_id "
        "LEFT JOIN officers o ON o.id = s.assigned_to_id "
        "WHERE i.reference = :r AND s.name = :n ORDER BY s.id DESC", r=reference, n=name)[0]


def last_event(manzoori: Manzoori, reference: str) -> tuple[Any, ...]:
    return manzoori.query(
        "SELECT e.action, o.username, e.step, e.party, e.comment FROM events e "
        "JOIN items i ON i.id = e.item_id LEFT JOIN officers o ON o.id = e.officer_id "
        "WHERE i.reference = :r ORDER BY e.seq DESC", r=reference)[0]


def rebuilt_matches(manzoori: Manzoori, reference: str) -> bool:
    engine = make_engine(manzoori.url)
    try:
        with Session(engine) as session:
            return replay.check(session, get_item(session, reference)) is None
    finally:
        engine.dispose()


def appointments(manzoori: Manzoori, username: str, office: str) -> list[tuple[Any, ...]]:
    return [tuple(str(value) if value is not None else None for value in row) for row in manzoori.query(
        "SELECT a.since, a.until FROM appointments a JOIN officers o ON o.id = a.officer_id "
        "WHERE o.username = :u AND a.office = :o ORDER BY a.id", u=username, o=office)]


# --- The command line ------------------------------------------------------------------------

def test_a_new_convener_relieves_the_previous_one_and_takes_over_the_assigned_step(manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    manzoori.act(reference, "clear", MEMBER)
    reassign_to(manzoori, reference, CONVENER)
    assert step_row(manzoori, reference, "approval") == ("open", CONVENER)

    result = manzoori("officers", "appoint", SUCCESSOR, "--name", SUCCESSOR_NAME, "--party", "punjab",
                      "--office", "wpc-convener", "--from", str(today()))
    assert f"relieved: {CONVENER}" in result.stdout and reference in result.stdout
    day = today()
    assert appointments(manzoori, CONVENER, "wpc-convener") == [("2000-01-01", str(day - timedelta(days=1)))]
    assert appointments(manzoori, SUCCESSOR, "wpc-convener") == [(str(day), None)]
    # The step went back to the office, recorded in the item's chain by the operator (system).
    assert step_row(manzoori, reference, "approval") == ("open", None)
    action, officer, step, party, comment = last_event(manzoori, reference)
    assert (action, officer, step, party) == ("hand-over", None, "approval", "punjab")
    assert f"{CONVENER} no longer holds" in comment and f"from {day}" in comment
    assert rebuilt_matches(manzoori, reference)

    shown = manzoori("show", reference).stdout
    assert "Who holds each waiting office today" in shown and re.search(
        rf"approval\s*│\s*punjab\s*│\s*wpc-convener\s*│\s*{re.escape(SUCCESSOR)}\s", shown)
    assert reference in manzoori("inbox", "--as", SUCCESSOR).stdout
    assert reference not in manzoori("inbox", "--as", CONVENER).stdout
    # Relieved before the item began, the old Convener may not even read it (need-to-know).
    refused = manzoori.act(reference, "approve", CONVENER, expect=4)
    assert "may not read" in refused.stderr and refused.stdout == ""
    manzoori.act(reference, "approve", SUCCESSOR)
    assert manzoori.state(reference) == "signature"
    assert manzoori("verify").stdout.strip().endswith("intact")


def test_a_relieved_signatory_cannot_sign_and_signatures_taken_before_stay_valid(manzoori: Manzoori) -> None:
    reference = manzoori.draft("agreement", "punjab,sindh", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    for officer in ("punjab.swd-secretary", "sindh.law-secretary", "punjab.pspa-vice-chair",
                    "sindh.sspa-ceo"):
        manzoori.act(reference, "clear" if "secretary" in officer else "approve", officer)
    manzoori.act(reference, "sign", "punjab.pspa-vice-chair")
    # Punjab's signatory signed today: relieved from tomorrow at the earliest, so that the
    # signature stays valid; Sindh's, who approved yesterday (so to speak), is relieved today.
    early = manzoori("officers", "relieve", "punjab.pspa-vice-chair", "--office", "pspa-vice-chair", expect=6)
    assert f"relieve them from {today() + timedelta(days=1)} at the earliest" in early.stderr
    manzoori("officers", "relieve", "punjab.pspa-vice-chair", "--office", "pspa-vice-chair",
             "--on", str(today() + timedelta(days=1)))
    with session_scope(manzoori.url) as session:  # Sindh's approval was taken two days ago
        session.execute(text("UPDATE decisions SET at = :at WHERE officer_id = (SELECT id FROM "
                             "officers WHERE username = 'sindh.sspa-ceo')"),
                        {"at": utcnow() - timedelta(days=2)})
        session.commit()
    manzoori("officers", "relieve", "sindh.sspa-ceo", "--office", "sspa-ceo", "--on", str(today()))
    refused = manzoori.act(reference, "sign", "sindh.sspa-ceo", expect=4)
    assert "sindh.sspa-ceo may not read" in refused.stderr  # not in office during its life
    assert manzoori.query("SELECT count(*) FROM signatures")[0][0] == 1
    # Sindh's law secretary is posted to the authority and signs with their own key.
    manzoori("officers", "appoint", "sindh.law-secretary", "--party", "sindh", "--office", "sspa-ceo")
    manzoori.act(reference, "sign", "sindh.law-secretary")
    assert manzoori.state(reference) == "executed"
    assert manzoori.query("SELECT o.username, s.office FROM signatures s JOIN officers o "
                          "ON o.id = s.officer_id ORDER BY s.id") == [
        ("punjab.pspa-vice-chair", "pspa-vice-chair"), ("sindh.law-secretary", "sspa-ceo")]
    verified = manzoori("verify", reference)
    assert verified.stdout.strip().endswith("intact")


def test_a_relieved_member_cannot_be_assigned_and_their_step_goes_to_the_other_members(manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    reassign_to(manzoori, reference, MEMBER)
    manzoori("officers", "relieve", MEMBER, "--office", "wpc-member", "--as", ADMIN)
    action, officer, *_ = last_event(manzoori, reference)
    assert (action, officer) == ("hand-over", ADMIN)  # the administrator's own event
    assert reference in manzoori("inbox", "--as", OTHER_MEMBER).stdout
    with pytest.raises(NotAllowed, match=f"{MEMBER} does not hold Member"):
        reassign_to(manzoori, reference, MEMBER)
    manzoori.act(reference, "clear", OTHER_MEMBER)
    assert manzoori.state(reference) == "approval" and rebuilt_matches(manzoori, reference)


def test_the_new_director_submits_the_draft_their_predecessor_left(manzoori: Manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), DRAFTER)
    manzoori("officers", "appoint", "new.director", "--name", "Sample successor, PDU Director [sample]",
             "--party", "punjab", "--office", "pdu-director")
    manzoori.act(reference, "submit", DRAFTER, expect=4)  # relieved: out of the item's life
    manzoori.act(reference, "submit", "new.director")
    assert manzoori.state(reference) == "review"
    assert manzoori("verify", reference).stdout.strip().endswith("intact")


def test_a_relief_dated_ahead_takes_effect_on_its_day_on_the_partys_clock(manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    reassign_to(manzoori, reference, MEMBER)
    tomorrow = today() + timedelta(days=1)
    result = manzoori("officers", "relieve", MEMBER, "--office", "wpc-member", "--on", str(tomorrow))
    assert f"from {tomorrow}" in result.stdout and "went back" not in result.stdout
    assert step_row(manzoori, reference, "review") == ("open", MEMBER)  # still theirs today
    # 00:30 in Lahore on the day of the relief is still the day before in UTC.
    just_after = datetime.combine(tomorrow, datetime.min.time()) + timedelta(minutes=30) - timedelta(hours=5)
    with session_scope(manzoori.url) as session:  # neither offered nor accepted any more
        item, member = get_item(session, reference), get_officer(session, MEMBER)
        assert "clear" in possible_actions(session, registry(), item, member, just_after - timedelta(hours=1))
        assert "clear" not in possible_actions(session, registry(), item, member, just_after)
        with pytest.raises(NotAllowed, match="relieved"):
            act(session, registry(), reference=reference, action="clear", officer=MEMBER, now=just_after)
    manzoori("deadlines", "--now", just_after.strftime("%Y-%m-%dT%H:%M"))
    assert step_row(manzoori, reference, "review") == ("open", None)
    assert last_event(manzoori, reference)[:2] == ("hand-over", None)
    with session_scope(manzoori.url) as session:  # once only
        assert hand_over_due(session, registry(), just_after) == []
    assert rebuilt_matches(manzoori, reference)


def test_an_office_gets_no_more_holders_than_its_seats(manzoori: Manzoori) -> None:
    before = manzoori.snapshot()
    kept = manzoori("officers", "appoint", SUCCESSOR, "--name", SUCCESSOR_NAME, "--party", "punjab",
                    "--office", "wpc-convener", "--keep-previous", expect=6)
    assert "has 1 seat, held on" in kept.stderr and CONVENER in kept.stderr
    assert manzoori.snapshot() == before
    with session_scope(manzoori.url) as session:
        for seat in range(6, 16):  # Balochistan's caucus has 15 seats; the samples fill 5
            appoint(session, registry(), username=f"balochistan.wpc-member.{seat}", party="balochistan",
                    office="wpc-member", name=f"Sample officer {seat}, caucus member [sample]")
        with pytest.raises(Conflict, match="has 15 seats"):
            appoint(session, registry(), username="balochistan.wpc-member.16", party="balochistan",
                    office="wpc-member", name="Sample officer 16, caucus member [sample]")
    assert manzoori.query("SELECT count(*) FROM officers WHERE username LIKE 'balochistan.wpc-member.%'")[0][0] == 15


def test_two_appointments_to_one_seat_at_once_leave_one_holder(manzoori: Manzoori) -> None:
    """Two administrators appoint different officers to the Convener's seat at the same moment:
    one wins, the other is told the seat was taken; never two holders."""
    start, outcomes = threading.Barrier(2), []

    def appoint_one(username: str) -> None:
        with session_scope(manzoori.url) as session:
            start.wait()
            try:
                appoint(session, registry(), username=username, party="punjab", office="wpc-convener",
                        name=f"Sample {username}, WPC Convener [sample]", by=ADMIN)
                outcomes.append("appointed")
            except Conflict as error:
                outcomes.append(error.message)

    threads = [threading.Thread(target=appoint_one, args=(name,)) for name in ("first.convener", "second.convener")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0] == "appointed" and "relieve them first" in sorted(outcomes)[1], outcomes
    holding = manzoori.query(
        "SELECT o.username FROM appointments a JOIN officers o ON o.id = a.officer_id WHERE a.party = 'punjab' "
        "AND a.office = 'wpc-convener' AND (a.until IS NULL OR a.until >= :d) AND a.since <= :d", d=today())
    assert len(holding) == 1 and holding[0][0] in ("first.convener", "second.convener")


@pytest.mark.parametrize(("args", "code", "says"), [
    (("appoint", "nobody.new", "--party", "punjab", "--office", "wpc-convener"), 4, "--name"),
    (("appoint", MEMBER, "--party", "punjab", "--office", "wpc-member"), 6, "already holds"),
    (("appoint", MEMBER, "--party", "punjab", "--office", "no-such-office"), 4, "no-such-office"),
    (("appoint", SUCCESSOR, "--name", SUCCESSOR_NAME, "--party", "punjab", "--office", "wpc-convener",
      "--from", "2020-01-01"), 5, "in the past"),
    (("relieve", MEMBER, "--office", "wpc-convener"), 4, "holds no appointment to wpc-convener"),
    (("relieve", MEMBER, "--office", "wpc-member", "--as", OTHER_MEMBER), 3, "Secretary, Women Development"),
    (("relieve", MEMBER, "--office", "wpc-member", "--as", "sindh.wdd-secretary"), 3,
     "cannot change punjab's officer directory"),
])
def test_a_wrong_transfer_is_refused_clearly_and_changes_nothing(manzoori: Manzoori, args: tuple[str, ...], code: int,
                                                               says: str) -> None:
    before = manzoori.snapshot()
    result = manzoori("officers", *args, expect=code)
    assert says in result.stderr and "Traceback" not in result.output
    assert manzoori.snapshot() == before


# --- The API and the web pages, for the party's administrator -----------------------------------

@pytest.fixture
def client(manzoori: Manzoori) -> Iterator[TestClient]:
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        yield client


def bearer(manzoori: Manzoori, username: str) -> dict[str, str]:
    with session_scope(manzoori.url) as session:
        token = issue_token(session, username, "tests", utcnow())
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_administrator_appoints_and_relieves_through_the_api(manzoori: Manzoori, client: TestClient) -> None:
    reference = in_review(manzoori)
    manzoori.act(reference, "clear", MEMBER)
    reassign_to(manzoori, reference, CONVENER)
    admin = bearer(manzoori, ADMIN)
    listed = client.get("/api/directory/punjab", headers=admin).json()
    assert listed["may_change"] is True and listed["day"] == str(today())
    convener = next(o for o in listed["offices"] if o["office"] == "wpc-convener")
    assert [h["username"] for h in convener["holders"]] == [CONVENER]

    answer = client.post("/api/directory/punjab/appointments", headers=admin, json={
        "username": SUCCESSOR, "name": SUCCESSOR_NAME, "office": "wpc-convener"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["relieved"] == [{"username": CONVENER, "office": "wpc-convener", "on": str(today())}]
    assert body["handed_over"] == [reference]
    assert last_event(manzoori, reference)[:2] == ("hand-over", ADMIN)
    assert step_row(manzoori, reference, "approval") == ("open", None)
    listed = client.get("/api/directory/punjab", headers=admin).json()
    convener = next(o for o in listed["offices"] if o["office"] == "wpc-convener")
    assert [h["username"] for h in convener["holders"]] == [SUCCESSOR]

    answer = client.post("/api/directory/punjab/reliefs", headers=admin,
                         json={"username": MEMBER, "office": "wpc-member"})  # cleared it today
    assert answer.status_code == 409 and answer.json()["field"] == "on"
    answer = client.post("/api/directory/punjab/reliefs", headers=admin,
                         json={"username": "punjab.wpc-member.3", "office": "wpc-member"})
    assert answer.status_code == 200 and answer.json()["relieved"][0]["on"] == str(today())
    assert appointments(manzoori, "punjab.wpc-member.3", "wpc-member")[0][1] == str(today() - timedelta(days=1))


def test_only_the_administrator_changes_the_directory_through_the_api(manzoori: Manzoori, client: TestClient) -> None:
    before = manzoori.snapshot()
    member = bearer(manzoori, MEMBER)
    assert client.get("/api/directory/punjab", headers=member).json()["may_change"] is False
    for path, body in (("appointments", {"username": MEMBER, "office": "wpc-convener"}),
                       ("reliefs", {"username": CONVENER, "office": "wpc-convener"})):
        answer = client.post(f"/api/directory/punjab/{path}", headers=member, json=body)
        assert answer.status_code == 403 and "cannot change punjab's officer directory" in answer.json()["message"]
    sindh_admin = bearer(manzoori, "sindh.wdd-secretary")  # an administrator, of another party
    answer = client.post("/api/directory/punjab/reliefs", headers=sindh_admin,
                         json={"username": CONVENER, "office": "wpc-convener"})
    assert answer.status_code == 403
    answer = client.post("/api/directory/punjab/reliefs", headers=bearer(manzoori, ADMIN),
                         json={"username": CONVENER, "office": "wpc-convener", "on": "2001-01-01"})
    assert answer.status_code == 422 and answer.json()["problems"][0]["field"] == "on"
    assert client.post("/api/directory/punjab/reliefs", json={"username": CONVENER,
                                                               "office": "wpc-convener"}).status_code == 401
    after = manzoori.snapshot()  # the tokens issued aside, nothing was written
    assert {table: after[table] for table in ("officers", "appointments", "events", "steps")} == {
        table: before[table] for table in ("officers", "appointments", "events", "steps")}


def login(client: TestClient, manzoori: Manzoori, username: str) -> str:
    with session_scope(manzoori.url) as session:
        set_password(session, username, PASSWORD)
        session.commit()
    form = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)[1]
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/inbox",
                                         "csrf": form})
    assert answer.status_code == 200, answer.text[:300]
    return re.search(r'name="csrf" value="([^"]+)"', answer.text)[1]


def test_the_directory_page_offers_its_forms_to_the_administrator_only(manzoori: Manzoori, client: TestClient) -> None:
    reference = in_review(manzoori)
    manzoori.act(reference, "clear", MEMBER)
    csrf = login(client, manzoori, MEMBER)
    page = client.get("/directory/punjab")
    assert page.status_code == 200 and CONVENER in page.text and 'class="appoint"' not in page.text
    refused = client.post("/directory/punjab/appoint", data={
        "csrf": csrf, "username": SUCCESSOR, "name": SUCCESSOR_NAME, "office": "wpc-convener"})
    assert refused.status_code == 403 and "cannot change punjab" in refused.text
    assert appointments(manzoori, SUCCESSOR, "wpc-convener") == []

    client.post("/logout", data={"csrf": csrf})
    csrf = login(client, manzoori, ADMIN)
    page = client.get("/directory/punjab")
    assert 'class="appoint"' in page.text and 'class="relieve"' in page.text
    done = client.post("/directory/punjab/appoint", data={
        "csrf": csrf, "username": SUCCESSOR, "name": SUCCESSOR_NAME, "office": "wpc-convener",
        "since": str(today())}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    assert appointments(manzoori, SUCCESSOR, "wpc-convener") == [(str(today()), None)]
    item = client.get(f"/items/{reference}")  # the approval step: who holds the office today
    row = re.search(r'<tr class="step-open">.*?</tr>', item.text, re.S)[0]
    assert SUCCESSOR in row and CONVENER not in row
