"""The security headers of every answer, over HTTP and in Chromium: a CSP without inline
script or style, no framing by any other page, nosniff, no Referer, and HSTS when
served with --secure-cookies. In the browser a page on another port of the same host
cannot frame an officer's item page, and a script slipped into a page does not run."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.core.accounts import issue_token, set_password
from engine.store import session_scope
from engine.web import create_app
from engine.web.guards import CSP, MAX_BODY
from engine.web.templating import TEMPLATES
from tests.browsing import serving
from tests.conftest import Manzoori
from tests.forms import form_for
from workflows.stack import free_port

DRAFTER, REVIEWER = "punjab.pdu-director", "punjab.wpc-member.1"
PASSWORD = "sample-password-1"
ALWAYS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
          "x-frame-options": "DENY"}


def passwords(manzoori: Manzoori) -> str:
    """Web passwords for the drafter and a reviewer; an API token for the drafter."""
    with session_scope(manzoori.url) as session:
        for username in (DRAFTER, REVIEWER):
            set_password(session, username, PASSWORD)
        token = issue_token(session, DRAFTER, "tests", datetime.now())
        session.commit()
    return token


def in_review(manzoori: Manzoori) -> str:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), DRAFTER)
    manzoori.act(reference, "submit", DRAFTER)
    return reference


def secured(answer: Any) -> None:
    for name, value in ALWAYS.items():
        assert answer.headers[name] == value, (answer.request.url, name)
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    assert "strict-transport-security" not in answer.headers


def test_every_kind_of_answer_carries_the_security_headers(manzoori: Manzoori) -> None:
    token = passwords(manzoori)
    reference = in_review(manzoori)
    with TestClient(create_app(manzoori.url, secret_key="test secret")) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        answers = [client.get("/login"), client.get("/inbox", follow_redirects=False),
                   client.get("/static/style.css"), client.get("/static/pages.js"),
                   client.get("/no/such/page"), client.get("/api/me", headers=bearer),
                   client.get("/api/me"), client.get("/openapi.json"), client.get("/mail/not-a-link"),
                   client.post("/api/items", headers=bearer, content=b"x" * (MAX_BODY + 1))]
        login_form = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)[1]
        client.post("/login", data={"username": DRAFTER, "password": PASSWORD, "csrf": login_form})
        answers += [client.get(f"/items/{reference}"), client.get("/draft"),
                    client.get(f"/items/{reference}/document"), client.get("/report/2026-Q1"),
                    client.get("/docs")]
        assert [a.status_code for a in answers] == [200, 303, 200, 200, 404, 200, 401, 200, 404, 413,
                                                    200, 200, 200, 200, 200]
        for answer in answers:
            secured(answer)
        pages = answers[:2] + answers[4:5] + answers[8:12]
        assert all(a.headers["content-security-policy"] == CSP for a in pages)

        # A document and the report carry their own style: allowed by its hash, nothing else.
        document = answers[12]
        policy = document.headers["content-security-policy"]
        assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'", policy)
        assert "script-src 'self';" in policy  # its signature data is JSON, never run
        docs = answers[14].headers["content-security-policy"]
        assert "script-src 'self' https://cdn.jsdelivr.net 'sha256-" in docs


def test_hsts_is_sent_when_served_with_secure_cookies(manzoori: Manzoori) -> None:
    with TestClient(create_app(manzoori.url, secret_key="s", secure_cookies=True)) as client:
        assert client.get("/login").headers["strict-transport-security"].startswith("max-age=31536000")
        assert "strict-transport-security" in client.get("/api/me").headers


def test_no_template_has_inline_script_style_or_handlers() -> None:
    """What the CSP forbids is not in the templates either (the pages would break)."""
    for template in TEMPLATES.glob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, re.I), template.name


# --- In Chromium ------------------------------------------------------------------------------

@pytest.fixture
def attacker_site() -> Iterator[tuple[str, dict[str, str]]]:
    """A page on another port of the same host; the test sets what it serves."""
    served: dict[str, str] = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = served["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def logged_in(browser: Any, url: str, username: str) -> Any:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inbox")
    return page


@pytest.mark.browser
@pytest.mark.slow  # Chromium and two servers, ~10 s: with the long tests
def test_another_port_frames_nothing_and_no_inline_script_runs(
        manzoori: Manzoori, browser: Any, attacker_site: tuple[str, dict[str, str]]) -> None:
    passwords(manzoori)
    reference = in_review(manzoori)
    attacker, served = attacker_site
    with serving(Path(manzoori.home), free_port(), {"MANZOORI_DATABASE_URL": manzoori.url}) as url:
        page = logged_in(browser, url, REVIEWER)
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))

        # Clickjacking: the reviewer's logged-in item page inside another site's frame.
        served["html"] = (f'<iframe id="victim" src="{url}/items/{reference}" width="900" '
                          'height="700"></iframe>')
        before = manzoori.snapshot()
        page.goto(attacker)
        page.wait_for_timeout(1000)
        [framed] = [frame for frame in page.frames if frame != page.main_frame]
        assert framed.url != f"{url}/items/{reference}"  # Chromium's error page instead
        assert framed.query_selector("button[name=action]") is None
        page.mouse.click(200, 300)  # where a decision's button would be
        page.wait_for_timeout(300)
        assert manzoori.snapshot() == before
        assert any("frame-ancestors" in text for text in blocked), blocked

        # The app's own page, with a script slipped in (as an XSS would): it does not run.
        def slipped_in(route: Any) -> None:
            answer = route.fetch()
            html = answer.text().replace(
                "</main>", '<script>document.title = "ran"</script>'
                           '<img src="/x" onerror="document.title = \'ran\'"></main>')
            route.fulfill(response=answer, body=html)

        page.route(f"{url}/items/{reference}", slipped_in)
        blocked.clear()
        page.goto(f"{url}/items/{reference}")
        page.wait_for_timeout(500)
        assert page.title() != "ran" and page.locator("button[name=action]").count() >= 1
        assert sum("Content Security Policy" in text for text in blocked) >= 2, blocked
        page.unroute(f"{url}/items/{reference}")

        # The pages' own script (/static/pages.js) does run: the draft page's chooser.
        drafter = logged_in(browser, url, DRAFTER)
        drafter.goto(f"{url}/draft")
        chooser = drafter.locator("select[data-choose-form]")
        other = chooser.locator("option").evaluate_all("options => options.map(o => o.value)")[-1]
        with drafter.expect_navigation():  # Playwright fires `change` even on the same value
            chooser.select_option(other)
        party, kind = other.split("|")
        assert f"kind={kind}" in drafter.url and f"parties={party}" in drafter.url
        assert drafter.locator("select[data-choose-form]").input_value() == other
        drafter.context.close()
        page.context.close()
