"""A rehearsal: one joint resolution with a given party as a party, drafted and driven to
adoption by [sample] officers on a throw-away database, through the engine's own
services. The conformance kit runs it for every party; it proves the party's offices,
roles, rules and letterhead hold up in a real flow, not only one hook at a time."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.contract import ItemKind
from engine.contract.forms import example_data
from engine.core.directory import holds, list_officers, seed_sample_officers
from engine.core.documents import render_document
from engine.core.flows import NEXT, EndState, Route, current_flow
from engine.core.items import act, draft, get_item
from engine.core.registry import Registry
from engine.core.signatures import seed_sample_keys
from engine.errors import ManzooriError, PluginError
from engine.store import Item, Officer, open_database
from engine.store.statuses import StepStatus

KIND = ItemKind.JOINT_RESOLUTION
#: Enough for any route: a step per party per role, each with its quorum.
MAX_ACTIONS = 500


def _drafts(registry: Registry, code: str) -> bool:
    party = registry.parties[code]
    return party.form(KIND) is not None and "drafter" in (party.roles(KIND) or {})


def _drafter_decides(registry: Registry, code: str) -> bool:
    roles = registry.parties[code].roles(KIND) or {}
    deciding = {step.role for step in current_flow(KIND).steps if step.per_party}
    return any(roles[role].office == roles["drafter"].office for role in deciding & set(roles))


def cast(registry: Registry, code: str) -> list[str]:
    """The parties of the rehearsal, drafting party first: another party that drafts
    joint resolutions, preferably one whose drafter does not also hold its own steps (the
    IPMG secretariat at the NCSW), so that maker and checker can differ; the party itself
    when no other does that, with the first other party that takes part."""
    drafters = sorted((c for c in registry.parties if _drafts(registry, c)),
                      key=lambda c: (_drafter_decides(registry, c), c == code, c))
    if drafters and drafters[0] != code:
        return [drafters[0], code]
    partners = [c for c in sorted(registry.parties)
                if c != code and registry.parties[c].roles(KIND) is not None]
    return [code, *partners[:1]]


def rehearse_joint_resolution(registry: Registry, code: str, home: Path) -> list[tuple[str, str]]:
    """(hook, reason) for what stopped the rehearsal; empty when the resolution was adopted
    and its document printed with `code`'s letterhead."""
    if registry.parties[code].roles(KIND) is None:
        return [("roles", "takes no part in joint resolutions (roles() returns None for them)")]
    parties = cast(registry, code)
    if len(parties) < 2 or not _drafts(registry, parties[0]):
        return [("roles", "no installed party can draft a joint resolution with it")]
    factory = open_database(f"sqlite:///{home / 'rehearsal.db'}")
    try:
        with factory() as session:
            passphrase = secrets.token_urlsafe(16)  # the rehearsal's own [sample] keys'
            seed_sample_officers(session, registry, utcnow())
            seed_sample_keys(session, utcnow(), passphrase=passphrase)
            session.commit()
            return _run(session, registry, parties, code, passphrase)
    finally:
        factory.kw["bind"].dispose()


def _run(session: Session, registry: Registry, parties: list[str], code: str,
         passphrase: str) -> list[tuple[str, str]]:
    drafting = registry.parties[parties[0]]
    roles, form = drafting.roles(KIND), drafting.form(KIND)
    if roles is None or form is None:
        return [("roles", f"{drafting.code} does not draft {KIND.label.lower()}s")]
    drafter = _officers(session, parties[0], roles["drafter"].office)[0]
    title = f"Rehearsal: {registry.parties[code].identity.name_en} as a party [sample]"
    try:
        reference = draft(session, registry, kind=KIND.value, parties=parties, title=title,
                          form=example_data(form), officer=drafter.username).reference
        for _ in range(MAX_ACTIONS):
            item = get_item(session, reference)
            if item.state == EndState.ADOPTED:
                break
            username, action = _next_move(session, item, drafter)
            act(session, registry, reference=reference, action=action, officer=username,
                passphrase=passphrase)
        else:
            return [("roles", f"{reference} was not adopted after {MAX_ACTIONS} actions")]
        html = render_document(get_item(session, reference), registry)
    except PluginError as error:
        return [(error.hook or "party", f"{error.reason} (rehearsal with {', '.join(parties)})")]
    except ManzooriError as error:
        return [("roles", f"the rehearsal with {', '.join(parties)} stopped: {error.message}")]
    name = registry.parties[code].identity.name_en
    if registry.parties[code].call("letterhead") == "" and name not in html:
        return [("letterhead", f"the adopted resolution's document does not show {name!r}")]
    return []


def _officers(session: Session, party: str, office: str) -> list[Officer]:
    today = utcnow().date()
    return [officer for officer in list_officers(session, party) if holds(officer, party, office, today)]


def _next_move(session: Session, item: Item, drafter: Officer) -> tuple[str, str]:
    """Who acts next and how: the drafter submits, others take the step's forward action."""
    route = Route.from_json(item.route)
    step = route.steps[item.stage]
    if step.is_drafting:
        return drafter.username, "submit"
    open_records = [record for record in item.current_steps if record.status == StepStatus.OPEN]
    stuck = None
    for record in open_records:
        step = route.steps[record.position]
        action = next(name for name, target in step.actions.items() if target == NEXT)
        decided = {decision.officer_id for decision in record.decisions}
        for officer in _officers(session, record.party, record.office):
            if officer.id != drafter.id and officer.id not in decided:
                return officer.username, action
        stuck = stuck or record
    raise PluginError(stuck.party if stuck else item.drafting_party, "roles",
                      f"no [sample] officer other than the drafter can act at step "
                      f"{step.name!r}" + (f" for {stuck.party} (office {stuck.office!r}, "
                                          f"quorum {stuck.quorum})"
                                          if stuck else ""))
