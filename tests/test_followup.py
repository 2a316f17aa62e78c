"""Follow-up: an adopted joint resolution becomes the next quarter's plan, each party
reports its progress with its own clearance, and the secretariat sees the quarter."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from engine.core.followup import next_quarter, quarter_end
from tests.browsing import OUTPUT
from tests.conftest import stored_json
from tests.forms import form_for

PARTIES = ["ncsw", "punjab", "sindh", "kp", "balochistan", "mohr"]
APPROVERS = {"ncsw": "ncsw.chairperson", "punjab": "punjab.wdd-minister",
             "sindh": "sindh.wdd-minister", "balochistan": "balochistan.wdd-minister",
             "mohr": "mohr.secretary"}


def adopt_resolution(manzoori) -> str:
    reference = manzoori.draft("joint_resolution", ",".join(PARTIES), "IPMG joint resolutions",
                               form_for("ncsw", "joint_resolution", PARTIES), "ncsw.secretary")
    manzoori.act(reference, "submit", "ncsw.secretary")
    for party in PARTIES[1:]:  # the others give feedback on the NCSW's draft
        officer = manzoori.officer_for(party, "joint_resolution", "reviewer", exclude="ncsw.secretary")
        manzoori.act(reference, "feedback", officer, "--comment", f"{party} agrees")
    manzoori.act(reference, "submit", "ncsw.secretary")
    for party in PARTIES:
        manzoori.act(reference, "approve", APPROVERS.get(party) or
                     manzoori.officer_for(party, "joint_resolution", "approver"))
    for party in PARTIES:
        manzoori.act(reference, "sign", manzoori.officer_for(party, "joint_resolution", "signatory"))
    assert manzoori.state(reference) == "adopted"
    return reference


@pytest.fixture
def adopted(manzoori):
    reference = adopt_resolution(manzoori)
    signed = manzoori.query("SELECT max(at) FROM events e JOIN items i ON i.id = e.item_id "
                            "WHERE i.reference = :r AND e.action = 'sign'", r=reference)[0][0]
    quarter = next_quarter(datetime.fromisoformat(str(signed)).date())
    return reference, quarter


def action_id(manzoori, quarter: str, party: str, point: int) -> int:
    return manzoori.query("SELECT id FROM plan_actions WHERE quarter = :q AND party = :p "
                          "AND point_index = :i", q=quarter, p=party, i=point)[0][0]


def reporter(manzoori, party: str) -> str:
    return manzoori.officer_for(party, "joint_resolution", "reviewer", exclude="ncsw.secretary")


def clearer(manzoori, party: str) -> str:
    return manzoori.officer_for(party, "joint_resolution", "approver")


def test_quarters_follow_the_calendar() -> None:
    assert next_quarter(date(2015, 11, 26)) == "2016-Q1"
    assert next_quarter(date(2016, 3, 31)) == "2016-Q2"
    assert quarter_end("2016-Q1") == date(2016, 3, 31)
    assert quarter_end("2016-Q2") == date(2016, 6, 30)
    assert quarter_end("2016-Q4") == date(2016, 12, 31)


def test_adopted_resolution_becomes_the_next_quarters_plan_per_party(manzoori, adopted) -> None:
    reference, quarter = adopted
    rows = manzoori.query("SELECT point_index, party, quarter, due_on, priority_area FROM plan_actions "
                          "ORDER BY point_index, party")
    points = form_for("ncsw", "joint_resolution", PARTIES)["points"]
    expected = sorted((index, party) for index, point in enumerate(points)
                      for party in (point["parties"] or PARTIES))
    assert [(row[0], row[1]) for row in rows] == expected
    assert {row[2] for row in rows} == {quarter}
    assert {str(row[3]) for row in rows} == {quarter_end(quarter).isoformat()}
    assert manzoori.actions(reference)[-2:] == ["sign", "planned"]
    payload = manzoori.query("SELECT payload FROM events WHERE action = 'planned'")[0][0]
    payload = stored_json(payload)
    assert payload["quarter"] == quarter and payload["actions"] == len(expected)
    listed = manzoori("plan", quarter).stdout
    assert reference in listed and "Women's machineries" in listed
    assert "No actions are planned" in manzoori("plan", "1999-Q1").stdout


def test_quarter_report_counts_only_cleared_reports_and_lists_the_overdue(manzoori, adopted,
                                                                           tmp_path: Path) -> None:
    _reference, quarter = adopted
    due = quarter_end(quarter)
    during = f"{due - timedelta(days=20)}T10:00"
    evidence = tmp_path / "notification.pdf"
    evidence.write_bytes(b"%PDF-1.4 WDD notification [sample]")

    done = action_id(manzoori, quarter, "punjab", 1)
    manzoori("progress", str(done), "--status", "done", "--note", "Department notified",
             "--evidence", str(evidence), "--as", reporter(manzoori, "punjab"), "--now", during)
    manzoori("progress-clear", str(done), "--as", clearer(manzoori, "punjab"), "--now", during)
    blocked = action_id(manzoori, quarter, "sindh", 1)
    manzoori("progress", str(blocked), "--status", "blocked", "--reason", "Awaiting cabinet approval",
             "--as", reporter(manzoori, "sindh"), "--now", during)
    manzoori("progress-clear", str(blocked), "--as", clearer(manzoori, "sindh"), "--now", during)
    started = action_id(manzoori, quarter, "kp", 0)
    manzoori("progress", str(started), "--status", "in_progress",
             "--as", reporter(manzoori, "kp"), "--now", during)
    manzoori("progress-clear", str(started), "--as", clearer(manzoori, "kp"), "--now", during)
    # Drafted but never cleared: it does not count.
    drafted = action_id(manzoori, quarter, "mohr", 0)
    manzoori("progress", str(drafted), "--status", "done", "--as", reporter(manzoori, "mohr"),
             "--now", during)

    stored = manzoori.query("SELECT evidence, state FROM progress_reports WHERE action_id = :a", a=done)
    [evidence_row] = stored_json(stored[0][0])
    assert evidence_row["name"] == "notification.pdf" and stored[0][1] == "cleared"
    import hashlib
    assert evidence_row["sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()

    after = f"{due + timedelta(days=2)}T09:00"
    chart = OUTPUT / "followup-chart.png"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    html_path = tmp_path / "report.html"
    manzoori("report", quarter, "--format", "html", "-o", str(html_path), "--chart", str(chart),
             "--now", after)
    table = manzoori("report", quarter, "--now", after).stdout
    assert "Overdue" in table

    from engine.store import session_scope
    from engine.core.followup import quarter_report

    with session_scope(manzoori.url) as session:
        report = quarter_report(session, quarter, datetime.fromisoformat(after), None)
    # The figures are the stored cleared reports, and every action without one is unreported.
    cleared = manzoori.query("SELECT a.party, r.status, count(*) FROM progress_reports r "
                             "JOIN plan_actions a ON a.id = r.action_id WHERE r.state = 'cleared' "
                             "GROUP BY a.party, r.status")
    actions = dict(manzoori.query("SELECT party, count(*) FROM plan_actions GROUP BY party"))
    for party, count in actions.items():
        row = report.by_party[party]
        reported = {status: n for p, status, n in cleared if p == party}
        assert {k: v for k, v in row.items() if k != "unreported" and v} == reported
        assert row["unreported"] == count - sum(reported.values())
    assert report.by_party["mohr"]["done"] == 0  # its report is only drafted
    assert report.by_area["Women's machineries"] == {
        "not_started": 0, "in_progress": 0, "done": 1, "blocked": 1, "unreported": 0}
    assert {(row["party"], row["action"]) for row in report.overdue} == {
        (party, action) for action, party in manzoori.query(
            "SELECT a.id, a.party FROM plan_actions a WHERE NOT EXISTS (SELECT 1 FROM progress_reports r "
            "WHERE r.action_id = a.id AND r.state = 'cleared')")}
    assert drafted in {row["action"] for row in report.overdue}
    # One bar group per party, one bar per status.
    assert report.parties == sorted(PARTIES)
    assert report.columns == ["not_started", "in_progress", "done", "blocked", "unreported"]
    png = chart.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    html = html_path.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Awaiting cabinet approval" not in html
    assert "Women&#39;s machineries" in html
    # Before the due date nothing is overdue yet.
    with session_scope(manzoori.url) as session:
        assert quarter_report(session, quarter, datetime.fromisoformat(during), None).overdue == []


def test_bad_progress_reports_are_refused_and_change_nothing(manzoori, adopted) -> None:
    _reference, quarter = adopted
    during = f"{quarter_end(quarter) - timedelta(days=20)}T10:00"
    punjab = action_id(manzoori, quarter, "punjab", 0)
    before = manzoori.snapshot()
    cases = [
        (("progress", "99999", "--status", "done", "--as", "punjab.wdd-secretary"), 4, "no plan action"),
        (("progress", str(punjab), "--status", "done", "--as", "sindh.wdd-secretary"), 3, "needs"),
        (("progress", str(punjab), "--status", "done", "--as", "punjab.wdd-minister"), 3, "cannot report"),
        (("progress", str(punjab), "--status", "blocked", "--as", "punjab.wdd-secretary"), 5, "needs a reason"),
        (("progress", str(punjab), "--status", "finished", "--as", "punjab.wdd-secretary"), 5, "no status"),
        (("progress-clear", str(punjab), "--as", "punjab.wdd-minister"), 4, "drafted no report"),
        (("plan", "2016-Q5"), 5, "not a quarter"),
    ]
    for args, code, message in cases:
        result = manzoori(*args, "--now", during, expect=code) if args[0] != "plan" else \
            manzoori(*args, expect=code)
        assert message in result.stderr, result.stderr
    assert manzoori.snapshot() == before

    manzoori("progress", str(punjab), "--status", "in_progress", "--as", "punjab.wdd-secretary",
             "--now", during)
    drafted = manzoori.snapshot()
    refused = manzoori("progress-clear", str(punjab), "--as", "punjab.wdd-secretary", "--now", during,
                       expect=3)
    assert "cannot clear" in refused.stderr
    assert manzoori.snapshot() == drafted
    manzoori("progress-clear", str(punjab), "--as", "punjab.wdd-minister", "--now", during)
    cleared = manzoori.snapshot()
    again = manzoori("progress", str(punjab), "--status", "done", "--as", "punjab.wdd-secretary",
                     "--now", during, expect=3)
    assert "is cleared" in again.stderr
    assert manzoori.snapshot() == cleared


def test_follow_up_reminds_each_party_owing_reports_once(manzoori, adopted) -> None:
    from engine.core.followup import quarter_report, remind
    from engine.core.followup import previous_quarter
    from engine.store import session_scope
    from workflows.followup import markdown_summary

    reference, quarter = adopted
    during = f"{quarter_end(quarter) - timedelta(days=20)}T10:00"
    punjab = [action_id(manzoori, quarter, "punjab", i) for i in (0, 1)]
    for action in punjab:
        manzoori("progress", str(action), "--status", "done", "--as", "punjab.wdd-secretary",
                 "--now", during)
        manzoori("progress-clear", str(action), "--as", "punjab.wdd-minister", "--now", during)
    after = datetime.fromisoformat(f"{quarter_end(quarter) + timedelta(days=1)}T06:00")
    assert previous_quarter(after.date()) == quarter
    url = manzoori.url
    with session_scope(url) as session:
        sent = remind(session, quarter, after)
        assert remind(session, quarter, after) == []  # once per quarter and party
        markdown = markdown_summary(quarter_report(session, quarter, after, None))
    assert {party for _, party, _ in sent} == set(PARTIES) - {"punjab"}
    reminded = manzoori.query("SELECT e.party FROM events e JOIN items i ON i.id = e.item_id "
                              "WHERE i.reference = :r AND e.action = 'follow-up reminder'", r=reference)
    assert sorted(row[0] for row in reminded) == sorted(set(PARTIES) - {"punjab"})
    assert f"# Follow-up {quarter}" in markdown and "| punjab | 0 | 0 | 2 | 0 | 0 |" in markdown


def test_a_party_that_maps_reporting_roles_reports_through_them(manzoori, adopted) -> None:
    _reference, quarter = adopted
    during = f"{quarter_end(quarter) - timedelta(days=20)}T10:00"
    ncsw = action_id(manzoori, quarter, "ncsw", 0)
    # NCSW maps reporter (its secretary) and report_clearer (its chairperson): the
    # chairperson, its reviewer, does not draft its reports.
    refused = manzoori("progress", str(ncsw), "--status", "done", "--as", "ncsw.chairperson",
                       "--now", during, expect=3)
    assert "Secretary, National Commission" in refused.stderr
    manzoori("progress", str(ncsw), "--status", "done", "--as", "ncsw.secretary", "--now", during)
    manzoori("progress-clear", str(ncsw), "--as", "ncsw.chairperson", "--now", during)
    assert manzoori.query("SELECT state FROM progress_reports WHERE action_id = :a", a=ncsw) == [("cleared",)]


def test_the_reporter_cannot_clear_their_own_report(manzoori, adopted) -> None:
    _reference, quarter = adopted
    during = f"{quarter_end(quarter) - timedelta(days=20)}T10:00"
    punjab = action_id(manzoori, quarter, "punjab", 0)
    # An acting minister who is also the department's secretary: both offices, one person.
    name = manzoori.query("SELECT name FROM officers WHERE username = 'punjab.wdd-secretary'")[0][0]
    manzoori("officers", "add", "punjab.wdd-secretary", "--name", name,
             "--party", "punjab", "--office", "wdd-minister", "--sample")
    manzoori("progress", str(punjab), "--status", "done", "--as", "punjab.wdd-secretary",
             "--now", during)
    before = manzoori.snapshot()
    refused = manzoori("progress-clear", str(punjab), "--as", "punjab.wdd-secretary", "--now", during,
                       expect=3)
    assert "maker and checker must differ" in refused.stderr
    assert manzoori.snapshot() == before
    manzoori("progress-clear", str(punjab), "--as", "punjab.wdd-minister", "--now", during)


def test_parties_report_and_clear_through_the_web_and_the_api(manzoori, adopted) -> None:
    """The same follow-up, as officers meet it: the plan page, its forms, the API."""
    import re

    from fastapi.testclient import TestClient

    from engine.core.accounts import issue_token, set_password
    from engine.store import session_scope
    from engine.web import create_app

    _reference, quarter = adopted
    url = manzoori.url
    writer, checker = reporter(manzoori, "punjab"), clearer(manzoori, "punjab")
    with session_scope(url) as session:
        for username in (writer, checker):
            set_password(session, username, "sample-password-1")
        token = issue_token(session, checker, "test", datetime.now())
        session.commit()
    first = action_id(manzoori, quarter, "punjab", 0)
    with TestClient(create_app(url, secret_key="test-secret")) as client:
        login_page = client.get("/login").text
        page = client.post("/login", data={"username": writer, "password": "sample-password-1",
                                           "csrf": re.search(r'name="csrf" value="([^"]+)"', login_page)[1]})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
        page = client.get(f"/plan/{quarter}")
        assert f'action="/plan/actions/{first}/progress"' in page.text
        assert f'action="/plan/actions/{first}/clear"' not in page.text  # the writer may not clear
        answer = client.post(f"/plan/actions/{first}/progress",
                             data={"csrf": csrf, "status": "blocked", "reason": ""})
        assert answer.status_code == 422 and "needs a reason" in answer.text
        client.post(f"/plan/actions/{first}/progress",
                    data={"csrf": csrf, "status": "blocked", "reason": "Awaiting the provincial budget"})
        stored = manzoori.query("SELECT status, state, reason FROM progress_reports WHERE action_id = :a",
                                a=first)
        assert stored == [("blocked", "draft", "Awaiting the provincial budget")]

        headers = {"Authorization": f"Bearer {token}"}
        plan = client.get(f"/api/plan/{quarter}", headers=headers).json()
        mine = next(row for row in plan if row["id"] == first)
        assert mine["report"]["state"] == "draft" and mine["party"] == "punjab"
        assert client.post(f"/api/plan/actions/{first}/clear", headers=headers).status_code == 200
        assert client.post(f"/api/plan/actions/{first}/clear", headers=headers).status_code == 403
        report = client.get(f"/api/report/{quarter}", headers=headers).json()
        assert report["by_party"]["punjab"]["blocked"] == 1
        assert client.get("/api/report/2016-Q5", headers=headers).status_code == 422
        html = client.get(f"/report/{quarter}").text
        assert "punjab" in html and "data:image/png;base64," in html


def test_a_work_plan_in_force_is_followed_up_by_its_own_caucus(manzoori) -> None:
    """Balochistan's work plan: its activities land in their quarters' plans; the caucus's
    secretariat (the drafter) reports and a member (the reviewing office) clears."""
    data = form_for("balochistan", "work_plan")
    reference = manzoori.draft("work_plan", "balochistan", "PWL work plan in force", data,
                               "balochistan.assembly-secretary")
    manzoori.act(reference, "submit", "balochistan.assembly-secretary")
    manzoori.act(reference, "clear", "balochistan.wpc-member.1")
    if manzoori.state(reference) == "finance_review":
        manzoori.act(reference, "clear", "balochistan.finance-secretary")
    for number in (2, 3, 4):
        manzoori.act(reference, "approve", f"balochistan.wpc-member.{number}")
    manzoori.act(reference, "sign", "balochistan.deputy-speaker")
    rows = manzoori.query("SELECT a.id, a.quarter, a.text FROM plan_actions a JOIN items i ON i.id = a.item_id "
                          "WHERE i.reference = :r ORDER BY a.point_index", r=reference)
    signed = datetime.fromisoformat(str(manzoori.query(
        "SELECT max(at) FROM events e JOIN items i ON i.id = e.item_id WHERE i.reference = :r", r=reference)[0][0]))
    expected = [activity["quarter"] if quarter_end(activity["quarter"]) >= signed.date()
                else next_quarter(signed.date()) for activity in data["activities"]]
    assert [(quarter, text) for _, quarter, text in rows] == [
        (quarter, activity["activity"]) for quarter, activity in zip(expected, data["activities"], strict=True)]
    first = rows[0][0]
    manzoori("progress", str(first), "--status", "in_progress", "--as", "balochistan.assembly-secretary")
    refused = manzoori("progress-clear", str(first), "--as", "balochistan.deputy-speaker", expect=3)
    assert "cannot clear" in refused.stderr
    manzoori("progress-clear", str(first), "--as", "balochistan.wpc-member.1")
    assert manzoori.query("SELECT status, state FROM progress_reports WHERE action_id = :a", a=first) == [
        ("in_progress", "cleared")]
