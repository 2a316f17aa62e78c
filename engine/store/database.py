"""The database an officer's commands talk to.

The embedded default is SQLite in `MANZOORI_HOME` (default `~/.manzoori`), created on
first use; `MANZOORI_DATABASE_URL` selects another database (PostgreSQL in
production), migrated to `SCHEMA_REVISION` on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.store.models import SCHEMA_REVISION


def home() -> Path:
    return Path(os.environ.get("MANZOORI_HOME", Path.home() / ".manzoori"))


def database_url() -> str:
    return os.environ.get("MANZOORI_DATABASE_URL") or f"sqlite:///{home() / 'manzoori.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while an officer's action commits; the busy timeout makes
    # concurrent writers wait their turn instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (mode 600), as the secrets beside
    it are, or take the others' rights from one made before. SQLite gives its -wal and -shm
    files the database file's mode; ones left from before are narrowed too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for kept in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if kept.stat().st_mode & 0o077:
                kept.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            continue  # not there, or not ours to change


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite:///"):
        file = url.removeprefix("sqlite:///").partition("?")[0]
        if file and file != ":memory:":
            _private_file(Path(file))
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (what `manzoori init` does)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One session on the configured database, its connections closed afterwards; for
    short-lived callers such as a Prefect task."""
    factory = open_database(url)
    try:
        with factory() as session:
            yield session
    finally:
        factory.kw["bind"].dispose()


def open_database(url: str | None = None) -> sessionmaker:
    """A session factory on the configured database, migrated on first use."""
    engine = make_engine(url)
    if schema_revision(engine) != SCHEMA_REVISION:
        upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
