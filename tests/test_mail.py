"""Email notifications with one-time links, against a real SMTP server (aiosmtpd) on
localhost: a reviewer of a Punjab work plan is mailed once, follows the link in
Chromium, sees the item (opening it changes nothing), clears it, and the link is
spent; a used, an overtaken, an expired and an unknown link are refused plainly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from engine.clock import utcnow
from engine.store import session_scope
from engine.web import create_app
from tests.browsing import serving
from tests.conftest import Manzoori
from tests.forms import form_for
from workflows.stack import free_port

DRAFTER, CONVENER = "punjab.pdu-director", "punjab.wpc-convener"
REVIEWER, OTHER_REVIEWER = "punjab.wpc-member.1", "punjab.wpc-member.2"
EMAILS = {DRAFTER: "pdu@pap.example", REVIEWER: "member1@pap.example",
          OTHER_REVIEWER: "member2@pap.example", CONVENER: "convener@pap.example"}


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """Email on, through the local server; the web app's address is set by each test."""
    box, port = smtp_server
    box.messages.clear()
    monkeypatch.setenv("MANZOORI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MANZOORI_SMTP_PORT", str(port))
    monkeypatch.setenv("MANZOORI_SMTP_FROM", "Manzoori <manzoori@pap.example>")
    for name in ("MANZOORI_SMTP_USER", "MANZOORI_SMTP_PASSWORD", "MANZOORI_SMTP_STARTTLS",
                 "MANZOORI_LINK_HOURS"):
        monkeypatch.delenv(name, raising=False)
    return box


def execute(manzoori: Manzoori, sql: str, **params: Any) -> None:
    """Change the stored data directly, as an administrator (or a test's clock) would."""
    engine = create_engine(manzoori.url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()


def with_emails(manzoori: Manzoori) -> None:
    for username, address in EMAILS.items():
        execute(manzoori, "UPDATE officers SET email = :e WHERE username = :u", e=address, u=username)


def in_review(manzoori: Manzoori) -> str:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), DRAFTER)
    manzoori.act(reference, "submit", DRAFTER)
    return reference


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/mail/[A-Za-z0-9_-]+", body)[0]


def links(manzoori: Manzoori) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in manzoori.query("SELECT * FROM email_links ORDER BY id")]


def stored(manzoori: Manzoori) -> dict[str, list[tuple[Any, ...]]]:
    return {**manzoori.snapshot(), "email_links": links(manzoori)}


