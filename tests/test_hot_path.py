"""The engine's hot path (issue 17): what every officer's action and inbox costs.

The inbox must find the steps waiting for an officer through the steps' indexes, never by
reading every step: the database's own plan says so (SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN), so that a change to the query or to the indexes cannot silently
make the inbox scan the table again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from engine.core import queries
from engine.core.items import act, draft
from engine.core.registry import registry
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
            assert "ix_steps_waiting" in plan, plan
            assert "SCAN steps" not in plan and "Seq Scan on steps" not in plan, plan
        session.rollback()
