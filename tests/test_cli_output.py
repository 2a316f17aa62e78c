"""The command line for people and for scripts: piped through `cat` (80 columns, no
terminal) a table still prints every reference, code and username whole, with long titles
wrapped instead; every listing command has `--json` in the shape the README gives, and
`manzoori items --json | python -m json.tool` works."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from engine.cli import app
from tests.conftest import Manzoori
from tests.forms import form_for

LONG_TITLE = ("Letter of Intent on inter-provincial cooperation in social protection between the "
              "Punjab Social Protection Authority and the Social Welfare Department of Balochistan")


@pytest.fixture
def listed(manzoori: Manzoori) -> tuple[Manzoori, list[str]]:
    references = [
        manzoori.draft("work_plan", "balochistan", "WPC work plan 2026", form_for("balochistan", "work_plan"),
                       "balochistan.assembly-secretary"),
        manzoori.draft("agreement", "punjab,balochistan", LONG_TITLE, form_for("punjab", "agreement"),
                       "punjab.pspa-dg"),
    ]
    return manzoori, references


def piped(manzoori: Manzoori, command: str) -> str:
    """`manzoori COMMAND | …` in a shell, as a script runs it: no terminal, no COLUMNS."""
    environment = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    environment["MANZOORI_HOME"] = str(manzoori.home)
    done = subprocess.run(["sh", "-c", command.replace("manzoori", f"{shlex.quote(sys.executable)} -m engine.cli")],
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_whole(listing: str, references: list[str]) -> None:
    assert "…" not in listing
    for reference in references:
        assert f" {reference} " in listing
    for code in ("balochistan", "punjab", "sindh", "kp", "ncsw", "mohr"):
        assert f"│ {code} " in listing
    # the long title wraps at words instead, never one word to a line
    title_cells = [line.split("│")[3].strip() for line in listing.splitlines()
                   if line.startswith("│") and references[1] in line]
    assert title_cells and title_cells[0] != LONG_TITLE and " " in title_cells[0]


def test_at_80_columns_tables_keep_every_reference_and_code_whole(listed) -> None:
    """What a pipe gets (no terminal, 80 columns), in process: the fast check."""
    manzoori, references = listed
    runner = CliRunner()
    environment = {"MANZOORI_HOME": str(manzoori.home), "COLUMNS": "80"}
    listing = "".join(runner.invoke(app, [command], env=environment, catch_exceptions=False).stdout
                      for command in ("items", "provinces"))
    check_whole(listing, references)


@pytest.mark.slow
def test_piped_through_a_shell_items_and_provinces_stay_whole_and_json_parses(listed) -> None:
    """`manzoori items | cat`, `manzoori provinces | cat` and `manzoori items --json |
    python -m json.tool`, as a script runs them (3 processes: slow)."""
    manzoori, references = listed
    check_whole(piped(manzoori, "manzoori items | cat; manzoori provinces | cat"), references)
    listing = json.loads(piped(manzoori, "manzoori items --json | python3 -m json.tool"))
    assert {item["reference"] for item in listing} >= set(references)
    first = next(item for item in listing if item["reference"] == references[1])
    assert first == {"reference": references[1], "kind": "agreement", "title": LONG_TITLE, "state": "draft",
                     "parties": ["punjab", "balochistan"], "revision": first["revision"],
                     "updated_at": first["updated_at"]}


def test_every_listing_command_has_json_in_the_readme_shape(listed) -> None:
    manzoori, references = listed
    manzoori.act(references[0], "submit", "balochistan.assembly-secretary")

    def run(*args: str) -> object:
        return json.loads(manzoori(*args, "--json").stdout)

    inbox = run("inbox", "--as", "balochistan.wpc-member.1")
    assert set(inbox) == {"officer", "total", "entries"}
    entry = next(e for e in inbox["entries"] if e["reference"] == references[0])
    assert set(entry) == {"reference", "kind", "title", "step", "party", "office", "due_at", "revision",
                          "capacity", "acting_for"}
    shown = run("show", references[0])
    assert set(shown) == {"reference", "kind", "title", "state", "parties", "flow_version", "revision",
                          "versions", "steps", "history"}
    assert [e["action"] for e in shown["history"]] == ["draft", "submit"]
    assert {"name", "party", "office", "status", "held_today_by", "decisions"} <= set(shown["steps"][-1])
    parties = run("provinces")
    assert set(parties) == {"parties", "faults"} and parties["faults"] == []
    assert {p["code"] for p in parties["parties"]} >= {"punjab", "balochistan", "ncsw"}
    assert run("provinces", "punjab")["parties"][0]["kinds"]["work_plan"]["form"]["fields"]
    flows = run("flows")
    assert {flow["kind"] for flow in flows} == {"work_plan", "joint_resolution", "agreement"}
    assert set(run("plan", "2016-Q1")) == {"quarter", "actions"}
    officers = run("officers", "list", "--party", "balochistan")
    assert {"username", "name", "sample", "appointments"} == set(officers[0])
