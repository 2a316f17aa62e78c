"""The REST API as a script uses it: a bearer token per officer, JSON in and out, the
engine's refusals as HTTP statuses naming the field and the reason, and nothing changed
by a refused request. The stored state is read straight from the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.core.accounts import issue_token
from engine.store import make_engine
from engine.core.directory import add_officer
from engine.core.items import act, draft
from engine.core.registry import registry
from engine.web import create_app
from tests.forms import form_for

WP = "work_plan"
DRAFTER, REVIEWER, CONVENER = "punjab.pdu-director", "punjab.wpc-member.1", "punjab.wpc-convener"


class Api:
    """A client of one test's database copy that sends each officer's own token."""

    def __init__(self, manzoori: Any, client: TestClient, engine: Engine) -> None:
        self.manzoori = manzoori
        self.client = client
        self.engine = engine
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            with Session(self.engine) as session:
                self._tokens[username] = issue_token(session, username, "tests", datetime.now())
                session.commit()
        return self._tokens[username]

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}", **extra}

    def get(self, path: str, officer: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers(officer), params=params)

    def post(self, path: str, officer: str, body: Any, **headers: str) -> Any:
        return self.client.post(path, headers=self.headers(officer, **headers), json=body)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def draft(self, title: str = "WPC Action Plan 2026", officer: str = DRAFTER,
              party: str = "punjab") -> str:
        body = {"kind": WP, "parties": [party], "title": title, "form": form_for(party, WP)}
        return self.ok(self.post("/api/items", officer, body), 201)["reference"]

    def act(self, reference: str, action: str, officer: str, **body: Any) -> dict[str, Any]:
        if action == "sign":
            body.setdefault("passphrase", self.manzoori.passphrase)
        return self.ok(self.post(f"/api/items/{reference}/actions", officer,
                                 {"action": action, **body}))

    def refused(self, status: int, method: str, path: str, officer: str | None = None,
                **request: Any) -> dict[str, Any]:
        """Send a request that must be refused; check it changed nothing; return the error."""
        headers = {**(self.headers(officer) if officer else {}), **request.pop("headers", {})}
        before = self.manzoori.snapshot()
        response = self.client.request(method, path, headers=headers, **request)
        assert response.status_code == status, response.text
        assert self.manzoori.snapshot() == before
        return response.json()


@pytest.fixture
def api(manzoori: Any) -> Iterator[Api]:
    url = manzoori.url
    engine = make_engine(url)
    with TestClient(create_app(url, secret_key="test secret")) as client:
        yield Api(manzoori, client, engine)
    engine.dispose()


@pytest.fixture
def in_review(api: Api) -> str:
    reference = api.draft()
    api.act(reference, "submit", DRAFTER)
    return reference


@pytest.fixture
def in_approval(api: Api, in_review: str) -> str:
    api.act(in_review, "clear", REVIEWER)
    return in_review


def test_work_plan_goes_from_draft_to_in_force_through_the_api(api: Api) -> None:
    created = api.post("/api/items", DRAFTER, {
        "kind": WP, "parties": ["punjab"], "title": "WPC Action Plan 2026",
        "form": form_for("punjab", WP)})
    outcome = api.ok(created, 201)
    reference = outcome["reference"]
    assert created.headers["location"] == f"/api/items/{reference}"
    assert outcome["state"] == "draft" and api.manzoori.state(reference) == "draft"

    steps = [("submit", DRAFTER, "review"), ("clear", REVIEWER, "approval"),
             ("approve", CONVENER, "signature"), ("sign", CONVENER, "in_force")]
    for action, officer, state in steps:
        revision = api.ok(api.get(f"/api/items/{reference}", officer))["revision"]
        outcome = api.act(reference, action, officer, expected_revision=revision)
        assert (outcome["action"], outcome["state"], outcome["replayed"]) == (action, state, False)
        assert outcome["revision"] > revision
        assert api.manzoori.state(reference) == state

    item = api.ok(api.get(f"/api/items/{reference}", CONVENER))
    assert item["state"] == "in_force" and item["parties"] == ["punjab"]
    assert item["drafter"] == DRAFTER
    stored_digest = api.manzoori.query("SELECT digest FROM versions")[0][0]
    [version] = item["versions"]
    assert version["digest"] == stored_digest and version["form"]["summary"].startswith("The Women")
    assert [(s["name"], s["status"], [d["officer"] for d in s["decisions"]]) for s in item["steps"]] == [
        ("draft", "done", [DRAFTER]), ("review", "done", [REVIEWER]),
        ("approval", "done", [CONVENER]), ("signature", "done", [CONVENER])]
    assert all(s["due_at"].endswith("Z") for s in item["steps"])
    done = ["draft", "submit", "clear", "approve", "sign", "planned"]  # planned: follow-up
    assert [e["action"] for e in item["history"]] == done
    assert api.manzoori.actions(reference) == done


def test_officer_sees_who_they_are_and_the_parties_with_urdu_labels(api: Api) -> None:
    me = api.ok(api.get("/api/me", CONVENER))
    assert me["username"] == CONVENER
    assert [(o["party"], o["office"]) for o in me["offices"]] == [("punjab", "wpc-convener")]
    assert me["offices"][0]["title_ur"].startswith("کنوینر")

    listed = {p["code"]: p for p in api.ok(api.get("/api/parties", CONVENER))}
    assert {"punjab", "balochistan", "sindh", "kp", "ncsw"} <= set(listed)
    assert listed["punjab"]["name_ur"] == "حکومتِ پنجاب"

    punjab = api.ok(api.get("/api/parties/punjab", CONVENER))
    assert punjab["identity"]["name_ur"] == "حکومتِ پنجاب"
    assert "wpc-convener" in {office["code"] for office in punjab["offices"]}
    work_plan = next(k for k in punjab["kinds"] if k["kind"] == WP)
    assert work_plan["roles"]["approver"]["office"] == "wpc-convener"
    form = work_plan["form"]
    assert form["model"] == "WpcActionPlan"
    assert {"name": "summary", "label_en": "Summary", "label_ur": "خلاصہ", "type": "str",
            "required": True} in form["fields"]
    activities = form["json_schema"]["properties"]["activities"]
    assert (activities["title"], activities["title_ur"]) == ("Activities", "سرگرمیاں")
    assert api.refused(404, "GET", "/api/parties/gilgit", CONVENER)["error"] == "NotFound"


def test_items_are_listed_and_filtered(api: Api, in_review: str) -> None:
    other = api.draft("PWL work plan 2025-26", "balochistan.assembly-secretary", "balochistan")
    second = api.draft("WPC Action Plan 2027")
    listed = api.ok(api.get("/api/items", CONVENER))  # Punjab's: Balochistan's is not theirs to read
    assert [i["reference"] for i in listed] == [second, in_review]
    assert [i["reference"] for i in api.ok(api.get("/api/items", CONVENER, state="review"))] == [in_review]
    assert [i["reference"] for i in api.ok(api.get("/api/items", "balochistan.assembly-secretary",
                                                  party="balochistan", kind=WP))] == [other]
    assert api.ok(api.get("/api/items", CONVENER, party="balochistan")) == []
    assert len(api.ok(api.get("/api/items", CONVENER, limit=1))) == 1


def test_request_without_a_valid_token_is_unauthenticated(api: Api, in_review: str) -> None:
    body = {"action": "clear"}
    missing = api.refused(401, "POST", f"/api/items/{in_review}/actions", json=body)
    assert missing["error"] == "NotAuthenticated" and "Bearer" in missing["message"]
    forged = api.refused(401, "POST", f"/api/items/{in_review}/actions", json=body,
                         headers={"Authorization": "Bearer mzt_not-a-real-token"})
    assert "unknown or revoked" in forged["message"]
    assert api.refused(401, "GET", "/api/inbox", headers={"Authorization": "Basic eDp5"})


def test_officer_without_the_steps_office_is_forbidden(api: Api, in_approval: str) -> None:
    error = api.refused(403, "POST", f"/api/items/{in_approval}/actions", "punjab.wpc-member.2",
                        json={"action": "approve"})
    assert error["error"] == "NotAllowed" and "Convener" in error["message"]


def test_drafter_cannot_approve_own_work_plan(api: Api, in_approval: str) -> None:
    with Session(api.engine) as session:  # the drafter also holds the approving office
        add_officer(session, registry(), username=DRAFTER, name=api.manzoori.query(
            "SELECT name FROM officers WHERE username = :u", u=DRAFTER)[0][0], party="punjab",
            office="wpc-convener", since=date(2000, 1, 1), now=datetime.now())
        session.commit()
    error = api.refused(403, "POST", f"/api/items/{in_approval}/actions", DRAFTER,
                        json={"action": "approve"})
    assert "maker and checker must differ" in error["message"]


def test_acting_officer_comes_from_the_token_not_the_body(api: Api, in_approval: str) -> None:
    error = api.refused(422, "POST", f"/api/items/{in_approval}/actions", "punjab.wpc-member.2",
                        json={"action": "approve", "officer": CONVENER})
    assert error["detail"][0]["loc"] == ["body", "officer"]


def test_unknown_item_is_not_found(api: Api) -> None:
    error = api.refused(404, "POST", "/api/items/PJ-WP-2025-9999/actions", CONVENER,
                        json={"action": "approve"})
    assert "no item 'PJ-WP-2025-9999'" in error["message"]
    assert api.refused(404, "GET", "/api/items/PJ-WP-2025-9999", CONVENER)["error"] == "NotFound"


def test_stale_revision_is_a_conflict(api: Api, in_review: str) -> None:
    seen = api.ok(api.get(f"/api/items/{in_review}", REVIEWER))["revision"]
    api.act(in_review, "comment", "punjab.wpc-member.2", comment="Pillar 4 needs dates")
    error = api.refused(409, "POST", f"/api/items/{in_review}/actions", REVIEWER,
                        json={"action": "clear", "expected_revision": seen})
    assert error["error"] == "Conflict" and "changed since you saw it" in error["message"]


def test_same_officer_deciding_twice_is_a_conflict(api: Api) -> None:
    drafter = "balochistan.assembly-secretary"
    reference = api.draft("PWL work plan 2025-26", drafter, "balochistan")
    api.act(reference, "submit", drafter)
    api.act(reference, "clear", "balochistan.wpc-member.1")
    if api.manzoori.state(reference) == "finance_review":
        api.act(reference, "clear", "balochistan.finance-secretary")
    assert "1 of 3" in api.act(reference, "approve", "balochistan.wpc-member.2")["message"]
    error = api.refused(409, "POST", f"/api/items/{reference}/actions", "balochistan.wpc-member.2",
                        json={"action": "approve"})
    assert "already decided" in error["message"]


def test_invalid_province_form_names_the_field(api: Api) -> None:
    form = form_for("balochistan", WP)
    form["psdp_schemes"][0]["constituency"] = "PB-99"
    error = api.refused(422, "POST", "/api/items", "balochistan.assembly-secretary", json={
        "kind": WP, "parties": ["balochistan"], "title": "PWL work plan 2025-26", "form": form})
    assert error["error"] == "InvalidForm"
    assert error["field"].startswith("psdp_schemes[0].constituency")
    assert any(p["field"].startswith("psdp_schemes[0].constituency") for p in error["problems"])


def test_malformed_body_is_refused_naming_the_field(api: Api, in_review: str) -> None:
    path = f"/api/items/{in_review}/actions"
    broken = api.refused(422, "POST", path, REVIEWER, content=b'{"action": "clear"',
                         headers={"Content-Type": "application/json"})
    assert broken["detail"][0]["type"] == "json_invalid"
    missing = api.refused(422, "POST", path, REVIEWER, json={"comment": "looks fine"})
    assert missing["detail"][0]["loc"] == ["body", "action"]
    unknown = api.refused(422, "POST", path, REVIEWER, json={"action": "bless"})
    assert unknown["detail"][0]["loc"] == ["body", "action"]
    undecodable = api.refused(422, "POST", path, REVIEWER, content=b'{"action": "\xff"}',
                              headers={"Content-Type": "application/json"})
    assert undecodable["detail"][0]["loc"] == ["body"]
    surrogate = api.refused(422, "POST", path, REVIEWER, content=b'{"action": "comment", '
                            b'"comment": "\\ud800"}', headers={"Content-Type": "application/json"})
    assert surrogate["detail"][0]["loc"] == ["body", "comment"]


def test_retry_with_the_same_idempotency_key_is_not_applied_twice(api: Api, in_review: str) -> None:
    path = f"/api/items/{in_review}/actions"
    first = api.ok(api.post(path, REVIEWER, {"action": "clear"}, **{"Idempotency-Key": "req-42"}))
    before = api.manzoori.snapshot()
    again = api.ok(api.post(path, REVIEWER, {"action": "clear"}, **{"Idempotency-Key": "req-42"}))
    assert api.manzoori.snapshot() == before
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["state"] == first["state"] == "approval" and again["revision"] == first["revision"]
    assert api.manzoori.actions(in_review) == ["draft", "submit", "clear"]
    error = api.refused(409, "POST", path, REVIEWER, json={"action": "comment", "comment": "x"},
                        headers={"Idempotency-Key": "req-42"})
    assert "already used" in error["message"]


def test_bulk_approval_of_200_items_records_each_and_refuses_one(api: Api) -> None:
    parties, form, references = registry(), form_for("punjab", WP), []
    with Session(api.engine) as session:
        for number in range(200):
            reference = draft(session, parties, kind=WP, parties=["punjab"], form=form,
                              title=f"WPC Action Plan, part {number + 1}", officer=DRAFTER).reference
            act(session, parties, reference=reference, action="submit", officer=DRAFTER)
            if number != 137:  # this one is still at review, where nobody can approve
                act(session, parties, reference=reference, action="clear", officer=REVIEWER)
            references.append(reference)

    results = api.ok(api.post("/api/actions/bulk", CONVENER,
                              {"references": references, "action": "approve"}))
    assert [r["reference"] for r in results] == references
    refused = [r for r in results if not r["ok"]]
    assert [r["reference"] for r in refused] == [references[137]]
    assert refused[0]["error"] == "NotAllowed" and refused[0]["status"] == 403
    assert "'approve' is not possible at step 'review'" in refused[0]["message"]
    assert {r["state"] for r in results if r["ok"]} == {"signature"}
    assert api.manzoori.query("SELECT count(*) FROM events WHERE action = 'approve'")[0][0] == 199
    assert api.manzoori.state(references[137]) == "review"


def test_reassigned_step_waits_for_the_new_officer_only(api: Api, in_review: str) -> None:
    new, old = "punjab.wpc-member.2", REVIEWER
    assert in_review in {e["reference"] for e in api.ok(api.get("/api/inbox", old))}
    outcome = api.ok(api.post(f"/api/items/{in_review}/reassign", DRAFTER, {
        "party": "punjab", "to_officer": new, "reason": "Member 1 is away this week"}))
    assert outcome["action"] == "reassign" and new in outcome["message"]

    item = api.ok(api.get(f"/api/items/{in_review}", new))
    event = item["history"][-1]
    assert (event["action"], event["officer"], event["comment"]) == (
        "reassign", DRAFTER, "Member 1 is away this week")
    assert event["payload"]["to"] == new
    assert [s["assignee"] for s in item["steps"] if s["status"] == "open"] == [new]

    waiting = api.ok(api.get("/api/inbox", new))
    assert [(e["reference"], e["step"], e["party"]) for e in waiting] == [(in_review, "review", "punjab")]
    assert in_review not in {e["reference"] for e in api.ok(api.get("/api/inbox", old))}
    error = api.refused(403, "POST", f"/api/items/{in_review}/actions", old, json={"action": "clear"})
    assert f"assigned to {new}" in error["message"]
    assert api.act(in_review, "clear", new)["state"] == "approval"


def test_only_the_drafting_or_approving_office_reassigns(api: Api, in_review: str) -> None:
    error = api.refused(403, "POST", f"/api/items/{in_review}/reassign", "punjab.wpc-member.2",
                        json={"party": "punjab", "to_officer": "punjab.wpc-member.2",
                              "reason": "I will take it"})
    assert "cannot reassign" in error["message"]


# --- Generated requests: every operation answers as its schema says ----------------------------

def generated_cases(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Valid and invalid requests for one operation; paths often name a real item or party."""
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    for parameter in operation.path_parameters:
        strategies += [operation.as_strategy(GenerationMode.POSITIVE,
                                             path_parameters={parameter.name: value})
                       for value in known.get(parameter.name, [])]
    return st.one_of(strategies)


