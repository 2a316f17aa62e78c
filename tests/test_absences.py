"""Delegation while away: an officer records an absence with a substitute and a period
(`manzoori officers away`, the API, the web app's "I will be away" page); meanwhile the
substitute sees the absent officer's waiting steps and decides them, every record saying
"SUBSTITUTE for HOLDER (Office)"; signing while away uses the substitute's own key, and
`manzoori verify` checks the delegation was in force that day."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.contract import DelegationRule
from engine.contract.hookspecs import hookimpl
from engine.core.accounts import issue_token
from engine.store import make_engine
from engine.web import create_app
from tests.conftest import Manzoori, stored_json
from tests.forms import form_for
from tests.test_replay import check
from tests.provinces import Install, TestProvince
from tests.test_invariants import refused

WP = "work_plan"
DRAFTER, REVIEWER = "punjab.pdu-director", "punjab.wpc-member.1"
CONVENER, STAND_IN = "punjab.wpc-convener", "punjab.wpc-member.2"
CONVENER_TITLE = "Convener, Women Parliamentary Caucus, Provincial Assembly of the Punjab"
TODAY = date.today()


def in_approval(manzoori: Manzoori, title: str = "WPC Action Plan 2026") -> str:
    """A Punjab work plan cleared by a member, waiting for the Convener's approval."""
    reference = manzoori.draft(WP, "punjab", title, form_for("punjab", WP), DRAFTER)
    manzoori.act(reference, "submit", DRAFTER)
    manzoori.act(reference, "clear", REVIEWER)
    assert manzoori.state(reference) == "approval"
    return reference


def away(manzoori: Manzoori, officer: str, substitute: str, since: date, until: date,
         *extra: str, expect: int = 0) -> str:
    result = manzoori("officers", "away", officer, "--substitute", substitute,
                      "--from", since.isoformat(), "--until", until.isoformat(),
                      "--reason", "Earned leave", *extra, expect=expect)
    return result.stdout if expect == 0 else result.stderr


rebuilt = check  # what the events rebuild against the tables (tests/test_replay.py)


def decisions(manzoori: Manzoori, reference: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in manzoori.query(
        "SELECT s.name, o.username, d.action, d.capacity, f.username FROM decisions d "
        "JOIN steps s ON s.id = d.step_id JOIN items i ON i.id = s.item_id "
        "JOIN officers o ON o.id = d.officer_id LEFT JOIN officers f ON f.id = d.for_officer_id "
        "WHERE i.reference = :r ORDER BY d.id", r=reference)]


