"""The items: `draft`, `items`, `inbox`, `act`, `show`, and `migrate` (moving in-flight
items to a newer definition)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from engine.cli.common import (
    Listing,
    add_row,
    as_reader,
    engine_session,
    err,
    json_option,
    out,
    print_json,
    print_table,
    read_form,
    reader_option,
    reports_errors,
)
from engine.cli.trust import passphrase_to_sign

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from engine.core.registry import Registry
    from engine.store import AuditEvent, Item

commands = typer.Typer()


@commands.command()
@reports_errors
def draft(
    kind: str = typer.Argument(..., help="work_plan, joint_resolution or agreement."),
    parties: str = typer.Option(..., help="Comma-separated party codes, drafting party first."),
    title: str = typer.Option(...),
    form: Path = typer.Option(..., help="The form data as a JSON or YAML file ('-' for stdin)."),
    officer: str = typer.Option(..., "--as", help="The drafting officer's username."),
    ordered_signing: bool = typer.Option(False, "--ordered-signing",
                                         help="Parties sign one after another, in the order given."),
) -> None:
    """Draft a new item in the drafting party's form."""
    from engine.core.items import draft as draft_item  # lazy: the core, ~1 s; keeps --help fast

    data = read_form(form)
    with engine_session() as (session, registry):
        outcome = draft_item(session, registry, kind=kind, parties=parties.split(","), title=title,
                             form=data or {}, officer=officer, ordered_signing=ordered_signing)
    out.print(outcome.reference)
    err.print(escape(outcome.message), highlight=False)


@commands.command()
@reports_errors
def items(
    state: str | None = typer.Option(None),
    kind: str | None = typer.Option(None),
    party: str | None = typer.Option(None),
    officer: str | None = reader_option("the items"),
    as_json: bool = json_option(),
) -> None:
    """List items, newest first, filtered by state, kind or party."""
    from engine.core.queries import list_items  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        if as_json:
            found = list_items(session, reader=as_reader(session, registry, officer), state=state,
                               kind=kind, party=party)
            print_json([{"reference": item.reference, "kind": item.kind, "title": item.title,
                         "state": item.state, "parties": list(item.party_codes),
                         "revision": item.revision, "updated_at": item.updated_at} for item in found])
            return
        table = Listing(title="Items" + (f" {officer} may read" if officer else ""))
        for column in ("reference", "kind", "title", "state", "parties", "updated"):
            table.add_column(column)
        reader = as_reader(session, registry, officer)
        for item in list_items(session, reader=reader, state=state, kind=kind, party=party):
            add_row(table, item.reference, item.kind, item.title, item.state,
                    ", ".join(item.party_codes), f"{item.updated_at:%Y-%m-%d %H:%M}")
        print_table(table)


@commands.command()
@reports_errors
def inbox(officer: str = typer.Option(..., "--as", help="Whose inbox."),
          limit: int = typer.Option(500, min=1, help="Show at most this many, soonest first."),
          as_json: bool = json_option()) -> None:
    """What waits for an officer, soonest deadline first."""
    from engine.core.queries import inbox as waiting  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.queries import inbox_count  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        entries = waiting(session, officer, limit=limit)
        total = inbox_count(session, officer) if len(entries) == limit else len(entries)
        if as_json:
            print_json({"officer": officer, "total": total, "entries": [
                {"reference": e.reference, "kind": e.kind, "title": e.title, "step": e.step,
                 "party": e.party, "office": e.office, "due_at": e.due_at, "revision": e.revision,
                 "capacity": e.capacity, "acting_for": e.acting_for} for e in entries]})
            return
        shown = f" (the {limit} soonest of {total})" if total > len(entries) else ""
        table = Listing(title=f"Waiting for {officer}{shown}")
        for column in ("reference", "kind", "title", "step", "for", "due", "rev"):
            table.add_column(column)
        for entry in entries:
            due = f"{entry.due_at:%Y-%m-%d}" if entry.due_at else ""
            capacity = (f" for {entry.acting_for}" if entry.acting_for
                        else " (escalated)" if entry.capacity == "escalated" else "")
            add_row(table, entry.reference, entry.kind, entry.title, entry.step,
                    f"{entry.office} ({entry.party}){capacity}", due, str(entry.revision))
        print_table(table if entries else f"Nothing waits for {officer}.")


