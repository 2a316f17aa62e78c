"""Input sent to hurt, or by mistake, as a client sends it over HTTP: bodies too large or
without credentials, text and lists without end, control characters, deeply nested JSON,
numbers no column holds, bytes that are not UTF-8. Each is refused plainly, naming the
field, with nothing stored and never a server error."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.contract.forms import MAX_ROWS, MAX_TEXT
from engine.core.accounts import issue_token, set_password
from engine.store import make_engine, open_database, session_scope
from engine.web import create_app
from engine.web.guards import MAX_BODY
from tests.conftest import Manzoori
from tests.forms import form_for

DRAFTER, REVIEWER = "punjab.pdu-director", "punjab.wpc-member.1"
PASSWORD = "sample-password-1"


class Client:
    """The app over one test's database, with an officer's token and a logged-in browser."""

    def __init__(self, manzoori: Manzoori, http: TestClient) -> None:
        self.manzoori = manzoori
        self.http = http
        with session_scope(manzoori.url) as session:
            self.token = issue_token(session, DRAFTER, "tests", datetime.now())
            for username in (DRAFTER, REVIEWER):
                set_password(session, username, PASSWORD)
            session.commit()
        self.auth = {"Authorization": f"Bearer {self.token}"}

    def refused(self, status: int, method: str, path: str, **request: Any) -> Any:
        """A request that must be refused with `status`, changing nothing."""
        before = self.manzoori.snapshot()
        answer = self.http.request(method, path, **request)
        assert answer.status_code == status, answer.text[:500]
        assert self.manzoori.snapshot() == before
        return answer

    def login(self, username: str = DRAFTER) -> str:
        form = re.search(r'name="csrf" value="([^"]+)"', self.http.get("/login").text)[1]
        page = self.http.post("/login", data={"username": username, "password": PASSWORD, "csrf": form})
        assert page.status_code == 200, page.text[:300]
        return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


@pytest.fixture
def client(manzoori: Manzoori) -> Iterator[Client]:
    with TestClient(create_app(manzoori.url, secret_key="test secret")) as http:
        yield Client(manzoori, http)


def new_item(title: str = "WPC Action Plan 2026", **form: Any) -> dict[str, Any]:
    return {"kind": "work_plan", "parties": ["punjab"], "title": title,
            "form": {**form_for("punjab", "work_plan"), **form}}


def in_review(manzoori: Manzoori) -> str:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), DRAFTER)
    manzoori.act(reference, "submit", DRAFTER)
    return reference


def problems(answer: Any) -> str:
    return json.dumps(answer.json())


# --- 5. Size, and credentials before the body -------------------------------------------------

def test_a_body_over_the_limit_is_refused_before_it_is_read(client: Client) -> None:
    huge = b'{"title": "' + b"x" * (MAX_BODY + 1) + b'"}'
    for headers in (client.auth, {}):
        answer = client.refused(413, "POST", "/api/items", content=huge,
                                headers={**headers, "Content-Type": "application/json"})
        assert answer.json()["error"] == "TooLarge" and len(answer.content) < 500

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"title": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    client.refused(413, "POST", "/api/items", content=chunks(),
                   headers={**client.auth, "Content-Type": "application/json"})
    page = client.refused(413, "POST", "/login", content=b"username=" + b"x" * (MAX_BODY + 1),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "413" in page.text
    # Within the limit all is as before.
    assert client.http.post("/api/items", headers=client.auth, json=new_item()).status_code == 201


def test_an_api_body_without_a_token_is_refused_unread(client: Client) -> None:
    """Malformed JSON without a token is a 401, not a 422: the body was never parsed."""
    answer = client.refused(401, "POST", "/api/items", content=b"{not json" + b" " * 1000,
                            headers={"Content-Type": "application/json"})
    assert answer.json()["error"] == "NotAuthenticated" and answer.headers["www-authenticate"] == "Bearer"
    client.refused(401, "POST", "/api/actions/bulk", json={"references": ["x"], "action": "approve"},
                   headers={"Authorization": "Basic abc"})


def test_a_422_does_not_echo_a_long_input_back(client: Client) -> None:
    long = "y" * 500_000
    answer = client.refused(422, "POST", "/api/items", headers=client.auth,
                            json={**new_item(), "kind": long})
    assert len(answer.content) < 2_000 and "y" * 201 not in answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "kind"]


# --- 6. Every text and list bounded -----------------------------------------------------------

def test_long_text_and_long_lists_are_refused_naming_the_field(client: Client, manzoori: Manzoori) -> None:
    activity = form_for("punjab", "work_plan")["activities"][0]
    for form, field in (({"summary": "s" * (MAX_TEXT + 1)}, "summary"),
                        ({"activities": [activity] * (MAX_ROWS + 1)}, "activities")):
        answer = client.refused(422, "POST", "/api/items", headers=client.auth, json=new_item(**form))
        assert field in problems(answer) and f"{MAX_TEXT}" in problems(answer) + f"{MAX_TEXT}"
    client.refused(422, "POST", "/api/items", headers=client.auth, json=new_item("t" * 301))
    client.refused(422, "POST", "/api/items", headers=client.auth,
                   json={**new_item(), "parties": ["punjab"] * 21})
    reference = in_review(manzoori)
    answer = client.refused(422, "POST", f"/api/items/{reference}/actions", headers=client.auth,
                            json={"action": "comment", "comment": "c" * 10_001})
    assert answer.json()["detail"][0]["loc"] == ["body", "comment"]
    # On the web the engine's own bound holds (the body limit allows ~1 MB).
    csrf = client.login(REVIEWER)
    page = client.refused(422, "POST", f"/items/{reference}/act",
                          data={"csrf": csrf, "action": "comment", "comment": "c" * (MAX_TEXT + 1)})
    assert "comment is too long" in page.text


def test_a_party_may_bound_its_lists_tighter() -> None:
    from plugins.balochistan import BalochistanAgreement
    from plugins.sindh import SindhWorkPlan

    assert SindhWorkPlan.model_fields["districts"].metadata[-1].max_length == 40
    assert BalochistanAgreement.model_json_schema()["properties"]["districts"]["maxItems"] == 40


# --- 7. Control characters ------------------------------------------------------------------

def test_titles_and_single_lines_refuse_control_characters_naming_the_field(
        client: Client, manzoori: Manzoori) -> None:
    for title in ("WPC plan\nBcc: all@example.org", "WPC plan\r2026", "WPC\x1b[31m plan"):
        answer = client.refused(422, "POST", "/api/items", headers=client.auth, json=new_item(title))
        assert answer.json()["detail"][0]["loc"] == ["body", "title"]
    answer = client.refused(422, "POST", "/api/items", headers=client.auth,
                            json=new_item(summary="A summary with a bell \x07 in it"))
    assert "summary" in problems(answer) and "U+0007" in problems(answer)
    # The same from the web's draft form and the command line.
    csrf = client.login()
    posted = {"csrf": csrf, "kind": "work_plan", "parties": "punjab", "title": "WPC plan\nsecond line",
              "period_start": "2026-01-01", "period_end": "2026-12-31",
              "summary": "The Women Parliamentary Caucus Action Plan for 2026.",
              "activities[0].pillar": "Capacity building", "activities[0].activity": "Training days",
              "activities[0].lead": "PDU", "activities[0].quarter": "2026-Q2"}
    page = client.refused(422, "POST", "/draft", data=posted)
    assert "title contains a line break" in page.text
    result = manzoori("draft", "work_plan", "--parties", "punjab", "--title", "Plan\x07 2026",
                      "--form", manzoori.form("plan", form_for("punjab", "work_plan")),
                      "--as", DRAFTER, expect=5)
    assert "title contains a control character (U+0007)" in result.output
    # Line breaks in a comment are fine: it is not a single line.
    reference = in_review(manzoori)
    ok = client.http.post(f"/api/items/{reference}/actions", headers=client.auth,
                          json={"action": "comment", "comment": "First.\nSecond line."})
    assert ok.status_code == 200, ok.text


def test_single_line_form_fields_refuse_line_breaks_and_multiline_ones_keep_them(client: Client) -> None:
    activity = {**form_for("punjab", "work_plan")["activities"][0], "lead": "WPC\nlegislative committee"}
    answer = client.refused(422, "POST", "/api/items", headers=client.auth,
                            json=new_item(activities=[activity]))
    assert "activities[0].lead (Lead)" in problems(answer) and "line break" in problems(answer)
    drafted = client.http.post("/api/items", headers=client.auth,
                               json=new_item(summary="First paragraph of the plan.\n\nThe second one."))
    assert drafted.status_code == 201, drafted.text


# --- 10. Crafted input ----------------------------------------------------------------------

def nested(levels: int) -> str:
    """JSON text nested `levels` deep (written out: json.dumps itself stops near 1,000)."""
    return '{"a": [' * levels + '"deep"' + "]}" * levels


def test_deeply_nested_json_is_refused_not_a_server_error(client: Client, manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    for levels in (250, 500, 5_000, 100_000):
        body = '{"action": "comment", "comment": ' + nested(levels) + "}"
        answer = client.refused(422, "POST", f"/api/items/{reference}/actions", content=body,
                                headers={**client.auth, "Content-Type": "application/json"})
        assert len(answer.content) < 5_000
        body = json.dumps(new_item())[:-2] + ', "extra": ' + nested(levels) + "}}"
        answer = client.refused(422, "POST", "/api/items", content=body,
                                headers={**client.auth, "Content-Type": "application/json"})
        assert len(answer.content) < 5_000
    assert "nested too deeply" in client.refused(
        422, "POST", "/api/items", content=json.dumps(new_item())[:-2] + ', "extra": ' + nested(30) + "}}",
        headers={**client.auth, "Content-Type": "application/json"}).text


def test_a_revision_that_is_not_a_number_and_an_id_no_column_holds_are_refused(
        client: Client, manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    csrf = client.login(REVIEWER)
    for revision in ("²", "1e3", "9" * 30):
        page = client.refused(422, "POST", f"/items/{reference}/act",
                              data={"csrf": csrf, "action": "clear", "revision": revision})
        assert "is not a whole number" in page.text
    huge = "9" * 20
    client.refused(404, "POST", f"/plan/actions/{huge}/progress", data={"csrf": csrf, "status": "done"})
    client.refused(422, "POST", f"/api/plan/actions/{huge}/progress", headers=client.auth,
                   json={"status": "done"})
    result = manzoori("progress", huge, "--status", "done", "--as", DRAFTER, expect=4)
    assert f"no plan action {huge}" in result.output
    client.refused(422, "POST", f"/api/items/{reference}/actions", headers=client.auth,
                   json={"action": "comment", "comment": "x", "expected_revision": 10**20})


# --- 13. Form input that is not UTF-8 -------------------------------------------------------

def test_web_form_bytes_that_are_not_utf8_are_refused_naming_the_field(
        client: Client, manzoori: Manzoori) -> None:
    reference = in_review(manzoori)
    csrf = client.login(REVIEWER)
    for comment in (b"caf%E9", b"caf\xe9", b"%FF%FE"):
        body = b"csrf=" + csrf.encode() + b"&action=comment&comment=" + comment
        page = client.refused(422, "POST", f"/items/{reference}/act", content=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert "form field &#39;comment&#39; is not UTF-8 text" in page.text
    # A multipart body, whose fields the parser would read as latin-1, is not taken either.
    page = client.refused(422, "POST", f"/items/{reference}/act",
                          files={"comment": (None, b"caf\xe9")}, data={"csrf": csrf, "action": "comment"})
    assert "x-www-form-urlencoded" in page.text
    # UTF-8 passes, Urdu included.
    done = client.http.post(f"/items/{reference}/act",
                            data={"csrf": csrf, "action": "comment", "comment": "ٹھیک ہے café"})
    assert done.status_code == 200
    assert manzoori.query("SELECT comment FROM events ORDER BY id DESC LIMIT 1")[0][0] == "ٹھیک ہے café"


# --- 11. The database file ------------------------------------------------------------------

def test_a_new_sqlite_database_and_its_wal_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "manzoori.db"
    factory = open_database(f"sqlite:///{path}")
    with factory() as session:
        session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.commit()
        files = [path, path.with_name("manzoori.db-wal"), path.with_name("manzoori.db-shm")]
        assert all(file.exists() for file in files)
        assert {oct(stat.S_IMODE(file.stat().st_mode)) for file in files} == {"0o600"}
    factory.kw["bind"].dispose()


def test_an_existing_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch()
    os.chmod(path, 0o644)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
