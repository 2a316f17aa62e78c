"""The conformance kit: what every party package must pass before it is installed.

Three ways to run it, each reporting a failure as ``party.hook: reason``:

- subclass the suite in the package's own tests (what ``manzoori plugin new`` writes)::

      from engine.testing import ConformanceSuite

      class TestConformance(ConformanceSuite):
          party = "gilgit-baltistan"

- as a pytest plugin against any installed party, with or without other tests::

      pytest -p engine.testing --party gilgit-baltistan

- from Python: ``conformance("gilgit-baltistan", home)`` returns the list of failures.

The checks: the hooks the party implements return valid data (an office that audits a
kind, `Office.audits`, is a single-seat one); every office its flows
need exists and every role a flow step asks of it is mapped; each form builds from its
fields (a field the kit cannot guess carries ``examples=[...]``) and renders with English
and Urdu labels; its rules return findings instead of raising, and name only roles it
maps; its letterhead renders; who stands in for an absent holder and who supervises them
(``delegation``) name other offices of its own, and an escalation that may decide goes to
another office than the step's; and a joint resolution with the party as a party runs from
draft to adoption on a throw-away database, its document carrying the party's letterhead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.contract import ItemKind
from engine.contract.contract_version import ContractVersion
from engine.contract.forms import (
    AgreementForm,
    FormModel,
    JointResolutionForm,
    WorkPlanForm,
    example_data,
    unlabelled_fields,
    validate_form,
)
from engine.core.documents import render_letterhead
from engine.core.registry import Party, Registry, registry
from engine.errors import ManzooriError, PluginError
from engine.sdk.rehearsal import rehearse_joint_resolution
from engine.web.formkit import fields
from engine.web.i18n import TEXT
from engine.web.templating import TEMPLATES

BASE_FORMS: dict[ItemKind, type[FormModel]] = {
    ItemKind.WORK_PLAN: WorkPlanForm,
    ItemKind.JOINT_RESOLUTION: JointResolutionForm,
    ItemKind.AGREEMENT: AgreementForm,
}


@dataclass(frozen=True)
class Failure:
    """One thing a party gets wrong: which party, which hook, why."""

    party: str
    hook: str
    reason: str

    def __str__(self) -> str:
        return f"{self.party}.{self.hook}: {self.reason}"


class Conformance:
    """The checks for one installed party; each returns its failures (empty: conforms)."""

    def __init__(self, code: str, parties: Registry | None = None) -> None:
        self.code = code
        self.registry = parties or registry()

    def _fail(self, hook: str, reason: str) -> Failure:
        return Failure(self.code, hook, reason)

    def _guarded(self, hook: str, check: Callable[[], list[Failure]]) -> list[Failure]:
        """A check's failures, with any contract breach it hits reported as one."""
        try:
            return check()
        except PluginError as error:
            return [self._fail(error.hook or hook, error.reason)]

    @property
    def party(self) -> Party:
        found = self.registry.parties.get(self.code)
        if found is not None:
            return found
        for fault in self.registry.faults:
            if fault.plugin == self.code:
                raise PluginError(self.code, fault.hook, fault.reason)
        known = ", ".join(sorted(self.registry.parties))
        raise PluginError(self.code, "party", f"is not installed (installed: {known}); is its "
                          "package installed and its entry point in 'manzoori.provinces'?")

    def identity(self) -> list[Failure]:
        def check() -> list[Failure]:
            identity = self.party.identity
            if identity.code != self.code:
                return [self._fail("party", f"code {identity.code!r} differs from {self.code!r}")]
            return []
        return self._guarded("party", check)

    def offices(self) -> list[Failure]:
        def check() -> list[Failure]:
            if not self.party.offices:
                return [self._fail("offices", "declares no office")]
            self.party.call("office_holders")
            return []
        return self._guarded("offices", check)

    def directory(self) -> list[Failure]:
        """At least one office keeps the party's directory (`Office.keeps_directory`): its
        holders appoint and relieve the party's officers in the web app and the API. A party
        written for contract 1.0, before the field, has its default: none does."""
        def check() -> list[Failure]:
            if self.party.contract < ContractVersion(1, 1):
                return []  # written before 1.1 made the field: its default, the operator appoints
            if not any(office.keeps_directory for office in self.party.offices.values()):
                return [self._fail("offices", "marks no office keeps_directory=True: nobody but the "
                                   "operator at the command line could appoint or relieve its officers")]
            return []
        return self._guarded("offices", check)

    def roles(self) -> list[Failure]:
        """Every role a flow step asks of this party names one of its offices (checked by
        the registry as it loads the party; here for each kind in turn)."""
        def check() -> list[Failure]:
            for kind in ItemKind:
                self.party.roles(kind)
            return []
        return self._guarded("roles", check)

    def examples(self) -> Iterator[tuple[ItemKind, type[FormModel], FormModel]]:
        """Each of the party's forms, filled in from its fields' examples and defaults."""
        for kind in ItemKind:
            model = self.party.form(kind)
            if model is not None:
                yield kind, model, validate_form(model, example_data(model), party=self.code)

    def forms(self) -> list[Failure]:
        def check() -> list[Failure]:
            failures = []
            models = {kind: model for kind in ItemKind if (model := self.party.form(kind)) is not None}
            if not models:
                return [self._fail("form", "offers no form for any kind of item")]
            for kind, model in models.items():
                if not issubclass(model, BASE_FORMS[kind]):
                    failures.append(self._fail("form", f"{model.__name__} for {kind} does not "
                                                       f"extend {BASE_FORMS[kind].__name__}"))
                if self.party.roles(kind) is None:
                    failures.append(self._fail("roles", f"has a {kind} form but no roles for {kind}"))
                missing = unlabelled_fields(model)
                if missing:
                    failures.append(self._fail("form", f"{model.__name__} lacks an English or Urdu "
                                                       f"label on {', '.join(missing)}"))
                try:
                    data = example_data(model)
                    validate_form(model, data, party=self.code)
                except (ManzooriError, ValueError) as error:
                    failures.append(self._fail("form", f"{model.__name__} cannot be filled in from "
                                               f"its fields' examples (give the field examples=[...]):"
                                               f" {getattr(error, 'message', error)}"))
                    continue
                failures += self._renders(model, data)
            return failures
        return self._guarded("form", check)

    def _renders(self, model: type[FormModel], data: dict[str, Any]) -> list[Failure]:
        """The officers' draft form for `model`, as the web app renders it."""
        environment = Environment(loader=FileSystemLoader(TEMPLATES),
                                  autoescape=select_autoescape(default=True, default_for_string=True))
        environment.globals["t"] = lambda key: TEXT[key]["en"]
        template = environment.from_string("{% import '_fields.html' as f %}{{ f.inputs(fields) }}")
        html = template.render(fields=fields(model, data))
        absent = [label for field in fields(model) for label in (field.label_en, field.label_ur)
                  if label not in html]
        if absent:
            return [self._fail("form", f"{model.__name__} renders without its labels {absent}")]
        return []

    def rules(self) -> list[Failure]:
        """`check` and `extra_steps` answer every example form with data, never an exception."""
        def check() -> list[Failure]:
            failures = []
            others = [code for code in sorted(self.registry.parties) if code != self.code][:1]
            for kind, _model, form in self._all_examples():
                for parties in ([self.code], [self.code, *others]):
                    self.party.call("check", kind=kind, form=form, parties=parties)
                    roles = self.party.roles(kind) or {}
                    for step in self.party.call("extra_steps", kind=kind, form=form, parties=parties):
                        if step.role not in roles:
                            failures.append(self._fail(
                                "extra_steps", f"step {step.name!r} names role {step.role!r}, "
                                               f"which roles() does not map for {kind}"))
            return failures
        return self._guarded("check", check)

    def _all_examples(self) -> Iterator[tuple[ItemKind, type[FormModel], FormModel]]:
        """Every installed party's example forms: a party's rules judge others' drafts too."""
        for code in sorted(self.registry.parties):
            try:
                yield from Conformance(code, self.registry).examples()
            except ManzooriError:
                continue  # that party's own run reports its form

    def letterhead(self) -> list[Failure]:
        def check() -> list[Failure]:
            html = render_letterhead(self.party, "Conformance check [sample]", "XX-JR-2026-0001")
            return [] if html.strip() else [self._fail("letterhead", "renders nothing")]
        return self._guarded("letterhead", check)

    def delegation(self) -> list[Failure]:
        """Who stands in for each office, and who supervises it, names offices of the
        party other than the office itself; an escalation that may decide names an office
        other than the step's own."""
        def check() -> list[Failure]:
            failures = []
            for code in self.party.offices:
                stand_in = self.party.delegation(code)
                if code in stand_in.substitutes or stand_in.supervisor == code:
                    failures.append(self._fail("delegation", f"names office {code!r} as "
                                               "substitute or supervisor of itself"))
            for kind in ItemKind:
                roles = self.party.roles(kind) or {}
                approver = roles.get("approver")
                for role, rule in roles.items():
                    to = rule.escalate_to or (approver.office if approver else None)
                    if rule.escalation_decides and to in (None, rule.office):
                        failures.append(self._fail("roles", f"role {role!r} of {kind} lets "
                                                   "escalation decide, but escalates to no other "
                                                   "office than its own"))
            return failures
        return self._guarded("delegation", check)

    def full_flow(self, home: Path) -> list[Failure]:
        """A joint resolution with this party as a party, drafted by another (the IPMG
        secretariat when installed), driven to adoption by sample officers."""
        def check() -> list[Failure]:
            self.party  # noqa: B018 - raises PluginError when it is not installed
            return [self._fail(hook, reason) for hook, reason in
                    rehearse_joint_resolution(self.registry, self.code, home)]
        return self._guarded("roles", check)

    def all(self, home: Path) -> list[Failure]:
        identity = self.identity()
        if identity:
            return identity
        return [*self.offices(), *self.directory(), *self.roles(), *self.forms(), *self.rules(),
                *self.letterhead(), *self.delegation(), *self.full_flow(home)]


