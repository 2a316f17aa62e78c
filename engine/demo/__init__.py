"""`manzoori demo`: the seeds' real events replayed from draft to their final state, then
three illustrative items left in flight (`engine.demo.scenes.live_scenes`) so that work
waits for the [sample] officers.

Each scene follows a text of `shared/context/`. People named in those texts act only
in the office and on the date the text shows them in; every other officer is a
`[sample]`, and steps the record does not describe are marked *illustrative*.
Figures that the record does not give (PSDP costs, constituencies) are sample values.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.accounts import hash_password
from engine.core.certificates import seed_sample_certificates
from engine.core.credentials import kept_secret
from engine.core.directory import load_public_holders, seed_sample_officers
from engine.core.followup import clear_report, plan, report_progress
from engine.core.items import act, draft
from engine.core.registry import Registry
from engine.core.signatures import SAMPLE_PASSPHRASE, sample_passphrase, seed_sample_keys
from engine.demo.scenes import FOLLOW_UP, FOLLOW_UP_QUARTER, LIVE_OFFICERS, SCENES, live_scenes
from engine.demo.script import Scene
from engine.errors import Conflict
from engine.store import Item, Officer, PlanAction, home

CERTIFIED_FROM = datetime(2025, 1, 1)
"""When the [sample] CAs and certificates start: before the Letter of Intent is signed."""


def run_demo(session: Session, registry: Registry, console: Console) -> list[str]:
    """Play every scene; returns the references of the items it made."""
    existing = session.scalar(select(func.count()).select_from(Item))
    live = live_scenes(utcnow().replace(second=0, microsecond=0))
    if existing and _already_played(session, [*SCENES, *live]):
        console.print("The demo has already been played on this database; see its items with "
                      "[bold]manzoori items[/], or set MANZOORI_HOME to an empty folder to play it again.",
                      highlight=False)
        return []
    if existing:
        raise Conflict(
            f"the database already holds {existing} item{'s' if existing != 1 else ''}; the demo needs a fresh one: "
            "point MANZOORI_HOME at an empty folder"
        )
    start = datetime(2000, 1, 1)
    holders = load_public_holders(session, registry, start)
    samples = seed_sample_officers(session, registry, start)
    # The people from the record who sign in the scenes get demo keys too: [sample] keys
    # under the sample passphrase, not keys they made or hold.
    signers = sorted({move.officer for scene in [*SCENES, *live] for move in scene.moves if move.action == "sign"})
    keyed = seed_sample_keys(session, start, usernames=signers)
    # The agreements' signatories get [sample] certificates, so that the Letter of Intent
    # travels as a PDF whose signatures any PDF reader checks (docs/certificates.md).
    certified = sorted({move.officer for scene in SCENES if scene.kind == "agreement"
                        for move in scene.moves if move.action == "sign"})
    seed_sample_certificates(session, registry, CERTIFIED_FROM, certified, sample_passphrase())
    session.commit()
    console.print(f"Directory: {holders} office holders from the public record, "
                  f"{samples} \\[sample] officers; {keyed} \\[sample] signing keys under the "
                  f"passphrase in {escape(str(home() / SAMPLE_PASSPHRASE))}.\n", highlight=False)
    references = []
    for scene in SCENES:
        references.append(_play(session, registry, console, scene, sample_passphrase()))
    _follow_up(session, registry, console)
    waiting = [(scene, _play(session, registry, console, scene, sample_passphrase())) for scene in live]
    references += [reference for _, reference in waiting]
    console.print("\nSee them with [bold]manzoori items[/] and [bold]manzoori show REF[/].")
    console.rule("[bold]Work waiting for you[/]")
    for scene, reference in waiting:
        officer = LIVE_OFFICERS[scene.item_title]
        console.print(f"{reference} ({escape(scene.item_title)}): log in as [bold]{officer}[/], or "
                      f"[bold]manzoori inbox --as {officer}[/]", highlight=False)
    path = _sample_logins(session)
    console.print(f"The \\[sample] officers can log in to the web app (e.g. as "
                  f"balochistan.assembly-secretary) with the password in {escape(str(path))}.",
                  highlight=False)
    return references


def _sample_logins(session: Session) -> Path:
    """One generated password for every [sample] officer, kept in a file only its owner reads.
    People from the public record get no login: they are not users of this demo."""
    path = home() / "demo-password"
    hashed = hash_password(kept_secret(path, 12))
    for officer in session.scalars(select(Officer).where(Officer.sample.is_(True))):
        officer.password_hash = hashed
    session.commit()
    return path


def _already_played(session: Session, scenes: list[Scene]) -> bool:
    """True when the database holds the demo's items and nothing else."""
    titles = sorted(session.scalars(select(Item.title)))
    return titles == sorted(scene.item_title for scene in scenes)


def _play(session: Session, registry: Registry, console: Console, scene: Scene,
          passphrase: str) -> str:
    console.rule(f"[bold]{escape(scene.title)}[/]  ({escape(scene.source)})")
    outcome = draft(
        session, registry, kind=scene.kind, parties=scene.parties, title=scene.item_title,
        form=scene.form, officer=scene.drafter, ordered_signing=scene.ordered_signing,
        now=datetime.fromisoformat(scene.drafted_at),
    )
    reference = outcome.reference
    console.print(f"{scene.drafted_at[:10]}  {scene.drafter} drafts [bold]{reference}[/]: "
                  f"{escape(scene.item_title)}", highlight=False)
    for move in scene.moves:
        result = act(session, registry, reference=reference, action=move.action,
                     officer=move.officer, comment=move.comment, form=move.form,
                     now=datetime.fromisoformat(move.at),
                     passphrase=passphrase if move.action == "sign" else None)
        mark = " [dim](illustrative)[/]" if move.illustrative else ""
        console.print(f"{move.at[:10]}  {escape(move.say)}{mark} → [cyan]{result.state}[/]", highlight=False)
    return reference


def _follow_up(session: Session, registry: Registry, console: Console) -> None:
    """One quarter of follow-up on the adopted resolution: illustrative [sample] reports."""
    console.rule(f"[bold]IPMG follow-up, {FOLLOW_UP_QUARTER}[/]  (contexts 002 and 003: "
                 "the resolutions become the next quarter's action plan)")
    console.print(f"{len(plan(session, FOLLOW_UP_QUARTER, None))} actions in the {FOLLOW_UP_QUARTER} plan.",
                  highlight=False)
    for move in FOLLOW_UP:
        action = session.scalars(select(PlanAction).join(PlanAction.item).where(
            Item.reference == move.reference, PlanAction.point_index == move.point,
            PlanAction.party == move.party)).one()
        report_progress(session, registry, action_id=action.id, status=move.status,
                        officer=move.reporter, reason=move.reason, note=move.note,
                        now=datetime.fromisoformat(move.reported_at))
        clear_report(session, registry, action_id=action.id, officer=move.clearer,
                     now=datetime.fromisoformat(move.cleared_at))
        console.print(f"{move.cleared_at[:10]}  {escape(move.say)} [dim](illustrative)[/] → "
                      f"[cyan]{move.status}[/], cleared", highlight=False)
    console.print(f"See the quarter with [bold]manzoori report {FOLLOW_UP_QUARTER}[/].")
