"""Need-to-know (issue 13, part 4): an officer reads the items of the parties whose
offices they hold or held during the item's life, and the kinds an office of theirs
audits; nothing else, through any interface.

One world of generated officers and items of several parties, and for every pair
(officer, item) every read: the API, the web pages, the rendered document, the command
line with `--as`, the lists, the inbox and its count, the follow-up plan and report
(page, API and HTML export). A forbidden read answers exactly what an item that does not
exist answers (404 on the API and the web, the same body); the command line says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.contract import ItemKind, Office, RoleRule
from engine.core import access, items
from engine.core.accounts import issue_token, set_password
from engine.core.credentials import issue_code, token_digest
from engine.core.directory import add_officer
from engine.core.followup import missing_action
from engine.core.registry import Registry, registry
from engine.errors import NotFound, missing_item
from engine.store import EmailLink, Item, Officer, StepRecord, session_scope
from engine.web import create_app
from plugins import ncsw
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.provinces import Install, TestProvince, hookimpl

PASSWORD = "sample-password-1"
TODAY = utcnow().date()
LONG_AGO = TODAY - timedelta(days=3650)
CREATED = TODAY - timedelta(days=60)  # the withdrawn items' life: created ...
WITHDRAWN = TODAY - timedelta(days=55)  # ... and withdrawn
NOWHERE = "PJ-WP-1999-9999"  # an item that does not exist


class Commission(TestProvince):
    """A commission whose chair audits inter-provincial agreements (`Office.audits`), as
    the NCSW's secretary audits joint resolutions; its members do not."""

    @hookimpl
    def offices(self) -> list[Office]:
        return [Office(code="chair", title_en="Chairperson, Test Commission", title_ur="چیئرپرسن",
                       audits=(ItemKind.AGREEMENT,)),
                Office(code="member", title_en="Member, Test Commission", title_ur="رکن", seats=3)]

    @hookimpl
    def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
        return None


@dataclass(frozen=True)
class Generated:
    username: str
    party: str
    office: str
    since: date
    until: date | None = None


# Who is generated, and what each may read (the rule, written out pair by pair).
OFFICERS = [
    Generated("ntk.punjab.member", "punjab", "wpc-member", LONG_AGO),
    Generated("ntk.punjab.former", "punjab", "wpc-member", LONG_AGO, TODAY - timedelta(days=400)),
    Generated("ntk.punjab.coming", "punjab", "wpc-member", TODAY + timedelta(days=30)),
    Generated("ntk.balochistan.left", "balochistan", "wpc-member", LONG_AGO, CREATED + timedelta(days=2)),
    Generated("ntk.balochistan.new", "balochistan", "wpc-member", WITHDRAWN + timedelta(days=10)),
    Generated("ntk.sindh.law", "sindh", "law-secretary", LONG_AGO),
    Generated("ntk.kp.minister", "kp", "swd-minister", LONG_AGO),
    Generated("ntk.ncsw.secretary", "ncsw", "secretary", WITHDRAWN + timedelta(days=10)),
    Generated("ntk.ncsw.chair", "ncsw", "chairperson", WITHDRAWN + timedelta(days=10)),
    Generated("ntk.commission.chair", "commission", "chair", LONG_AGO),
    Generated("ntk.commission.member", "commission", "member", LONG_AGO),
]
# Items: a Punjab work plan in force (followed up in a quarter's plan), a Balochistan work
# plan withdrawn before some were appointed, a Punjab-Sindh agreement in review, an
# NCSW-KP joint resolution withdrawn before the new NCSW office holders came.
MAY_READ = {
    "ntk.punjab.member": {"plan", "agreement"},
    "ntk.punjab.former": set(),  # left before any of them was drafted
    "ntk.punjab.coming": set(),  # not in office yet
    "ntk.balochistan.left": {"withdrawn plan"},  # held the office during its life
    "ntk.balochistan.new": set(),  # came after it was withdrawn
    "ntk.sindh.law": {"agreement"},
    "ntk.kp.minister": {"withdrawn resolution"},
    "ntk.ncsw.secretary": {"withdrawn resolution"},  # came later, but audits resolutions
    "ntk.ncsw.chair": set(),  # came later and audits nothing
    "ntk.commission.chair": {"agreement"},  # audits agreements, party to none
    "ntk.commission.member": set(),
}


@dataclass
class World:
    manzoori: Manzoori
    references: dict[str, str]  # name -> reference
    registry: Registry

    @property
    def names(self) -> list[str]:
        return sorted(self.references)

    def allowed(self, officer: str) -> set[str]:
        return {self.references[name] for name in MAY_READ[officer]}