def test_nothing_is_mailed_and_no_link_made_while_email_is_off(
        manzoori: Manzoori, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.core.mail import notify_waiting
    from engine.core.registry import registry

    box, _ = smtp_server
    box.messages.clear()
    monkeypatch.delenv("MANZOORI_SMTP_HOST", raising=False)
    with_emails(manzoori)
    in_review(manzoori)
    assert "Email is off" in manzoori("notify").stdout
    with session_scope(manzoori.url) as session:
        assert notify_waiting(session, registry(), utcnow()) == []
    assert links(manzoori) == [] and box.messages == []


def test_email_settings_come_from_the_environment_and_keep_the_password_out_of_sight() -> None:
    from engine.core.mail import mail_settings

    assert mail_settings({}) is None and mail_settings({"MANZOORI_SMTP_HOST": " "}) is None
    settings = mail_settings({"MANZOORI_SMTP_HOST": "smtp.pap.example", "MANZOORI_SMTP_PORT": "587",
                              "MANZOORI_SMTP_USER": "manzoori", "MANZOORI_SMTP_PASSWORD": "s3cret",
                              "MANZOORI_SMTP_STARTTLS": "yes", "MANZOORI_LINK_HOURS": "24",
                              "MANZOORI_WEB_URL": "https://manzoori.pap.example/"})
    assert (settings.port, settings.starttls, settings.link_lifetime) == (587, True, timedelta(hours=24))
    assert settings.web_url == "https://manzoori.pap.example" and "s3cret" not in repr(settings)
    assert mail_settings({"MANZOORI_SMTP_HOST": "localhost"}).port == 25


def test_each_waiting_reviewer_is_mailed_once_and_the_drafter_not_at_all(
        manzoori: Manzoori, mailbox: Mailbox) -> None:
    with_emails(manzoori)
    reference = in_review(manzoori)
    assert "2 notifications sent" in manzoori("notify").stdout
    assert sorted(m["To"] for m in mailbox.messages) == [EMAILS[REVIEWER], EMAILS[OTHER_REVIEWER]]
    message = mailbox.to(EMAILS[REVIEWER])[0]
    assert reference in message["Subject"] and "review" in message["Subject"]
    plain = message.get_body(("plain",)).get_content()
    for fact in (reference, "WPC Action Plan 2026", "review", "Punjab", "Deadline", "PKT"):
        assert fact in plain
    assert f"{reference} مرحلہ «جائزہ» پر آپ کے فیصلے کا منتظر ہے۔" in plain  # and in Urdu
    assert '<p dir="rtl" lang="ur">' in message.get_body(("html",)).get_content()
    assert link_in(message).startswith("http://127.0.0.1:8000/mail/")
    assert message.get_body(("html",)) is not None
    token = link_in(message).rsplit("/", 1)[1]
    assert token not in str(links(manzoori))  # only the digest is kept

    assert "0 notifications sent" in manzoori("notify").stdout
    assert len(mailbox.messages) == 2 and len(links(manzoori)) == 2


def test_a_refused_decision_leaves_the_link_live_and_the_drafter_is_mailed_after_a_return(
        manzoori: Manzoori, mailbox: Mailbox) -> None:
    with_emails(manzoori)
    reference = in_review(manzoori)
    manzoori("notify")
    path = httpx.URL(link_in(mailbox.to(EMAILS[REVIEWER])[0])).path
    other = httpx.URL(link_in(mailbox.to(EMAILS[OTHER_REVIEWER])[0])).path
    app = create_app(manzoori.url, secret_key="test-secret")
    with TestClient(app) as client:
        page = client.get(path)
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
        assert set(re.findall(r'name="action" value="(\w+)"', page.text)) == {"clear", "return"}
        revision = re.search(r'name="revision" value="(\d+)"', page.text)[1]

        refused = client.post(path, data={"action": "return", "revision": revision})
        assert refused.status_code == 422 and "reason in the comment box" in refused.text
        assert client.post(path, data={"action": "comment", "comment": "x"}).status_code == 422
        assert manzoori.state(reference) == "review" and links(manzoori)[0][-1] is None

        done = client.post(path, data={"action": "return", "revision": revision,
                                       "comment": "Add dates to pillar 4"})
        assert done.status_code == 200 and 'data-state="draft"' in done.text
        assert manzoori.actions(reference)[-1] == "return" and manzoori.state(reference) == "draft"
        overtaken = client.get(other)
        assert overtaken.status_code == 410 and "has moved on" in overtaken.text

        manzoori("notify")  # the returned plan now waits for its drafter
        [back] = mailbox.to(EMAILS[DRAFTER])
        page = client.get(httpx.URL(link_in(back)).path)
        assert page.status_code == 200
        assert set(re.findall(r'name="action" value="(\w+)"', page.text)) == {"submit", "withdraw"}
        assert client.get("/mail/not-a-link").status_code == 404


def test_a_reassigned_step_is_mailed_to_its_assignee_only(manzoori: Manzoori, mailbox: Mailbox) -> None:
    from engine.core.items import reassign
    from engine.core.registry import registry

    with_emails(manzoori)
    reference = in_review(manzoori)
    with session_scope(manzoori.url) as session:
        reassign(session, registry(), reference=reference, party="punjab", to_officer=OTHER_REVIEWER,
                 officer=DRAFTER, reason="Member 1 is away")
    manzoori("notify")
    assert [m["To"] for m in mailbox.messages] == [EMAILS[OTHER_REVIEWER]]


def test_a_stored_title_with_a_line_break_does_not_stop_notifications(
        manzoori: Manzoori, mailbox: Mailbox) -> None:
    """Titles are refused with control characters now; one stored before must not stop
    `manzoori notify` for everyone on the Subject header."""
    with_emails(manzoori)
    reference = in_review(manzoori)
    execute(manzoori, "UPDATE items SET title = :t WHERE reference = :r",
            t="WPC Action Plan\r\nBcc: everyone@example.org\x07", r=reference)
    assert "2 notifications sent" in manzoori("notify").stdout
    message = mailbox.to(EMAILS[REVIEWER])[0]
    assert message["Subject"] == f"{reference} waits for your review: WPC Action Plan Bcc: everyone@example.org"
    assert message["Bcc"] is None and len(mailbox.messages) == 2


def test_an_officer_cannot_spend_or_block_another_officers_link_by_its_key(
        manzoori: Manzoori, mailbox: Mailbox) -> None:
    """Link keys (`mail:ID`) are in a namespace no client's idempotency key may use."""
    from engine.core.accounts import issue_token

    with_emails(manzoori)
    reference = in_review(manzoori)
    manzoori("notify")
    path = httpx.URL(link_in(mailbox.to(EMAILS[REVIEWER])[0])).path
    [link_id] = [row[0] for row in manzoori.query(
        "SELECT l.id FROM email_links l JOIN officers o ON o.id = l.officer_id WHERE o.username = :u",
        u=REVIEWER)]
    with session_scope(manzoori.url) as session:
        token = issue_token(session, OTHER_REVIEWER, "tests", utcnow())
        session.commit()
    app = create_app(manzoori.url, secret_key="test-secret")
    with TestClient(app) as client:
        before = stored(manzoori)
        for key in (f"mail:{link_id}", "prefect:run:1", "deadline:remind:step-1", "follow-up:2026-Q1:punjab"):
            refused = client.post(f"/api/items/{reference}/actions", json={"action": "comment", "comment": "mine"},
                                  headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
            assert refused.status_code == 422 and refused.json()["field"] == "key", refused.text
        assert stored(manzoori) == before
        refused_cli = manzoori.act(reference, "comment", OTHER_REVIEWER, "--comment", "mine",
                                   "--key", f"mail:{link_id}", expect=5)
        assert "are the engine's own" in refused_cli.output
        # The link still decides, under its own key.
        page = client.get(path)
        revision = re.search(r'name="revision" value="(\d+)"', page.text)[1]
        done = client.post(path, data={"action": "clear", "revision": revision})
        assert done.status_code == 200 and manzoori.state(reference) == "approval"
    assert manzoori.query("SELECT idempotency_key FROM events ORDER BY id DESC LIMIT 1")[0][0] == f"mail:{link_id}"


# In the browser --------------------------------------------------------------------------

@pytest.mark.browser
def test_a_reviewer_clears_a_work_plan_from_the_email_link_in_the_browser(
        manzoori: Manzoori, mailbox: Mailbox, browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("MANZOORI_WEB_URL", f"http://127.0.0.1:{port}/")
    with_emails(manzoori)
    reference = in_review(manzoori)
    manzoori("notify")
    [message] = mailbox.to(EMAILS[REVIEWER])
    link = link_in(message)
    assert link.startswith(f"http://127.0.0.1:{port}/mail/")

    with serving(manzoori.home, port) as url:
        page = browser.new_context().new_page()
        before = stored(manzoori)
        answer = page.goto(link)
        assert answer.status == 200
        assert stored(manzoori) == before  # opening the link decided nothing
        content = page.content()
        for fact in (reference, "WPC Action Plan 2026", "review", "Sample officer 1"):
            assert fact in content
        assert page.locator("[data-state]").get_attribute("data-state") == "review"

        page.click("button[name=action][value=clear]")
        page.wait_for_load_state()
        assert "recorded" in page.content()
        assert page.locator("[data-state]").get_attribute("data-state") == "approval"
        assert manzoori.state(reference) == "approval"
        [(action, who, key)] = manzoori.query(
            "SELECT e.action, o.username, e.idempotency_key FROM events e "
            "JOIN items i ON i.id = e.item_id JOIN officers o ON o.id = e.officer_id "
            "WHERE i.reference = :r ORDER BY e.seq DESC LIMIT 1", r=reference)
        spent = manzoori.query("SELECT id, used_at FROM email_links WHERE officer_id = "
                               "(SELECT id FROM officers WHERE username = :u)", u=REVIEWER)
        assert (action, who) == ("clear", REVIEWER) and key == f"mail:{spent[0][0]}"
        assert spent[0][1] is not None

        after = stored(manzoori)
        again = page.goto(link)
        assert again.status == 410 and "This link was already used on" in page.content()
        assert stored(manzoori) == after
        # Posting to the spent link (a second click, a replayed form) decides nothing more.
        assert httpx.post(link, data={"action": "clear"}).status_code == 410
        overtaken = page.goto(link_in(mailbox.to(EMAILS[OTHER_REVIEWER])[0]))
        assert overtaken.status == 410 and "has moved on" in page.content()

        manzoori("notify")  # the plan now waits for the convener's approval
        [approval] = mailbox.to(EMAILS[CONVENER])
        assert len(mailbox.messages) == 3
        execute(manzoori, "UPDATE email_links SET expires_at = :t WHERE used_at IS NULL",
                t=f"{utcnow() - timedelta(hours=1):%Y-%m-%d %H:%M:%S.%f}")
        expired = page.goto(link_in(approval))
        assert expired.status == 410 and "This link expired on" in page.content()
        assert httpx.post(link_in(approval), data={"action": "approve"}).status_code == 410
        assert manzoori.state(reference) == "approval"
        assert page.goto(f"{url}/mail/{'x' * 43}").status == 404
        assert "This link is not valid." in page.content()
        page.context.close()
    assert manzoori.actions(reference) == ["draft", "submit", "clear"]
