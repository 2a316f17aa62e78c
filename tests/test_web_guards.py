"""The web app and the API under strain and attack, driven over HTTP as clients would
(issue 14): handlers off the event loop (1), a held database lock answered with 503 and
Retry-After (2), throttled logins and passphrases that an attacker cannot turn into a
lockout of the officer (3), sessions and tokens that end (4), and login CSRF (12).

The load test proper (150 attackers while 20 officers work) is tests/test_load.py."""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.clock import utcnow
from engine.core import signatures
from engine.core.accounts import issue_token, set_password
from engine.core.throttle import LoginGuard
from engine.store import session_scope
from engine.web import api, create_app, mail_pages, pages, plan_pages
from tests.conftest import Manzoori
from tests.test_trust import sign_letter_of_intent_up_to_signature
from tests.test_web import PASSWORD, csrf_of, in_review, login, login_form_token

OFFICER = "punjab.wpc-convener"
REVIEWER = "punjab.wpc-member.1"


class FakeClock:
    """The throttle's clock, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Site = tuple[Any, Manzoori]


@pytest.fixture
def site(manzoori: Manzoori) -> Iterator[Site]:
    with session_scope(manzoori.url) as session:
        for username in (OFFICER, REVIEWER, "punjab.pdu-director"):
            set_password(session, username, PASSWORD)
        session.commit()
    app = create_app(manzoori.url, secret_key="test-secret")
    yield app, manzoori


def client_at(app: Any, address: str) -> TestClient:
    """A browser at `address` (its own cookies)."""
    return TestClient(app, client=(address, 50000))


def try_login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/login", follow_redirects=False, data={
        "username": username, "password": password, "csrf": login_form_token(client)})


def token_for(manzoori: Manzoori, username: str, days: int = 90) -> str:
    with session_scope(manzoori.url) as session:
        token = issue_token(session, username, "tests", utcnow(), timedelta(days=days))
        session.commit()
    return token


# 1. Off the event loop ------------------------------------------------------------------------

def test_no_handler_that_reads_the_database_runs_on_the_event_loop() -> None:
    """Every handler is a plain `def` (FastAPI's thread pool) but the login, which only
    consults the throttle on the loop and checks the password in a pool of its own."""
    routes = [route for router in (api.router, pages.router, plan_pages.router, mail_pages.router)
              for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 30
    on_loop = [route.path for route in routes if inspect.iscoroutinefunction(route.endpoint)]
    assert on_loop == ["/login"]


def test_wrong_logins_hashing_at_once_do_not_hold_up_an_officers_requests(site: Site) -> None:
    """Twelve concurrent wrong logins (argon2 each, 64 MiB) on a served app: the officer's
    API requests meanwhile answer at once, as before the attack. (Twenty, on the event
    loop, froze the whole app for two minutes.)"""
    app, manzoori = site
    token = token_for(manzoori, REVIEWER)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    try:
        def wrong_login(number: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as browser:
                form = csrf_of(browser.get("/login").text)
                return browser.post("/login", data={"username": f"nobody.{number}",
                                                    "password": "wrong-password", "csrf": form}).status_code

        with ThreadPoolExecutor(12) as pool:
            logins = [pool.submit(wrong_login, number) for number in range(12)]
            times = []
            with httpx.Client(base_url=url, timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as officer:
                for _ in range(8):
                    begin = time.perf_counter()
                    assert officer.get("/api/me").status_code == 200
                    times.append(time.perf_counter() - begin)
            statuses = [future.result() for future in logins]
    finally:
        server.should_exit = True
        thread.join(10)
    assert statuses == [401] * 12
    assert max(times) < 2.0, times


def test_a_password_check_takes_one_core_at_a_lower_priority(site: Site) -> None:
    """A new password's hash is argon2id over 64 MiB in one lane (a guess costs the same
    work as in four, but takes one core), and the checks run in threads at nice 10, so the
    officers' requests come first; a right and a wrong password still read as such."""
    import os

    from engine.core import accounts

    app, manzoori = site
    stored = manzoori.query("SELECT password_hash FROM officers WHERE username = :u", u=OFFICER)[0][0]
    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=1$" in stored, stored
    if sys.platform == "linux":
        assert accounts._checking.submit(os.getpriority, os.PRIO_PROCESS, 0).result() == 10
    assert try_login(client_at(app, "192.0.2.7"), OFFICER, PASSWORD).status_code == 303
    assert try_login(client_at(app, "192.0.2.8"), OFFICER, "not the password").status_code == 401


