"""Urdu is complete and renders everywhere: every word a page shows has its Urdu in the
catalogue (engine/web/i18n.py), no template carries literal English, an Urdu page shows no
English word outside the values it isolates, every Urdu letter Manzoori prints has a glyph
in the fonts it ships, and dates come from CLDR (Babel) the same way in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from fastapi.testclient import TestClient
from fontTools.ttLib import TTFont

from engine.contract import ItemKind
from engine.core.accounts import set_password
from engine.core.flows import FLOWS, EndState
from engine.core.fonts import FACES, FONTS
from engine.store import session_scope
from engine.store.statuses import UNREPORTED, ProgressStatus, ReportState, StepStatus
from engine.web import create_app
from engine.web.i18n import ACTIONS, EVENTS, TERMS, TEXT, day
from engine.web.templating import TEMPLATES
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.test_web import PASSWORD, login

ROOT = Path(__file__).parent.parent
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
MARKS = re.compile(r"[\u2000-\u2bff]")
"""Punctuation, arrows, mathematical operators, shapes, dingbats: the marks Manzoori prints
beside its words (… · → ≠ ✓ ✗ ▶)."""
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
#: Words a page may show in English whatever its language: the product's name.
NAMES = {"Manzoori"}


def urdu_catalogue() -> Iterator[tuple[str, str, str]]:
    for table_name, table in (("TEXT", TEXT), ("ACTIONS", ACTIONS), ("TERMS", TERMS), ("EVENTS", EVENTS)):
        for key, entry in table.items():
            yield f"{table_name}[{key!r}]", entry.get("en", ""), entry.get("ur", "")


def test_every_catalogue_entry_has_english_and_urdu() -> None:
    missing = [where for where, en, ur in urdu_catalogue() if not en.strip() or not ARABIC.search(ur)]
    assert not missing, f"entries without their English or Urdu: {missing}"


def test_every_name_the_engine_shows_is_in_the_catalogue() -> None:
    names = {*ItemKind, *EndState, *StepStatus, *ProgressStatus, *ReportState, UNREPORTED,
             *(step.name for flow in FLOWS.values() for step in flow.steps)}
    assert not names - TERMS.keys(), f"names without their Urdu in TERMS: {sorted(names - TERMS.keys())}"
    actions = {action for flow in FLOWS.values() for step in flow.steps for action in step.actions}
    assert not actions - ACTIONS.keys() and not actions - EVENTS.keys()


class _Text(HTMLParser):
    """The text a template shows: its text nodes and its shown attributes, Jinja taken out."""

    SHOWN = {"placeholder", "title", "aria-label", "alt", "value"}

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            # an <input type=hidden value> or <option value> is data, not text shown
            if name in self.SHOWN and value and not (name == "value" and tag in ("input", "option")):
                self.shown.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.shown.append(data)


def literal_english(source: str) -> list[str]:
    without_jinja = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(without_jinja)
    return [word for text in parser.shown for word in ENGLISH_WORD.findall(text) if word not in NAMES]


@pytest.mark.parametrize("template", sorted(path.name for path in TEMPLATES.glob("*.html")))
def test_no_template_shows_literal_english(template: str) -> None:
    """Every word a page shows goes through the catalogue (`t`, `n`, `ev`, `action_names`)."""
    words = literal_english((TEMPLATES / template).read_text(encoding="utf-8"))
    assert not words, f"{template} shows English with no Urdu form: {words}"


def test_the_template_scan_finds_literal_english() -> None:
    assert literal_english('<p class="x">{{ t("a") }} Nothing here</p><input placeholder="one">') == \
        ["Nothing", "here", "one"]


class _Shown(HTMLParser):
    """What an Urdu page shows in its own words: text outside the isolated values (<bdi>,
    dir=auto, dir=ltr), the English halves of bilingual labels (.en), code, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        isolated = (tag in ("bdi", "code", "script", "style", "time", "textarea", "option", "title")
                    or given.get("dir") in ("auto", "ltr") or given.get("lang") == "en" or "en" in (given.get("class") or "").split())
        if tag not in ("input", "br", "meta", "link", "img"):
            self._stack.append(isolated or (bool(self._stack) and self._stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "br", "meta", "link", "img") and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self._stack and self._stack[-1]):
            self.words += [w for w in ENGLISH_WORD.findall(data) if w not in NAMES]


def english_on(page: str) -> list[str]:
    shown = _Shown()
    shown.feed(page)
    return shown.words


@pytest.fixture
def urdu_site(manzoori: Manzoori) -> Iterator[tuple[TestClient, str]]:
    with session_scope(manzoori.url) as session:
        for username in ("punjab.pdu-director", "punjab.wpc-member.1"):
            set_password(session, username, PASSWORD)
        session.commit()
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2025-Q3",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    manzoori.act(reference, "comment", "punjab.wpc-member.1", "--comment", "Please add the budget")
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        login(client, "punjab.wpc-member.1")
        client.get("/lang/ur?next=/inbox")
        yield client, reference


