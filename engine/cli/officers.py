"""`manzoori officers`: the officer directory, its passwords, tokens and one-time codes."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli.common import add_row, engine_session, err, out, parse_date, reports_errors
from engine.clock import utcnow

commands = typer.Typer()
officers_group = typer.Typer(help="The officer directory: who holds which office.", no_args_is_help=True)
commands.add_typer(officers_group, name="officers")


@officers_group.command("list")
@reports_errors
def officers_list(party: str | None = typer.Option(None, help="Only this party's officers.")) -> None:
    """The officers and the offices they hold, with effective dates."""
    from engine.core.directory import list_officers  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        table = Table(title="Officers")
        for column in ("username", "name", "party", "office", "since", "until", "source"):
            table.add_column(column)
        for officer in list_officers(session, party):
            for appointment in officer.appointments:
                add_row(table, officer.username, officer.name, appointment.party, appointment.office,
                        str(appointment.since or ""), str(appointment.until or ""), appointment.source)
        out.print(table)


@officers_group.command("code")
@reports_errors
def officers_code(username: str) -> None:
    """A one-time code for USERNAME to sign a decision typed into the Prefect UI."""
    from engine.core.credentials import issue_code  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        code, expires = issue_code(session, username, utcnow())
        session.commit()
    out.print(f"{code}", highlight=False)
    err.print(f"one-time code for {escape(username)}, valid until {expires:%H:%M} UTC; "
              "it is spent by its first use", highlight=False)


@officers_group.command("password")
@reports_errors
def officers_password(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="At least 10 characters; asked for when not given."),
) -> None:
    """Set USERNAME's password for the web app (stored as an argon2id hash)."""
    from engine.core.accounts import set_password  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        set_password(session, username, password)
        session.commit()
    out.print(f"password set for {escape(username)}", highlight=False)


@officers_group.command("token")
@reports_errors
def officers_token(
    username: str,
    name: str = typer.Option("api", help="What the token is for, shown in listings."),
) -> None:
    """A new API bearer token acting as USERNAME (shown once; only its digest is kept)."""
    from engine.core.accounts import issue_token  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        token = issue_token(session, username, name, utcnow())
        session.commit()
    out.print(token, highlight=False)


@officers_group.command("add")
@reports_errors
def officers_add(
    username: str,
    name: str = typer.Option(..., help="Full name; samples get '[sample]'."),
    party: str = typer.Option(...),
    office: str = typer.Option(...),
    since: str | None = typer.Option(None, help="First day in office (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="Last day in office (YYYY-MM-DD)."),
    source: str = typer.Option("added by an administrator"),
    sample: bool = typer.Option(False, "--sample"),
) -> None:
    """Appoint an officer to an office of a party."""
    from engine.core.directory import add_officer  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        officer = add_officer(session, registry, username=username, name=name, party=party,
                              office=office, since=parse_date(since, "since"),
                              until=parse_date(until, "until"), source=source, sample=sample,
                              now=utcnow())
        session.commit()
        out.print(escape(f"{officer.username} ({officer.name}) holds {party}/{office}."))


@officers_group.command("appoint")
@reports_errors
def officers_appoint(
    username: str,
    party: str = typer.Option(...),
    office: str = typer.Option(...),
    since: str | None = typer.Option(None, "--from", help="First day in office, on the party's "
                                     "calendar (YYYY-MM-DD); default: the party's today."),
    name: str | None = typer.Option(None, help="Full name, to add an officer not yet in the directory."),
    keep_previous: bool = typer.Option(False, "--keep-previous", help="Do not relieve the holder "
                                       "of a single-seat office (refused if the seats are full)."),
    by: str | None = typer.Option(None, "--as", help="The administrator acting (an office that "
                                  "keeps the party's directory); default: you, the operator."),
) -> None:
    """Appoint USERNAME to an office; a single-seat office's holder is relieved that day and
    the steps assigned to them go back to the office."""
    from engine.core.transfers import appoint  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        transfer = appoint(session, registry, username=username, party=party, office=office,
                           since=parse_date(since, "since"), name=name,
                           keep_previous=keep_previous, by=by)
    out.print(escape(transfer.message), highlight=False)


@officers_group.command("relieve")
@reports_errors
def officers_relieve(
    username: str,
    office: str = typer.Option(...),
    on: str | None = typer.Option(None, help="The first day without the office, on the party's "
                                  "calendar (YYYY-MM-DD); default: the party's today."),
    party: str | None = typer.Option(None, help="Needed only if USERNAME holds OFFICE in several parties."),
    by: str | None = typer.Option(None, "--as", help="The administrator acting (an office that "
                                  "keeps the party's directory); default: you, the operator."),
) -> None:
    """Relieve USERNAME of an office from a day on: they no longer decide, sign or can be
    assigned, and the steps assigned to them go back to the office."""
    from engine.core.transfers import relieve  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        transfer = relieve(session, registry, username=username, office=office,
                           on=parse_date(on, "on"), party=party, by=by)
    out.print(escape(transfer.message), highlight=False)