@commands.command()
@reports_errors
def act(
    reference: str = typer.Argument(..., metavar="ITEM"),
    action: str = typer.Argument(..., help="submit, revise, comment, feedback, clear, return, "
                                 "approve, reject, sign or withdraw."),
    officer: str = typer.Option(..., "--as", help="The acting officer's username."),
    comment: str | None = typer.Option(None, help="A comment, or the reason for return/reject/withdraw."),
    form: Path | None = typer.Option(None, help="New form data (submit, revise)."),
    title: str | None = typer.Option(None, help="New title (submit, revise)."),
    key: str | None = typer.Option(None, help="Idempotency key: a retry with the same key is not applied twice."),
    revision: int | None = typer.Option(None, help="Act only if the item is still at this revision."),
    passphrase_file: Path | None = typer.Option(None, "--passphrase-file", help="sign: read your "
                                                "key's passphrase from this file, not a hidden prompt."),
) -> None:
    """Act on an item as an officer."""
    from engine.core.items import act as act_on  # lazy: the core, ~1 s; keeps --help fast

    data = read_form(form)
    passphrase = passphrase_to_sign(reference, officer, passphrase_file) if action == "sign" else None
    with engine_session() as (session, registry):
        outcome = act_on(session, registry, reference=reference, action=action, officer=officer,
                         comment=comment, form=data, title=title, key=key,
                         expected_revision=revision, passphrase=passphrase)
    out.print(escape(outcome.message), highlight=False)


@commands.command()
@reports_errors
def show(reference: str = typer.Argument(..., metavar="ITEM"),
         officer: str | None = reader_option("the item"), as_json: bool = json_option()) -> None:
    """One item: its parties, versions, steps and history."""
    from engine.core.authority import who  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.definitions import of_item  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.queries import item_detail  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.transfers import holders_today  # lazy: the core, ~1 s; keeps --help fast
    from engine.store import Officer  # lazy: SQLAlchemy; keeps --help fast

    with engine_session() as (session, registry):
        detail = item_detail(session, reference, as_reader(session, registry, officer))
        item = detail.item
        if as_json:
            print_json(_item_json(session, registry, item, detail.events))
            return
        out.print(f"[bold]{item.reference}[/] — {escape(item.title)}", highlight=False)
        out.print(f"{item.kind} · state [bold]{item.state}[/] · parties {', '.join(item.party_codes)}"
                  f" · flow v{item.flow_version} · revision {item.revision}", highlight=False)
        out.print(f"follows {of_item(registry, item).describe(item.kind)}", highlight=False)
        for step in item.route:
            if step["reason"]:
                out.print(f"step [bold]{step['name']}[/] added by {step['source']}: {escape(step['reason'])}",
                          highlight=False)
        versions = Listing(title="Versions")
        for column in ("no.", "title", "form", "author", "submitted", "digest"):
            versions.add_column(column)
        for version in item.versions:
            add_row(versions, str(version.number), version.title, version.form_model,
                    version.author.username,
                    f"{version.submitted_at:%Y-%m-%d %H:%M}" if version.submitted_at else "draft",
                    (version.digest or "")[:16])
        print_table(versions)
        steps = Listing(title="Steps")
        for column in ("cycle", "step", "party", "office", "status", "decisions", "due"):
            steps.add_column(column)
        for step in item.steps:
            decided = ", ".join(f"{d.action}" + (f" by {d.officer.username} for {d.for_officer.username}"
                                                 if d.for_officer else " (escalated)"
                                                 if d.capacity == "escalated" else "")
                                for d in step.decisions)
            add_row(steps, str(step.cycle), step.name, step.party, step.office, step.status, decided,
                    f"{step.due_at:%Y-%m-%d}" if step.due_at else "")
        print_table(steps)
        waiting = Listing(title="Who holds each waiting office today")
        for column in ("step", "party", "office", "held today by", "assigned to"):
            waiting.add_column(column)
        for step in item.steps:
            if step.status in ("open", "pending"):
                holders = holders_today(session, registry, step.party, step.office)
                add_row(waiting, step.name, step.party, step.office, ", ".join(holders) or "nobody",
                        assignee.username if (assignee := session.get(Officer, step.assigned_to_id or 0))
                        else "")
        if waiting.row_count:
            print_table(waiting)
        history = Listing(title="History")
        for column in ("#", "when", "who", "action", "step", "comment"):
            history.add_column(column)
        for event in detail.events:
            add_row(history, str(event.seq), f"{event.at:%Y-%m-%d %H:%M}",
                    who(event.officer.username if event.officer else None, event.payload), event.action,
                    event.step or "", event.comment or "")
        print_table(history)


