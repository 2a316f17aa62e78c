"""The party contract: every hook a province (or any other party) can implement.

A party is a Python package registered in the entry-point group
``manzoori.provinces``; the engine loads the four built-in provinces, the IPMG
secretariat and the federal ministry exactly that way. A plugin author needs to read
nothing but this file (and the types in ``engine.contract`` and ``engine.contract.forms`` it
names) to write a party.

Each hook is answered by each party for itself: the engine calls one party's
implementation at a time, so a party that raises or returns the wrong shape is
reported by its name, the hook and the reason, and the other parties keep working.
Implement a hook with ``engine.contract.hookspecs.hookimpl``::

    from engine.contract.hookspecs import hookimpl

    @hookimpl
    def party():
        return PartyIdentity(code="gilgit-baltistan", ...)

Only ``party`` and ``offices`` are required; every other hook has a sensible absence
(``ABSENT``: what the engine takes for a hook a party does not implement).

The contract is versioned (``CONTRACT_VERSION``, MAJOR.MINOR). A new optional hook, or a
new optional field of a value a hook returns, raises the minor version; a changed or
removed hook raises the major. A party says in its identity which contract it was
written for (``PartyIdentity(contract="1.1", ...)``; one that does not say was written for
1.0). The engine loads a party written for any minor version of its major from
``OLDEST_SUPPORTED`` on, and gives it the defaults of the hooks added since; it refuses,
at load and by name, a party written for a newer contract than its own. ``SINCE`` says in
which version each hook appeared, ``CHANGES`` what each version added.

Versioned definitions: a party's roles, extra steps and rules are its *definition*,
numbered by ``PartyIdentity.definition_version`` (default 1). When an upgrade changes
them, raise the number. Items in flight finish under the definition they were drafted
under: the engine keeps their route and the roles then in force with the item, and asks
``roles``, ``check`` and ``extra_steps`` with ``version=`` that number. A hook that
declares ``version`` answers for older definitions too; one that does not answers every
version with its current definition. ``manzoori migrate`` moves in-flight items to a
newer definition in bulk.

``manzoori plugin new CODE`` writes a working party package to start from, and the
conformance kit (``engine.testing``) checks a party against this contract
(``docs/adding-a-province.md`` walks through both).
"""

from __future__ import annotations

from typing import Any

import pluggy

# The contract's version has a module of its own so that `terms` can check the version a
# party declares before anything else; authors and the registry read it here.
from engine.contract.contract_version import CONTRACT_VERSION as CONTRACT_VERSION
from engine.contract.contract_version import OLDEST_SUPPORTED as OLDEST_SUPPORTED
from engine.contract.contract_version import ContractVersion

# Imported for real, not only for the type checker: the registry reads each hook's
# return annotation to check what a plugin returns (`engine.core.registry`).
from engine.contract.forms import FormModel
from engine.contract.terms import (
    DelegationRule,
    EventNotice,
    ExtraStep,
    Finding,
    ItemKind,
    Office,
    OfficeHolder,
    PartyIdentity,
    RoleRule,
)

hookspec = pluggy.HookspecMarker("manzoori")
hookimpl = pluggy.HookimplMarker("manzoori")

CHANGES: dict[ContractVersion, str] = {
    ContractVersion(1, 0): "The first contract: who a party is, its offices and holders, roles, "
                           "forms, rules, extra steps, letterhead and reactions to events.",
    ContractVersion(1, 1): "The organisation model, all optional: the `delegation` hook (who "
                           "stands in for an absent officer), `Office.keeps_directory` (who "
                           "appoints and relieves), `Office.audits` (who reads every party's "
                           "items of a kind) and `RoleRule.escalation_decides` (an escalated "
                           "office may decide).",
}
"""What each version of the contract added or changed."""

SINCE: dict[str, ContractVersion] = {
    "party": ContractVersion(1, 0),
    "offices": ContractVersion(1, 0),
    "office_holders": ContractVersion(1, 0),
    "roles": ContractVersion(1, 0),
    "form": ContractVersion(1, 0),
    "check": ContractVersion(1, 0),
    "extra_steps": ContractVersion(1, 0),
    "letterhead": ContractVersion(1, 0),
    "on_event": ContractVersion(1, 0),
    "delegation": ContractVersion(1, 1),
}
"""The contract version in which each hook appeared."""

ABSENT: dict[str, Any] = {
    "office_holders": [],
    "roles": None,
    "form": None,
    "check": [],
    "extra_steps": [],
    "letterhead": "",
    "on_event": None,
    "delegation": None,
}
"""The answer the engine takes from a party that does not implement a hook (``party`` and
``offices`` are required): what a party written for a contract older than the hook gets."""


@hookspec
def party() -> PartyIdentity:
    """Who this party is: code, English and Urdu names, kind, reference prefix,
    timezone, working calendar (weekend days and public holidays) and the version of its
    definition (``definition_version``, default 1: raise it when an upgrade changes the
    party's roles, extra steps or rules).

    Required. The code names the party everywhere (``--parties punjab,balochistan``)
    and must be unique among installed parties; the reference prefix starts the
    references of the items it drafts (``PJ-WP-2025-0001``).
    """