def test_a_substitute_approves_and_signs_for_the_absent_convener_and_verify_holds(manzoori: Manzoori) -> None:
    reference = in_approval(manzoori)
    # Before the absence the member has nothing of the Convener's and cannot approve.
    assert reference not in manzoori("inbox", "--as", STAND_IN).stdout
    refused(manzoori, 3, "act", reference, "approve", "--as", STAND_IN)

    told = away(manzoori, CONVENER, STAND_IN, TODAY, TODAY + timedelta(days=6))
    assert f"{CONVENER} is away from {TODAY} to {TODAY + timedelta(days=6)}" in told
    [(since, until, reason, recorded_by)] = manzoori.query(
        "SELECT a.since, a.until, a.reason, r.username FROM absences a "
        "JOIN officers r ON r.id = a.recorded_by_id")
    assert (str(since), str(until), reason, recorded_by) == (
        str(TODAY), str(TODAY + timedelta(days=6)), "Earned leave", CONVENER)

    inbox = manzoori("inbox", "--as", STAND_IN).stdout
    assert reference in inbox and f"for {CONVENER}" in inbox
    manzoori.act(reference, "approve", STAND_IN)
    manzoori.act(reference, "sign", STAND_IN)
    assert manzoori.state(reference) == "in_force"

    assert decisions(manzoori, reference)[-2:] == [
        ("approval", STAND_IN, "approve", "substitute", CONVENER),
        ("signature", STAND_IN, "sign", "substitute", CONVENER)]
    [(payload,)] = manzoori.query(
        "SELECT e.payload FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE i.reference = :r AND e.action = 'approve'", r=reference)
    payload = stored_json(payload)
    assert (payload["capacity"], payload["for"], payload["office_title"]) == (
        "substitute", CONVENER, CONVENER_TITLE)
    shown = manzoori("show", reference).stdout
    assert f"{STAND_IN} for {CONVENER} (Convener" in shown  # the history's "who"

    # The signature is the substitute's, with their own key, marked as acting for.
    [(signer, acting_for, key_owner)] = manzoori.query(
        "SELECT o.username, f.username, k.officer_id = s.officer_id FROM signatures s "
        "JOIN officers o ON o.id = s.officer_id JOIN officers f ON f.id = s.acting_for_id "
        "JOIN signing_keys k ON k.id = s.key_id")
    assert (signer, acting_for, bool(key_owner)) == (STAND_IN, CONVENER, True)
    assert f"{reference}: intact" in manzoori("verify", reference).stdout
    assert rebuilt(manzoori, reference) is None

    document = manzoori("document", reference).stdout
    assert f"{STAND_IN} for {CONVENER} ({CONVENER_TITLE})" in document
    data = json.loads(document.split('id="manzoori-signatures">')[1].split("</script>")[0])
    assert data["signatures"][0]["acting_for"]["username"] == CONVENER
    path = manzoori.home / "signed.html"
    path.write_text(document, encoding="utf-8")
    assert "intact" in manzoori("verify", "--document", str(path)).stdout

    # Without the delegation on that day, verify finds the signature unfounded.
    engine = make_engine(manzoori.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE absences SET since = :d, until = :d"),
                           {"d": TODAY + timedelta(days=30)})
    engine.dispose()
    told = manzoori("verify", reference, expect=8)
    assert "acting_for_id" in told.stdout and "no delegation" in told.stdout


def test_outside_the_period_the_substitute_is_told_when_the_delegation_ran(manzoori: Manzoori) -> None:
    reference = in_approval(manzoori)
    start, end = TODAY + timedelta(days=3), TODAY + timedelta(days=9)
    away(manzoori, CONVENER, STAND_IN, start, end)
    assert reference not in manzoori("inbox", "--as", STAND_IN).stdout
    message = refused(manzoori, 3, "act", reference, "approve", "--as", STAND_IN)
    assert f"stood in for {CONVENER} from {start} to {end}" in message
    assert "not in force" in message


def test_an_absence_ended_early_stops_the_substitute(manzoori: Manzoori) -> None:
    reference = in_approval(manzoori)
    away(manzoori, CONVENER, STAND_IN, TODAY - timedelta(days=2), TODAY + timedelta(days=5))
    assert "ran from" in manzoori("officers", "back", CONVENER).stdout
    [(back_on,)] = manzoori.query("SELECT back_on FROM absences")
    assert str(back_on) == str(TODAY)
    assert reference not in manzoori("inbox", "--as", STAND_IN).stdout
    message = refused(manzoori, 3, "act", reference, "approve", "--as", STAND_IN)
    assert f"to {TODAY - timedelta(days=1)}, ended early: back on {TODAY}" in message
    manzoori.act(reference, "approve", CONVENER)  # back at work, the Convener decides herself
    assert decisions(manzoori, reference)[-1] == ("approval", CONVENER, "approve", "holder", None)