def conformance(code: str, home: Path, parties: Registry | None = None) -> list[Failure]:
    """Every failure of the installed party `code`; `home` holds a throw-away database."""
    return Conformance(code, parties).all(home)


def _report(failures: list[Failure]) -> None:
    if failures:
        pytest.fail("\n".join(str(failure) for failure in failures), pytrace=False)


class ConformanceSuite:
    """Subclass with ``party = "<code>"`` in a party package's tests."""

    party: ClassVar[str]

    @pytest.fixture
    def kit(self) -> Conformance:
        return Conformance(self.party)

    def test_party_identity_is_valid(self, kit: Conformance) -> None:
        _report(kit.identity())

    def test_offices_are_valid_and_declared_once(self, kit: Conformance) -> None:
        _report(kit.offices())

    def test_an_office_keeps_the_partys_directory(self, kit: Conformance) -> None:
        _report(kit.directory())

    def test_every_role_a_flow_needs_names_an_existing_office(self, kit: Conformance) -> None:
        _report(kit.roles())

    def test_forms_build_and_render_with_english_and_urdu_labels(self, kit: Conformance) -> None:
        _report(kit.forms())

    def test_rules_return_findings_instead_of_raising(self, kit: Conformance) -> None:
        _report(kit.rules())

    def test_letterhead_renders(self, kit: Conformance) -> None:
        _report(kit.letterhead())

    def test_delegation_and_escalation_name_other_offices_of_the_party(self, kit: Conformance) -> None:
        _report(kit.delegation())

    def test_joint_resolution_with_the_party_is_adopted(self, kit: Conformance, tmp_path: Path) -> None:
        _report(kit.full_flow(tmp_path))


# --- the pytest plugin: `pytest -p engine.testing --party CODE` -----------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--party", action="append", default=[], metavar="CODE",
                     help="Run Manzoori's conformance kit against this installed party "
                          "(repeatable).")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    codes = config.getoption("party")
    if not codes:
        return
    module = pytest.Module.from_parent(session, path=Path(__file__))
    for code in codes:
        name = "TestConformance_" + code.replace("-", "_")
        globals()[name] = type(name, (ConformanceSuite,), {"party": code, "__module__": __name__})
        items.extend(session.genitems(pytest.Class.from_parent(module, name=name)))
