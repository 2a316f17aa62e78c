"""Deadlines: `deadlines` (reminders and escalations on each party's calendar) and
`notify` (email an officer a step waits for)."""

from __future__ import annotations

import typer
from rich.markup import escape

from engine.cli.common import Listing, add_row, engine_session, moment, out, print_table, reports_errors

commands = typer.Typer()


@commands.command()
@reports_errors
def deadlines(
    now: str | None = typer.Option(None, "--now", help="Judge deadlines at this moment "
                                   "(YYYY-MM-DDTHH:MM, UTC unless it names an offset); default: now."),
) -> None:
    """Remind the offices whose steps fall due soon and escalate the overdue ones, on each
    party's working calendar; each step is reminded and escalated once. Steps assigned to
    officers relieved by now go back to their offices first."""
    from engine.core.deadlines import sweep  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.transfers import hand_over_due  # lazy: the core, ~1 s; keeps --help fast

    at = moment(now)
    with engine_session() as (session, registry):
        handed = hand_over_due(session, registry, at)
        notices = sweep(session, registry, at)
    for reference in handed:
        out.print(f"{escape(reference)}: a step assigned to a relieved officer went back to its office",
                  highlight=False)
    if not notices:
        out.print("No reminders or escalations due.")
        return
    table = Listing(title=f"Reminders and escalations at {at:%Y-%m-%d %H:%M} UTC")
    for column in ("reference", "step", "party", "office", "notice", "due (UTC)", "told"):
        table.add_column(column)
    for notice in notices:
        add_row(table, notice.reference, notice.step, notice.party, notice.office, notice.kind,
                f"{notice.due_at:%Y-%m-%d %H:%M}", notice.to_office)
    print_table(table)


@commands.command()
@reports_errors
def notify(
    now: str | None = typer.Option(None, "--now", help="Who is waited for at this moment "
                                   "(YYYY-MM-DDTHH:MM, UTC unless it names an offset); default: now."),
) -> None:
    """Email each officer a step waits for a one-time link to decide it (once per step);
    off unless MANZOORI_SMTP_HOST is set."""
    from engine.core.mail import mail_settings, notify_waiting  # lazy: the core, ~1 s; keeps --help fast

    settings = mail_settings()
    if settings is None:
        out.print("Email is off (set MANZOORI_SMTP_HOST to send notifications); nothing sent.")
        return
    at = moment(now)
    with engine_session() as (session, registry):
        sent = notify_waiting(session, registry, at, settings)
    out.print(f"{len(sent)} notification{'' if len(sent) == 1 else 's'} sent "
              f"through {escape(settings.host)}:{settings.port}.", highlight=False)
    if sent:
        table = Listing()
        for column in ("reference", "step", "party", "officer", "email", "link expires (UTC)"):
            table.add_column(column)
        for notice in sent:
            add_row(table, notice.reference, notice.step, notice.party, notice.officer,
                    notice.email, f"{notice.expires_at:%Y-%m-%d %H:%M}")
        print_table(table)
