"""The hook reference in docs/ is generated from engine/contract/hookspecs.py: it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.contract import hookspecs
from engine.sdk.hookref import reference

DOCS = Path(__file__).parent.parent / "docs"


def test_hook_reference_is_what_hookspecs_says_today() -> None:
    committed = (DOCS / "hook-reference.md").read_text(encoding="utf-8")
    assert committed == reference(), (
        "docs/hook-reference.md is out of date: run `python -m engine.sdk.hookref > docs/hook-reference.md`"
    )


def test_every_hook_is_documented_with_its_signature() -> None:
    printed = subprocess.run([sys.executable, "-m", "engine.sdk.hookref"], capture_output=True,
                             text=True, check=True).stdout
    for name in ("party", "offices", "office_holders", "roles", "form", "check", "extra_steps",
                 "letterhead", "on_event"):
        assert f"### `{name}`" in printed
        assert getattr(hookspecs, name).__doc__.strip().splitlines()[0] in printed
    assert "def check(kind: ItemKind, form: FormModel, parties: list[str], version: int) -> list[Finding]" in printed


def test_tutorial_points_to_the_reference_and_shows_the_scaffold() -> None:
    tutorial = (DOCS / "adding-a-province.md").read_text(encoding="utf-8")
    assert "hook-reference.md" in tutorial and "manzoori plugin new gilgit-baltistan" in tutorial
