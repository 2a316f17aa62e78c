"""Pages that guide, in a real browser (Debian's Chromium driven by Playwright) at the
1280 px a laptop gives: the inbox's bulk form, the item with its route picture and the
confirmation after an action, the draft form's rows and its messages, the items search,
each in English and in Urdu, with screenshots in test-output/ (guide-*.png)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browsing import OUTPUT, serving
from tests.conftest import Databases, Manzoori
from tests.forms import form_for
from workflows.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "sample-password-1"
DRAFTER, MEMBER = "punjab.pdu-director", "punjab.wpc-member.1"


@pytest.fixture(scope="module")
def web(databases: Databases, seeded_home: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Manzoori]]:
    home = tmp_path_factory.mktemp("guide-home")
    database = databases.copy(home)
    environment = {**os.environ, "MANZOORI_HOME": str(home), **databases.environment(database)}
    for username in (DRAFTER, MEMBER):
        subprocess.run([sys.executable, "-m", "engine.cli", "officers", "password", username,
                        "--password", PASSWORD], env=environment, check=True, capture_output=True)
    monkeypatch = pytest.MonkeyPatch()
    with serving(home, free_port(), databases.environment(database)) as url:
        yield url, Manzoori(home, monkeypatch, database)
    monkeypatch.undo()
    databases.drop(database)


def logged_in(browser: Any, url: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inbox")
    return page


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot, once the page is sure not to scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, f"{name} scrolls sideways"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"guide-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_plan(page: Any) -> None:
    """A Punjab plan whose one activity has its quarter the wrong way round."""
    page.fill("#f-title", "WPC plan with a wrong quarter")
    page.fill("[name=period_start]", "2026-01-01")
    page.fill("[name=period_end]", "2026-12-31")
    page.fill("[name=summary]", "A plan whose first activity has its quarter the wrong way round.")
    page.select_option("[name='activities[0].pillar']", index=1)
    page.fill("[name='activities[0].activity']", "Review of women-related legislation")
    page.fill("[name='activities[0].lead']", "Women Parliamentary Caucus")
    page.fill("[name='activities[0].quarter']", "Q3-2025")


def test_an_officer_is_guided_through_inbox_item_form_and_search(web: tuple[str, Manzoori],
                                                                 browser: Any) -> None:
    url, db = web
    first = db.draft("work_plan", "punjab", "WPC Action Plan for the guided tour",
                     form_for("punjab", "work_plan"), DRAFTER)
    second = db.draft("work_plan", "punjab", "WPC budget oversight plan", form_for("punjab", "work_plan"), DRAFTER)
    for reference in (first, second):
        db.act(reference, "submit", DRAFTER)

    member = logged_in(browser, url, MEMBER)
    # The header stays on one line at 1280 px.
    assert member.locator("header.bar").bounding_box()["height"] < 60
    assert 'href="/draft"' not in member.content()  # a reviewer drafts nothing
    offered = member.locator("#bulk-action option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["", "clear"] and member.locator("#bulk-action").input_value() == ""
    shot(member, "inbox-en")

    member.goto(f"{url}/items/{first}")
    assert member.locator("svg.route g[data-cell-state=open]").count() == 1
    assert MEMBER in member.locator("svg.route g[data-cell-state=open]").inner_html()
    shot(member, "item-route-en")
    member.click("button[name=action][value=clear]")
    member.wait_for_url(f"{url}/items/{first}")
    notice = member.locator("p.notice").inner_text()
    assert f"Done: Clear on {first}." in notice and "waiting for" in notice and "punjab.wpc-convener" in notice
    assert db.state(first) == "approval"
    shot(member, "confirmation-en")

    member.goto(f"{url}/items?words=oversight")
    assert member.locator("table.items tbody tr").count() == 1
    assert member.locator("table.items tbody tr").get_attribute("data-reference") == second
    shot(member, "items-search-en")

    drafter = logged_in(browser, url, DRAFTER)
    drafter.goto(f"{url}/draft")
    rows = drafter.locator("fieldset.rows > .row")
    before = rows.count()
    drafter.click("input.add-row")  # pages.js adds the row in place: no round trip
    assert rows.count() == before + 1 and drafter.url == f"{url}/draft"
    rows.last.locator("input.remove-row").click()  # and takes one away in place
    assert rows.count() == before and drafter.url == f"{url}/draft"
    items = db.query("SELECT COUNT(*) FROM items")[0][0]
    fill_plan(drafter)
    drafter.click("form.itemform button.save")
    error = drafter.locator("[data-field='activities[0].quarter'] .error").inner_text()
    assert "write it like 2025-Q3" in error
    assert db.query("SELECT COUNT(*) FROM items")[0][0] == items
    shot(drafter, "draft-error-en")

    # The same pages in Urdu.
    for page, path, name in ((member, "/inbox", "inbox"), (member, f"/items/{first}", "item-route"),
                             (member, "/items?words=oversight", "items-search")):
        page.goto(f"{url}/lang/ur?next={path.split('?')[0]}")
        if "?" in path:
            page.goto(f"{url}{path}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("header.bar").bounding_box()["height"] < 60
        shot(page, f"{name}-ur")
    drafter.goto(f"{url}/lang/ur?next=/draft")
    fill_plan(drafter)
    drafter.click("form.itemform button.save")
    urdu = drafter.locator("[data-field='activities[0].quarter'] .error").inner_text()
    assert urdu == "درست شکل میں نہیں: اس طرح لکھیں: \u20662025-Q3\u2069"
    shot(drafter, "draft-error-ur")
