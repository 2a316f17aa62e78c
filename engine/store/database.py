"""The database an officer's commands talk to.

The embedded default is SQLite in `MANZOORI_HOME` (default `~/.manzoori`), created on
first use; `MANZOORI_DATABASE_URL` selects another database (PostgreSQL in
production), migrated to `SCHEMA_REVISION` on first use.
"""

from __future__ import annotations

import os
import threading
import weakref
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


BUSY_SECONDS = 10.0
"""How long a writer waits for SQLite's write lock before giving up (`Busy`), unless
MANZOORI_BUSY_SECONDS says otherwise: a command line waits long; the web app waits less
(`engine.web.app`), so a held lock costs a request a few seconds and a 503, not a thread
for long."""


def _sqlite_pragmas(busy_seconds: float) -> Any:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while an officer's action commits; the busy timeout makes
        # concurrent writers wait their turn instead of failing at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    return pragmas


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (mode 600), as the secrets beside
    it are, or take the others' rights from one made before. SQLite gives its -wal and -shm
    files the database file's mode; ones left from before are narrowed too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Only a file not there yet is opened here: closing a descriptor of a database file
    # this process already uses would drop its SQLite connections' POSIX locks.
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    for kept in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if kept.stat().st_mode & 0o077:
                kept.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            continue  # not there, or not ours to change


_WRITERS: weakref.WeakKeyDictionary[Engine, tuple[threading.RLock, float]] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


QUEUE_FACTOR = 3
"""A writer waits this many busy timeouts for its turn among the process's other writers:
a queue of officers acting at once is the normal course under load, not a held lock."""


def writer_turn(engine: Engine) -> tuple[threading.RLock, float]:
    """The lock this process's writers on a SQLite `engine` queue at, and how long one
    waits for its turn (`QUEUE_FACTOR` busy timeouts). SQLite's own busy handler polls
    with sleeps, so among twenty threads waiting for its lock some starve past any
    timeout; queued here, each is woken as the one before commits, and only a writer of
    another process is waited for by polling."""
    with _WRITERS_LOCK:
        found = _WRITERS.get(engine)
        if found is None:
            found = _WRITERS[engine] = (threading.RLock(), QUEUE_FACTOR * BUSY_SECONDS)
        return found


def make_engine(url: str | None = None, *, busy_seconds: float | None = None,
                pool_size: int | None = None, pool_timeout: float | None = None) -> Engine:
    """An engine on `url`; `pool_size` connections (and a few more at a pinch) are kept for
    as many threads, and a thread that finds none free waits `pool_timeout` seconds, then
    gets `Busy` (`engine.store.transaction.busy_from`)."""
    url = url or database_url()
    if url.startswith("sqlite:///"):
        file = url.removeprefix("sqlite:///").partition("?")[0]
        if file and file != ":memory:":
            _private_file(Path(file))
    pooling: dict[str, Any] = {}
    if pool_size is not None:
        pooling = {"pool_size": pool_size, "max_overflow": max(2, pool_size // 4)}
    if pool_timeout is not None:
        pooling["pool_timeout"] = pool_timeout
    engine = create_engine(url, **pooling)
    if engine.dialect.name == "sqlite":
        if busy_seconds is None:
            busy_seconds = float(os.environ.get("MANZOORI_BUSY_SECONDS") or BUSY_SECONDS)
        event.listen(engine, "connect", _sqlite_pragmas(busy_seconds))
        with _WRITERS_LOCK:
            _WRITERS[engine] = (threading.RLock(), QUEUE_FACTOR * busy_seconds)
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


def open_database(url: str | None = None, **engine_options: Any) -> sessionmaker:
    """A session factory on the configured database, migrated on first use
    (`engine_options` as `make_engine` takes them)."""
    engine = make_engine(url, **engine_options)
    if schema_revision(engine) != SCHEMA_REVISION:
        upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
