"""Deadlines on the party's working calendar: one reminder before, one escalation after.

The clock is faked with `manzoori deadlines --now ...`; nothing here sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.core import deadlines
from engine.contract.calendar import is_working_day
from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.store import open_database
from engine.errors import PluginError
from engine.core.items import act, draft
from engine.core.registry import Party, Registry, registry
from tests.conftest import stored_json
from tests.forms import form_for
from tests.test_invariants import refused

WP = "work_plan"
#: Pakistan Standard Time has no daylight saving: local = UTC + 5 hours all year.
PKT = timedelta(hours=5)
BALOCHISTAN_MEMBER = "Member, Women Parliamentary Caucus, Provincial Assembly of Balochistan"


def _in_review(manzoori) -> str:
    """A Balochistan work plan submitted just now, waiting for a WPC member's review."""
    reference = manzoori.draft(WP, "balochistan", "PWL work plan 2026", form_for("balochistan", WP),
                               "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    assert manzoori.state(reference) == "review"
    return reference


def _due_at(manzoori, reference: str, step: str) -> datetime:
    rows = manzoori.query(
        "SELECT s.due_at FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r AND s.name = :s AND s.status = 'open'", r=reference, s=step)
    assert len(rows) == 1
    return datetime.fromisoformat(str(rows[0][0]))


def _working_day_before(day: date, code: str) -> date:
    identity = registry().party(code).identity
    day -= timedelta(days=1)
    while not is_working_day(day, identity.weekend, identity.holidays):
        day -= timedelta(days=1)
    return day


def _reminder_day_starts(due_at: datetime, code: str) -> datetime:
    """Midnight in Pakistan (as UTC) of the working day before the local due date."""
    local_due = (due_at + PKT).date()
    return datetime.combine(_working_day_before(local_due, code), datetime.min.time()) - PKT


def _sweep(manzoori, now: datetime | str, expect: int = 0) -> str:
    moment = now if isinstance(now, str) else now.isoformat()
    result = manzoori("deadlines", "--now", moment, expect=expect)
    return result.stdout if expect == 0 else result.stderr


def _notices(manzoori, reference: str) -> list[tuple[Any, ...]]:
    """The reminders and escalations stored in the item's history, oldest first."""
    rows = manzoori.query(
        "SELECT e.action, e.officer_id, e.step, e.party, e.comment, e.payload FROM events e "
        "JOIN items i ON i.id = e.item_id WHERE i.reference = :r "
        "AND e.action IN ('remind', 'escalate') ORDER BY e.seq", r=reference)
    return [tuple(row) for row in rows]


def _item_row(manzoori, reference: str) -> tuple[Any, ...]:
    return tuple(manzoori.query("SELECT * FROM items WHERE reference = :r", r=reference)[0])


def test_nothing_due_says_so(manzoori) -> None:
    _in_review(manzoori)
    assert "No reminders or escalations due." in _sweep(manzoori, datetime(2000, 1, 3))


def test_review_is_reminded_once_on_the_working_day_before_it_falls_due(manzoori) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    reminder_day = _reminder_day_starts(due_at, "balochistan")
    item_before = _item_row(manzoori, reference)

    assert "No reminders or escalations due." in _sweep(manzoori, reminder_day - timedelta(minutes=1))
    assert _notices(manzoori, reference) == []

    shown = _sweep(manzoori, reminder_day)
    assert reference in shown and "remind" in shown and "wpc-member" in shown
    [(action, officer, step, party, comment, payload)] = _notices(manzoori, reference)
    assert (action, officer, step, party) == ("remind", None, "review", "balochistan")
    local_due = f"{due_at + PKT:%Y-%m-%d}"
    assert comment == (f"Reminder: Review of {reference} by {BALOCHISTAN_MEMBER} (balochistan) "
                       f"is due on {local_due}.")
    payload = stored_json(payload)
    assert payload["office"] == "wpc-member" and payload["to_office"] == "wpc-member"
    assert payload["due_at"] == due_at.isoformat()

    # Again at the same moment, and later the same day: nothing new.
    assert "No reminders or escalations due." in _sweep(manzoori, reminder_day)
    assert "No reminders or escalations due." in _sweep(manzoori, due_at)
    assert len(_notices(manzoori, reference)) == 1
    # A reminder is a system event in the history; the item itself is untouched.
    assert _item_row(manzoori, reference) == item_before
    assert "system" in manzoori("show", reference).stdout


def test_overdue_review_is_escalated_once_to_the_deputy_speaker(manzoori) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    _sweep(manzoori, _reminder_day_starts(due_at, "balochistan"))

    shown = _sweep(manzoori, due_at + timedelta(seconds=1))
    assert "escalate" in shown and "deputy-speaker" in shown
    assert "No reminders or escalations due." in _sweep(manzoori, due_at + timedelta(days=30))
    actions = [row[0] for row in _notices(manzoori, reference)]
    assert actions == ["remind", "escalate"]
    _, officer, step, _, comment, payload = _notices(manzoori, reference)[1]
    assert officer is None and step == "review"
    assert comment.startswith(f"Overdue: Review of {reference} by {BALOCHISTAN_MEMBER} (balochistan) "
                              f"was due on {due_at + PKT:%Y-%m-%d}")
    assert comment.endswith("escalated to Deputy Speaker, Provincial Assembly of Balochistan, "
                            "who may now decide it.")
    assert stored_json(payload)["to_office"] == "deputy-speaker"
    assert manzoori.state(reference) == "review"


def test_a_sweep_after_the_deadline_escalates_without_a_late_reminder(manzoori) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    _sweep(manzoori, due_at + timedelta(days=2))
    _sweep(manzoori, due_at + timedelta(days=3))
    assert [row[0] for row in _notices(manzoori, reference)] == ["escalate"]


def test_an_escalated_step_is_not_reminded_by_a_sweep_told_an_earlier_time(manzoori) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    _sweep(manzoori, due_at + timedelta(days=1))
    assert "No reminders" in _sweep(manzoori, _reminder_day_starts(due_at, "balochistan"))
    assert [row[0] for row in _notices(manzoori, reference)] == ["escalate"]


def test_a_step_acted_on_in_time_is_neither_reminded_nor_escalated(manzoori) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    # PSDP requests above PKR 50 million go to the Finance Department next.
    assert manzoori.state(reference) == "finance_review"
    shown = _sweep(manzoori, due_at + timedelta(days=60))
    # The step that opened in its place is escalated; the finished review is not. Finance
    # names no escalation office, so Balochistan's work-plan approvers are told.
    notices = [(row[0], row[2]) for row in _notices(manzoori, reference)]
    assert notices == [("escalate", "finance_review")]
    assert "finance-secretary" in shown and "wpc-member" in shown


@contextmanager
def _engine(manzoori) -> Iterator[Session]:
    factory = open_database(manzoori.url)
    try:
        with factory() as session:
            yield session
    finally:
        factory.kw["bind"].dispose()


def test_sindh_review_is_reminded_before_its_own_27_december_holiday(manzoori) -> None:
    # Submitted on Monday 20 December 2027, 09:00 in Karachi; five working days on
    # Sindh's calendar skip Quaid-e-Azam Day and the weekend (25-26) and 27 December.
    submitted = datetime(2027, 12, 20, 4, 0)
    with _engine(manzoori) as session:
        reference = draft(session, registry(), kind=WP, parties=["sindh"], title="WDD work plan",
                          form=form_for("sindh", WP), officer="sindh.wdd-secretary",
                          now=submitted).reference
        act(session, registry(), reference=reference, action="submit",
            officer="sindh.wdd-secretary", now=submitted)
    assert _due_at(manzoori, reference, "review") == datetime(2027, 12, 28, 4, 0)

    # The reminder day is Friday 24 December, from midnight in Karachi (19:00 UTC before).
    assert "No reminders" in _sweep(manzoori, "2027-12-23T18:59")
    assert "remind" in _sweep(manzoori, "2027-12-24T00:00+05:00")
    assert "No reminders" in _sweep(manzoori, "2027-12-27T12:00")
    assert "No reminders" in _sweep(manzoori, "2027-12-28T04:00")
    shown = _sweep(manzoori, "2027-12-28T04:01")
    # Sindh names no escalation office: its approver for work plans is told.
    assert "escalate" in shown and "wdd-minister" in shown
    comments = [row[4] for row in _notices(manzoori, reference)]
    assert comments[0].endswith("is due on 2027-12-28.")
    assert comments[1].endswith("escalated to Minister for Women Development, Sindh.")


def test_reminder_day_skips_weekends_and_the_partys_public_holidays() -> None:
    sindh, kp, balochistan = (registry().party(code).identity for code in ("sindh", "kp", "balochistan"))
    due = datetime(2027, 12, 28, 5, 0)  # Tuesday 28 December 2027, 10:00 in Karachi
    # Sindh keeps Monday 27 December; 25 (Quaid-e-Azam Day) and 26 are the weekend.
    assert deadlines.reminder_from(due, 1, sindh) == datetime(2027, 12, 23, 19, 0)  # Fri 24, 00:00 PKT
    # Khyber Pakhtunkhwa works on 27 December.
    assert deadlines.reminder_from(due, 1, kp) == datetime(2027, 12, 26, 19, 0)  # Mon 27, 00:00 PKT
    # Two working days before Wednesday 25 March 2026: Tuesday 24, then (Pakistan Day on
    # Monday 23 and the weekend skipped) Friday 20 March.
    due = datetime(2026, 3, 25, 5, 0)
    assert deadlines.reminder_from(due, 2, balochistan) == datetime(2026, 3, 19, 19, 0)
    assert deadlines.reminder_from(due, 0, balochistan) == datetime(2026, 3, 24, 19, 0)
    # The due date is taken on the party's clock: 20:00 UTC on Monday is Tuesday in Karachi.
    late_monday = datetime(2026, 3, 30, 20, 0)
    assert deadlines.reminder_from(late_monday, 1, balochistan) == datetime(2026, 3, 29, 19, 0)


def test_reminder_and_escalation_windows() -> None:
    due, remind = datetime(2026, 3, 12, 9, 0), datetime(2026, 3, 10, 19, 0)
    assert deadlines.notice_due(due, remind, datetime(2026, 3, 10, 18, 59)) is None
    assert deadlines.notice_due(due, remind, remind) == "remind"
    assert deadlines.notice_due(due, remind, due) == "remind"
    assert deadlines.notice_due(due, remind, due + timedelta(microseconds=1)) == "escalate"


def test_escalation_office_is_the_rules_choice_or_the_approver() -> None:
    parties = registry()
    baloch = deadlines.policy(parties.party("balochistan"), ItemKind.WORK_PLAN, "reviewer")
    assert baloch == deadlines.DeadlinePolicy(remind_days_before=1, escalate_to="deputy-speaker",
                                              decides=True)
    kp = deadlines.policy(parties.party("kp"), ItemKind.WORK_PLAN, "reviewer")
    assert kp.escalate_to == "swd-secretary" and not kp.decides  # KP's escalation only tells
    # Sindh names no escalation office: its work-plan approver is told.
    sindh = deadlines.policy(parties.party("sindh"), ItemKind.WORK_PLAN, "reviewer")
    assert sindh.escalate_to == "wdd-minister"


def _gilgit_baltistan(escalate_to: str) -> Party:
    """A third-party province whose reviewer rule names the given escalation office."""
    return Party("gilgit_baltistan_province", {
        "party": lambda: PartyIdentity(
            code="gilgit-baltistan", name_en="Government of Gilgit-Baltistan",
            name_ur="حکومتِ گلگت بلتستان", kind="region", reference_prefix="GB"),
        "offices": lambda: [Office(
            code="wdd-secretary", title_en="Secretary, Women Development, GB",
            title_ur="سیکرٹری، ترقیِ نسواں، گلگت بلتستان")],
        "roles": lambda kind: {
            "reviewer": RoleRule(office="wdd-secretary", escalate_to=escalate_to),
            **{role: RoleRule(office="wdd-secretary") for role in ("drafter", "approver", "signatory")}},
    })


def test_unknown_escalation_office_is_a_plugin_error_naming_the_plugin() -> None:
    with pytest.raises(PluginError) as raised:
        deadlines.policy(_gilgit_baltistan("chief-secretary"), ItemKind.WORK_PLAN, "reviewer")
    assert raised.value.plugin == "gilgit_baltistan_province" and raised.value.hook == "roles"
    assert "escalates to office 'chief-secretary', which offices() lacks" in raised.value.message
    ok = deadlines.policy(_gilgit_baltistan("wdd-secretary"), ItemKind.WORK_PLAN, "reviewer")
    assert ok.escalate_to == "wdd-secretary"


def test_sweep_with_a_broken_escalation_rule_is_refused_and_records_nothing(
    manzoori, monkeypatch
) -> None:
    reference = _in_review(manzoori)
    due_at = _due_at(manzoori, reference, "review")
    real = registry()
    # The item keeps the roles it was drafted under (engine.core.definitions); an upgrade of the
    # plugin that drops the office they escalate to breaks them.
    impls = dict(real.party("balochistan").impls)
    offices = impls["offices"]
    impls["offices"] = lambda: [office for office in offices() if office.code != "deputy-speaker"]
    broken = Registry(parties={**real.parties, "balochistan": Party("balochistan", impls)})
    monkeypatch.setattr("engine.core.registry._registry", broken)
    message = refused(manzoori, 7, "deadlines", "--now", (due_at + timedelta(days=1)).isoformat())
    assert "plugin balochistan.roles" in message and "'deputy-speaker'" in message


def test_bad_now_is_a_clear_error(manzoori) -> None:
    _in_review(manzoori)
    message = refused(manzoori, 5, "deadlines", "--now", "next tuesday")
    assert "'next tuesday' is not a moment" in message and "--now" in message


def test_a_sweep_reads_the_database_twice_however_many_items_wait(manzoori) -> None:
    references = [_in_review(manzoori) for _ in range(4)]
    due_at = max(_due_at(manzoori, reference, "review") for reference in references)
    with _engine(manzoori) as session:
        assert len(deadlines.sweep(session, registry(), due_at + timedelta(days=1))) == 4
        statements: list[str] = []
        event.listen(session.get_bind(), "before_cursor_execute",
                     lambda _c, _cur, sql, *_: statements.append(sql))
        assert deadlines.sweep(session, registry(), due_at + timedelta(days=2)) == []
    assert len(statements) == 2, statements
