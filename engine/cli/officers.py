"""`manzoori officers`: the officer directory, its passwords, tokens and one-time codes."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.markup import escape

from engine.cli.common import (
    Listing,
    add_row,
    engine_session,
    err,
    json_option,
    out,
    parse_date,
    print_json,
    print_table,
    reports_errors,
)
from engine.clock import utcnow
from engine.errors import InvalidForm

commands = typer.Typer()
officers_group = typer.Typer(help="The officer directory: who holds which office.", no_args_is_help=True)
commands.add_typer(officers_group, name="officers")


@officers_group.command("list")
@reports_errors
def officers_list(party: str | None = typer.Option(None, help="Only this party's officers."),
                  as_json: bool = json_option()) -> None:
    """The officers and the offices they hold, with effective dates."""
    from engine.core.directory import list_officers  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        if as_json:
            print_json([{"username": o.username, "name": o.name, "sample": o.sample, "appointments": [
                {"party": a.party, "office": a.office, "since": a.since, "until": a.until, "source": a.source}
                for a in o.appointments]} for o in list_officers(session, party)])
            return
        table = Listing(title="Officers")
        for column in ("username", "name", "party", "office", "since", "until", "source"):
            table.add_column(column)
        for officer in list_officers(session, party):
            for appointment in officer.appointments:
                add_row(table, officer.username, officer.name, appointment.party, appointment.office,
                        str(appointment.since or ""), str(appointment.until or ""), appointment.source)
        print_table(table)


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
        set_password(session, username, password, utcnow())
        session.commit()
    out.print(f"password set for {escape(username)}; their web sessions are ended", highlight=False)


@officers_group.command("token")
@reports_errors
def officers_token(
    username: str,
    name: str = typer.Option("api", help="What the token is for, shown in listings."),
    days: int = typer.Option(90, min=1, max=3650, help="Days until the token expires."),
    revoke: str | None = typer.Option(None, "--revoke", metavar="ID|all",
                                      help="Revoke USERNAME's token ID (`manzoori officers tokens`), "
                                           "or all their tokens, instead of making one."),
) -> None:
    """A new API bearer token acting as USERNAME (shown once; only its digest is kept),
    or with --revoke, revoke tokens."""
    from engine.core.accounts import issue_token, revoke_tokens  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        if revoke is not None:
            which = None if revoke == "all" else _token_id(revoke)
            count = revoke_tokens(session, username, utcnow(), which)
            session.commit()
            out.print(f"{count} token(s) of {escape(username)} revoked", highlight=False)
            return
        token = issue_token(session, username, name, utcnow(), timedelta(days=days))
        session.commit()
    out.print(token, highlight=False)
    err.print(f"token for {escape(username)}, valid for {days} days; it is shown only now", highlight=False)


def _token_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidForm(f"--revoke takes a token's number or 'all', not {text!r}",
                          problems=[("revoke", "not a token number")])
    return int(text)


@officers_group.command("tokens")
@reports_errors
def officers_tokens(username: str) -> None:
    """USERNAME's API tokens: number, name, made, expires, status (never the token)."""
    from engine.core.accounts import list_tokens  # lazy: the core, ~1 s; keeps --help fast

    now = utcnow()
    with engine_session() as (session, _registry):
        table = Listing(title=f"API tokens of {escape(username)}")
        for column in ("id", "name", "created", "expires", "status"):
            table.add_column(column)
        for token in list_tokens(session, username):
            add_row(table, token.id, token.name, f"{token.created_at:%Y-%m-%d %H:%M}",
                    f"{token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "never",
                    token.status(now))
        print_table(table)


@officers_group.command("sessions")
@reports_errors
def officers_sessions(
    username: str,
    end: bool = typer.Option(False, "--end", help="End every live web session of USERNAME."),
) -> None:
    """USERNAME's live web sessions; with --end, log them all out."""
    from engine.core.accounts import end_sessions, list_sessions  # lazy: the core, ~1 s

    now = utcnow()
    with engine_session() as (session, _registry):
        if end:
            count = end_sessions(session, username, now, "administrator")
            session.commit()
            out.print(f"{count} web session(s) of {escape(username)} ended", highlight=False)
            return
        table = Listing(title=f"Web sessions of {escape(username)}")
        for column in ("id", "logged in", "ends", "from"):
            table.add_column(column)
        for found in list_sessions(session, username, now):
            add_row(table, found.id, f"{found.created_at:%Y-%m-%d %H:%M}",
                    f"{found.expires_at:%Y-%m-%d %H:%M}", found.client or "")
        print_table(table)


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


@officers_group.command("away")
@reports_errors
def officers_away(
    username: str,
    substitute: str = typer.Option(..., help="Who acts for USERNAME meanwhile: a holder of the "
                                   "same office, or of one the party allows as substitute."),
    since: str = typer.Option(..., "--from", help="First day away (YYYY-MM-DD)."),
    until: str = typer.Option(..., help="Last day away (YYYY-MM-DD)."),
    reason: str = typer.Option(..., help="Why (leave, tour, training)."),
    by: str | None = typer.Option(None, "--as", help="Who records it: USERNAME (default) or the "
                                  "holder of their supervising office."),
) -> None:
    """Record that USERNAME will be away, and who decides their waiting steps meanwhile."""
    from engine.core.absences import period, record_absence  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        absence = record_absence(
            session, registry, officer=username, substitute=substitute,
            since=parse_date(since, "from") or utcnow().date(),
            until=parse_date(until, "until") or utcnow().date(), reason=reason, by=by, now=utcnow())
        out.print(escape(f"{username} is away {period(absence)}; {substitute} acts for them."),
                  highlight=False)


@officers_group.command("back")
@reports_errors
def officers_back(
    username: str,
    on: str | None = typer.Option(None, help="First day back (YYYY-MM-DD); default today."),
    by: str | None = typer.Option(None, "--as", help="Who records it: USERNAME (default) or the "
                                  "holder of their supervising office."),
) -> None:
    """End USERNAME's absence early: their substitute stops acting for them from that day."""
    from engine.core.absences import end_absence, period  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        absence = end_absence(session, registry, officer=username, back_on=parse_date(on, "on"),
                              by=by, now=utcnow())
        out.print(escape(f"{username} is back; the delegation to {absence.substitute.username} "
                         f"ran {period(absence)}."), highlight=False)


@officers_group.command("absences")
@reports_errors
def officers_absences(username: str | None = typer.Argument(None, help="Only this officer's "
                                                             "(away or standing in).")) -> None:
    """Absences and their substitutes, newest first."""
    from engine.core.absences import absences  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        table = Listing(title="Absences")
        for column in ("officer", "substitute", "from", "until", "back on", "reason", "recorded by"):
            table.add_column(column)
        for absence in absences(session, username):
            add_row(table, absence.officer.username, absence.substitute.username,
                    str(absence.since), str(absence.until), str(absence.back_on or ""),
                    absence.reason, absence.recorded_by.username)
        print_table(table)


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
