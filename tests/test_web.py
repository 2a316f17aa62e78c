"""The web app's guards, driven over HTTP as a browser would (cookies, form posts):
login, CSRF, cookie flags, buttons only for allowed actions, 403 when posted anyway,
bulk decisions, reassignment, the language switch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from engine.core.accounts import set_password
from engine.store import session_scope
from engine.web import create_app
from tests.conftest import Manzoori
from tests.forms import form_for

PASSWORD = "sample-password-1"


@pytest.fixture
def site(manzoori: Manzoori) -> Iterator[tuple[TestClient, Manzoori]]:
    url = manzoori.url
    with session_scope(url) as session:
        for username in ("punjab.pdu-director", "punjab.wpc-member.1", "punjab.wpc-member.3",
                         "punjab.wpc-convener", "sindh.wdd-minister"):
            set_password(session, username, PASSWORD)
        session.commit()
    app = create_app(url, secret_key="test-secret")
    with TestClient(app) as client:
        yield client, manzoori


def login(client: TestClient, username: str) -> str:
    """Log in from the login page, as a browser does; return the CSRF token of the session."""
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/inbox",
                                         "csrf": login_form_token(client)})
    assert answer.status_code == 200 and answer.url.path == "/inbox", answer.text[:300]
    return csrf_of(answer.text)


def login_form_token(client: TestClient) -> str:
    """Open the login page (setting its pre-session cookie); the token its form carries."""
    return csrf_of(client.get("/login").text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def in_review(manzoori: Manzoori) -> str:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan on the web",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    return reference


def test_wrong_password_is_refused_without_saying_which_part(site) -> None:
    client, _ = site
    for username in ("punjab.wpc-convener", "nobody.at.all"):
        answer = client.post("/login", data={"username": username, "password": "wrong-password",
                                             "csrf": login_form_token(client)})
        assert answer.status_code == 401 and "Wrong username or password" in answer.text
        assert "manzoori_session" not in answer.cookies
    assert client.get("/inbox", follow_redirects=False).headers["location"].startswith("/login")


def test_session_cookie_is_httponly_and_samesite(site) -> None:
    client, _ = site
    answer = client.post("/login", data={"username": "punjab.wpc-convener", "password": PASSWORD,
                                         "csrf": login_form_token(client)}, follow_redirects=False)
    cookie = next(value for value in answer.headers.get_list("set-cookie")
                  if value.startswith("manzoori_session=")).lower()
    assert "manzoori_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert PASSWORD not in answer.headers["set-cookie"]


def test_a_form_post_without_the_csrf_token_is_refused(site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    token = login(client, "punjab.wpc-member.1")
    before = manzoori.snapshot()
    for sent in ({}, {"csrf": "forged"}):
        answer = client.post(f"/items/{reference}/act", data={"action": "clear", **sent})
        assert answer.status_code == 403 and "security token" in answer.text
    assert manzoori.snapshot() == before
    answer = client.post(f"/items/{reference}/act", data={"action": "clear", "csrf": token})
    assert answer.status_code == 200 and manzoori.state(reference) == "approval"


def test_only_allowed_actions_have_buttons_and_posting_another_is_403(site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    token = login(client, "punjab.wpc-convener")
    page = client.get(f"/items/{reference}").text
    assert 'value="approve"' not in page and 'value="clear"' not in page and 'value="comment"' in page
    before = manzoori.snapshot()
    answer = client.post(f"/items/{reference}/act", data={"action": "approve", "csrf": token})
    assert answer.status_code == 403 and "not possible at step" in answer.text
    answer = client.post(f"/items/{reference}/act", data={"action": "clear", "csrf": token})
    assert answer.status_code == 403 and "cannot clear" in answer.text
    assert manzoori.snapshot() == before
    # The drafter may not approve what they drafted: no button once it reaches approval either.
    manzoori.act(reference, "clear", "punjab.wpc-member.1")
    client.cookies.clear()
    login(client, "punjab.pdu-director")
    assert 'value="approve"' not in client.get(f"/items/{reference}").text


def test_bulk_decision_records_each_item_on_its_own(site) -> None:
    client, manzoori = site
    ready = []
    for number in range(3):
        reference = in_review(manzoori)
        manzoori.act(reference, "clear", "punjab.wpc-member.1")
        ready.append(reference)
    still_in_review = in_review(manzoori)
    token = login(client, "punjab.wpc-convener")
    inbox = client.get("/inbox").text
    assert all(reference in inbox for reference in ready)
    answer = client.post("/bulk", data={"csrf": token, "action": "approve",
                                        "reference": [*ready, still_in_review]})
    assert answer.status_code == 200
    assert "3 recorded, 1 refused" in answer.text
    assert [manzoori.state(reference) for reference in ready] == ["signature"] * 3
    assert manzoori.state(still_in_review) == "review"


def test_reassignment_moves_the_step_to_another_member(site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    token = login(client, "punjab.pdu-director")
    assert 'action="/items/' + reference + '/reassign"' in client.get(f"/items/{reference}").text
    answer = client.post(f"/items/{reference}/reassign", data={
        "csrf": token, "party": "punjab", "to_officer": "punjab.wpc-member.3",
        "reason": "Member 1 is abroad for the session"})
    assert answer.status_code == 200 and "punjab.wpc-member.3" in answer.text
    assert manzoori.actions(reference)[-1] == "reassign"

    client.cookies.clear()
    token = login(client, "punjab.wpc-member.1")
    assert reference not in client.get("/inbox").text
    answer = client.post(f"/items/{reference}/act", data={"action": "clear", "csrf": token})
    assert answer.status_code == 403 and "assigned to punjab.wpc-member.3" in answer.text
    client.cookies.clear()
    token = login(client, "punjab.wpc-member.3")
    assert reference in client.get("/inbox").text
    client.post(f"/items/{reference}/act", data={"action": "clear", "csrf": token})
    assert manzoori.state(reference) == "approval"


def test_reassignment_needs_the_secretariat_or_the_approver(site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    token = login(client, "punjab.wpc-member.1")
    before = manzoori.snapshot()
    answer = client.post(f"/items/{reference}/reassign", data={
        "csrf": token, "party": "punjab", "to_officer": "punjab.wpc-member.3", "reason": "x"})
    assert answer.status_code == 403 and "cannot reassign" in answer.text
    assert manzoori.snapshot() == before


def test_the_language_switch_turns_the_interface_to_urdu(site) -> None:
    client, _ = site
    login(client, "punjab.pdu-director")
    page = client.get("/lang/ur?next=/draft").text
    assert 'dir="rtl"' in page and "نیا مسودہ" in page
    assert "سرگرمیاں" in page  # the form's own Urdu label
    page = client.get("/lang/en?next=/inbox").text
    assert 'dir="ltr"' in page and "Inbox" in page


def test_a_draft_failing_the_provinces_rule_saves_nothing(site) -> None:
    client, manzoori = site
    token = login(client, "punjab.pdu-director")
    before = manzoori.snapshot()
    answer = client.post("/draft", data={
        "csrf": token, "kind": "work_plan", "parties": "punjab", "title": "Action plan without pillars",
        "period_start": "2026-01-01", "period_end": "2026-12-31", "summary": "A plan missing pillars.",
        "activities[0].pillar": "Capacity building", "activities[0].activity": "Training",
        "activities[0].lead": "PDU", "activities[0].quarter": "2026-Q1"})
    assert answer.status_code == 422 and "must cover every pillar" in answer.text
    assert manzoori.snapshot() == before
