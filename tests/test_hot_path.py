"""The engine's hot path (issue 17): what every officer's action and inbox costs.

The inbox must find the steps waiting for an officer through the steps' indexes, never by
reading every step: the database's own plan says so (SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN), so that a change to the query or to the indexes cannot silently
make the inbox scan the table again. A signature unlocks the officer's key before the
action takes the write lock.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from engine.core import queries
from engine.core.items import act, draft
from engine.core.registry import registry
from engine.errors import NotAllowed
from engine.store import session_scope
from tests.conftest import Manzoori
from tests.forms import form_for

MEMBER = "punjab.wpc-member.1"


def _statements_of(session: Any, run: Any) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) that `run()` sends on `session`."""
    seen: list[tuple[str, Any]] = []
    bind = session.connection().engine

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(bind, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(bind, "before_cursor_execute", capture)
    return seen


def _plan(session: Any, statement: str, parameters: Any) -> str:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(row[-1] for row in rows)
    # A tiny test database is read faster whole, so PostgreSQL's planner would rightly scan
    # it: forbid that, and the plan says whether the index serves the query at all.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(row[0] for row in rows)


def test_the_inbox_and_its_count_find_waiting_steps_through_their_index(manzoori: Manzoori) -> None:
    parties = registry()
    with session_scope(manzoori.url) as session:
        reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                          title="WPC Action Plan 2026", form=form_for("punjab", "work_plan"),
                          officer="punjab.pdu-director").reference
        act(session, parties, reference=reference, action="submit", officer="punjab.pdu-director")
        entries: list[queries.InboxEntry] = []
        sent = _statements_of(session, lambda: (
            entries.extend(queries.inbox(session, MEMBER, limit=500)),
            queries.inbox_count(session, MEMBER)))
        assert [entry.reference for entry in entries] == [reference]
        on_steps = [(sql, params) for sql, params in sent if "FROM steps" in sql]
        assert len(on_steps) == 2, "the inbox and its count, one query each"
        for sql, params in on_steps:
            plan = _plan(session, sql, params)
            assert "SCAN steps" not in plan and "Seq Scan on steps" not in plan, plan
            if session.connection().dialect.name == "sqlite":
                assert "ix_steps_waiting" in plan, plan
            else:
                # On a tiny table PostgreSQL's planner picks among the indexes on steps by
                # cost (the insight's (party, closed_at) one serves the party's open steps
                # too): what must hold is that steps are reached through an index.
                assert re.search(r"Index (Only )?Scan using \w+ on steps|Bitmap Index Scan on ix_steps", plan), plan
        session.rollback()


def _write_lock_free(url: str, reference: str) -> bool:
    """Whether another connection could take the write lock the action needs right now:
    SQLite's database lock (BEGIN IMMEDIATE, without waiting), PostgreSQL's item row."""
    engine = create_engine(url, poolclass=NullPool, connect_args=(
        {"timeout": 0} if url.startswith("sqlite") else {}))
    try:
        with engine.connect() as connection:
            try:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    connection.execute(text("SELECT id FROM items WHERE reference = :r FOR UPDATE NOWAIT"),
                                       {"r": reference})
            except OperationalError:
                return False
            connection.rollback()
            return True
    finally:
        engine.dispose()


def test_a_signature_unlocks_the_key_before_taking_the_write_lock(
        manzoori: Manzoori, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real key's KDF (bcrypt, ~0.2 s) run inside the action's transaction would make
    every other officer's action wait for it: it runs before, once per signature, and a
    wrong passphrase is still refused, counted and changes nothing."""
    parties = registry()
    with session_scope(manzoori.url) as session:
        reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                          title="WPC Action Plan 2026", form=form_for("punjab", "work_plan"),
                          officer="punjab.pdu-director").reference
        for action, officer in (("submit", "punjab.pdu-director"), ("clear", MEMBER),
                                ("approve", "punjab.wpc-convener")):
            act(session, parties, reference=reference, action=action, officer=officer)
    unlocks: list[bool] = []
    load = serialization.load_ssh_private_key

    def watched(data: bytes, password: bytes | None, *args: Any, **kwargs: Any) -> Any:
        unlocks.append(_write_lock_free(manzoori.url, reference))
        return load(data, password, *args, **kwargs)

    monkeypatch.setattr(serialization, "load_ssh_private_key", watched)
    before = manzoori.snapshot()
    with session_scope(manzoori.url) as session:
        with pytest.raises(NotAllowed, match="wrong passphrase for punjab.wpc-convener's signing key"):
            act(session, parties, reference=reference, action="sign", officer="punjab.wpc-convener",
                passphrase="not the passphrase")
    assert manzoori.snapshot() == before
    assert unlocks == [True]
    with session_scope(manzoori.url) as session:
        outcome = act(session, parties, reference=reference, action="sign",
                      officer="punjab.wpc-convener", passphrase=manzoori.passphrase)
    assert outcome.state == "in_force"
    assert unlocks == [True, True], "one KDF per signature, with the write lock free"
    assert "sign" in manzoori.actions(reference)