@pytest.mark.slow  # ~20 s; `.ci/run` runs it with the other long tests, on both databases
def test_every_operation_answers_as_its_schema_says(api: Api) -> None:
    """Generated requests, valid and not, with a real token: never a server error, and
    every answer's status, content type and body as the OpenAPI document says.

    Each operation's cases come from schemathesis's `as_strategy` under plain hypothesis:
    its pytest `parametrize` over a fixture's schema fails on pytest 9 (it sets the removed
    `Function._nodeid`)."""
    references = [api.draft(), api.draft("PWL work plan 2025-26", "balochistan.assembly-secretary",
                                         "balochistan")]
    api.act(references[0], "submit", DRAFTER)
    known = {"reference": references, "code": ["punjab", "ncsw"], "party": ["punjab", "sindh"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app).include(
        path_regex="^/api/")
    schema.config.generation.update(with_security_parameters=False)
    headers = api.headers(DRAFTER)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20  # every /api operation, none hidden from the schema

    for operation in operations:
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=generated_cases(operation, known))
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        answers_as_documented()


def _to_approval(api: Api, reference: str) -> None:
    """Bring a Balochistan work plan from draft to its approval by three WPC members."""
    api.act(reference, "submit", "balochistan.assembly-secretary")
    while api.manzoori.state(reference) != "approval":
        state = api.manzoori.state(reference)
        officer = api.manzoori.officer_for("balochistan", WP, "finance_reviewer" if state == "finance_review"
                                           else "reviewer", exclude="balochistan.assembly-secretary")
        api.act(reference, "clear", officer)