# 2. A held lock is a 503 with Retry-After -----------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


@pytest.mark.sqlite_only
def test_a_write_lock_held_by_another_process_is_a_503_with_retry_after_and_changes_nothing(site: Site) -> None:
    app, manzoori = site
    reference = in_review(manzoori)
    app = create_app(manzoori.url, secret_key="test-secret", busy_seconds=0.5)
    token = token_for(manzoori, REVIEWER)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        form = login(client, REVIEWER)
        before = manzoori.snapshot()
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(manzoori.home / "manzoori.db")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            api = client.post(f"/api/items/{reference}/actions", headers=headers,
                              json={"action": "comment", "comment": "While the lock is held"})
            assert api.status_code == 503, api.text
            assert int(api.headers["Retry-After"]) >= 1 and api.json()["error"] == "Busy"
            page = client.post(f"/items/{reference}/act", data={"action": "clear", "csrf": form})
            assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
            assert "try again" in page.text and "Traceback" not in page.text
            # Reading goes on meanwhile (WAL), and the command line says busy, try again.
            assert client.get(f"/api/items/{reference}", headers=headers).status_code == 200
            manzoori.monkeypatch.setenv("MANZOORI_BUSY_SECONDS", "0.5")
            refused = manzoori.act(reference, "clear", REVIEWER, expect=9)
            assert "Busy" in refused.stderr and "try again" in refused.stderr
        finally:
            holder.communicate("\n", timeout=10)
        assert manzoori.snapshot() == before
        again = client.post(f"/api/items/{reference}/actions", headers=headers,
                            json={"action": "clear"})
        assert again.status_code == 200 and manzoori.state(reference) == "approval"


def test_no_free_database_connection_is_a_503_not_a_wait_of_half_a_minute(site: Site) -> None:
    app, manzoori = site
    app = create_app(manzoori.url, secret_key="test-secret", pool_wait=0.3)
    token = token_for(manzoori, REVIEWER)
    engine = app.state.factory.kw["bind"]
    taken = []
    while True:  # take every connection the pool will give
        try:
            taken.append(engine.connect())
        except PoolTimeout:
            break
    try:
        with TestClient(app) as client:
            begin = time.perf_counter()
            answer = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 503 and "Retry-After" in answer.headers
            assert time.perf_counter() - begin < 5
    finally:
        for connection in taken:
            connection.close()


# 3. Throttling -------------------------------------------------------------------------------

def test_guessing_an_accounts_password_is_slowed_down_and_refused_unchecked(site: Site) -> None:
    app, manzoori = site
    clock = FakeClock()
    app.state.login_guard = LoginGuard(clock=clock)
    attacker = client_at(app, "203.0.113.9")
    statuses = [try_login(attacker, OFFICER, f"guess-{number}").status_code for number in range(5)]
    assert statuses == [401] * 5
    refused = try_login(attacker, OFFICER, PASSWORD)  # even the right one, unchecked
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "manzoori_session" not in refused.headers.get("set-cookie", "")
    clock.now += 1.5  # the first delay has passed: one more try, then 2 s
    assert try_login(attacker, OFFICER, "guess-6").status_code == 401
    assert try_login(attacker, OFFICER, PASSWORD).status_code == 429
    clock.now += 2.5
    assert try_login(attacker, OFFICER, PASSWORD).status_code == 303
    assert manzoori.query("SELECT count(*) FROM web_sessions")[0][0] == 1


