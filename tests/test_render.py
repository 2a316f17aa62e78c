"""Rendered documents: the demo's Punjab–Balochistan Letter of Intent as HTML and PDF,
with both letterheads, the Urdu heading and a signature block per signatory, checked
offline by `manzoori verify --document`; any changed byte of the file fails."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browsing import OUTPUT
from tests.conftest import Manzoori

LOI = "PJ-IPA-2025-0001"
OFFICES = ("Vice Chairperson, Punjab Social Protection Authority",
           "Parliamentary Secretary, Social Welfare Department, Balochistan")
URDU_HEADING = "بین الصوبائی معاہدہ"  # inter-provincial agreement
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u200e\u200f]")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    monkeypatch = pytest.MonkeyPatch()
    try:
        cli = Manzoori(home, monkeypatch)
        cli("demo")
        cli("render", LOI, "--format", "pdf", "-o", str(home / "loi.pdf"))
        cli("render", LOI, "--format", "html", "-o", str(home / "loi.html"))
        cli("keys", "export", "-o", str(home / "keys.json"))
    finally:
        monkeypatch.undo()
    return home


@pytest.fixture
def cli(demo: Path, monkeypatch: pytest.MonkeyPatch) -> Manzoori:
    return Manzoori(demo, monkeypatch)


def test_the_letter_of_intent_pdf_carries_both_signatories_and_the_urdu_heading(demo: Path, cli) -> None:
    pdf = demo / "loi.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(OUTPUT / "letter-of-intent")], check=True)
    pages = sorted(OUTPUT.glob("letter-of-intent*.png"))
    assert pages and all(page.stat().st_size > 10_000 for page in pages)
    text = BIDI_CONTROLS.sub("", subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                                capture_output=True, text=True).stdout)
    flat = " ".join(text.split())
    for office in OFFICES:
        assert office in flat
    assert URDU_HEADING in text and "حکومت پنجاب" in text and "حکومت بلوچستان" in text
    codes = cli.query("SELECT signature FROM signatures s JOIN items i ON i.id = s.item_id "
                      "WHERE i.reference = :r ORDER BY s.id", r=LOI)
    from engine.core.signatures import verification_code

    for (signature,) in codes:
        assert verification_code(signature) in flat.replace(" ", "")
    told = cli("verify", "--document", str(pdf))
    assert told.stdout.strip() == "loi.pdf: intact"
    # the demo's signatories signed with [sample] keys, and their blocks say so
    # (their PDF signature fields, or the signature blocks of an HTML document)
    assert flat.count("[sample] demonstration key, not a real signature") == 2


def test_the_html_carries_the_signatures_as_data_and_verifies(demo: Path, cli) -> None:
    html = (demo / "loi.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="manzoori-signatures">(.*?)</script>', html, re.S).group(1))
    stored = cli.query("SELECT party, office, digest, signature FROM signatures s JOIN items i "
                       "ON i.id = s.item_id WHERE i.reference = :r ORDER BY s.id", r=LOI)
    assert [(s["party"], s["office"], s["digest"], s["signature"]) for s in data["signatures"]] == \
        [tuple(row) for row in stored]
    assert all(office in html for office in OFFICES) and URDU_HEADING in html
    assert cli("verify", "--document", str(demo / "loi.html")).stdout.strip() == "loi.html: intact"


def flip(source: Path, target: Path, position: int) -> None:
    raw = bytearray(source.read_bytes())
    raw[position] ^= 0x01
    target.write_bytes(bytes(raw))


def html_positions(demo_html: bytes) -> list[int]:
    script = demo_html.index(b'id="manzoori-signatures"')
    every = list(range(0, len(demo_html), max(1, len(demo_html) // 60)))
    in_data = [demo_html.index(key, script) + offset for key, offset in
               ((b'"digest"', 12), (b'"signature"', 20), (b'"public_key"', 16), (b'"signed_at"', 15),
                (b'"holder"', 25), (b'"title"', 12), (b'"form"', 20))]
    return every + in_data + [len(demo_html) - 2]


@pytest.mark.parametrize("index", range(69))
def test_changing_any_byte_of_the_html_fails_verify(demo: Path, cli, tmp_path: Path, index: int) -> None:
    source = demo / "loi.html"
    positions = html_positions(source.read_bytes())
    assert len(positions) == 69
    tampered = tmp_path / "loi.html"
    flip(source, tampered, positions[index])
    told = cli("verify", "--document", str(tampered), expect=8)
    assert "loi.html: FAILS" in told.stdout
    assert re.search(r"FAILS (loi\.html: (content|signature data)|signature \([a-z-]+, [a-z-]+\): "
                     r"(digest|signature|public_key|signature data)): ", told.stdout), told.stdout


@pytest.mark.parametrize("fraction", [0.001, 0.05, 0.3, 0.6, 0.85, 0.999])
def test_changing_a_byte_of_the_pdf_fails_verify(demo: Path, cli, tmp_path: Path, fraction: float) -> None:
    source = demo / "loi.pdf"
    tampered = tmp_path / "loi.pdf"
    flip(source, tampered, int(len(source.read_bytes()) * fraction))
    told = cli("verify", "--document", str(tampered), expect=8)
    assert "loi.pdf: FAILS" in told.stdout


def test_a_document_is_checked_offline_with_an_exported_key_bundle(demo: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:
    away = Manzoori(tmp_path / "elsewhere", monkeypatch)  # no database at all
    told = away("verify", "--document", str(demo / "loi.html"), "--keys", str(demo / "keys.json"))
    assert told.stdout.strip() == "loi.html: intact"
    assert not (tmp_path / "elsewhere" / "manzoori.db").exists()
    bundle = json.loads((demo / "keys.json").read_text())
    bundle["keys"] = [key for key in bundle["keys"] if key["officer"] != "wali.noorzai"]
    (tmp_path / "keys.json").write_text(json.dumps(bundle))
    refused = away("verify", "--document", str(demo / "loi.html"), "--keys", str(tmp_path / "keys.json"),
                   expect=8)
    assert ("FAILS signature (balochistan, ps-social-welfare): public_key: is not a key published "
            "for wali.noorzai") in refused.stdout


def test_an_unsigned_document_does_not_verify(cli, tmp_path: Path) -> None:
    from tests.forms import form_for

    reference = cli.draft("work_plan", "punjab", "Unsigned plan 2026", form_for("punjab", "work_plan"),
                          "punjab.pdu-director")
    cli.act(reference, "submit", "punjab.pdu-director")
    cli("document", reference, "-o", str(tmp_path / "plan.html"))  # the old name still works
    told = cli("verify", "--document", str(tmp_path / "plan.html"), expect=8)
    assert "plan.html: FAILS plan.html: signatures: the document carries no signature" in told.stdout


def test_a_pdf_needs_an_output_file(cli) -> None:
    refused = cli("render", LOI, "--format", "pdf", expect=5)
    assert "a PDF needs a file: add -o FILE.pdf" in refused.stderr


def embedded_fonts(pdf: Path) -> dict[str, bool]:
    """Each font the PDF's pages use, by name, and whether its glyphs are embedded."""
    from pypdf import PdfReader

    fonts = {}
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                          else font)["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2",
                                                                             "/FontFile3"))
    return fonts


