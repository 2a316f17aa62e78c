"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine import store as db
from engine.store import SCHEMA_REVISION, Base, make_engine, upgrade
from tests.conftest import Databases


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
