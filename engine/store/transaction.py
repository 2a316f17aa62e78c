"""The unit of work of an officer's action: one transaction, taken so that concurrent
actions queue, committed whole or not at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Busy, Conflict, ManzooriError
from engine.store.database import writer_turn

#: SQLite's words for a lock it waited for in vain (busy timeout), PostgreSQL's code for a
#: lock not available (lock_timeout, NOWAIT).
_LOCKED = ("database is locked", "database table is locked", "database is busy")
_PG_LOCK_NOT_AVAILABLE = "55P03"


def busy_from(error: BaseException) -> Busy | None:
    """The `Busy` a database error means, if it means the database is busy: a lock not
    had within the busy timeout, or no free connection within the pool's timeout. Anything
    else (a real fault) gives None and stays what it is."""
    if isinstance(error, PoolTimeout):
        return Busy("every database connection is in use; nothing was changed: try again "
                    "in a few seconds")
    if isinstance(error, OperationalError):
        original = error.orig
        text = str(original).lower()
        if any(words in text for words in _LOCKED) or \
                getattr(original, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
            return Busy("the database is locked by another process; nothing was changed: "
                        "try again in a few seconds")
    return None


def begin_writing(session: Session) -> None:
    """Start the transaction of an officer's action so that concurrent actions queue.

    On SQLite, take the database's write lock now (BEGIN IMMEDIATE): the next officer's
    action waits for it (busy timeout) and then reads what the first one wrote. Taken on
    the first write instead, as the driver does, a writer that had already read would
    act on what it saw before, or fail at once with "database is locked" (a WAL snapshot
    that went stale is not waited for). On PostgreSQL the lock is the item's row
    (`engine.core.items.get_item(..., for_update=True)`), so actions on different items do
    not wait for each other.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def one_transaction(session: Session, what: str) -> Iterator[None]:
    """Commit what the body did, or nothing at all; a lost race becomes a Conflict.

    Concurrent actions on one item take turns (`begin_writing`, `get_item(for_update=True)`):
    the second reads what the first did and is told why it cannot act now, or, retried
    with the same key, gets the first's outcome. The item's `revision` still refuses a
    session that decided on an older copy it had read before (a Conflict). A write lock
    not had within the busy timeout (another process holds it) rolls everything back and
    becomes `Busy`: the caller can send the same request again.
    """
    turn = _queue(session)
    try:
        begin_writing(session)
        yield
        session.commit()
    except ManzooriError:
        session.rollback()
        raise
    except (StaleDataError, IntegrityError):
        session.rollback()
        raise Conflict(
            f"{what} was changed by someone else at the same moment; nothing of yours was "
            "saved: look at it again and decide again"
        ) from None
    except (OperationalError, PoolTimeout) as error:
        session.rollback()
        busy = busy_from(error)
        if busy is None:
            raise
        raise busy from None
    except BaseException:
        session.rollback()
        raise
    finally:
        if turn is not None:
            turn.release()


def _queue(session: Session) -> threading.RLock | None:
    """Wait for this process's turn to write on SQLite (`writer_turn`): the lock, held
    until the transaction ends, or Busy after the busy timeout. None on PostgreSQL."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name != "sqlite":
        return None
    turn, seconds = writer_turn(engine)
    if not turn.acquire(timeout=seconds):
        raise Busy("too many officers are acting at this moment; nothing was changed: try again "
                   "in a few seconds")
    return turn
