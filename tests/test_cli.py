"""The command line as an operator meets it: parties, flows, the directory, errors."""

from __future__ import annotations

import os
import subprocess
import sys

from engine.errors import exit_codes
from tests.forms import form_for


def test_provinces_lists_every_party_with_its_urdu_name(manzoori) -> None:
    listed = manzoori("provinces").stdout
    for code, urdu in (("punjab", "پنجاب"), ("balochistan", "بلوچستان"), ("sindh", "سندھ"),
                       ("kp", "خیبر پختونخوا")):
        assert code in listed and urdu in listed


def test_one_partys_offices_and_bilingual_form_fields(manzoori) -> None:
    shown = manzoori("provinces", "balochistan").stdout
    assert "Deputy Speaker" in shown
    assert "psdp_schemes" in shown
    assert "finance_reviewer" in shown


def test_unknown_party_is_not_found(manzoori) -> None:
    result = manzoori("provinces", "gilgit-baltistan", expect=4)
    assert "no party 'gilgit-baltistan'" in result.stderr


def test_flows_are_drawn_from_their_tables(manzoori) -> None:
    shown = manzoori("flows").stdout
    assert "feedback → revision" in shown
    assert "sign → executed" in shown


def test_officers_add_and_list_with_effective_dates(manzoori) -> None:
    manzoori("officers", "add", "sample.member", "--name", "Member Six", "--party", "punjab",
              "--office", "wpc-member", "--since", "2026-01-01", "--until", "2026-12-31", "--sample")
    listed = manzoori("officers", "list", "--party", "punjab").stdout
    assert "sample.member" in listed and "Member Six [sample]" in listed and "2026-12-31" in listed
    stored = manzoori.query("SELECT a.since, a.until FROM appointments a JOIN officers o "
                            "ON o.id = a.officer_id WHERE o.username = 'sample.member'")
    assert [tuple(map(str, row)) for row in stored] == [("2026-01-01", "2026-12-31")]


def test_public_record_holders_are_loaded_with_their_dates(manzoori) -> None:
    rows = manzoori.query("SELECT o.name, a.party, a.office, a.since FROM officers o JOIN appointments a "
                          "ON a.officer_id = o.id WHERE NOT o.sample")
    names = {row[0] for row in rows}
    assert {"Asfa Khan", "Jahan Ara Manzoor Wattoo", "Haji Wali Muhammad Noorzai"} <= names
    assert all(row[3] is not None for row in rows)


def test_appointment_to_an_unknown_office_is_refused(manzoori) -> None:
    before = manzoori.snapshot()
    result = manzoori("officers", "add", "x.y", "--name", "X", "--party", "punjab",
                      "--office", "chief-minister", expect=4)
    assert "punjab has no office 'chief-minister'" in result.stderr
    assert manzoori.snapshot() == before


def test_bad_form_file_is_reported_plainly(manzoori) -> None:
    broken = manzoori.home / "broken.yaml"
    broken.write_text("activities: [unclosed", encoding="utf-8")
    result = manzoori("draft", "work_plan", "--parties", "punjab", "--title", "WPC Action Plan",
                      "--form", str(broken), "--as", "punjab.pdu-director", expect=5)
    assert "not valid JSON or YAML" in result.stderr
    missing = manzoori("draft", "work_plan", "--parties", "punjab", "--title", "WPC Action Plan",
                       "--form", str(manzoori.home / "nope.json"), "--as", "punjab.pdu-director", expect=5)
    assert "cannot read form file" in missing.stderr


def test_help_does_not_import_prefect_or_the_database_layer() -> None:
    code = ("import sys; from engine.cli import app; "
            "print(sorted(m for m in ('prefect', 'sqlalchemy', 'pydantic') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ}, check=True).stdout.strip()
    assert loaded == "[]"



def test_return_without_a_reason_names_the_comment_option_and_changes_nothing(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    before = manzoori.snapshot()
    refused = manzoori.act(reference, "return", "punjab.wpc-member.1", expect=5)
    assert "give a reason to return" in refused.stderr and "--comment" in refused.stderr
    assert manzoori.snapshot() == before


def test_a_field_the_engine_names_gets_the_option_that_gives_it(manzoori) -> None:
    """The engine speaks of fields ("(comment)"); the command line adds its flag: to use
    it when the operator left that option out, to check it when they gave it."""
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    left_out = manzoori.act(reference, "return", "punjab.wpc-member.1", expect=5)
    assert "InvalidForm: give a reason to return (comment); use --comment" in left_out.stderr
    blank = manzoori.act(reference, "return", "punjab.wpc-member.1", "--comment", " ", expect=5)
    assert "give a reason to return (comment); check --comment" in blank.stderr
    moment = manzoori("deadlines", "--now", "next tuesday", expect=5)
    assert "'next tuesday' is not a moment" in moment.stderr and "check --now" in moment.stderr


def test_help_lists_the_exit_codes_of_the_error_table_and_usage(manzoori) -> None:
    shown = " ".join(manzoori("--help").stdout.split())  # as one line, however it wraps
    listed = shown.split("Exit codes: ", 1)[1]
    for code, meaning in [*exit_codes().items(), (2, "usage")]:
        assert f"{code} {meaning}" in listed
