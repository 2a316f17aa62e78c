"""Every hook of the contract (engine/contract/hookspecs.py) answered by a plugin made in a
test and called by the engine: the hooks the loading tests do not reach (the directory's
office holders, extra steps, letterheads, reactions to events), and the check that keeps
it so."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.contract import EventNotice, ExtraStep, ItemKind, Office, OfficeHolder, RoleRule
from engine.contract.hookspecs import hookimpl
from engine.sdk.hookref import hooks
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.provinces import Install, TestProvince

TESTS = Path(__file__).parent


@contextmanager
def logged(name: str) -> Iterator[list[str]]:
    """The messages logged to `name` meanwhile: read from the logger itself, since Prefect's
    logging setup may replace the root logger's handlers (and pytest's caplog with them)."""
    messages: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger(name).addHandler(handler)
    try:
        yield messages
    finally:
        logging.getLogger(name).removeHandler(handler)


def _hooks_claimed_by_tests() -> dict[str, list[str]]:
    """Hook → the tests marked `@pytest.mark.hooks(...)` with it, read from the test files."""
    claimed: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.hooks":
                    for argument in decorator.args:
                        claimed.setdefault(ast.literal_eval(argument), []).append(f"{path.name}::{node.name}")
    return claimed


def test_every_hook_of_the_contract_has_a_test_calling_a_plugin_that_implements_it() -> None:
    """The marks are checked when their tests run (tests/conftest.py `hooks_called`): a
    test marked with a hook fails unless the engine called it on one of the test's plugins."""
    specified = {name for name, _ in hooks()}
    claimed = _hooks_claimed_by_tests()
    assert len(specified) >= 9, specified  # party, offices, ..., on_event: the contract is read
    assert sorted(specified - set(claimed)) == [], "hooks no test calls on a plugin made in the test"
    assert sorted(set(claimed) - specified) == [], "tests marked with hooks the contract lacks"


