"""The fonts Manzoori ships (SIL OFL 1.1, see README.md and OFL.txt here), so that Urdu
renders on a machine without font packages: the web app serves them, the PDF embeds them."""

from __future__ import annotations

from pathlib import Path

FONTS = Path(__file__).parent
"""The folder of the bundled font files."""

FACES: tuple[tuple[str, str, str], ...] = (
    # Names of our own, so that a system's Noto (another build, other glyph numbers) is never
    # picked instead: the same data then gives the same PDF bytes on every machine.
    # (family, weight, file): Nastaliq for Urdu as it is read; Naskh where the text must
    # read back as words (the PDF's text layer) and in bold.
    ("Manzoori Nastaliq", "normal", "NotoNastaliqUrdu-Regular.woff2"),
    ("Manzoori Naskh", "normal", "NotoNaskhArabic-Regular.woff2"),
    ("Manzoori Naskh", "bold", "NotoNaskhArabic-Bold.woff2"),
    ("Manzoori Sans", "normal", "NotoSans-Regular-Latin.woff2"),
    ("Manzoori Sans", "bold", "NotoSans-Bold-Latin.woff2"),
    # The marks of the route picture and the pages (✓ ✗ ▶ ◀ → ≠), which neither Noto Sans
    # nor the Arabic fonts have: the last in every font list.
    ("Manzoori Symbols", "normal", "NotoSans-Marks.woff2"),
)


def font_face_css() -> str:
    """The `@font-face` rules of the bundled fonts, their sources as `file://` URLs (for
    WeasyPrint); the web app's style sheet has the same rules with `/static/fonts/` URLs."""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
        f'src: url("{(FONTS / name).as_uri()}") format("woff2"); }}'
        for family, weight, name in FACES)
