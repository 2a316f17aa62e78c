"""Where approvals wait: every figure of `engine.core.insight` checked against values worked
out by hand from items built on explicit clocks — a weekend and Pakistan Day (Monday
23 March 2026) in between, a return, a reminder and an escalation — and the same figures
again after the events are replayed into a fresh database.

Pakistan Standard Time is UTC+5 all year; the moments below are UTC. Deadlines are five
working days on the party's calendar (Saturday and Sunday off, national holidays).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from engine.core import deadlines, insight, insight_terms
from engine.core.access import reader_of
from engine.core.items import act, draft
from engine.core.registry import registry
from engine.store import AuditEvent, Item, Officer, Version, make_engine, open_database
from tests.conftest import Databases, Manzoori
from tests.forms import form_for

WP = "work_plan"
H = 1 / 24
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 6, 6, 0)  # Monday 6 April, 11:00 in Lahore


def at(day: int, hour: int = 5, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0)


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def build(manzoori: Manzoori) -> dict[str, str]:
    """Four work plans of March 2026 (see the module's doc); their references by letter."""
    parties = registry()
    drafter = manzoori.officer_for("punjab", WP, "drafter")
    member = manzoori.officer_for("punjab", WP, "reviewer")
    convener = manzoori.officer_for("punjab", WP, "approver")
    sindh = {role: manzoori.officer_for("sindh", WP, role) for role in ("drafter", "reviewer", "approver")}
    references: dict[str, str] = {}
    with session_on(manzoori.url) as session:
        def punjab(title: str, when: datetime) -> str:
            return draft(session, parties, kind=WP, parties=["punjab"], title=title,
                         form=form_for("punjab", WP), officer=drafter, now=when).reference

        def do(reference: str, action: str, officer: str, when: datetime, **extra: Any) -> None:
            act(session, parties, reference=reference, action=action, officer=officer, now=when, **extra)

        # A: returned once, reminded and escalated, approved after the weekend and Pakistan Day.
        a = references["A"] = punjab("WPC Action Plan 2026", at(2, 4))
        do(a, "submit", drafter, at(2))                        # review due Mon 9 March
        do(a, "return", member, at(4), comment="Add the lead of each activity")
        do(a, "submit", drafter, at(5))                        # review due Thu 12 March
        assert deadlines.sweep(session, parties, at(11, 6))[0].kind == "remind"
        assert deadlines.sweep(session, parties, at(12, 6))[0].kind == "escalate"
        do(a, "clear", convener, at(13))                       # escalated: 1 day late
        do(a, "approve", convener, at(24))                     # due Fri 20: 4 days, 1 working day late
        do(a, "sign", convener, at(25), passphrase=manzoori.passphrase)
        # D: Sindh's, rejected at approval.
        d = references["D"] = draft(session, parties, kind=WP, parties=["sindh"], title="Sindh work plan 2026",
                                    form=form_for("sindh", WP), officer=sindh["drafter"], now=at(3, 4)).reference
        do(d, "submit", sindh["drafter"], at(3))
        do(d, "clear", sindh["reviewer"], at(5))
        do(d, "reject", sindh["approver"], at(6), comment="Not costed")
        # B: withdrawn the day after submission (its review was due Wed 25: Pakistan Day skipped).
        b = references["B"] = punjab("Caucus outreach plan", at(16))
        do(b, "submit", drafter, at(17))
        do(b, "withdraw", drafter, at(18), comment="Superseded")
        # C: still in review on 6 April, due Thu 2 April.
        c = references["C"] = punjab("Caucus oversight plan", at(26, 4))
        do(c, "submit", drafter, at(26))
    return references


def figures(url: str, reader: str | None = None, **filters: Any) -> insight_terms.Figures:
    parties = registry()
    with session_on(url) as session:
        chosen = insight_terms.checked_filters(session, parties, *MARCH, **filters)
        who = reader_of(session, parties, reader, NOW.date()) if reader else None
        return insight.figures(session, parties, chosen, NOW, who)


def spread(found: insight_terms.Spread) -> tuple[Any, ...]:
    return (found.count, *(None if v is None else round(v, 4) for v in (found.median, found.p90, found.max)))


def test_every_figure_matches_the_hand_computed_one(manzoori: Manzoori) -> None:
    refs = build(manzoori)
    # The deadlines the figures judge against, on Punjab's calendar.
    due = dict(manzoori.query("SELECT i.reference || '/' || s.name || '/' || s.cycle, s.due_at FROM steps s "
                              "JOIN items i ON i.id = s.item_id WHERE s.name = 'review'"))
    assert str(due[f"{refs['A']}/review/2"]).startswith("2026-03-12 05:00")
    assert str(due[f"{refs['B']}/review/1"]).startswith("2026-03-25 05:00")  # 23 March skipped

    found = figures(manzoori.url)
    assert found.started == 4
    assert found.ended == {"in_force": 1, "adopted": 0, "executed": 0, "rejected": 1, "withdrawn": 1}
    # Submission to end: B 1 day, D 3 days, A 23 days (nearest rank: 2nd and 3rd of 3).
    assert spread(found.submission_to_end) == (3, 3.0, 23.0, 23.0)
    assert found.cycles == {1: 2, 2: 1}
    assert [(r.party, r.step, r.returns) for r in found.returns] == [("punjab", "review", 1)]
    waits = {(w.party, w.step, w.office): (spread(w.spread), w.overdue) for w in found.waits}
    assert waits == {
        ("punjab", "draft", "pdu-director"): ((4, round(H, 4), 1.0, 1.0), 0),      # 1 h, 1 h, 1 d, 1 d
        ("punjab", "review", "wpc-member"): ((3, 2.0, 8.0, 8.0), 1),               # 2 d, 8 d, 1 d
        ("punjab", "approval", "wpc-convener"): ((1, 11.0, 11.0, 11.0), 1),
        ("punjab", "signature", "wpc-convener"): ((1, 1.0, 1.0, 1.0), 0),
        ("sindh", "draft", "wdd-secretary"): ((1, round(H, 4), round(H, 4), round(H, 4)), 0),
        ("sindh", "review", "scsw-chair"): ((1, 2.0, 2.0, 2.0), 0),
        ("sindh", "approval", "wdd-minister"): ((1, 1.0, 1.0, 1.0), 0),
    }
    assert (found.steps_closed, found.steps_overdue) == (12, 2)
    assert [(q.quarter, q.closed, q.overdue) for q in found.quarters] == [("2026-Q1", 12, 2)]
    late = [(x.reference, x.step, round(x.days_late, 4), x.working_days_late, x.closed_at is None)
            for x in found.longest_late]
    assert late == [(refs["C"], "review", round(4 + H, 4), 2, True),     # Fri 3, Mon 6 April
                    (refs["A"], "approval", 4.0, 1, False),              # Sat, Sun, Pakistan Day, Tue
                    (refs["A"], "review", 1.0, 1, False)]
    assert [(n.party, n.reminders, n.escalations) for n in found.notices] == [("punjab", 1, 1)]
    [waiting] = found.open_steps
    assert (waiting.party, waiting.step, waiting.office, waiting.count, round(waiting.oldest, 4),
            waiting.overdue) == ("punjab", "review", "wpc-member", 1, round(11 + H, 4), 1)
    assert waiting.buckets == {"0-5": 0, "5-10": 0, "10-30": 1, "30+": 0}

    # Filters: a party, an office, a step, the flow and definition versions.
    sindh = figures(manzoori.url, party="sindh")
    assert (sindh.started, sindh.ended["rejected"], sindh.ended["in_force"]) == (1, 1, 0)
    assert spread(sindh.submission_to_end) == (1, 3.0, 3.0, 3.0)
    assert figures(manzoori.url, office="wpc-convener").steps_closed == 2
    assert [w.spread.count for w in figures(manzoori.url, step="review").waits] == [3, 1]
    assert figures(manzoori.url, flow=2).started == 0
    assert figures(manzoori.url, definition=1, kind="work_plan").started == 4
    assert figures(manzoori.url, definition=2).started == 0


def test_an_officer_sees_figures_only_over_the_items_they_may_read(manzoori: Manzoori) -> None:
    build(manzoori)
    sindh = figures(manzoori.url, reader=manzoori.officer_for("sindh", WP, "reviewer"))
    assert (sindh.started, sum(sindh.ended.values()), sindh.steps_closed) == (1, 1, 3)
    assert sindh.open_steps == [] and sindh.notices == []
    punjab = figures(manzoori.url, reader=manzoori.officer_for("punjab", WP, "reviewer"))
    assert (punjab.started, punjab.ended["rejected"], punjab.steps_closed) == (3, 0, 9)


def replay_into(manzoori: Manzoori, target: str) -> None:
    """Take every event of the test's database again, in order and at its moment, through
    the service layer on a fresh database: drafts with their version's form, actions by
    the same officers, the deadline sweeps at the moments they ran."""
    parties = registry()
    with session_on(manzoori.url) as source:
        events = source.execute(
            select(AuditEvent, Item.reference, Officer.username).join(Item, Item.id == AuditEvent.item_id)
            .outerjoin(Officer, Officer.id == AuditEvent.officer_id).order_by(AuditEvent.global_seq)).all()
        forms = {(reference, number): (title, form) for reference, number, title, form in source.execute(
            select(Item.reference, Version.number, Version.title, Version.form).join(Item))}
        drafted = {item.reference: (item.kind, item.party_codes) for item in source.scalars(select(Item))}
        history = [(event.action, event.at, event.comment, event.version, event.payload, reference, officer)
                   for event, reference, officer in events]
    factory = open_database(target)
    try:
        with factory() as session:
            for action, moment, comment, version, payload, reference, officer in history:
                if action == "draft":
                    title, form = forms[(reference, 1)]
                    kind, codes = drafted[reference]
                    made = draft(session, parties, kind=kind, parties=codes, title=title, form=form, officer=officer, now=moment)
                    assert made.reference == reference
                elif action in ("remind", "escalate"):
                    deadlines.sweep(session, parties, moment)
                elif officer is not None:
                    extra: dict[str, Any] = {"comment": comment}
                    if action == "sign":
                        extra["passphrase"] = manzoori.passphrase
                    act(session, parties, reference=reference, action=action, officer=officer, now=moment,
                        **extra)
    finally:
        factory.kw["bind"].dispose()


def test_the_figures_do_not_change_when_the_events_are_replayed_into_a_fresh_database(
        manzoori: Manzoori, databases: Databases, tmp_path: Path) -> None:
    build(manzoori)
    target = databases.copy(tmp_path / "fresh")  # the same directory, no items
    try:
        replay_into(manzoori, target)
        before, after = figures(manzoori.url).to_json(), figures(target).to_json()
    finally:
        databases.drop(target)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert before["started"] == 4 and before["steps_overdue"] == 2


def test_the_command_line_gives_the_figures_as_a_table_json_and_csv_in_both_languages(
        manzoori: Manzoori) -> None:
    refs = build(manzoori)
    period = ("insight", "--from", "2026-03-01", "--to", "2026-03-31", "--now", NOW.isoformat())
    data = json.loads(manzoori(*period, "--json").stdout)
    assert (data["started"], data["steps_overdue"], data["ended"]["withdrawn"]) == (4, 2, 1)
    assert data["longest_late"][0]["reference"] == refs["C"]
    punjab = json.loads(manzoori(*period, "--party", "punjab", "--kind", "work-plan", "--json").stdout)
    assert punjab["started"] == 3
    table = manzoori(*period).stdout
    assert "Where approvals wait, 2026-03-01 to 2026-03-31: 4 items started" in table
    assert refs["C"] in table
    # at a pipe's 80 columns no party, step, office or reference is cut (`punjab.wpc-…`)
    from typer.testing import CliRunner

    from engine.cli import app

    narrow = CliRunner().invoke(app, list(period), env={"MANZOORI_HOME": str(manzoori.home), "COLUMNS": "80"},
                                catch_exceptions=False).stdout
    assert refs["C"] in narrow and "…" not in narrow, narrow
    english = manzoori(*period, "--csv").stdout.splitlines()
    assert english[0] == "figure,party,step,office,,value" and "items started,,,,,4" in english
    urdu = manzoori(*period, "--csv", "--lang", "ur").stdout
    assert "شروع ہونے والی دستاویزات,,,,,4" in urdu
    # What an officer of Sindh may read: Sindh's plan only.
    sindh = json.loads(manzoori(*period, "--json", "--as", manzoori.officer_for("sindh", WP, "reviewer")).stdout)
    assert sindh["started"] == 1


def test_bad_filters_are_refused_saying_what_was_wrong(manzoori: Manzoori) -> None:
    period = ("insight", "--from", "2026-03-01", "--to", "2026-03-31")
    cases = [
        (("insight", "--from", "2026-02-30", "--to", "2026-03-31"), 5, "--from '2026-02-30' is not a date"),
        (("insight", "--from", "2026-03-31", "--to", "2026-03-01"), 5, "the period ends (2026-03-01) before it starts"),
        ((*period, "--party", "gilgit"), 4, "no party 'gilgit' is installed"),
        ((*period, "--kind", "memo"), 4, "no item kind 'memo'"),
        ((*period, "--party", "sindh", "--office", "wpc-member"), 4, "no office 'wpc-member' of sindh"),
        ((*period, "--step", "coffee"), 4, "no step 'coffee'"),
        ((*period, "--json", "--csv"), 5, "give --json or --csv, not both"),
    ]
    for arguments, code, message in cases:
        result = manzoori(*arguments, expect=None)
        assert (result.exit_code, message in result.stderr) == (code, True), result.output
        assert "Traceback" not in result.output


def test_the_web_page_shows_an_officer_the_figures_and_charts_of_what_they_may_read(
        manzoori: Manzoori) -> None:
    from engine.core.accounts import set_password
    from engine.store import session_scope
    from engine.web import create_app
    from tests.test_web import PASSWORD, login

    refs = build(manzoori)
    with session_scope(manzoori.url) as session:
        set_password(session, "punjab.wpc-member.1", PASSWORD)
        session.commit()
    period = "from=2026-03-01&to=2026-03-31"
    with TestClient(create_app(manzoori.url, secret_key="test-secret")) as client:
        login(client, "punjab.wpc-member.1")
        page = client.get(f"/insight?{period}")
        assert page.status_code == 200, page.text[:500]
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        assert "<script>" not in page.text and page.text.count("<svg") == 3
        assert '<td class="started">3</td>' in page.text  # Sindh's plan is not hers to read
        assert refs["D"] not in page.text and refs["C"] in page.text
        urdu = client.get("/lang/ur?next=/insight").text
        assert "منظوریاں کہاں رکتی ہیں" in urdu and 'dir="rtl"' in urdu
        csv_file = client.get(f"/insight.csv?{period}")
        assert csv_file.headers["content-type"].startswith("text/csv")
        assert "شروع ہونے والی دستاویزات,,,,,3" in csv_file.text
        svg = client.get(f"/insight/charts/waits.svg?{period}")
        assert svg.headers["content-type"] == "image/svg+xml" and "punjab · review · wpc-member" in svg.text
        bad = client.get("/insight?from=2026-13-01")
        assert bad.status_code == 422 and "from &#39;2026-13-01&#39; is not a date" in bad.text
        assert client.get(f"/insight?{period}&party=gilgit").status_code == 404
        assert client.get("/insight/charts/pie.svg").status_code == 404


@pytest.mark.slow
@pytest.mark.prefect
def test_the_quarterly_follow_up_run_leaves_the_figures_as_an_artifact_and_papers(
        manzoori: Manzoori, databases: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a real (temporary) Prefect server: the quarterly run writes the figures of the
    quarter as the artifact `where-approvals-wait`, and the papers in both languages."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.testing.utilities import prefect_test_harness

    from workflows.followup import quarterly_follow_up

    refs = build(manzoori)
    monkeypatch.setenv("MANZOORI_HOME", str(manzoori.home))
    for name, value in databases.environment(manzoori.url).items():
        monkeypatch.setenv(name, value)
    with prefect_test_harness(server_startup_timeout=120):
        quarterly_follow_up(quarter="2026-Q1", now=NOW.isoformat())
        with get_client(sync_client=True) as client:
            [artifact] = client.read_latest_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["where-approvals-wait"])))
    assert "# Where approvals wait, 2026-01-01 to 2026-03-31" in artifact.data
    assert "steps closed late: 2 of 12" in artifact.data
    assert "| punjab | approval | wpc-convener | 1 | 11.00 | 11.00 | 11.00 | 1 |" in artifact.data
    papers = manzoori.home / "reports" / "2026-Q1-insight"
    assert "items started,,,,,4" in (papers / "figures-en.csv").read_text(encoding="utf-8-sig")
    assert sorted(p.name for p in papers.glob("*-ur.*")) == sorted(["figures-ur.csv", *(
        f"{name}-ur.{ext}" for name in ("ageing", "overdue", "waits") for ext in ("png", "svg"))])
    assert refs["C"] in artifact.data  # waited on at the run's moment


@pytest.mark.slow
def test_the_charts_export_as_svg_and_png_for_the_meetings_papers(manzoori: Manzoori, tmp_path: Path) -> None:
    """Six PNGs drawn by matplotlib take seconds: in the slow step."""
    build(manzoori)
    period = ("insight", "--from", "2026-03-01", "--to", "2026-03-31", "--now", NOW.isoformat())
    for lang in ("en", "ur"):
        manzoori(*period, "--lang", lang, "--charts", str(tmp_path / "papers"))
        for name in ("waits", "overdue", "ageing"):
            svg = (tmp_path / "papers" / f"{name}-{lang}.svg").read_text(encoding="utf-8")
            assert svg.startswith("<svg") and "<script" not in svg
            assert (tmp_path / "papers" / f"{name}-{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "مقررہ تاریخ کے بعد" in (tmp_path / "papers" / "overdue-ur.svg").read_text(encoding="utf-8")
    assert "14% (2/12)" not in (tmp_path / "papers" / "overdue-en.svg").read_text(encoding="utf-8")
    assert "17% (2/12)" in (tmp_path / "papers" / "overdue-en.svg").read_text(encoding="utf-8")
