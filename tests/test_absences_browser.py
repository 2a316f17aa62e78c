"""The web app's "I will be away" page in a real browser (Debian's Chromium driven by
Playwright), served by `manzoori web`: the Punjab caucus's Convener records her absence
with a member standing in, an overlapping one is refused on the page, the member approves
for her from the inbox, and the Convener ends the absence with "I am back"."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browsing import serving
from tests.conftest import Databases, Manzoori
from tests.forms import form_for
from tests.test_web_browser import PASSWORD, Officer
from workflows.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium, ~15 s: with the long tests

CONVENER, STAND_IN = "punjab.wpc-convener", "punjab.wpc-member.2"


def test_the_convener_records_her_absence_and_a_member_approves_for_her(
        databases: Databases, seeded_home: Path, tmp_path: Path, browser: object) -> None:
    home = tmp_path / "home"
    database = databases.copy(home)
    environment = {**os.environ, "MANZOORI_HOME": str(home), **databases.environment(database)}
    for username in (CONVENER, STAND_IN):
        subprocess.run([sys.executable, "-m", "engine.cli", "officers", "password", username,
                        "--password", PASSWORD], env=environment, check=True, capture_output=True)
    monkeypatch = pytest.MonkeyPatch()
    db = Manzoori(home, monkeypatch, database)
    reference = db.draft("work_plan", "punjab", "WPC Action Plan 2026", form_for("punjab", "work_plan"),
                         "punjab.pdu-director")
    db.act(reference, "submit", "punjab.pdu-director")
    db.act(reference, "clear", "punjab.wpc-member.1")
    today, until = date.today(), date.today() + timedelta(days=4)
    try:
        with serving(home, free_port(), databases.environment(database)) as url:
            convener = Officer(browser, url, CONVENER)
            page = convener.page
            page.click("a[href='/away']")
            page.fill("input[name=substitute]", STAND_IN)
            page.fill("input[name=until]", until.isoformat())
            page.fill("input[name=reason]", "Official tour to Quetta")
            page.click("form.away button[type=submit]")
            assert f"{CONVENER} is away from {today} to {until}" in page.locator("p.done").inner_text()
            row = page.locator("table.absences tbody tr")
            assert row.count() == 1 and STAND_IN in row.inner_text()
            [(substitute, reason)] = db.query(
                "SELECT o.username, a.reason FROM absences a JOIN officers o ON o.id = a.substitute_id")
            assert (substitute, reason) == (STAND_IN, "Official tour to Quetta")

            # Again for an overlapping period: refused on the page, nothing stored.
            page.fill("input[name=substitute]", "punjab.wpc-member.3")
            page.fill("input[name=until]", until.isoformat())
            page.fill("input[name=reason]", "Extended")
            with page.expect_response(lambda r: r.url.endswith("/away")) as answer:
                page.click("form.away button[type=submit]")
            assert answer.value.status == 409
            assert "already away" in page.locator("p.problem").inner_text()
            assert db.query("SELECT COUNT(*) FROM absences")[0][0] == 1

            member = Officer(browser, url, STAND_IN)
            entry = member.page.locator(f"tr[data-reference='{reference}']")
            assert f"for {CONVENER}" in entry.inner_text()
            member.open(reference)
            assert "approve" in member.buttons()
            member.act(reference, "approve")
            assert db.state(reference) == "signature"
            history = member.page.locator("li[data-action=approve] .who").inner_text()
            assert history.startswith(f"{STAND_IN} for {CONVENER} (Convener")

            page.goto(f"{url}/away")
            page.click("table.absences button[type=submit]")
            page.wait_for_url(f"{url}/away")
            [(back_on,)] = db.query("SELECT back_on FROM absences")
            assert str(back_on) == str(today)
            member.page.goto(f"{url}/inbox")
            assert reference not in member.page.content()
            convener.close()
            member.close()
    finally:
        monkeypatch.undo()
        databases.drop(database)