def test_an_attacker_cannot_lock_the_officer_out_of_a_browser_she_used_before(site: Site) -> None:
    app, _manzoori = site
    app.state.login_guard = LoginGuard(clock=FakeClock())
    officer = client_at(app, "198.51.100.7")
    assert try_login(officer, OFFICER, PASSWORD).status_code == 303
    officer.post("/logout", data={"csrf": csrf_of(officer.get("/inbox").text)})
    attacker = client_at(app, "203.0.113.9")
    statuses = [try_login(attacker, OFFICER, f"guess-{number}").status_code for number in range(30)]
    assert statuses.count(401) == 5 and statuses.count(429) == 25
    # Her own browser still logs her in; a browser she never used waits like the attacker.
    assert try_login(officer, OFFICER, PASSWORD).status_code == 303
    assert try_login(client_at(app, "198.51.100.8"), OFFICER, PASSWORD).status_code == 429


def test_one_address_has_a_budget_of_failed_logins_across_accounts(site: Site) -> None:
    app, _ = site
    app.state.login_guard = LoginGuard(clock=FakeClock())
    attacker = client_at(app, "203.0.113.9")
    statuses = [try_login(attacker, f"someone.{number}", "wrong-password").status_code
                for number in range(24)]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    assert try_login(attacker, OFFICER, PASSWORD).status_code == 429
    assert try_login(client_at(app, "198.51.100.7"), OFFICER, PASSWORD).status_code == 303


