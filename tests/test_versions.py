"""Versioned rules: a province upgrades its plugin in the middle of a flow; items in flight
finish under the definition they started with, new items follow the new one, and
`manzoori migrate` moves in-flight items to the new definition in bulk."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import stored_json
from tests.forms import form_for
from tests.test_invariants import refused
from tests.provinces import fake_distribution

MODULE = "gilgit_baltistan_province"
GB = "gilgit-baltistan"

# Gilgit-Baltistan's Women Development Department sits in the IPMG (context/002, 003);
# the designations below its Secretary are generic ones, and every holder is a [sample].
_COMMON = '''
from engine.contract import ExtraStep, Finding, ItemKind, Office, PartyIdentity, RoleRule
from engine.contract.forms import Activity, WorkPlanForm, label
from engine.contract.hookspecs import hookimpl


class GbWorkPlan(WorkPlanForm):
    activities: list[Activity] = label("Activities", "سرگرمیاں", min_length=1)


@hookimpl
def party():
    return PartyIdentity(code="gilgit-baltistan", name_en="Government of Gilgit-Baltistan",
                         name_ur="حکومتِ گلگت بلتستان", kind="region", reference_prefix="GB",
                         definition_version=DEFINITION)


@hookimpl
def offices():
    def office(code, en, ur):
        return Office(code=code, title_en=en + ", Gilgit-Baltistan", title_ur=ur + "، گلگت بلتستان")
    return [
        office("wdd-minister", "Minister for Women Development", "وزیر برائے ترقیِ نسواں"),
        office("wdd-secretary", "Secretary, Women Development Department", "سیکرٹری، محکمہ ترقیِ نسواں"),
        office("wdd-deputy-secretary", "Deputy Secretary, Women Development Department",
               "ڈپٹی سیکرٹری، محکمہ ترقیِ نسواں"),
        office("pnd-secretary", "Secretary, Planning and Development Department",
               "سیکرٹری، محکمہ منصوبہ بندی و ترقی"),
        office("law-secretary", "Secretary, Law Department", "سیکرٹری، محکمہ قانون"),
        office("finance-secretary", "Secretary, Finance Department", "سیکرٹری، محکمہ خزانہ"),
    ]


@hookimpl
def form(kind):
    return GbWorkPlan if kind == ItemKind.WORK_PLAN else None


@hookimpl
def roles(kind):
    return ROLES if kind == ItemKind.WORK_PLAN else None


SAME_ROLES = {"drafter": RoleRule(office="wdd-deputy-secretary"),
              "approver": RoleRule(office="wdd-minister"), "signatory": RoleRule(office="wdd-minister")}


LEGAL = ExtraStep(after="review", name="legal_review", label_en="Legal review",
                  label_ur="قانونی جائزہ", role="legal_reviewer",
                  reason="definition 1: every work plan passes the Law Department")
FINANCE = ExtraStep(after="review", name="finance_review", label_en="Finance review",
                    label_ur="مالیاتی جائزہ", role="finance_reviewer",
                    reason="definition 2: every work plan passes the Finance Department")
'''

# Definition 1, written before definitions had versions: its hooks take no `version`.
V1 = _COMMON + '''
DEFINITION = 1
ROLES = {**SAME_ROLES, "reviewer": RoleRule(office="wdd-secretary"),
         "legal_reviewer": RoleRule(office="law-secretary")}


@hookimpl
def extra_steps(kind, form, parties):
    return [LEGAL]
'''

# Definition 2: Planning and Development reviews, Finance replaces Law, and a work plan
# needs two activities. Its roles are only the new ones (items in flight keep theirs);
# its rules and extra steps still answer for definition 1.
V2 = _COMMON + '''
DEFINITION = 2
ROLES = {**SAME_ROLES, "reviewer": RoleRule(office="pnd-secretary"),
         "finance_reviewer": RoleRule(office="finance-secretary")}


@hookimpl
def extra_steps(kind, form, parties, version):
    return [LEGAL] if version == 1 else [FINANCE]


@hookimpl
def check(kind, form, parties, version):
    if version >= 2 and len(form.activities) < 2:
        return [Finding(field="activities", message="a work plan needs at least two activities")]
    return []
'''

DRAFTER, REVIEWER_V1, REVIEWER_V2 = (f"{GB}.wdd-deputy-secretary", f"{GB}.wdd-secretary",
                                     f"{GB}.pnd-secretary")
LAW, FINANCE, MINISTER = f"{GB}.law-secretary", f"{GB}.finance-secretary", f"{GB}.wdd-minister"


def plan(activities: int) -> dict:
    return {"period_start": "2026-01-01", "period_end": "2026-12-31",
            "summary": "Women Development Department work plan for 2026 [sample].",
            "activities": [{"activity": f"Activity {n} [sample]", "quarter": f"2026-Q{n}"}
                           for n in range(1, activities + 1)]}


@pytest.fixture
def install(manzoori, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """`pip install` Gilgit-Baltistan's plugin at a given source: the old package leaves
    the path, the new one is found by the next `manzoori` command, as in a new process."""
    roots: list[str] = []

    def upgrade(source: str) -> None:
        root = tmp_path / f"site-{len(roots) + 1}"
        root.mkdir()
        fake_distribution(root, MODULE, source)
        for old in roots:
            sys.path.remove(old)
        roots.append(str(root))
        monkeypatch.syspath_prepend(str(root))
        sys.modules.pop(MODULE, None)
        importlib.invalidate_caches()
        monkeypatch.setattr("engine.core.registry._registry", None)

    yield upgrade
    sys.modules.pop(MODULE, None)


def definition_of(manzoori, reference: str) -> dict:
    stored = manzoori.query("SELECT definition FROM items WHERE reference = :r", r=reference)[0][0]
    return stored_json(stored)


def test_item_in_flight_finishes_under_the_definition_it_started_with(manzoori, install) -> None:
    install(V1)
    manzoori("init", "--samples")
    old = manzoori.draft("work_plan", GB, "GB WDD work plan 2026", plan(1), DRAFTER)
    manzoori.act(old, "submit", DRAFTER)
    assert manzoori.state(old) == "review"

    install(V2)  # the province upgrades its plugin while the work plan waits for review
    assert "follows work_plan v1 · gilgit-baltistan definition 1" in manzoori("show", old).stdout
    # Its v1 offices act, not v2's; v2's two-activity rule is not applied on resubmission.
    assert "it needs Secretary, Women Development Department" in refused(
        manzoori, 3, "act", old, "clear", "--as", REVIEWER_V2)
    manzoori.act(old, "return", REVIEWER_V1, "--comment", "Name the lead of the activity")
    manzoori.act(old, "submit", DRAFTER, "--form", manzoori.form("one", plan(1)))
    for officer in (REVIEWER_V1, LAW):
        manzoori.act(old, "clear", officer)
    manzoori.act(old, "approve", MINISTER)
    manzoori.act(old, "sign", MINISTER)
    assert manzoori.state(old) == "in_force"
    assert [row[0] for row in manzoori.query(
        "SELECT s.name FROM steps s JOIN items i ON i.id = s.item_id "
        "WHERE i.reference = :r GROUP BY s.name ORDER BY min(s.id)", r=old)] == [
        "draft", "review", "legal_review", "approval", "signature"]
    assert definition_of(manzoori, old)["parties"][GB]["version"] == 1

    # A new item follows definition 2: its rule, its finance review, its reviewing office.
    message = refused(manzoori, 5, "draft", "work_plan", "--parties", GB, "--title",
                      "GB WDD work plan 2027", "--form", manzoori.form("short", plan(1)),
                      "--as", DRAFTER)
    assert "at least two activities" in message
    new = manzoori.draft("work_plan", GB, "GB WDD work plan 2027", plan(2), DRAFTER)
    assert "follows work_plan v1 · gilgit-baltistan definition 2" in manzoori("show", new).stdout
    manzoori.act(new, "submit", DRAFTER)
    assert new in manzoori("inbox", "--as", REVIEWER_V2).stdout
    assert new not in manzoori("inbox", "--as", REVIEWER_V1).stdout
    refused(manzoori, 3, "act", new, "clear", "--as", REVIEWER_V1)
    manzoori.act(new, "clear", REVIEWER_V2)
    assert manzoori.state(new) == "finance_review"
    stored = definition_of(manzoori, new)
    assert stored["parties"][GB]["version"] == 2
    assert stored["parties"][GB]["roles"]["reviewer"]["office"] == "pnd-secretary"


def _at(manzoori, step: str, title: str) -> str:
    """A definition-1 work plan brought to `step` (draft, review, legal_review, approval)."""
    reference = manzoori.draft("work_plan", GB, title, plan(2), DRAFTER)
    moves = [("submit", DRAFTER), ("clear", REVIEWER_V1), ("clear", LAW)]
    for action, officer in moves[:["draft", "review", "legal_review", "approval"].index(step)]:
        manzoori.act(reference, action, officer)
    assert manzoori.state(reference) == step
    return reference


def test_migrate_moves_in_flight_items_and_leaves_those_whose_step_is_gone(manzoori, install) -> None:
    install(V1)
    manzoori("init", "--samples")
    drafting = _at(manzoori, "draft", "GB work plan still in draft")
    reviewing = _at(manzoori, "review", "GB work plan under review")
    legal = _at(manzoori, "legal_review", "GB work plan at the Law Department")
    approving = _at(manzoori, "approval", "GB work plan before the Minister")
    done = _at(manzoori, "approval", "GB work plan already in force")
    manzoori.act(done, "approve", MINISTER)
    manzoori.act(done, "sign", MINISTER)
    install(V2)

    before = manzoori.snapshot()
    dry = manzoori("migrate", "work_plan", "--party", GB, "--to", "2", "--dry-run").stdout
    assert manzoori.snapshot() == before
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in dry.splitlines() if line.startswith("│ GB-")}
    assert set(rows) == {drafting, reviewing, legal, approving}  # not the one in force
    assert rows[drafting][:2] == ["draft", "draft"]
    assert rows[reviewing][:2] == ["review", "review"]
    assert "wdd-secretary ×1 → pnd-secretary ×1" in rows[reviewing][2]
    assert "+finance_review" in rows[approving][2] and "-legal_review" in rows[approving][2]
    assert rows[legal][1] == "—"
    assert ("current step 'legal_review' no longer exists in gilgit-baltistan definition 2"
            in rows[legal][3])
    assert "3 item(s) would move; 1 cannot move" in dry

    migrate = ("migrate", "work_plan", "--party", GB, "--to")
    assert "no item kind 'memo'" in refused(manzoori, 4, "migrate", "memo", "--party", GB, "--to", "2")
    assert "no party 'atlantis'" in refused(manzoori, 4, "migrate", "work_plan", "--party", "atlantis",
                                            "--to", "2")
    assert "has no definition 3" in refused(manzoori, 4, *migrate, "3")
    assert "not newer" in refused(manzoori, 5, *migrate, "1")

    legal_rows = [manzoori.query(f"SELECT * FROM {table} WHERE {column} = "
                                 "(SELECT id FROM items WHERE reference = :r) ORDER BY id", r=legal)
                  for table, column in (("items", "id"), ("steps", "item_id"), ("events", "item_id"))]
    real = manzoori(*migrate, "2").stdout
    assert "3 item(s) moved; 1 cannot move, left untouched" in real
    for reference in (drafting, reviewing, approving):
        assert definition_of(manzoori, reference)["parties"][GB]["version"] == 2
        assert manzoori.actions(reference)[-1] == "migrated"
    assert legal_rows == [manzoori.query(f"SELECT * FROM {table} WHERE {column} = "
                                         "(SELECT id FROM items WHERE reference = :r) ORDER BY id",
                                         r=legal)
                          for table, column in (("items", "id"), ("steps", "item_id"),
                                                ("events", "item_id"))]
    event = manzoori.query("SELECT e.party, e.comment, e.payload, e.prev_hash, "
                           "(SELECT hash FROM events p "
                           " WHERE p.item_id = e.item_id AND p.seq = e.seq - 1) "
                           "FROM events e JOIN items i ON i.id = e.item_id "
                           "WHERE i.reference = :r AND e.action = 'migrated'", r=reviewing)[0]
    assert event[0] == GB and event[1] == "moved from gilgit-baltistan definition 1 to 2"
    assert stored_json(event[2])["changes"][:2] == ["+finance_review", "-legal_review"]
    assert event[3] == event[4]  # chained to the event before it

    # The moved item's open review now waits for definition 2's office, and goes on
    # through definition 2's finance review; the one left behind finishes under 1.
    assert reviewing in manzoori("inbox", "--as", REVIEWER_V2).stdout
    assert reviewing not in manzoori("inbox", "--as", REVIEWER_V1).stdout
    manzoori.act(reviewing, "clear", REVIEWER_V2)
    assert manzoori.state(reviewing) == "finance_review"
    manzoori.act(legal, "clear", LAW)
    assert manzoori.state(legal) == "approval"
    assert "migrated" in manzoori("show", reviewing).stdout
    # Past the step that is gone, the item left behind can move too.
    again = manzoori(*migrate, "2").stdout
    assert "1 item(s) moved; 0 cannot move" in again
    assert definition_of(manzoori, legal)["parties"][GB]["version"] == 2


def test_items_stored_before_definitions_had_versions_follow_definition_1(manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    # As migration 0005 leaves the items already stored.
    database = create_engine(manzoori.url)
    with database.begin() as connection:
        connection.execute(text("UPDATE items SET definition = NULL WHERE reference = :r"),
                           {"r": reference})
    database.dispose()
    assert manzoori.query("SELECT definition FROM items WHERE reference = :r", r=reference) == [(None,)]
    assert "follows work_plan v1 · punjab definition 1" in manzoori("show", reference).stdout
    manzoori.act(reference, "clear", "punjab.wpc-member.1")
    manzoori.act(reference, "approve", "punjab.wpc-convener")
    assert manzoori.state(reference) == "signature"
