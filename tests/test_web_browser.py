"""The officers' web app in a real browser (Debian's Chromium driven by Playwright),
served by `manzoori web`: a Balochistan work plan with PSDP schemes drafted in the
province's form, returned, revised, approved by three WPC members and signed, each step
checked on the page and in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browsing import OUTPUT, serving
from tests.conftest import Databases, Manzoori
from workflows.stack import free_port

# Chromium from draft to signature: half a minute, so in the `slow` step of `.ci/run`.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "sample-password-1"
PEOPLE = ["balochistan.assembly-secretary", "balochistan.wpc-member.1", "balochistan.wpc-member.2",
          "balochistan.wpc-member.3", "balochistan.wpc-member.4", "balochistan.deputy-speaker"]


@pytest.fixture(scope="module")
def web(databases: Databases, seeded_home: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    home = tmp_path_factory.mktemp("web-home")
    database = databases.copy(home)
    environment = {**os.environ, "MANZOORI_HOME": str(home), **databases.environment(database)}
    for username in PEOPLE:
        subprocess.run([sys.executable, "-m", "engine.cli", "officers", "password", username,
                        "--password", PASSWORD], env=environment, check=True, capture_output=True)
    with serving(home, free_port(), databases.environment(database)) as url:
        yield url, home, database
    databases.drop(database)


class Officer:
    """One officer's browser tab."""

    def __init__(self, browser: object, url: str, username: str) -> None:
        self.url, self.username = url, username
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.page = self.context.new_page()
        self.page.goto(f"{url}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{url}/inbox")

    def open(self, reference: str) -> None:
        self.page.goto(f"{self.url}/items/{reference}")

    def act(self, reference: str, action: str, comment: str = "", passphrase: str = "") -> None:
        self.open(reference)
        if comment:
            self.page.fill("#comment", comment)
        if passphrase:
            self.page.fill("#passphrase", passphrase)
        self.page.click(f"button[name=action][value={action}]")
        self.page.wait_for_load_state()

    def state(self) -> str:
        return self.page.locator("[data-state]").get_attribute("data-state")

    def buttons(self) -> list[str]:
        return [b.get_attribute("value") for b in self.page.locator("button[name=action]").all()]

    def close(self) -> None:
        self.context.close()


def _fill_plan(page: object, constituency: str, summary: str) -> None:
    page.fill("#f-title", "PWL project work plan 2026-27")
    page.fill("[name=period_start]", "2026-07-01")
    page.fill("[name=period_end]", "2027-06-30")
    page.fill("[name=summary]", summary)
    page.fill("[name='activities[0].activity']", "Mentorship programme for young women leaders")
    page.fill("[name='activities[0].quarter']", "2026-Q3")
    page.fill("[name='psdp_schemes[0].constituency']", constituency)
    page.fill("[name='psdp_schemes[0].scheme']", "Women's skills centre [sample]")
    page.fill("[name='psdp_schemes[0].estimated_cost_pkr']", "20000000")
    page.fill("[name='psdp_schemes[1].constituency']", "PB-45")
    page.fill("[name='psdp_schemes[1].scheme']", "Girls' school transport [sample]")
    page.fill("[name='psdp_schemes[1].estimated_cost_pkr']", "15000000")


def test_a_balochistan_work_plan_from_draft_to_signature_in_the_browser(web, browser) -> None:
    url, home, database = web
    db = Manzoori(home, pytest.MonkeyPatch(), database)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    items = lambda: db.query("SELECT COUNT(*) FROM items")[0][0]  # noqa: E731

    drafter = Officer(browser, url, "balochistan.assembly-secretary")
    page = drafter.page
    page.goto(f"{url}/draft")
    # A constituency outside PB-1..PB-51: the message sits beside the field, nothing is saved.
    before = items()
    _fill_plan(page, "PB-99", "The caucus's PWL work plan.")
    page.click("form.itemform button[type=submit]")
    error = page.locator("[data-field='psdp_schemes[0].constituency'] .error")
    assert "PB-1" in error.inner_text() or "constituency" in error.inner_text().lower()
    assert items() == before
    page.fill("[name='psdp_schemes[0].constituency']", "PB-41")
    page.click("form.itemform button[type=submit]")
    page.wait_for_url(f"{url}/items/*")
    reference = page.url.rsplit("/", 1)[1]
    assert drafter.state() == "draft" and db.state(reference) == "draft"
    stored = db.query("SELECT v.form FROM versions v JOIN items i ON i.id = v.item_id WHERE i.reference = :r",
                      r=reference)[0][0]
    stored = stored if isinstance(stored, str) else json.dumps(stored)  # PostgreSQL's JSON is parsed
    assert "PB-41" in stored and "20000000" in stored
    drafter.act(reference, "submit")
    assert drafter.state() == "review" and db.state(reference) == "review"

    reviewer = Officer(browser, url, "balochistan.wpc-member.1")
    assert reference in reviewer.page.content()
    reviewer.open(reference)
    assert set(reviewer.buttons()) >= {"clear", "return"} and "approve" not in reviewer.buttons()
    reviewer.act(reference, "return", "Add the members' inputs on the mentorship programme")
    assert reviewer.state() == "draft" and db.state(reference) == "draft"
    assert db.actions(reference)[-1] == "return"

    drafter.open(reference)
    assert "Add the members' inputs" in page.content()
    page.click("a.button")  # Revise
    page.fill("[name=summary]", "The caucus's PWL work plan, with the members' inputs on mentorship.")
    page.click("form.itemform button[type=submit]")
    page.wait_for_url(f"{url}/items/{reference}")
    assert "members' inputs on mentorship" in page.content()
    drafter.act(reference, "submit")
    assert db.state(reference) == "review"
    assert db.query("SELECT COUNT(*) FROM versions v JOIN items i ON i.id = v.item_id WHERE i.reference = :r",
                    r=reference)[0][0] == 2

    reviewer.act(reference, "clear")
    assert db.state(reference) == "approval"
    for number in (2, 3, 4):
        member = Officer(browser, url, f"balochistan.wpc-member.{number}")
        if number == 2:
            member.page.screenshot(path=str(OUTPUT / "web-inbox.png"), full_page=True)
            assert reference in member.page.content()
        member.act(reference, "approve")
        member.close()
    assert db.state(reference) == "signature"

    signatory = Officer(browser, url, "balochistan.deputy-speaker")
    signatory.act(reference, "sign", passphrase=db.passphrase)
    assert signatory.state() == "in_force" and db.state(reference) == "in_force"
    assert db.actions(reference) == ["draft", "submit", "return", "revise", "submit", "clear",
                                     "approve", "approve", "approve", "sign", "planned"]

    # The same form in Urdu: labels right-to-left.
    page.goto(f"{url}/lang/ur?next=/draft")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".ur", has_text="پی ایس ڈی پی").count() >= 1
    page.screenshot(path=str(OUTPUT / "web-urdu-form.png"), full_page=True)
    for officer in (drafter, reviewer, signatory):
        officer.close()
