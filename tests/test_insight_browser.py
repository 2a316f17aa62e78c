"""The insight page in a real browser (Debian's Chromium driven by Playwright) on the
demo's data, served by `manzoori web`: the figures and the three charts an officer may
see, in English and in Urdu, under the app's CSP; screenshots in test-output/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browsing import OUTPUT, serving
from tests.conftest import Databases
from workflows.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READER = "balochistan.wpc-member.1"  # [sample]: Balochistan's items, the IPMG resolution, the LoI


def test_the_insight_page_on_the_demo_in_english_and_urdu(
        databases: Databases, tmp_path: Path, browser: object) -> None:
    home = tmp_path / "home"
    database = databases.empty(home)
    environment = {**os.environ, "MANZOORI_HOME": str(home), **databases.environment(database)}
    for command in (["init"], ["demo"]):
        subprocess.run([sys.executable, "-m", "engine.cli", *command], env=environment, check=True,
                       capture_output=True, timeout=300)
    password = (home / "demo-password").read_text().strip()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        with serving(home, free_port(), databases.environment(database)) as url:
            context = browser.new_context(viewport={"width": 1300, "height": 1000})  # type: ignore[attr-defined]
            page = context.new_page()
            refused: list[str] = []
            page.on("console", lambda message: refused.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(f"{url}/login")
            page.fill("input[name=username]", READER)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/inbox")
            page.click("nav a[href='/insight']")
            page.wait_for_selector("#chart-waits svg")
            assert page.locator("figure.chart svg").count() == 3
            # The BL work plan, the IPMG resolution and the LoI of the recorded scenes, and the
            # demo's live MoU and joint resolution [sample], which Balochistan is party to.
            assert page.locator("td.started").inner_text() == "5"
            assert "balochistan · review · wpc-member" in page.locator("#chart-waits").inner_text()
            page.screenshot(path=str(OUTPUT / "insight-en.png"), full_page=True)
            page.goto(f"{url}/lang/ur?next=/insight")
            page.wait_for_selector("#chart-waits svg")
            assert page.locator("h1").inner_text() == "منظوریاں کہاں رکتی ہیں"
            assert page.locator("html").get_attribute("dir") == "rtl"
            page.screenshot(path=str(OUTPUT / "insight-ur.png"), full_page=True)
            context.close()
            assert refused == []
    finally:
        databases.drop(database)
    assert (OUTPUT / "insight-ur.png").stat().st_size > 20_000
