"""Escalation that can act: an overdue step escalated to an office the party's rule lets
decide (Balochistan's Deputy Speaker for the caucus's review) shows in that office's
inbox, and it may decide or reassign the step, recorded as an escalated decision; where
the rule only tells (Sindh), the office escalated to is told and nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from engine.core.accounts import issue_token
from engine.store import make_engine
from engine.web import create_app
from tests.conftest import Manzoori, stored_json
from tests.forms import form_for
from tests.test_replay import check
from tests.test_deadlines import _due_at, _in_review, _sweep
from tests.test_invariants import refused

SPEAKER = "balochistan.deputy-speaker"
SPEAKER_TITLE = "Deputy Speaker, Provincial Assembly of Balochistan"


def overdue(manzoori: Manzoori) -> str:
    """A Balochistan work plan whose members' review is overdue and escalated."""
    reference = _in_review(manzoori)
    _sweep(manzoori, _due_at(manzoori, reference, "review") + timedelta(seconds=1))
    [(escalated_to,)] = manzoori.query(
        "SELECT s.escalated_to FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r AND s.status = 'open'", r=reference)
    assert escalated_to == "deputy-speaker"
    return reference


rebuilt = check  # what the events rebuild against the tables (tests/test_replay.py)


def test_the_deputy_speaker_sees_and_clears_an_overdue_review(manzoori: Manzoori) -> None:
    reference = _in_review(manzoori)
    assert reference not in manzoori("inbox", "--as", SPEAKER).stdout
    refused(manzoori, 3, "act", reference, "clear", "--as", SPEAKER)  # not yet overdue

    _sweep(manzoori, _due_at(manzoori, reference, "review") + timedelta(seconds=1))
    inbox = manzoori("inbox", "--as", SPEAKER).stdout
    assert reference in inbox and "(escalated)" in inbox
    manzoori.act(reference, "clear", SPEAKER)
    assert manzoori.state(reference) == "finance_review"  # the PSDP requests pass PKR 50 million

    [(capacity, officer)] = manzoori.query(
        "SELECT d.capacity, o.username FROM decisions d JOIN officers o ON o.id = d.officer_id "
        "JOIN steps s ON s.id = d.step_id WHERE s.name = 'review'")
    assert (capacity, officer) == ("escalated", SPEAKER)
    [(payload,)] = manzoori.query("SELECT payload FROM events WHERE action = 'clear'")
    assert stored_json(payload)["capacity"] == "escalated"
    assert stored_json(payload)["escalated_to"] == "deputy-speaker"
    assert f"{SPEAKER} (escalated to {SPEAKER_TITLE})" in manzoori("show", reference).stdout
    assert rebuilt(manzoori, reference) is None
    assert f"{reference}: intact" in manzoori("verify", reference).stdout
    # The escalation was for the review only: the Finance Department's review is its own.
    assert reference not in manzoori("inbox", "--as", SPEAKER).stdout
    refused(manzoori, 3, "act", reference, "clear", "--as", SPEAKER)


def test_where_the_rule_only_tells_the_office_escalated_to_cannot_decide(manzoori: Manzoori) -> None:
    reference = manzoori.draft("work_plan", "sindh", "Sindh work plan 2026",
                               form_for("sindh", "work_plan"), "sindh.wdd-secretary")
    manzoori.act(reference, "submit", "sindh.wdd-secretary")
    _sweep(manzoori, _due_at(manzoori, reference, "review") + timedelta(seconds=1))
    [(payload,)] = manzoori.query("SELECT payload FROM events WHERE action = 'escalate'")
    assert stored_json(payload)["to_office"] == "wdd-minister" and "decides" not in stored_json(payload)
    assert reference not in manzoori("inbox", "--as", "sindh.wdd-minister").stdout
    message = refused(manzoori, 3, "act", reference, "clear", "--as", "sindh.wdd-minister")
    assert "it needs Chairperson, Sindh Commission on the Status of Women" in message
    assert rebuilt(manzoori, reference) is None


@pytest.fixture
def client(manzoori: Manzoori) -> Iterator[tuple[TestClient, Any]]:
    engine = make_engine(manzoori.url)
    with TestClient(create_app(manzoori.url, secret_key="test secret")) as client:
        yield client, engine
    engine.dispose()


def _headers(engine: Any, username: str) -> dict[str, str]:
    with Session(engine) as session:
        token = issue_token(session, username, "tests", datetime.now())
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_office_escalated_to_reassigns_the_overdue_step_over_the_api(
        manzoori: Manzoori, client: tuple[TestClient, Any]) -> None:
    http, engine = client
    reference = overdue(manzoori)
    speaker = _headers(engine, SPEAKER)
    [entry] = [e for e in http.get("/api/inbox", headers=speaker).json() if e["reference"] == reference]
    assert (entry["capacity"], entry["step"], entry["office"]) == ("escalated", "review", "wpc-member")
    moved = http.post(f"/api/items/{reference}/reassign", headers=speaker,
                      json={"party": "balochistan", "to_officer": "balochistan.wpc-member.4",
                            "reason": "Overdue; member 4 takes it"})
    assert moved.status_code == 200, moved.text
    [(assignee,)] = manzoori.query(
        "SELECT o.username FROM steps s JOIN officers o ON o.id = s.assigned_to_id "
        "WHERE s.status = 'open'")
    assert assignee == "balochistan.wpc-member.4"
    [(payload,)] = manzoori.query("SELECT payload FROM events WHERE action = 'reassign'")
    assert stored_json(payload)["capacity"] == "escalated"
    # Another member cannot, and the step now waits for member 4 (and still the Speaker).
    member = _headers(engine, "balochistan.wpc-member.1")
    assert http.post(f"/api/items/{reference}/actions", headers=member,
                     json={"action": "clear"}).status_code == 403
    done = http.post(f"/api/items/{reference}/actions", headers=_headers(engine, "balochistan.wpc-member.4"),
                     json={"action": "clear"})
    assert done.status_code == 200, done.text
    steps = http.get(f"/api/items/{reference}", headers=speaker).json()["steps"]
    assert steps[1]["decisions"][0]["capacity"] == "holder"
    assert rebuilt(manzoori, reference) is None
