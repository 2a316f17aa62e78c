"""What each party plugin brings: bilingual forms, its own rules, its letterhead.

That every form field has English and Urdu labels is the conformance kit's to check
(tests/test_conformance.py)."""

from __future__ import annotations

import pytest

from engine.contract import ItemKind
from engine.core.registry import registry
from tests.forms import form_for
from tests.test_invariants import refused


@pytest.mark.parametrize("code", ["punjab", "balochistan", "sindh", "kp"])
def test_each_province_has_a_form_of_its_own_per_kind(code: str) -> None:
    party = registry().party(code)
    for kind in ItemKind:
        model = party.form(kind)
        assert model is not None and model.__module__ == f"plugins.{code}", (code, kind)


def test_sindh_refuses_a_data_sharing_agreement_without_a_protection_clause(manzoori) -> None:
    data = form_for("punjab", "agreement")
    data["data_protection_clause"] = ""
    path = manzoori.form("no-clause", data)
    message = refused(manzoori, 5, "draft", "agreement", "--parties", "punjab,sindh", "--title",
                      "Registry harmonisation", "--form", path, "--as", "punjab.pspa-dg")
    assert "data_protection_clause" in message and "Sindh" in message
    # Without Sindh as a party, Punjab's own rules let the same draft through.
    reference = manzoori.draft("agreement", "punjab,balochistan", "Registry harmonisation", data,
                               "punjab.pspa-dg")
    assert manzoori.state(reference) == "draft"


def test_kp_adds_a_planning_review_above_its_adp_threshold(manzoori) -> None:
    data = form_for("kp", "work_plan")
    data["adp_cost_pkr"] = 150_000_000
    reference = manzoori.draft("work_plan", "kp", "Women empowerment plan", data, "kp.swd-secretary")
    manzoori.act(reference, "submit", "kp.swd-secretary")
    manzoori.act(reference, "clear", "kp.kpcsw-chair")
    assert manzoori.state(reference) == "pnd_review"
    refused(manzoori, 3, "act", reference, "clear", "--as", "kp.swd-minister")
    manzoori.act(reference, "clear", "kp.pnd-acs")
    assert manzoori.state(reference) == "approval"
    small = form_for("kp", "work_plan")
    other = manzoori.draft("work_plan", "kp", "Small plan", small, "kp.swd-secretary")
    manzoori.act(other, "submit", "kp.swd-secretary")
    manzoori.act(other, "clear", "kp.kpcsw-chair")
    assert manzoori.state(other) == "approval"


def test_document_carries_letterheads_urdu_labels_and_signatures(manzoori, tmp_path) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026", form_for("punjab", "work_plan"),
                               "punjab.pdu-director")
    assert "no submitted version" in manzoori("document", reference, expect=4).stderr
    manzoori.act(reference, "submit", "punjab.pdu-director")
    manzoori.act(reference, "clear", "punjab.wpc-member.1")
    manzoori.act(reference, "approve", "punjab.wpc-convener")
    manzoori.act(reference, "sign", "punjab.wpc-convener")
    out = tmp_path / "plan.html"
    manzoori("document", reference, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "Government of the Punjab" in html
    assert "پنجاب" in html and "سرگرمیاں" in html
    assert "Gender audit of assembly committees" in html
    signer = manzoori.query("SELECT name FROM officers WHERE username = 'punjab.wpc-convener'")[0][0]
    assert signer in html
    digest = manzoori.query("SELECT v.digest FROM versions v JOIN items i ON i.id = v.item_id "
                            "WHERE i.reference = :r", r=reference)[0][0]
    assert digest in html


def test_document_escapes_what_officers_type(manzoori) -> None:
    data = form_for("punjab", "work_plan")
    data["summary"] = "<script>alert('caucus')</script> & more"
    reference = manzoori.draft("work_plan", "punjab", "<b>Plan</b>", data, "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    html = manzoori("document", reference).stdout
    assert "<script>" not in html and "<b>Plan</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;Plan&lt;/b&gt;" in html


def test_a_partys_own_letterhead_replaces_the_engines(manzoori, monkeypatch) -> None:
    """Parties without a `letterhead` hook get the engine's; one with it gets its own, autoescaped."""
    punjab = registry().party("punjab")
    own = {**punjab.impls, "letterhead": lambda: '<div class="own">{{ party.name_en }} · {{ title }}</div>'}
    monkeypatch.setattr(punjab, "impls", own)
    data = form_for("punjab", "work_plan")
    reference = manzoori.draft("work_plan", "punjab", "<i>Plan</i> with its own letterhead", data,
                               "punjab.pdu-director")
    manzoori.act(reference, "submit", "punjab.pdu-director")
    html = manzoori("document", reference).stdout
    assert '<div class="own">Government of the Punjab · &lt;i&gt;Plan&lt;/i&gt; with its own letterhead</div>' in html
    assert 'class="letterhead"' not in html
