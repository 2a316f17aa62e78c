"""The conformance kit, run against every party that ships with Manzoori: the same
checks a new province's package runs against itself (`engine.testing`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.registry import load_parties
from engine.testing import Conformance, ConformanceSuite, Failure, conformance

BUILT_IN = ["punjab", "balochistan", "sindh", "kp", "ncsw", "mohr"]


class TestBuiltInParties(ConformanceSuite):
    """Each check once per built-in party: `test_letterhead_renders[sindh]`."""

    @pytest.fixture(params=BUILT_IN)
    def kit(self, request: pytest.FixtureRequest) -> Conformance:
        return Conformance(request.param)


def test_kit_names_the_party_hook_and_reason_of_each_failure(tmp_path: Path, monkeypatch) -> None:
    """A party that breaks its contract after loading fails the kit, by hook and reason."""
    parties = load_parties()
    sindh = parties.party("sindh")

    def raising_check(**_: object) -> list[object]:
        raise RuntimeError("threshold table missing")

    broken = {**sindh.impls, "check": raising_check,
              "letterhead": lambda: "<header>{{ party.name_en }</header>"}
    monkeypatch.setattr(sindh, "impls", broken)
    failures = conformance("sindh", tmp_path, parties)
    hooks = {failure.hook for failure in failures}
    assert {"check", "letterhead"} <= hooks, failures
    assert all(isinstance(f, Failure) and f.party == "sindh" for f in failures)
    assert "sindh.check: raised RuntimeError: threshold table missing" in [str(f) for f in failures]
    assert conformance("nowhere", tmp_path, parties) == [
        Failure("nowhere", "party", "is not installed (installed: balochistan, kp, mohr, ncsw, punjab, "
                                    "sindh); is its package installed and its entry point in "
                                    "'manzoori.provinces'?")]


def test_kit_finds_an_extra_step_for_a_role_the_party_does_not_map(monkeypatch) -> None:
    parties = load_parties()
    sindh = parties.party("sindh")
    step = {"after": "review", "name": "law_review", "label_en": "Law Department review",
            "label_ur": "محکمہ قانون کا جائزہ", "role": "law_reviewer", "reason": "always [sample]"}
    monkeypatch.setattr(sindh, "impls", {**sindh.impls, "extra_steps": lambda **_: [step]})
    failures = Conformance("sindh", parties).rules()
    assert Failure("sindh", "extra_steps", "step 'law_review' names role 'law_reviewer', which "
                                           "roles() does not map for work_plan") in failures


def test_kit_refuses_an_auditing_office_with_several_seats(monkeypatch: pytest.MonkeyPatch) -> None:
    """An office that audits reads every party's items of its kinds: a named, single-seat
    office (the NCSW's secretary), never a body of members (need-to-know)."""
    parties = load_parties()
    ncsw = parties.party("ncsw")
    members = {"code": "member", "title_en": "Member, National Commission on the Status of Women",
               "title_ur": "رکن", "seats": 9, "audits": ["joint_resolution"]}
    monkeypatch.setattr(ncsw, "impls", {**ncsw.impls, "offices": lambda: [members]})
    monkeypatch.delitem(ncsw.__dict__, "offices", raising=False)  # read again, as on loading
    failures = Conformance("ncsw", parties).offices()
    assert [(f.party, f.hook) for f in failures] == [("ncsw", "offices")], failures
    assert "audits joint_resolution but has 9 seats; only a single-seat office may audit" in failures[0].reason


def test_kit_fails_a_party_whose_offices_keep_no_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Somebody of the party must be able to appoint and relieve its officers (transfers)."""
    parties = load_parties()
    sindh = parties.party("sindh")
    offices = [office.model_copy(update={"keeps_directory": False}) for office in sindh.offices.values()]
    monkeypatch.setattr(sindh, "impls", {**sindh.impls, "offices": lambda: offices})
    monkeypatch.delitem(sindh.__dict__, "offices", raising=False)  # a cached property
    failures = Conformance("sindh", parties).directory()
    assert [(f.hook, "keeps_directory=True" in f.reason) for f in failures] == [("offices", True)]
    assert Conformance("punjab", parties).directory() == []