def test_overlapping_circular_and_unfit_delegations_are_refused_clearly(manzoori: Manzoori) -> None:
    week = (TODAY, TODAY + timedelta(days=6))
    away(manzoori, CONVENER, STAND_IN, *week)
    message = refused(manzoori, 6, "officers", "away", CONVENER, "--substitute", "punjab.wpc-member.3",
                      "--from", str(TODAY + timedelta(days=3)), "--until", str(TODAY + timedelta(days=10)),
                      "--reason", "Extended leave")
    assert f"{CONVENER} is already away from {week[0]} to {week[1]}" in message
    # The substitute cannot go away naming the Convener meanwhile: circular.
    message = refused(manzoori, 6, "officers", "away", STAND_IN, "--substitute", CONVENER,
                      "--from", str(week[0]), "--until", str(week[1]), "--reason", "Tour")
    assert "circular delegation" in message
    # Nor can a member away stand in for someone else: delegations do not chain.
    message = refused(manzoori, 6, "officers", "away", "punjab.wpc-member.4", "--substitute", CONVENER,
                      "--from", str(week[0]), "--until", str(week[1]), "--reason", "Tour")
    assert "away themself" in message
    # A substitute must be fit: the Director of the PDU may not act for the Convener.
    message = refused(manzoori, 3, "officers", "away", "punjab.wpc-member.3", "--substitute",
                      "balochistan.wpc-member.1", "--from", str(week[0]), "--until", str(week[1]),
                      "--reason", "Tour")
    assert "must hold the same office" in message
    # Nobody else records an officer's absence but them and their supervising office.
    message = refused(manzoori, 3, "officers", "away", "punjab.wpc-member.3", "--substitute",
                      "punjab.wpc-member.4", "--from", str(week[0]), "--until", str(week[1]),
                      "--reason", "Tour", "--as", DRAFTER)
    assert "cannot record an absence" in message
    message = refused(manzoori, 5, "officers", "away", "punjab.wpc-member.3", "--substitute",
                      "punjab.wpc-member.4", "--from", str(week[1]), "--until", str(week[0]),
                      "--reason", "Tour")
    assert "before it starts" in message
    # The Convener supervises the members and records one's absence for her.
    away(manzoori, "punjab.wpc-member.3", "punjab.wpc-member.4", *week, "--as", CONVENER)
    listed = manzoori("officers", "absences", "punjab.wpc-member.3").stdout
    assert "punjab.wpc-member.4" in listed and CONVENER in listed


class ProvinceWithDeputies(TestProvince):
    """The Director drafts; the Secretary reviews and the Minister approves; the Director
    may stand in for the Secretary, the Secretary for the Minister."""

    @hookimpl
    def delegation(self, office: str) -> DelegationRule | None:
        return {"secretary": DelegationRule(substitutes=("director",), supervisor="minister"),
                "minister": DelegationRule(substitutes=("secretary",))}.get(office)


@pytest.mark.hooks("delegation")
def test_maker_is_never_checker_through_delegation(manzoori: Manzoori, install: Install) -> None:
    install(deputies_province=ProvinceWithDeputies("deputies"))
    manzoori("init", "--samples")
    data = {**form_for("punjab", WP), "summary": "Women's hostels in every division."}
    data.pop("activities")
    # The Director drafts, then stands in for the Secretary: she may not review her own draft.
    reference = manzoori.draft(WP, "deputies", "Hostels plan", data, "deputies.director")
    manzoori.act(reference, "submit", "deputies.director")
    away(manzoori, "deputies.secretary", "deputies.director", TODAY, TODAY + timedelta(days=4))
    assert "for deputies.secretary" in manzoori("inbox", "--as", "deputies.director").stdout
    message = refused(manzoori, 3, "act", reference, "clear", "--as", "deputies.director")
    assert "deputies.director drafted" in message and "maker and checker must differ" in message

    # The Minister drafted a plan (she also holds the Director's office), then goes away
    # naming the Secretary, who may not approve it for her.
    manzoori("officers", "add", "deputies.minister", "--name", "Sample officer, Minister for "
             "Women Development [sample]", "--party", "deputies", "--office", "director",
             "--since", "2000-01-01", "--sample")
    other = manzoori.draft(WP, "deputies", "Hostels plan, second", data, "deputies.minister")
    manzoori.act(other, "submit", "deputies.minister")
    manzoori("officers", "back", "deputies.secretary")
    manzoori.act(other, "clear", "deputies.secretary")
    away(manzoori, "deputies.minister", "deputies.secretary", TODAY, TODAY + timedelta(days=4))
    message = refused(manzoori, 3, "act", other, "approve", "--as", "deputies.secretary")
    assert "deputies.minister drafted" in message and "acting for deputies.minister" in message
    # A plan drafted by the Director, the Secretary approves for the Minister.
    third = manzoori.draft(WP, "deputies", "Hostels plan, third", data, "deputies.director")
    manzoori.act(third, "submit", "deputies.director")
    manzoori.act(third, "clear", "deputies.secretary")
    manzoori.act(third, "approve", "deputies.secretary")
    assert decisions(manzoori, third)[-1] == ("approval", "deputies.secretary", "approve",
                                              "substitute", "deputies.minister")
    assert rebuilt(manzoori, third) is None