def test_the_urdu_inbox_and_item_pages_show_no_english_of_their_own(
        urdu_site: tuple[TestClient, str]) -> None:
    client, reference = urdu_site
    inbox = client.get("/inbox").text
    assert reference in inbox and "جائزہ" in inbox and "ورک پلان" in inbox  # step and kind in Urdu
    assert not english_on(inbox), " ".join(english_on(inbox))
    item = client.get(f"/items/{reference}").text
    assert not english_on(item), " ".join(english_on(item))
    # English values stay whole and left to right inside the Urdu page
    assert f'<bdi dir="ltr">{reference}</bdi>' in item and "<bdi>WPC Action Plan 2025-Q3</bdi>" in item
    assert 'blockquote dir="auto">Please add the budget' in item
    assert "تبصرہ کیا" in item and "جمع کرایا" in item  # the history's actions
    # The route picture (kept left to right as a picture) writes its steps, states and
    # offices in Urdu too.
    route = item[item.index('<svg'):item.index('</svg>')]
    assert "جائزہ" in route and "مکمل" in route and "زیرِ کارروائی" in route, route
    assert ">review<" not in route and " done<" not in route and " open<" not in route, route
    font = client.get("/static/fonts/NotoNastaliqUrdu-Regular.woff2")  # the fonts it names
    assert font.status_code == 200 and font.content[:4] == b"wOF2"


def test_dates_come_from_cldr_the_same_way_in_both_languages() -> None:
    months = Locale.parse("ur").months["format"]["wide"]
    assert day("ur")("2025-09-03") == f"3 {months[9]} 2025" == "3 ستمبر 2025"
    assert day("en")("2025-09-03") == "3 September 2025"
    # CLDR's Urdu numbers are Latin digits (its default numbering system), as in English
    assert Locale.parse("ur").default_numbering_system == "latn"


def shipped_urdu() -> dict[str, str]:
    """Every Arabic-script letter Manzoori can print, with where it comes from: the
    catalogue, and the engine's and built-in parties' sources (office titles, form labels,
    letterheads, flow step labels, the document's words)."""
    letters: dict[str, str] = {}
    for where, _en, ur in urdu_catalogue():
        for letter in ARABIC.findall(ur):
            letters.setdefault(letter, where)
    for folder in ("engine", "plugins"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".j2") and "migrations" not in path.parts:
                for letter in ARABIC.findall(path.read_text(encoding="utf-8")):
                    letters.setdefault(letter, str(path.relative_to(ROOT)))
    return letters


@pytest.mark.parametrize("family", sorted({family for family, _w, _f in FACES
                                           if family not in ("Manzoori Sans", "Manzoori Symbols")}))
def test_every_urdu_letter_shipped_has_a_glyph_in_the_bundled_fonts(family: str) -> None:
    letters = shipped_urdu()
    assert len(letters) > 40  # the whole Urdu alphabet is in there
    for _family, _weight, name in (face for face in FACES if face[0] == family):
        cmap = TTFont(FONTS / name).getBestCmap()
        missing = {f"U+{ord(letter):04X} {letter} ({where})" for letter, where in letters.items()
                   if ord(letter) not in cmap}
        assert not missing, f"{name} has no glyph for {sorted(missing)}"


def bundled_characters() -> set[int]:
    """Every character (code point) one of the bundled fonts has a glyph for."""
    return {code for _family, _weight, name in FACES for code in TTFont(FONTS / name).getBestCmap()}


def test_every_mark_shipped_has_a_glyph_in_a_bundled_font() -> None:
    """The marks of the route picture, the pages and the documents (✓ ✗ ▶ → ≠ …), in the
    catalogue or in the engine's and parties' sources, each drawn by one of the bundled
    fonts: on a machine without fonts they would be empty boxes."""
    drawn = bundled_characters()
    marks: dict[str, str] = {}
    for where, en, ur in urdu_catalogue():
        for mark in MARKS.findall(en + ur):
            marks.setdefault(mark, where)
    for folder in ("engine", "plugins"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".j2", ".css", ".js") and "migrations" not in path.parts:
                for mark in MARKS.findall(path.read_text(encoding="utf-8")):
                    marks.setdefault(mark, str(path.relative_to(ROOT)))
    assert {"✓", "▶", "→"} <= set(marks), marks
    missing = {f"U+{ord(mark):04X} {mark} ({where})" for mark, where in marks.items() if ord(mark) not in drawn}
    assert not missing, f"no bundled font draws {sorted(missing)}"


def test_the_bundled_fonts_carry_their_licence() -> None:
    assert "SIL OPEN FONT LICENSE" in (FONTS / "OFL.txt").read_text(encoding="utf-8")
    style = (ROOT / "engine/web/static/style.css").read_text(encoding="utf-8")
    for family, weight, name in FACES:
        assert (FONTS / name).stat().st_size > 1_000
        assert (f'font-family: "{family}"; font-weight: {weight}; font-display: swap; '
                f'src: url("/static/fonts/{name}")') in style


def test_a_partys_extra_step_shows_under_its_own_urdu_label(manzoori: Manzoori) -> None:
    """Balochistan adds a Finance Department review above a PSDP threshold: its Urdu label
    comes from the plugin, through the item's route, in the inbox and on the item page."""
    reference = manzoori.draft("work_plan", "balochistan", "PWL work plan 2025-26",
                               form_for("balochistan", "work_plan"), "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    with session_scope(manzoori.url) as session:
        set_password(session, "balochistan.finance-secretary", PASSWORD)
        session.commit()
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        login(client, "balochistan.finance-secretary")
        client.get("/lang/ur?next=/inbox")
        inbox = client.get("/inbox").text
        assert "محکمہ خزانہ کا جائزہ" in inbox and not english_on(inbox), english_on(inbox)
        item = client.get(f"/items/{reference}").text
        assert 'data-state="finance_review">محکمہ خزانہ کا جائزہ<' in item
        assert not english_on(item), " ".join(english_on(item))
