"""What must not depend on the database the engine runs on (the suite runs on SQLite and
on PostgreSQL, --db): bounded text refused alike, naming the field; a PostgreSQL
password never shown."""

from __future__ import annotations

import pytest

from tests.forms import form_for


def test_an_idempotency_key_too_long_is_refused_naming_it_and_nothing_changes(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    before = manzoori.snapshot()
    result = manzoori.act(reference, "comment", "punjab.wpc-member.1", "--comment", "Pillar 4 needs dates",
                          "--key", "k" * 129, expect=5)
    assert "idempotency_key is longer than 128 characters" in result.stderr
    assert "Traceback" not in result.output
    assert manzoori.snapshot() == before
    manzoori.act(reference, "comment", "punjab.wpc-member.1", "--comment", "Pillar 4 needs dates",
                 "--key", "k" * 128)
    assert manzoori.actions(reference) == ["draft", "comment"]


def test_an_officers_name_too_long_is_refused_naming_it(manzoori) -> None:
    before = manzoori.snapshot()
    result = manzoori("officers", "add", "sample.long", "--name", "N" * 201, "--party", "punjab",
                      "--office", "wpc-member", "--sample", expect=5)
    assert "name is longer than 200 characters" in result.stderr
    assert manzoori.snapshot() == before


@pytest.mark.postgresql_only
def test_init_on_postgresql_says_where_without_the_password(manzoori) -> None:
    # The throw-away cluster trusts local connections, so any password gets in.
    manzoori.url = manzoori.url.replace("://manzoori@", "://manzoori:not-to-be-shown@")
    shown = manzoori("init").stdout
    assert "Database ready at postgresql+psycopg://manzoori:***@127.0.0.1:" in shown
    assert "not-to-be-shown" not in shown