def _drive(session: Session, parties: Registry, reference: str, steps: list[tuple[str, str]],
           passphrase: str, now: datetime | None = None) -> None:
    for action, officer in steps:
        items.act(session, parties, reference=reference, action=action, officer=officer,
                  comment="No longer needed." if action == "withdraw" else None,
                  passphrase=passphrase if action == "sign" else None, now=now)


@pytest.fixture
def world(manzoori: Manzoori, install: Install) -> World:
    parties = install(commission=Commission("commission"))
    now = utcnow()
    then = datetime.combine(CREATED, now.time())
    references = {}
    with session_scope(manzoori.url) as session:
        for person in OFFICERS:
            add_officer(session, parties, username=person.username, name=f"{person.username} [sample]",
                        party=person.party, office=person.office, since=person.since,
                        until=person.until, sample=True, now=now)
        session.commit()
        for person in OFFICERS:
            set_password(session, person.username, PASSWORD)
        session.commit()

        def draft(name: str, kind: str, codes: list[str], drafter: str, when: datetime) -> str:
            outcome = items.draft(session, parties, kind=kind, parties=codes, title=f"The {name}",
                                  form=form_for(codes[0], kind, codes), officer=drafter, now=when)
            references[name] = outcome.reference
            return outcome.reference

        plan = draft("plan", "work_plan", ["punjab"], "punjab.pdu-director", now)
        _drive(session, parties, plan, [("submit", "punjab.pdu-director"), ("clear", "punjab.wpc-member.1"),
                                        ("approve", "punjab.wpc-convener"), ("sign", "punjab.wpc-convener")],
               manzoori.passphrase)
        withdrawn = draft("withdrawn plan", "work_plan", ["balochistan"], "balochistan.assembly-secretary", then)
        _drive(session, parties, withdrawn, [("submit", "balochistan.assembly-secretary")], "", then)
        _drive(session, parties, withdrawn, [("withdraw", "balochistan.assembly-secretary")], "",
               datetime.combine(WITHDRAWN, now.time()))
        agreement = draft("agreement", "agreement", ["punjab", "sindh"], "punjab.pspa-dg", now)
        _drive(session, parties, agreement, [("submit", "punjab.pspa-dg")], "")
        resolution = draft("withdrawn resolution", "joint_resolution", ["ncsw", "kp"], "ncsw.secretary", then)
        _drive(session, parties, resolution, [("submit", "ncsw.secretary")], "", then)
        _drive(session, parties, resolution, [("withdraw", "ncsw.secretary")], "",
               datetime.combine(WITHDRAWN, now.time()))
    states = {name: manzoori.state(reference) for name, reference in references.items()}
    assert states.pop("agreement") not in ("executed", "withdrawn", "rejected")
    assert states == {"plan": "in_force", "withdrawn plan": "withdrawn", "withdrawn resolution": "withdrawn"}
    return World(manzoori, references, parties)


def test_the_ncsw_secretary_is_marked_as_auditing_joint_resolutions() -> None:
    [secretary] = [office for office in ncsw.offices() if office.code == "secretary"]
    assert secretary.audits == (ItemKind.JOINT_RESOLUTION,)
    assert registry().party("ncsw").office("chairperson").audits == ()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.manzoori.url, secret_key="test secret")) as client:
        yield client


def _token(world: World, username: str) -> str:
    with session_scope(world.manzoori.url) as session:
        token = issue_token(session, username, "need-to-know", datetime.now())
        session.commit()
    return token


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = _csrf(client.get("/login").text)  # the login page's own token (no login CSRF)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/inbox",
                                         "csrf": form})
    assert answer.status_code == 200 and answer.url.path == "/inbox", answer.text[:300]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def _as_missing(text: str, reference: str) -> str:
    """An answer about `reference` as it would read about the item that does not exist."""
    return text.replace(reference, NOWHERE)