@commands.command()
@reports_errors
def migrate(
    kind: str = typer.Argument(..., help="work_plan, joint_resolution or agreement."),
    party: str = typer.Option(..., help="The party whose plugin brought the newer definition."),
    to: int = typer.Option(..., "--to", help="The party's definition version to move items to."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would move; change nothing."),
) -> None:
    """Move in-flight items of KIND to a newer definition of PARTY (its roles, extra steps
    and rules), each at the same step; items whose step the new definition lacks stay."""
    from engine.core.upgrades import migrate as move_items  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        moves = move_items(session, registry, kind=kind, party=party, version=to, dry_run=dry_run)
    if not moves:
        out.print(f"No in-flight {escape(kind)} of {escape(party)} follows a definition older "
                  f"than {to}.", highlight=False)
        return
    verb = "would move" if dry_run else "moved"
    table = Listing(title=f"{'Dry run: ' if dry_run else ''}{kind} items to {party} definition {to}"
                  + (" (nothing changed)" if dry_run else ""))
    for column in ("item", "at step", verb, "changes", "cannot move because"):
        table.add_column(column)
    for move in moves:
        add_row(table, move.reference, move.step, move.to_step or "—", "; ".join(move.changes),
                move.reason or "")
    print_table(table)
    stuck = [move for move in moves if move.reason]
    out.print(f"{len(moves) - len(stuck)} item(s) {verb}; {len(stuck)} cannot move"
              + ("" if dry_run or not stuck else ", left untouched"), highlight=False)


def _item_json(session: Session, registry: Registry, item: Item, events: list[AuditEvent]) -> dict[str, Any]:
    """`show --json`: the item, its versions, steps (with who holds each waiting office
    today) and history; README's "Output for scripts" gives the shape."""
    from engine.core.authority import who  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.transfers import holders_today  # lazy: the core, ~1 s; keeps --help fast
    from engine.store import Officer  # lazy: SQLAlchemy; keeps --help fast

    def username(officer_id: int | None) -> str | None:
        officer = session.get(Officer, officer_id) if officer_id is not None else None
        return officer.username if officer else None

    return {
        "reference": item.reference, "kind": item.kind, "title": item.title, "state": item.state,
        "parties": list(item.party_codes), "flow_version": item.flow_version, "revision": item.revision,
        "versions": [{"number": v.number, "title": v.title, "form_model": v.form_model,
                      "author": v.author.username, "submitted_at": v.submitted_at, "digest": v.digest,
                      "form": v.form} for v in item.versions],
        "steps": [{"cycle": s.cycle, "position": s.position, "name": s.name, "party": s.party,
                   "office": s.office, "status": s.status, "due_at": s.due_at,
                   "assigned_to": username(s.assigned_to_id),
                   "held_today_by": (holders_today(session, registry, s.party, s.office)
                                     if s.status in ("open", "pending") else []),
                   "decisions": [{"action": d.action, "officer": d.officer.username,
                                  "for_officer": d.for_officer.username if d.for_officer else None,
                                  "capacity": d.capacity, "at": d.at} for d in s.decisions]}
                  for s in item.steps],
        "history": [{"seq": e.seq, "at": e.at, "action": e.action,
                     "officer": e.officer.username if e.officer else None,
                     "who": who(e.officer.username if e.officer else None, e.payload),
                     "step": e.step, "party": e.party, "comment": e.comment} for e in events],
    }
