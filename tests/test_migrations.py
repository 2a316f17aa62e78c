"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from engine import store as db
from engine.core import replay
from engine.core.items import get_item
from engine.store import SCHEMA_REVISION, Base, make_engine, open_database, upgrade
from tests.conftest import Databases, Manzoori, stored_json
from tests.forms import form_for


def test_upgrade_head_on_an_empty_database_matches_the_models(databases: Databases, tmp_path: Path) -> None:
    url = databases.empty(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    databases.drop(url)
    assert differences == []


def test_the_engine_expects_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_an_agreement_in_flight_moves_over_to_each_partys_own_pace(manzoori: Manzoori) -> None:
    """An agreement stored before routes had joins (both parties in internal review, in
    lockstep) is upgraded: its route gets the joins, its history a `migrated` event, and
    from then on Punjab approves while Balochistan's review is still open; the history
    still verifies and still rebuilds the stored state."""
    reference = manzoori.draft("agreement", "punjab,balochistan", "Letter of Intent on social protection",
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    engine = make_engine(manzoori.url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        # What an engine of revision 0006 stored: a route without joins.
        route = [{key: value for key, value in step.items() if key != "join"}
                 for step in stored_json(manzoori.query("SELECT route FROM items WHERE reference = :r",
                                                        r=reference)[0][0])]
        with engine.begin() as connection:
            connection.execute(text("UPDATE items SET route = :route WHERE reference = :r"),
                               {"route": json.dumps(route), "r": reference})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    joins = {step["name"]: step["join"] for step in stored_json(
        manzoori.query("SELECT route FROM items WHERE reference = :r", r=reference)[0][0])}
    assert joins == {"draft": True, "internal_review": True, "approval": False, "signature": True}
    last = manzoori.query("SELECT e.action, e.payload FROM events e JOIN items i ON i.id = e.item_id "
                          "WHERE i.reference = :r ORDER BY e.seq DESC LIMIT 1", r=reference)[0]
    assert last[0] == "migrated" and "route" in stored_json(last[1])

    manzoori.act(reference, "clear", "punjab.swd-secretary")
    manzoori.act(reference, "approve", "punjab.pspa-vice-chair")  # Balochistan still reviewing
    assert manzoori.state(reference) == "internal_review"
    assert manzoori("verify").exit_code == 0
    factory = open_database(manzoori.url)
    with factory() as session:
        assert replay.check(session, get_item(session, reference)) is None