@hookspec
def offices() -> list[Office]:
    """The offices of this party that draft, review, approve or sign.

    Required. Signatories are offices, not people. An office with several holders at
    once (caucus members) says so with ``seats``. Office codes must be unique within
    the party; every office named by ``roles`` must be listed here.

    Reading is need-to-know: an officer reads the items of the parties whose offices
    they hold or held during the item's life. An office that must read every party's
    items of some kinds, as the IPMG secretariat reads the joint resolutions it
    coordinates, lists those kinds in ``audits`` (``Office(..., audits=(ItemKind.
    JOINT_RESOLUTION,))``); only a single-seat office may, and it gives no right to act.
    ``docs/need-to-know.md`` explains the rule.
    """


@hookspec
def office_holders() -> list[OfficeHolder]:
    """People known to have held this party's offices, with effective dates.

    Only names from the public record (cite the source) or clearly marked samples
    (``sample=True``, name ending in ``[sample]``). ``manzoori init`` loads them into
    the officer directory. Return an empty list to leave the directory to the
    administrators.
    """


@hookspec
def roles(kind: ItemKind, version: int) -> dict[str, RoleRule] | None:
    """Which office fills each role of ``kind``'s flow for this party, and the quorum.

    Return ``None`` if the party takes no part in items of this kind. A party that
    drafts items of the kind maps ``drafter``; a party of a multi-party item maps the
    roles its per-party steps need (``reviewer``, ``approver``, ``signatory``); a
    work-plan party maps all four. Roles named by ``extra_steps`` (e.g.
    ``finance_reviewer``) are mapped here too. ``RoleRule.quorum`` gives approval by
    n of the office's holders (n of m members). ``deadline_days`` counts working days on
    this party's calendar; ``remind_days_before`` working days before the deadline the
    office is reminded, and once it passes the ``escalate_to`` office (default: the
    approver's office) is told. Every office named must be one of ``offices()``.

    For joint resolutions a party may also map ``reporter`` (drafts its quarterly
    progress reports on the adopted resolution's actions) and ``report_clearer``
    (clears them, so the secretariat counts them); unmapped, its ``reviewer`` drafts
    and its ``approver`` clears. The drafter and clearer of a report are different
    officers.

    ``version`` is the party definition asked for: the party's current
    ``definition_version`` for new items, an older one for items drafted before an
    upgrade (their roles are kept with them) and the target of ``manzoori migrate``.
    """


@hookspec
def form(kind: ItemKind) -> type[FormModel] | None:
    """The pydantic form model for the local fields of ``kind`` when this party drafts it.

    Subclass one of the engine's base forms (``engine.contract.forms.WorkPlanForm``,
    ``JointResolutionForm``, ``AgreementForm``) and label every field in English and
    Urdu with ``engine.contract.forms.label``. Field validators give field-level messages.
    Give a field ``examples=[...]`` when its pattern or validator accepts values the
    conformance kit cannot guess (``label("Constituency", "حلقہ", examples=["PB-41"])``).
    Return ``None`` if the party does not draft items of this kind.
    """


@hookspec
def check(kind: ItemKind, form: FormModel, parties: list[str], version: int) -> list[Finding]:
    """This party's rules on an item it is party to: return what is wrong, never raise.

    Called when an item is drafted, revised and submitted, for every party of the
    item, with the drafting party's validated form. An empty list means the party has
    no objection; any finding stops the action and is shown to the officer with its
    field. ``parties`` are the codes of all the item's parties; ``version`` is the
    party definition the item follows (see ``roles``), so that a rule added by an
    upgrade is not applied to items drafted before it.
    """


@hookspec
def extra_steps(kind: ItemKind, form: FormModel, parties: list[str], version: int) -> list[ExtraStep]:
    """Steps this party's rules add to the item's route, e.g. a finance review when
    the estimated cost passes a threshold.

    Called at every submission. Each step is placed after the named step of the core
    flow, acted on by this party's officers in the role given (mapped in ``roles``),
    and can be cleared or returned for revision. The reason is recorded in the
    item's history. ``version`` is the party definition the item follows (see ``roles``).
    """


@hookspec
def letterhead() -> str:
    """The Jinja2 source of this party's letterhead for rendered documents. Optional: a
    party without one gets the engine's (`engine/core/templates/letterhead.html`: its English
    and Urdu names, the title and the reference).

    Rendered with autoescape on and these names: ``party`` (the identity), ``title``,
    ``reference``. Return an HTML fragment.
    """


@hookspec
def on_event(event: EventNotice) -> None:
    """React to an action on an item this party is party to (for example, notify).

    Called from the item's Prefect flow run (a task per event), after the action is
    committed: once per event, in the order of the item's history, possibly later than
    the action if Prefect was down. An error here is logged with the plugin's name and
    never undoes the action.
    """


@hookspec
def delegation(office: str) -> DelegationRule | None:
    """Who may stand in for the holder of ``office`` while they are away, and which office
    supervises them (``DelegationRule``). Optional.

    An officer going on leave records an absence with a substitute and a period
    (``manzoori officers away``, the web app's "I will be away" page, the API); during the
    period the substitute sees the absent officer's waiting steps and may decide them,
    recorded as "SUBSTITUTE for HOLDER (Office)". A holder of the same office may always
    stand in; ``substitutes`` names the other offices of this party whose holders may
    (e.g. a department's Additional Secretary for its Secretary). ``supervisor`` names the
    office whose holder may record or end the absence for the holder, as well as the
    holder themself. Return ``None`` (or do not implement the hook) for the default: same
    office only, and only the holder records their own absence. Every office named must be
    one of ``offices()``.
    """
