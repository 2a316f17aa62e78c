"""Pages and forms that guide an officer, driven over HTTP as a browser would: messages
written for people (English and Urdu, the same beside the field and in the API), rows
added and removed without script, the confirmation after an action, the bulk form's
decisions, "New draft" only for drafters, the items search under need-to-know, and the
route picture."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.core.accounts import hash_password, issue_token
from engine.core.directory import get_officer
from engine.store import session_scope
from engine.web import create_app, search_pages
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.test_web import PASSWORD, csrf_of, in_review, login

Site = tuple[TestClient, Manzoori]
DRAFTER, MEMBER, CONVENER = "punjab.pdu-director", "punjab.wpc-member.1", "punjab.wpc-convener"


@functools.cache
def password_hash() -> str:
    """One argon2id hash for every officer of these tests: hashing is slow on purpose."""
    return hash_password(PASSWORD)


@pytest.fixture
def site(manzoori: Manzoori) -> Iterator[tuple[TestClient, Manzoori]]:
    with session_scope(manzoori.url) as session:
        for username in (DRAFTER, MEMBER, CONVENER, "sindh.wdd-secretary"):
            get_officer(session, username).password_hash = password_hash()
        session.commit()
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        yield client, manzoori


def posted(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Form data as the draft form posts it: one field per path (`activities[0].quarter`)."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                fields.update(posted(row, f"{prefix}{key}[{index}]."))
        elif isinstance(value, list):
            fields[f"{prefix}{key}"] = "\n".join(value)
        else:
            fields[f"{prefix}{key}"] = str(value)
    return fields


def draft_post(client: TestClient, token: str, form: dict[str, Any], **extra: str) -> Any:
    return client.post("/draft", data={"csrf": token, "kind": "work_plan", "parties": "punjab",
                                       "title": "Action plan from the web form", **posted(form), **extra})


def field_error(html: str, path: str) -> str:
    """The message shown beside the field at `path`."""
    block = re.search(rf'data-field="{re.escape(path)}">(.*?)</div>', html, re.S)
    assert block, f"no field {path}"
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', block[1], re.S)
    assert found, f"no message beside {path}"
    return found[1]


def test_a_wrong_quarter_says_the_format_beside_the_field_and_in_the_api(site: Site) -> None:
    client, manzoori = site
    token = login(client, DRAFTER)
    form = form_for("punjab", "work_plan")
    form["activities"][0]["quarter"] = "Q3-2025"
    before = manzoori.snapshot()
    page = draft_post(client, token, form)
    assert page.status_code == 422
    message = field_error(page.text, "activities[0].quarter")
    assert "write it like 2025-Q3" in message and "pattern" not in message and "^20" not in message
    assert "For example" in page.text and "2025-Q3" in page.text  # the hint under the field
    with session_scope(manzoori.url) as session:
        bearer = issue_token(session, DRAFTER, "tests", datetime.now())
        session.commit()
    answer = client.post("/api/items", headers={"Authorization": f"Bearer {bearer}"}, json={
        "kind": "work_plan", "parties": ["punjab"], "title": "Action plan from the API", "form": form})
    assert answer.status_code == 422
    problem = next(p for p in answer.json()["problems"] if p["field"].startswith("activities[0].quarter"))
    assert problem["message"] == message
    assert problem["message_ur"] == "درست شکل میں نہیں: اس طرح لکھیں: \u20662025-Q3\u2069"
    client.get("/lang/ur?next=/inbox")
    urdu = draft_post(client, token, form)
    assert field_error(urdu.text, "activities[0].quarter") == problem["message_ur"]
    assert manzoori.snapshot() == before


def test_add_and_remove_a_row_without_script_saves_nothing(site: Site) -> None:
    client, manzoori = site
    token = login(client, DRAFTER)
    form = form_for("punjab", "work_plan")
    rows = len(form["activities"])
    before = manzoori.snapshot()
    added = draft_post(client, token, form, **{"add_row:activities": "Add a row"})
    assert added.status_code == 200 and "problem" not in added.text
    assert f'data-row="activities[{rows + 2}]"' in added.text  # the filled rows, two empty ones, one more
    assert f'data-row="activities[{rows + 3}]"' not in added.text
    removed = draft_post(client, token, form, **{"remove_row:activities[0]": "Remove this row"})
    assert removed.status_code == 200
    assert form["activities"][0]["activity"] not in removed.text
    assert form["activities"][1]["activity"] in removed.text
    assert manzoori.snapshot() == before


def test_after_an_action_the_next_page_says_where_the_item_went_once(site: Site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    token = login(client, MEMBER)
    page = client.get(f"/items/{reference}").text
    answer = client.post(f"/items/{reference}/act", data={
        "csrf": token, "action": "clear", "revision": re.search(r'name="revision" value="(\d+)"', page)[1]})
    assert answer.status_code == 200 and answer.url.path == f"/items/{reference}"
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', answer.text, re.S)[1]
    assert f"Done: Clear on {reference}." in notice
    assert "It is now at Approval, waiting for" in notice and CONVENER in notice
    assert manzoori.state(reference) == "approval"
    assert 'class="notice"' not in client.get(f"/items/{reference}").text  # shown once


def test_the_bulk_form_offers_only_what_every_listed_item_takes(site: Site) -> None:
    client, manzoori = site
    first, second = in_review(manzoori), in_review(manzoori)
    login(client, MEMBER)
    inbox = client.get("/inbox").text
    offered = re.findall(r'<option value="(\w*)"', inbox.split('id="bulk-action"')[1].split("</select>")[0])
    assert offered == ["", "clear"]  # no default: the officer chooses, and never "Approve" at review
    assert re.search(r'<option value="" selected>', inbox)
    token = csrf_of(inbox)
    refused = client.post("/bulk", data={"csrf": token, "reference": [first, second]})
    assert refused.status_code == 422 and "choose the decision" in refused.text
    assert manzoori.state(first) == manzoori.state(second) == "review"
    decided = client.post("/bulk", data={"csrf": token, "action": "clear", "reference": [first, second]})
    assert decided.status_code == 200 and "2 recorded, 0 refused" in decided.text
    assert decided.text.count("It is now at Approval, waiting for") == 2  # each says where it went
    assert manzoori.state(first) == manzoori.state(second) == "approval"
    # The drafter's own drafts wait for him at draft: no decision fits them all.
    manzoori.draft("work_plan", "punjab", "A draft still being written", form_for("punjab", "work_plan"), DRAFTER)
    client.post("/logout", data={"csrf": token})
    login(client, DRAFTER)
    drafts = client.get("/inbox").text
    assert 'id="bulk-action"' not in drafts and "No one decision can be taken" in drafts


def test_new_draft_is_offered_only_to_officers_who_may_draft(site: Site) -> None:
    client, _ = site
    token = login(client, DRAFTER)
    assert 'href="/draft"' in client.get("/inbox").text
    client.post("/logout", data={"csrf": token})
    login(client, MEMBER)
    assert 'href="/draft"' not in client.get("/inbox").text


def test_items_search_finds_by_words_state_and_step_within_need_to_know(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client, manzoori = site
    reviewed = in_review(manzoori)
    drafted = manzoori.draft("work_plan", "punjab", "Caucus budget oversight plan",
                             form_for("punjab", "work_plan"), DRAFTER)
    token = login(client, MEMBER)

    def found(**query: str) -> list[str]:
        page = client.get("/items", params=query)
        assert page.status_code == 200, page.text[:300]
        return re.findall(r'<tr data-reference="([^"]+)"', page.text)

    assert set(found()) == {reviewed, drafted}
    assert found(words="OVERSIGHT caucus") == [drafted]
    assert found(step="review") == [reviewed] and found(state="draft") == [drafted]
    assert found(reference=reviewed[-4:], party="punjab", kind="work_plan") == [reviewed]
    assert found(since="2999-01-01") == []
    monkeypatch.setattr(search_pages, "PER_PAGE", 1)
    first = client.get("/items").text
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert len(re.findall(r"<tr data-reference", first)) == 1
    bad = client.get("/items", params={"since": "1 July"})
    assert bad.status_code == 422 and "2025-07-01 (year-month-day)" in bad.text
    client.post("/logout", data={"csrf": token})
    login(client, "sindh.wdd-secretary")  # holds no Punjab office: sees neither, nor counts them
    page = client.get("/items", params={"words": "plan"}).text
    assert "0 items found" in page and reviewed not in page


def test_the_item_page_draws_the_route_with_who_holds_the_waiting_step(site: Site) -> None:
    client, manzoori = site
    reference = in_review(manzoori)
    login(client, MEMBER)
    page = client.get(f"/items/{reference}").text
    svg = re.search(r"<svg .*?</svg>", page, re.S)[0]
    assert 'data-step="draft" data-party="punjab" data-cell-state="done"' in svg
    assert 'data-step="review" data-party="punjab" data-cell-state="open"' in svg
    waiting = re.search(r'data-cell-state="open">(.*?)</g>', svg, re.S)[1]
    assert MEMBER in waiting
    assert 'data-step="signature" data-party="punjab" data-cell-state="ahead"' in svg
    assert "<script" not in svg
