"""The Urdu pages in Debian's Chromium on a machine state without an Urdu font: fontconfig
pointed at a folder with one Latin-only font of the machine's (no Arabic script), so
every Urdu glyph must come from the fonts the web app serves. (Not no font at all:
Chromium, which needs a font of its own for its user interface, has died at its first
navigation on such a machine in CI.)
For every element of the Urdu inbox and item pages, Chromium's own account of the fonts
it drew their text with (DevTools `CSS.getPlatformFontsForNode`) names only the bundled
web fonts: no character fell back to a system font or to a missing-glyph box. Screenshots
go to test-output/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont

from engine.core.fonts import FONTS
from tests.browsing import CHROMIUM, OUTPUT, serving
from tests.conftest import Databases, Manzoori
from tests.forms import form_for
from tests.test_urdu import bundled_characters
from workflows.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "sample-password-1"
REVIEWER = "punjab.wpc-member.1"


@pytest.fixture(scope="module")
def latin_only_fonts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """fontconfig's view of a machine with one font, "Machine Sans": the bundled Latin
    cut under another name, so it has no Arabic letter and is not one of the web fonts."""
    folder = tmp_path_factory.mktemp("latin-only-fonts")
    (folder / "fonts").mkdir()
    latin = TTFont(FONTS / "NotoSans-Regular-Latin.woff2")
    latin.flavor = None
    for record in latin["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Machine Sans"
        elif record.nameID == 6:
            record.string = "MachineSans-Regular"
    latin.save(folder / "fonts" / "MachineSans-Regular.ttf")
    (folder / "fonts.conf").write_text(f'<?xml version="1.0"?><fontconfig><dir>{folder / "fonts"}</dir>'
                                       f'<cachedir>{folder / "cache"}</cachedir></fontconfig>')
    environment = {**os.environ, "FONTCONFIG_FILE": str(folder / "fonts.conf")}
    listed = subprocess.run(["fc-list", ":", "family"], env=environment, capture_output=True, text=True).stdout
    assert listed.split() == ["Machine", "Sans"], listed
    urdu = subprocess.run(["fc-list", ":lang=ur"], env=environment, capture_output=True, text=True).stdout
    assert urdu.strip() == "", urdu
    return environment


@pytest.fixture(scope="module")
def site(databases: Databases, seeded_home: Path, tmp_path_factory: pytest.TempPathFactory,
         latin_only_fonts: dict[str, str]) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("urdu-web")
    database = databases.copy(home)
    monkeypatch = pytest.MonkeyPatch()
    try:
        for name, value in databases.environment(database).items():
            monkeypatch.setenv(name, value)
        cli = Manzoori(home, monkeypatch, database)
        reference = cli.draft("work_plan", "punjab", "WPC Action Plan 2025-Q3 (Urdu screenshot)",
                              form_for("punjab", "work_plan"), "punjab.pdu-director")
        cli.act(reference, "submit", "punjab.pdu-director")
        cli.act(reference, "return", REVIEWER, "--comment", "Add the members' inputs, please")
        revised = form_for("punjab", "work_plan")
        revised["summary"] = ("The Women Parliamentary Caucus Action Plan for 2026, with the members' inputs "
                              "on legislation, oversight and capacity building, as agreed at the session.")
        cli.act(reference, "revise", "punjab.pdu-director", "--form", cli.form("revised", revised))
        cli.act(reference, "submit", "punjab.pdu-director")
        environment = {**os.environ, "MANZOORI_HOME": str(home), **databases.environment(database)}
        subprocess.run([sys.executable, "-m", "engine.cli", "officers", "password", REVIEWER,
                        "--password", PASSWORD], env=environment, check=True, capture_output=True)
    finally:
        monkeypatch.undo()
    with serving(home, free_port(), databases.environment(database)) as url:
        yield url, reference
    databases.drop(database)


@pytest.fixture(scope="module")
def fontless_browser(playwright: Any, latin_only_fonts: dict[str, str]) -> Iterator[Any]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, env=latin_only_fonts)
    yield launched
    if launched.is_connected():
        launched.close()


def fonts_drawn(page: Any) -> dict[str, set[tuple[str, bool]]]:
    """For each element with text of its own: the fonts Chromium drew it with, as
    (family, is a web font)."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    drawn: dict[str, set[tuple[str, bool]]] = {}
    for node in devtools.send("DOM.querySelectorAll", {"nodeId": root, "selector": "body *"})["nodeIds"]:
        fonts = devtools.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        if fonts:
            described = devtools.send("DOM.describeNode", {"nodeId": node})["node"]
            drawn.setdefault(f"{described.get('localName', '?')}#{node}", set()).update((f["familyName"], f["isCustomFont"]) for f in fonts)
    devtools.detach()
    return drawn


def test_the_urdu_inbox_and_item_draw_every_letter_from_the_bundled_fonts(site, fontless_browser) -> None:
    url, reference = site
    OUTPUT.mkdir(parents=True, exist_ok=True)
    bundled = bundled_characters()
    context = fontless_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", REVIEWER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inbox")
    page.goto(f"{url}/lang/ur?next=/inbox")
    for name, path in (("urdu-inbox", "/inbox"), ("urdu-item", f"/items/{reference}")):
        page.goto(f"{url}{path}")
        page.evaluate("document.fonts.ready.then(() => true)")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
        drawn = fonts_drawn(page)
        assert drawn, f"{path}: no text drawn"
        fallen = {node: fonts for node, fonts in drawn.items() if not all(custom for _f, custom in fonts)}
        assert not fallen, f"{path}: text drawn with a font the app does not serve: {fallen}"
        families = {family for fonts in drawn.values() for family, _c in fonts}
        assert {"Noto Naskh Arabic", "Noto Sans"} <= families, families
        # Chromium names the web font even where it drew that font's empty box: every
        # character of the page (the route picture's too) must be one the fonts have.
        shown = set(page.evaluate("document.body.textContent"))
        boxes = sorted(f"U+{ord(c):04X} {c}" for c in shown if not c.isspace() and c.isprintable()
                       and ord(c) not in bundled)
        assert not boxes, f"{path}: no bundled font has {boxes}"
    # the reference reads left to right on the Urdu page, whole; the English diff lines
    # keep their direction and stay inside their card
    assert page.locator(f'bdi[dir="ltr"]:text-is("{reference}")').count() >= 1
    diff = page.locator("pre.diff")
    assert diff.evaluate("d => getComputedStyle(d).direction") == "ltr"
    card = diff.locator("xpath=ancestor::section[1]").bounding_box()
    for line in diff.locator("span").all():
        box = line.bounding_box()
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], box
    context.close()