def test_reassigning_one_member_of_a_quorum_step_leaves_the_others_free(api: Api) -> None:
    """Three of the caucus's members must approve: the one a step is reassigned to is one of
    them, and the others still count (before, only the assignee could decide, so the quorum
    could never be reached)."""
    reference = api.draft("PWL project work plan 2026", "balochistan.assembly-secretary", "balochistan")
    _to_approval(api, reference)
    api.ok(api.post(f"/api/items/{reference}/reassign", "balochistan.assembly-secretary", {
        "party": "balochistan", "to_officer": "balochistan.wpc-member.4", "reason": "she chairs this"}))
    for member in ("balochistan.wpc-member.2", "balochistan.wpc-member.3"):
        assert reference in {e["reference"] for e in api.ok(api.get("/api/inbox", member))}
        api.act(reference, "approve", member)
    assert api.manzoori.state(reference) == "approval"
    assert api.act(reference, "approve", "balochistan.wpc-member.4")["state"] == "signature"


def test_a_step_is_never_reassigned_to_the_items_drafter(api: Api, in_review: str) -> None:
    """Even when the drafter also holds the office the step waits for."""
    name = api.manzoori.query("SELECT name FROM officers WHERE username = :u", u=DRAFTER)[0][0]
    api.manzoori("officers", "add", DRAFTER, "--name", name, "--party", "punjab",
                 "--office", "wpc-member", "--since", "2020-01-01")
    error = api.refused(403, "POST", f"/api/items/{in_review}/reassign", CONVENER,
                        json={"party": "punjab", "to_officer": DRAFTER, "reason": "she knows it best"})
    assert f"{DRAFTER} drafted {in_review}" in error["message"]
    mine = api.refused(403, "POST", f"/api/items/{in_review}/actions", DRAFTER, json={"action": "clear"})
    assert "maker and checker must differ" in mine["message"]