def test_wrong_signing_passphrases_are_slowed_down_and_sign_nothing(manzoori: Manzoori, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(signatures, "PASSPHRASE_TRIES", signatures.Backoff(free=5, base=1.0, cap=900.0,
                                                                           clock=clock))
    reference = sign_letter_of_intent_up_to_signature(manzoori)
    token = token_for(manzoori, "punjab.pspa-vice-chair")
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/items/{reference}/actions"
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        wrong = [client.post(path, headers=headers, json={"action": "sign", "passphrase": f"guess-{n}"})
                 for n in range(5)]
        assert [answer.status_code for answer in wrong] == [403] * 5
        refused = client.post(path, headers=headers, json={"action": "sign", "passphrase": manzoori.passphrase})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "too many wrong passphrases" in refused.json()["message"]
        # The web app's sign button is held back the same way.
        with session_scope(manzoori.url) as session:
            set_password(session, "punjab.pspa-vice-chair", PASSWORD)
            session.commit()
        form = login(client, "punjab.pspa-vice-chair")
        page = client.post(f"/items/{reference}/act", data={"action": "sign", "csrf": form,
                                                            "passphrase": manzoori.passphrase})
        assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
        assert manzoori.query("SELECT count(*) FROM signatures")[0][0] == 0
        clock.now += 1.5
        done = client.post(path, headers=headers, json={"action": "sign", "passphrase": manzoori.passphrase})
        assert done.status_code == 200, done.text
    assert manzoori.query("SELECT count(*) FROM signatures")[0][0] == 1


# 4. Sessions and tokens that end -------------------------------------------------------------

def session_cookie(client: TestClient) -> str:
    return client.cookies["manzoori_session"]


def with_cookie(app: Any, value: str) -> TestClient:
    """Another browser that replays a stolen or kept session cookie."""
    return TestClient(app, cookies={"manzoori_session": value})


def test_logout_ends_the_session_for_good(site: Site) -> None:
    app, manzoori = site
    client = TestClient(app)
    form = login(client, OFFICER)
    kept = session_cookie(client)
    assert with_cookie(app, kept).get("/inbox", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf": form})
    answer = with_cookie(app, kept).get("/inbox", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert manzoori.query("SELECT ended_why FROM web_sessions") == [("logout",)]


def test_a_new_password_and_an_administrator_end_every_session(site: Site) -> None:
    app, manzoori = site
    first, second = TestClient(app), TestClient(app)
    login(first, OFFICER)
    login(second, OFFICER)
    listed = manzoori("officers", "sessions", OFFICER).stdout
    assert listed.count("testclient") == 2
    manzoori("officers", "password", OFFICER, "--password", "another-password-2")
    assert first.get("/inbox", follow_redirects=False).status_code == 303
    assert second.get("/inbox", follow_redirects=False).status_code == 303
    third = TestClient(app)
    answer = third.post("/login", data={"username": OFFICER, "password": "another-password-2",
                                        "csrf": login_form_token(third)})
    assert answer.url.path == "/inbox"
    assert "1 web session(s)" in manzoori("officers", "sessions", OFFICER, "--end").stdout
    assert third.get("/inbox", follow_redirects=False).status_code == 303
    assert sorted(manzoori.query("SELECT ended_why FROM web_sessions")) == [
        ("administrator",), ("password",), ("password",)]


def test_a_session_ends_after_its_lifetime_and_the_language_switch_does_not_extend_it(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    app, manzoori = site
    client = TestClient(app)
    login(client, OFFICER)
    expires = manzoori.query("SELECT expires_at FROM web_sessions")
    switched = client.get("/lang/ur?next=/inbox", follow_redirects=False)
    assert "manzoori_session" not in switched.headers.get("set-cookie", "")
    assert client.get("/inbox").status_code == 200 and 'dir="rtl"' in client.get("/inbox").text
    assert manzoori.query("SELECT expires_at FROM web_sessions") == expires
    later = utcnow() + timedelta(hours=8, minutes=1)
    monkeypatch.setattr("engine.web.auth.utcnow", lambda: later)
    client.get("/lang/en?next=/inbox", follow_redirects=False)
    answer = client.get("/inbox", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_api_tokens_expire_are_listed_and_revoked_from_the_command_line(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    app, manzoori = site
    client = TestClient(app)
    short = manzoori("officers", "token", REVIEWER, "--name", "script", "--days", "1").stdout.strip()
    other = manzoori("officers", "token", REVIEWER, "--name", "dashboard").stdout.strip()
    for token in (short, other):
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = manzoori("officers", "tokens", REVIEWER).stdout
    assert "script" in listing and "dashboard" in listing and listing.count("live") == 2
    assert short not in listing and other not in listing
    ids = [row[0] for row in manzoori.query(
        "SELECT t.id FROM api_tokens t JOIN officers o ON o.id = t.officer_id "
        "WHERE o.username = :u ORDER BY t.id", u=REVIEWER)]
    assert "1 token(s)" in manzoori("officers", "token", REVIEWER, "--revoke", str(ids[1])).stdout
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    assert "revoked" in manzoori("officers", "tokens", REVIEWER).stdout
    manzoori("officers", "token", REVIEWER, "--revoke", "x1", expect=5)
    later = utcnow() + timedelta(days=1, minutes=1)
    monkeypatch.setattr("engine.web.auth.utcnow", lambda: later)
    expired = client.get("/api/me", headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401 and "expired" in expired.json()["message"]


# 12. Login CSRF ------------------------------------------------------------------------------

def test_a_cross_site_login_post_is_refused(site: Site) -> None:
    """A page elsewhere posts the attacker's credentials to /login in the victim's
    browser: that browser has no login-page cookie (SameSite=Strict keeps ours from
    cross-site posts), and a token from the attacker's own browser does not match."""
    app, manzoori = site
    attacker = TestClient(app)
    their_token = login_form_token(attacker)
    victim = TestClient(app)
    for token in (None, their_token, "forged"):
        data = {"username": OFFICER, "password": PASSWORD, **({"csrf": token} if token else {})}
        answer = victim.post("/login", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "security token" in answer.text
        assert "manzoori_session" not in answer.headers.get("set-cookie", "")
    assert manzoori.query("SELECT count(*) FROM web_sessions")[0][0] == 0
    cookie = next(value for value in victim.get("/login").headers.get_list("set-cookie")
                  if value.startswith("manzoori_login="))
    assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
    assert try_login(victim, OFFICER, PASSWORD).status_code == 303