def test_a_hook_marked_but_not_called_fails_its_test(pytester: pytest.Pytester) -> None:
    """The mark cannot be satisfied by a test that only says so."""
    pytester.makeconftest("from tests.conftest import *  # noqa: F403")
    pytester.makepyfile(test_claims="""
        import pytest

        @pytest.mark.hooks("letterhead")
        def test_says_so_only():
            assert True
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-q")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*marked as calling letterhead on a plugin made in the test, and did not*"])


@pytest.mark.hooks("office_holders")
def test_office_holders_of_a_new_party_join_the_directory_at_init(manzoori: Manzoori, install: Install) -> None:
    class Recorded(TestProvince):
        @hookimpl
        def office_holders(self) -> list[OfficeHolder]:
            return [OfficeHolder(office="minister", name="Rukhsana Bangash", username="rukhsana.bangash",
                                 source="test: the province's gazette notification")]

    install(recorded_province=Recorded("recorded-province"))
    assert "1 officers added" in manzoori("init").stdout
    listed = manzoori("officers", "list", "--party", "recorded-province").stdout
    assert "rukhsana.bangash" in listed and "Rukhsana Bangash" in listed


class ProvinceWithLegalReview(TestProvince):
    """Sends a work plan past its Law Department when the summary speaks of legislation."""

    @hookimpl
    def offices(self) -> list[Office]:
        return [*super().offices(), Office(code="law-secretary", title_en="Secretary, Law Department",
                                           title_ur="سیکرٹری، محکمہ قانون")]

    @hookimpl
    def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
        roles = super().roles(kind)
        if kind == ItemKind.WORK_PLAN:
            roles["legal_reviewer"] = RoleRule(office="law-secretary")
        return roles

    @hookimpl
    def extra_steps(self, kind: ItemKind, form: object, parties: list[str]) -> list[ExtraStep]:
        if kind != ItemKind.WORK_PLAN or "legislation" not in form.summary:
            return []
        return [ExtraStep(after="review", name="legal_review", label_en="Legal review",
                          label_ur="قانونی جائزہ", role="legal_reviewer",
                          reason="the plan proposes legislation")]


@pytest.mark.hooks("extra_steps")
def test_a_partys_extra_step_joins_the_route_where_its_rule_says(manzoori: Manzoori, install: Install) -> None:
    install(legal_province=ProvinceWithLegalReview("legal-province"))
    manzoori("init", "--samples")
    data = {**form_for("punjab", "work_plan"), "summary": "Drafting legislation on working women's hostels."}
    data.pop("activities")
    reference = manzoori.draft("work_plan", "legal-province", "Hostels plan", data, "legal-province.director")
    manzoori.act(reference, "submit", "legal-province.director")
    manzoori.act(reference, "clear", "legal-province.secretary")
    assert manzoori.state(reference) == "legal_review"
    refused = manzoori.act(reference, "clear", "legal-province.minister", expect=3)
    assert "legal" in refused.stderr.lower()
    manzoori.act(reference, "clear", "legal-province.law-secretary")
    assert manzoori.state(reference) == "approval"
    assert manzoori.actions(reference) == ["draft", "submit", "clear", "clear"]

    plain = {**data, "summary": "Working women's hostels in every division."}
    other = manzoori.draft("work_plan", "legal-province", "Plain plan", plain, "legal-province.director")
    manzoori.act(other, "submit", "legal-province.director")
    manzoori.act(other, "clear", "legal-province.secretary")
    assert manzoori.state(other) == "approval"


@pytest.mark.hooks("letterhead")
def test_a_partys_letterhead_heads_its_documents_escaped(manzoori: Manzoori, install: Install) -> None:
    class Lettered(TestProvince):
        @hookimpl
        def letterhead(self) -> str:
            return '<header class="own">{{ party.name_en }} · {{ title }} · {{ reference }}</header>'

    install(lettered_province=Lettered("lettered-province"))
    manzoori("init", "--samples")
    data = {**form_for("punjab", "work_plan"), "summary": "Women's hostels in every division."}
    data.pop("activities")
    reference = manzoori.draft("work_plan", "lettered-province", "<i>Hostels</i> plan", data,
                               "lettered-province.director")
    manzoori.act(reference, "submit", "lettered-province.director")
    html = manzoori("document", reference).stdout
    assert (f'<header class="own">Test province lettered-province · &lt;i&gt;Hostels&lt;/i&gt; plan · '
            f'{reference}</header>') in html
    assert 'class="letterhead"' not in html  # the engine's own letterhead is replaced


@pytest.mark.hooks("on_event")
def test_parties_hear_of_each_action_and_a_failing_listener_never_undoes_it(manzoori: Manzoori, install: Install) -> None:
    """What the item's Prefect flow run does for each event (its `notify-parties` task),
    called here as the task's own function: the flow runs in the runner's process, which
    loads parties from their entry points and cannot see plugins made in a test;
    tests/test_prefect.py shows the run executing that task once per event, in order, for
    a party that listens, and none for parties that do not."""
    from workflows.lifecycle import notify_parties

    heard: list[EventNotice] = []

    class Listening(TestProvince):
        @hookimpl
        def on_event(self, event: EventNotice) -> None:
            heard.append(event)

    class Failing(TestProvince):
        @hookimpl
        def on_event(self, event: EventNotice) -> None:
            raise ConnectionError("the SMS gateway is down")

    install(listening_province=Listening("listening-province"), failing_province=Failing("failing-province"))
    manzoori("init", "--samples")
    parties = ("ncsw", "listening-province", "failing-province")
    reference = manzoori.draft("joint_resolution", ",".join(parties), "IPMG resolutions",
                               form_for("ncsw", "joint_resolution", list(parties)), "ncsw.secretary")
    manzoori.act(reference, "submit", "ncsw.secretary")
    manzoori.act(reference, "feedback", "listening-province.secretary", "--comment", "Agreed in principle")
    [(item_id, state)] = manzoori.query("SELECT id, state FROM items WHERE reference = :r", r=reference)
    stored = manzoori.snapshot()

    with logged("manzoori.plugins") as faults:
        for seq in (1, 2, 3):
            # The NCSW's plugin implements no `on_event`: only the two that do are told.
            assert notify_parties.fn(item_id=item_id, reference=reference, seq=seq) == list(parties[1:])

    assert [(notice.seq, notice.action, notice.officer) for notice in heard] == [
        (1, "draft", "ncsw.secretary"), (2, "submit", "ncsw.secretary"),
        (3, "feedback", "listening-province.secretary")]
    last = heard[-1]
    assert (last.reference, last.kind, last.state, last.parties, last.comment) == (
        reference, ItemKind.JOINT_RESOLUTION, state, parties, "Agreed in principle")
    assert faults == ["plugin failing_province.on_event: raised ConnectionError: the SMS gateway is down"] * 3
    assert manzoori.snapshot() == stored  # the action stands: state, steps, events untouched
    assert manzoori.actions(reference) == ["draft", "submit", "feedback"]