def test_the_api_and_the_web_answer_every_pair_as_need_to_know_says(world: World,
                                                                      client: TestClient) -> None:
    manzoori = world.manzoori
    every = set(world.references.values())
    before = manzoori.snapshot()
    for officer in sorted(MAY_READ):
        allowed = world.allowed(officer)
        headers = {"Authorization": f"Bearer {_token(world, officer)}"}
        missing_api = client.get(f"/api/items/{NOWHERE}", headers=headers)
        assert missing_api.status_code == 404
        _login(client, officer)
        missing_pages = {path: client.get(path.format(NOWHERE)) for path in
                         ("/items/{}", "/items/{}/document", "/items/{}/revise")}
        assert {page.status_code for page in missing_pages.values()} == {404}

        for reference in sorted(every):
            where = f"{officer} reading {reference}"
            api = client.get(f"/api/items/{reference}", headers=headers)
            if reference in allowed:
                assert api.status_code == 200 and api.json()["reference"] == reference, where
                for path in missing_pages:
                    answer = client.get(path.format(reference))
                    assert answer.status_code == 200 and reference in answer.text, f"{where}: {path}"
                continue
            # Forbidden: word for word the answer about an item that does not exist.
            assert api.status_code == 404, where
            assert api.json() == {**missing_api.json(), "message": missing_item(reference)}, where
            posted = client.post(f"/api/items/{reference}/actions", headers=headers,
                                 json={"action": "comment", "comment": "Seen."})
            assert posted.status_code == 404 and posted.json() == api.json(), where
            for path, page in missing_pages.items():
                answer = client.get(path.format(reference))
                assert answer.status_code == 404, f"{where}: {path}"
                assert _as_missing(answer.text, reference) == page.text, f"{where}: {path}"

        # The lists and the inbox hold exactly what the officer may read.
        listed = {row["reference"] for row in client.get("/api/items", headers=headers).json()}
        assert listed == allowed, officer
        inbox = client.get("/api/inbox", headers=headers)
        waiting = {row["reference"] for row in inbox.json()}
        assert waiting <= allowed and inbox.headers["X-Total-Count"] == str(len(waiting)), officer
        assert _mentioned(client.get("/inbox").text, every) <= allowed, officer
    assert manzoori.snapshot() == before, "reading (and refused comments) changed something"


def test_the_rule_asked_of_a_loaded_item_agrees_with_the_database(world: World) -> None:
    """An action or a page asks whether its officer held an office of the item during its
    life in Python, from the item it loaded (`access.held_during_life_of`), before asking
    the database the whole rule: both must give the same answer for every pair, or a
    read would be let through that the SQL refuses."""
    with session_scope(world.manzoori.url) as session:
        for officer in sorted(MAY_READ):
            person = session.scalars(select(Officer).where(Officer.username == officer)).one()
            for name, reference in world.references.items():
                item = items.get_item(session, reference)
                in_sql = session.scalar(select(Item.id).where(
                    Item.id == item.id, access.held_during_life(person, TODAY))) is not None
                assert bool(access.held_during_life_of(person, TODAY, item)) == in_sql, \
                    f"{officer} reading the {name}"
            # Whatever the Python answer, the whole rule decides: the same pairs as written out.
            reader = access.reader_of(session, world.registry, person, TODAY)
            readable = {ref for ref in world.references.values() if _reads(session, reader, ref)}
            assert readable == world.allowed(officer), officer


def _reads(session: Session, reader: access.Reader, reference: str) -> bool:
    try:
        access.require_readable(session, reader, items.get_item(session, reference))
    except NotFound:
        return False
    return True


def _command_line_pairs(world: World, officers: list[str]) -> None:
    """`show`, `render`, `items` and `inbox` with `--as`, for each officer and item."""
    manzoori = world.manzoori
    every = set(world.references.values())
    for officer in officers:
        allowed = world.allowed(officer)
        for reference in sorted(every):
            where = f"{officer} reading {reference}"
            shown = manzoori("show", reference, "--as", officer, expect=None)
            rendered = manzoori("render", reference, "--as", officer, expect=None)
            for result in (shown, rendered):
                if reference in allowed:
                    assert result.exit_code == 0 and reference in result.stdout, where
                    continue
                assert result.exit_code == NotFound.exit_code, where  # the console is told why
                assert f"{officer} may not read {reference} (need-to-know)" in result.stderr, where
                assert reference not in result.stdout, where
            if reference not in allowed:  # acting on it: as unknown, and why
                acted = manzoori.act(reference, "comment", officer, "--comment", "Seen.", expect=4)
                assert f"{officer} may not read {reference} (need-to-know)" in acted.stderr, where
        assert _mentioned(manzoori("items", "--as", officer).stdout, every) == allowed, officer
        assert _mentioned(manzoori("inbox", "--as", officer).stdout, every) <= allowed, officer


@pytest.mark.slow
def test_the_command_line_answers_every_pair_as_need_to_know_says(world: World) -> None:
    _command_line_pairs(world, sorted(MAY_READ))


def _mentioned(text: str, references: set[str]) -> set[str]:
    return {reference for reference in references if reference in text}