def test_a_province_whose_delegation_names_an_unknown_office_is_reported(install: Install) -> None:
    class Broken(TestProvince):
        @hookimpl
        def delegation(self, office: str) -> DelegationRule | None:
            return DelegationRule(supervisor="chief-secretary")

    from engine.sdk.testing import Conformance

    loaded = install(broken_delegation=Broken("broken-delegation"))
    failures = Conformance("broken-delegation", loaded).delegation()
    assert [str(f) for f in failures] == [
        "broken-delegation.delegation: names office 'chief-secretary' for 'secretary', "
        "which offices() lacks"]
    assert Conformance("punjab", loaded).delegation() == []


# The API ----------------------------------------------------------------------------------


@pytest.fixture
def api(manzoori: Manzoori) -> Iterator[Callable[..., Any]]:
    """`api(method, path, officer, json=...)`: a request with that officer's own token."""
    engine = make_engine(manzoori.url)
    tokens: dict[str, str] = {}

    def call(method: str, path: str, officer: str, **request: Any) -> Any:
        if officer not in tokens:
            with Session(engine) as session:
                tokens[officer] = issue_token(session, officer, "tests", datetime.now())
                session.commit()
        return client.request(method, path, headers={"Authorization": f"Bearer {tokens[officer]}"},
                              **request)

    with TestClient(create_app(manzoori.url, secret_key="test secret")) as client:
        yield call
    engine.dispose()


def test_an_absence_is_recorded_listed_and_ended_over_the_api(manzoori: Manzoori,
                                                               api: Callable[..., Any]) -> None:
    reference = in_approval(manzoori)
    body = {"substitute": STAND_IN, "since": str(TODAY), "until": str(TODAY + timedelta(days=3)),
            "reason": "Official tour to Quetta"}
    made = api("POST", "/api/absences", CONVENER, json=body)
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("officer", "substitute", "last_day", "recorded_by")} == {
        "officer": CONVENER, "substitute": STAND_IN, "last_day": str(TODAY + timedelta(days=3)),
        "recorded_by": CONVENER}
    [entry] = [e for e in api("GET", "/api/inbox", STAND_IN).json() if e["reference"] == reference]
    assert (entry["capacity"], entry["acting_for"]) == ("substitute", CONVENER)

    before = manzoori.snapshot()
    again = api("POST", "/api/absences", CONVENER, json={**body, "substitute": "punjab.wpc-member.3"})
    assert again.status_code == 409 and "already away" in again.json()["message"]
    other = api("POST", "/api/absences", DRAFTER, json={**body, "officer": "punjab.wpc-member.3"})
    assert other.status_code == 403
    backwards = api("POST", "/api/absences", CONVENER, json={**body, "until": str(TODAY - timedelta(days=1))})
    assert backwards.status_code == 422
    assert manzoori.snapshot() == before

    acted = api("POST", f"/api/items/{reference}/actions", STAND_IN, json={"action": "approve"})
    assert acted.status_code == 200, acted.text
    detail = api("GET", f"/api/items/{reference}", CONVENER).json()
    decision = detail["steps"][-2]["decisions"][0]
    assert (decision["officer"], decision["capacity"], decision["for_officer"]) == (
        STAND_IN, "substitute", CONVENER)
    assert detail["history"][-1]["payload"]["for"] == CONVENER

    [listed] = api("GET", "/api/absences", STAND_IN).json()
    assert listed["officer"] == CONVENER
    ended = api("POST", "/api/absences/back", CONVENER, json={})
    assert ended.status_code == 200 and ended.json()["back_on"] == str(TODAY)
    assert api("GET", "/api/inbox", STAND_IN).json() == []