def test_the_pdf_embeds_the_bundled_fonts_and_no_other(demo: Path) -> None:
    fonts = embedded_fonts(demo / "loi.pdf")
    assert all(fonts.values()), fonts
    assert {re.sub(r"^/[A-Z]{6}\+", "", name) for name in fonts} == {
        "Manzoori-Sans", "Manzoori-Sans-Bold", "Manzoori-Naskh", "Manzoori-Naskh-Bold"}, fonts


def test_verify_document_reads_the_pdf_without_poppler(demo: Path, cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdfdetach, no system tool at all
    assert cli("verify", "--document", str(demo / "loi.pdf")).stdout.strip() == "loi.pdf: intact"


def test_a_pdf_without_readable_data_is_a_clear_failure(cli, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    from engine.core.documents import DATA_FILE

    cases = {"garbled.pdf": b"\xff\xfe{not json", "notjson.pdf": b"{\"content\": ", "none.pdf": None}
    for name, attached in cases.items():
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        if attached is not None:
            writer.add_attachment(DATA_FILE, attached)
        writer.write(tmp_path / name)
    (tmp_path / "cut.pdf").write_bytes((tmp_path / "none.pdf").read_bytes()[:300])
    expected = {"garbled.pdf": f"{DATA_FILE} is not UTF-8", "notjson.pdf": "Expecting value",
                "none.pdf": f"no attached {DATA_FILE}", "cut.pdf": "cannot be read from the document"}
    for name, says in expected.items():
        told = cli("verify", "--document", str(tmp_path / name), expect=8)
        assert f"{name}: FAILS {name}: signature data: cannot be read from the document" in told.stdout
        assert says in told.stdout and "Traceback" not in told.output


def test_a_document_that_hides_its_sample_keys_fails(demo: Path, cli, tmp_path: Path) -> None:
    html = (demo / "loi.html").read_text(encoding="utf-8")
    assert html.count('"sample": true') == 2
    (tmp_path / "loi.html").write_text(html.replace('"sample": true, ', "", 1), encoding="utf-8")
    told = cli("verify", "--document", str(tmp_path / "loi.html"), expect=8)
    assert "sample: the document does not say what the key is" in told.stdout


@pytest.mark.slow
def test_the_pdf_is_the_same_on_a_machine_without_fonts(demo: Path, tmp_path: Path) -> None:
    """fontconfig pointed at an empty folder: WeasyPrint finds no system font at all, the
    bundled ones give every glyph, and the PDF is byte for byte the one rendered with
    Debian's Noto installed (so no character fell back to another font)."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    (tmp_path / "fonts.conf").write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{empty}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    environment = {**os.environ, "MANZOORI_HOME": str(demo), "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    listed = subprocess.run(["fc-list"], env=environment, capture_output=True, text=True)
    assert listed.stdout.strip() == ""
    subprocess.run([sys.executable, "-m", "engine.cli", "render", LOI, "--format", "pdf", "-o",
                    str(tmp_path / "loi.pdf")], env=environment, check=True, capture_output=True)
    assert (tmp_path / "loi.pdf").read_bytes() == (demo / "loi.pdf").read_bytes()
    assert all(embedded_fonts(tmp_path / "loi.pdf").values())
    told = subprocess.run([sys.executable, "-m", "engine.cli", "verify", "--document", str(tmp_path / "loi.pdf")],
                          env=environment, capture_output=True, text=True)
    assert told.returncode == 0 and told.stdout.strip() == "loi.pdf: intact", told.stdout + told.stderr
    assert "No fonts configured" not in told.stderr