def test_the_command_line_plan_and_report_answer_as_need_to_know_says(world: World,
                                                                       client: TestClient,
                                                                       tmp_path: Any) -> None:
    """`show`, `render`, `items` and `inbox` with `--as` for two officers (every officer:
    the slow test below), then the quarter's plan and report on the API, the web and the
    command line (the HTML export)."""
    _command_line_pairs(world, ["ntk.balochistan.left", "ntk.commission.chair"])
    manzoori = world.manzoori
    plan = world.references["plan"]
    [(quarter, actions)] = manzoori.query("SELECT quarter, count(*) FROM plan_actions GROUP BY quarter")
    assert actions > 0
    for officer in ("ntk.punjab.member", "ntk.ncsw.secretary"):
        reads = plan in world.allowed(officer)
        headers = {"Authorization": f"Bearer {_token(world, officer)}"}
        shown = {row["reference"] for row in client.get(f"/api/plan/{quarter}", headers=headers).json()}
        assert shown == ({plan} if reads else set()), officer
        report = client.get(f"/api/report/{quarter}", headers=headers).json()
        assert report["total"] == (actions if reads else 0), officer
        assert set(report["by_party"]) == ({"punjab"} if reads else set()), officer
        _login(client, officer)
        assert (plan in client.get(f"/plan/{quarter}").text) == reads, officer
        assert (">punjab<" in client.get(f"/report/{quarter}").text) == reads, officer
        assert (plan in manzoori("plan", quarter, "--as", officer).stdout) == reads, officer
        export = tmp_path / f"{officer}.html"
        manzoori("report", quarter, "--format", "html", "-o", str(export), "--as", officer)
        assert (">punjab<" in export.read_text()) == reads, officer
    # Reporting on an action of an item one may not read: as for an action that does not exist.
    [[action]] = manzoori.query("SELECT min(id) FROM plan_actions")
    outsider = "ntk.ncsw.secretary"
    headers = {"Authorization": f"Bearer {_token(world, outsider)}"}
    api = [client.post(f"/api/plan/actions/{number}/progress", headers=headers, json={"status": "done"})
           for number in (action, 99999)]
    assert [answer.status_code for answer in api] == [404, 404]
    assert api[0].json() == {**api[1].json(), "message": missing_action(action)}
    _login(client, outsider)
    csrf = _csrf(client.get("/inbox").text)
    pages = [client.post(f"/plan/actions/{number}/progress", data={"csrf": csrf, "status": "done"})
             for number in (action, 99999)]
    assert [page.status_code for page in pages] == [404, 404]
    assert pages[0].text.replace(missing_action(action), missing_action(99999)).replace(
        f"/actions/{action}/", "/actions/99999/") == pages[1].text
    assert missing_action(action) in pages[0].text
    assert manzoori.query("SELECT count(*) FROM progress_reports") == [(0,)]
    # The operator at the console, without --as, reads everything, as before.
    assert plan in manzoori("plan", quarter).stdout
    assert _mentioned(manzoori("items").stdout, set(world.references.values())) == \
        set(world.references.values())


def test_the_prefect_ui_the_mail_link_and_the_pdf_refuse_as_for_a_missing_item(
        world: World, client: TestClient, tmp_path: Any) -> None:
    from workflows.lifecycle import OfficerDecision, apply_decision  # lazy: Prefect, seconds

    manzoori = world.manzoori
    agreement = world.references["agreement"]
    outsider = "ntk.kp.minister"
    before = manzoori.snapshot()
    # The Prefect UI's resume form: refused as if the item were not there; the code unspent.
    with session_scope(manzoori.url) as session:
        code, _ = issue_code(session, outsider, utcnow())
        session.commit()
    view = type("View", (), {"reference": agreement})()
    with pytest.raises(NotFound) as refused:
        apply_decision(view, OfficerDecision(officer=outsider, code=code, action="comment",
                                             comment="Seen."), "run", "after-1")
    assert refused.value.message == missing_item(agreement)
    assert manzoori.query("SELECT count(*) FROM credentials WHERE used_at IS NULL")[0][0] == 1
    # A mail link of an officer who may not read its item reads like an unknown link.
    with session_scope(manzoori.url) as session:
        step = session.scalars(select(StepRecord).join(Item, Item.id == StepRecord.item_id).where(
            Item.reference == agreement, StepRecord.status == "open")).first()
        officer = session.scalars(select(Officer).where(Officer.username == outsider)).one()
        session.add(EmailLink(officer_id=officer.id, step_id=step.id, digest=token_digest("t0ken"),
                              created_at=utcnow(), expires_at=utcnow() + timedelta(days=1)))
        session.commit()
    unknown, forbidden = client.get("/mail/not-a-token"), client.get("/mail/t0ken")
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.text.replace("t0ken", "not-a-token") == unknown.text
    assert agreement not in forbidden.text
    # The PDF: nothing written.
    pdf = tmp_path / "agreement.pdf"
    result = manzoori("render", agreement, "--format", "pdf", "-o", str(pdf), "--as", outsider,
                      expect=NotFound.exit_code)
    assert "need-to-know" in result.stderr and not pdf.exists()
    after = manzoori.snapshot()
    after["credentials"] = before["credentials"] = []  # the code issued above
    assert after == before
