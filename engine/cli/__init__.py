"""The `manzoori` command. Heavy modules (SQLAlchemy, pydantic, the plugins, Prefect)
are imported inside the commands that need them, so `manzoori --help` stays quick.

Exit codes: 0 ok, 1 error, 2 usage, 3 not allowed, 4 not found, 5 invalid form,
6 conflict, 7 plugin fault, 8 verification failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from engine.core.registry import Registry

app = typer.Typer(
    help="Manzoori (منظوری): draft, review, approve and sign work plans, joint resolutions "
    "and inter-provincial agreements.\n\nExit codes: 0 ok, 3 not allowed, 4 not found, "
    "5 invalid form, 6 conflict, 7 plugin fault, 8 verification failed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
officers_app = typer.Typer(help="The officer directory: who holds which office.", no_args_is_help=True)
app.add_typer(officers_app, name="officers")
plugin_app = typer.Typer(help="Party plugins: start a new province's package.", no_args_is_help=True)
app.add_typer(plugin_app, name="plugin")

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def add_row(table: Table, *values: object) -> None:
    """A row of data, never read as Rich markup ("[sample]" is part of a name)."""
    table.add_row(*(escape(str(value)) for value in values))


def reports_errors(command: F) -> F:
    """Turn the engine's errors into a plain message and the documented exit code."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import InvalidForm, ManzooriError

        try:
            return command(*args, **kwargs)
        except ManzooriError as error:
            listed = isinstance(error, InvalidForm) and len(error.problems) > 1
            text = error.headline if listed else error.message  # type: ignore[attr-defined]
            err.print(f"[bold red]{type(error).__name__}:[/] {escape(text)}", highlight=False)
            if listed:
                for where, message in error.problems:  # type: ignore[attr-defined]
                    err.print(f"  - {where}: {message}", highlight=False, markup=False)
            raise typer.Exit(error.exit_code) from None

    return run  # type: ignore[return-value]


@contextmanager
def engine_session() -> Iterator[tuple[Session, Registry]]:
    from engine.core.registry import registry
    from engine.store import open_database

    factory = open_database()
    try:
        with factory() as session:
            yield session, registry()
    finally:
        factory.kw["bind"].dispose()


def _read_form(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    import yaml

    from engine.errors import InvalidForm

    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidForm(f"cannot read form file {path}: {error.strerror}",
                          problems=[("form", "unreadable")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidForm(f"form file {path} is not valid JSON or YAML: {error}",
                          problems=[("form", "syntax")]) from None
    if not isinstance(data, dict):
        raise InvalidForm(f"form file {path} must hold a mapping of field names to values",
                          problems=[("form", "not a mapping")])
    return data


@app.command()
@reports_errors
def init(samples: bool = typer.Option(False, "--samples", help="Add [sample] officers for every office.")) -> None:
    """Create the database (or bring it up to date) and load office holders."""
    from engine.clock import utcnow
    from engine.core.directory import load_public_holders, seed_sample_officers
    from engine.store import database_url, home

    with engine_session() as (session, registry):
        now = utcnow()
        added = load_public_holders(session, registry, now)
        if samples:
            from engine.core.signatures import SAMPLE_PASSPHRASE, seed_sample_keys

            added += seed_sample_officers(session, registry, now)
            keyed = seed_sample_keys(session, now)
        session.commit()
    from sqlalchemy.engine import make_url

    where = make_url(database_url()).render_as_string(hide_password=True)  # never print a password
    out.print(f"Database ready at {escape(where)}; {added} officers added.", highlight=False)
    if samples and keyed:
        out.print(f"{keyed} \\[sample] signing keys, under the passphrase in "
                  f"{escape(str(home() / SAMPLE_PASSPHRASE))}.", highlight=False)
    for fault in registry.faults:
        err.print(f"[yellow]warning:[/] {escape(fault.message)}", highlight=False)


@app.command()
@reports_errors
def provinces(
    code: str | None = typer.Argument(None, help="Show one party's offices and forms."),
    check: bool = typer.Option(False, "--check", help="Exit 7 if any plugin is faulty."),
) -> None:
    """The installed parties, their offices and forms; faulty plugins by name and reason."""
    from engine.contract import ItemKind
    from engine.core.registry import registry as load

    registry = load()
    if code:
        _show_party(registry.party(code))
    else:
        table = Table(title="Installed parties")
        for column in ("code", "name", "نام", "kind", "offices", *[k.code for k in ItemKind]):
            table.add_column(column)
        for party in sorted(registry.parties.values(), key=lambda p: p.code):
            identity = party.identity
            forms = ["form" if party.form(kind) else "—" for kind in ItemKind]
            add_row(table, identity.code, identity.name_en, identity.name_ur, identity.kind,
                          str(len(party.offices)), *forms)
        out.print(table)
    for fault in registry.faults:
        err.print(f"[bold red]faulty:[/] {escape(fault.message)}", highlight=False)
    if check and registry.faults:
        raise typer.Exit(7)


def _show_party(party: Any) -> None:
    from engine.contract import ItemKind
    from engine.contract.forms import form_fields

    table = Table(title=f"Offices of {party.identity.name_en}")
    for column in ("office", "title", "عہدہ", "seats"):
        table.add_column(column)
    for office in party.offices.values():
        add_row(table, office.code, office.title_en, office.title_ur, str(office.seats))
    out.print(table)
    for kind in ItemKind:
        roles = party.roles(kind)
        model = party.form(kind)
        if roles is None:
            continue
        mapping = ", ".join(f"{role}: {rule.office}" + (f" ({rule.quorum} needed)" if rule.quorum > 1 else "")
                            for role, rule in roles.items())
        out.print(f"[bold]{kind.label}[/] — {mapping}", highlight=False)
        if model is not None:
            fields = Table(title=f"{model.__name__}")
            for column in ("field", "label", "لیبل", "type", "required"):
                fields.add_column(column)
            for field in form_fields(model):
                add_row(fields, field.name, field.label_en, field.label_ur, field.type,
                               "yes" if field.required else "")
            out.print(fields)


@app.command()
def flows() -> None:
    """The flow definitions as tables: steps, roles, scope and transitions."""
    from engine.core.flows import FLOWS

    for flow in FLOWS.values():
        table = Table(title=f"{flow.kind.label} — flow v{flow.version} (ends: {flow.end})")
        for column in ("step", "role", "who", "transitions"):
            table.add_column(column)
        for row in flow.rows():
            add_row(table, *row)
        out.print(table)


@officers_app.command("list")
@reports_errors
def officers_list(party: str | None = typer.Option(None, help="Only this party's officers.")) -> None:
    """The officers and the offices they hold, with effective dates."""
    from engine.core.directory import list_officers

    with engine_session() as (session, _registry):
        table = Table(title="Officers")
        for column in ("username", "name", "party", "office", "since", "until", "source"):
            table.add_column(column)
        for officer in list_officers(session, party):
            for appointment in officer.appointments:
                add_row(table, officer.username, officer.name, appointment.party, appointment.office,
                              str(appointment.since or ""), str(appointment.until or ""),
                              appointment.source)
        out.print(table)


@officers_app.command("code")
@reports_errors
def officers_code(username: str) -> None:
    """A one-time code for USERNAME to sign a decision typed into the Prefect UI."""
    from engine.clock import utcnow
    from engine.core.credentials import issue_code

    with engine_session() as (session, _registry):
        code, expires = issue_code(session, username, utcnow())
        session.commit()
    out.print(f"{code}", highlight=False)
    err.print(f"one-time code for {escape(username)}, valid until {expires:%H:%M} UTC; "
              "it is spent by its first use", highlight=False)


@officers_app.command("password")
@reports_errors
def officers_password(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="At least 10 characters; asked for when not given."),
) -> None:
    """Set USERNAME's password for the web app (stored as an argon2id hash)."""
    from engine.core.accounts import set_password

    with engine_session() as (session, _registry):
        set_password(session, username, password)
        session.commit()
    out.print(f"password set for {escape(username)}", highlight=False)


@officers_app.command("token")
@reports_errors
def officers_token(
    username: str,
    name: str = typer.Option("api", help="What the token is for, shown in listings."),
) -> None:
    """A new API bearer token acting as USERNAME (shown once; only its digest is kept)."""
    from engine.clock import utcnow
    from engine.core.accounts import issue_token

    with engine_session() as (session, _registry):
        token = issue_token(session, username, name, utcnow())
        session.commit()
    out.print(token, highlight=False)


@officers_app.command("add")
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
    from engine.clock import utcnow
    from engine.core.directory import add_officer

    with engine_session() as (session, registry):
        officer = add_officer(session, registry, username=username, name=name, party=party,
                              office=office, since=_date(since, "since"),
                              until=_date(until, "until"), source=source, sample=sample,
                              now=utcnow())
        session.commit()
        out.print(escape(f"{officer.username} ({officer.name}) holds {party}/{office}."))


def _date(value: str | None, name: str) -> Any:
    from datetime import date

    from engine.errors import InvalidForm

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidForm(f"--{name} {value!r} is not a date (YYYY-MM-DD)",
                          problems=[(name, "not a date")]) from None


@app.command()
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
    from engine.core.items import draft as draft_item

    data = _read_form(form)
    with engine_session() as (session, registry):
        outcome = draft_item(session, registry, kind=kind, parties=parties.split(","), title=title,
                             form=data or {}, officer=officer, ordered_signing=ordered_signing)
    out.print(outcome.reference)
    err.print(escape(outcome.message), highlight=False)


@app.command()
@reports_errors
def items(
    state: str | None = typer.Option(None),
    kind: str | None = typer.Option(None),
    party: str | None = typer.Option(None),
) -> None:
    """List items, newest first, filtered by state, kind or party."""
    from engine.core.queries import list_items

    with engine_session() as (session, _registry):
        table = Table(title="Items")
        for column in ("reference", "kind", "title", "state", "parties", "updated"):
            table.add_column(column)
        for item in list_items(session, state=state, kind=kind, party=party):
            add_row(table, item.reference, item.kind, item.title, item.state,
                          ", ".join(item.party_codes), f"{item.updated_at:%Y-%m-%d %H:%M}")
        out.print(table)


@app.command()
@reports_errors
def inbox(officer: str = typer.Option(..., "--as", help="Whose inbox."),
          limit: int = typer.Option(500, min=1, help="Show at most this many, soonest first.")) -> None:
    """What waits for an officer, soonest deadline first."""
    from engine.core.queries import inbox as waiting
    from engine.core.queries import inbox_count

    with engine_session() as (session, _registry):
        entries = waiting(session, officer, limit=limit)
        total = inbox_count(session, officer) if len(entries) == limit else len(entries)
        shown = f" (the {limit} soonest of {total})" if total > len(entries) else ""
        table = Table(title=f"Waiting for {officer}{shown}")
        for column in ("reference", "kind", "title", "step", "for", "due", "rev"):
            table.add_column(column)
        for entry in entries:
            due = f"{entry.due_at:%Y-%m-%d}" if entry.due_at else ""
            add_row(table, entry.reference, entry.kind, entry.title, entry.step,
                          f"{entry.office} ({entry.party})", due, str(entry.revision))
        out.print(table if entries else f"Nothing waits for {officer}.")


@app.command()
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
    from engine.cli.trust import passphrase_to_sign
    from engine.core.items import act as act_on

    data = _read_form(form)
    passphrase = passphrase_to_sign(reference, officer, passphrase_file) if action == "sign" else None
    with engine_session() as (session, registry):
        outcome = act_on(session, registry, reference=reference, action=action, officer=officer,
                         comment=comment, form=data, title=title, key=key,
                         expected_revision=revision, passphrase=passphrase)
    out.print(escape(outcome.message), highlight=False)


@app.command()
@reports_errors
def show(reference: str = typer.Argument(..., metavar="ITEM")) -> None:
    """One item: its parties, versions, steps and history."""
    from engine.core.definitions import of_item
    from engine.core.queries import item_detail

    with engine_session() as (session, registry):
        detail = item_detail(session, reference)
        item = detail.item
        out.print(f"[bold]{item.reference}[/] — {escape(item.title)}", highlight=False)
        out.print(f"{item.kind} · state [bold]{item.state}[/] · parties {', '.join(item.party_codes)}"
                  f" · flow v{item.flow_version} · revision {item.revision}", highlight=False)
        out.print(f"follows {of_item(registry, item).describe(item.kind)}", highlight=False)
        for step in item.route:
            if step["reason"]:
                out.print(f"step [bold]{step['name']}[/] added by {step['source']}: {escape(step['reason'])}",
                          highlight=False)
        versions = Table(title="Versions")
        for column in ("no.", "title", "form", "author", "submitted", "digest"):
            versions.add_column(column)
        for version in item.versions:
            add_row(versions, str(version.number), version.title, version.form_model,
                             version.author.username,
                             f"{version.submitted_at:%Y-%m-%d %H:%M}" if version.submitted_at else "draft",
                             (version.digest or "")[:16])
        out.print(versions)
        steps = Table(title="Steps")
        for column in ("cycle", "step", "party", "office", "status", "decisions", "due"):
            steps.add_column(column)
        for step in item.steps:
            decided = ", ".join(f"{d.action}" for d in step.decisions)
            add_row(steps, str(step.cycle), step.name, step.party, step.office, step.status, decided,
                          f"{step.due_at:%Y-%m-%d}" if step.due_at else "")
        out.print(steps)
        history = Table(title="History")
        for column in ("#", "when", "who", "action", "step", "comment"):
            history.add_column(column)
        for event in detail.events:
            add_row(history, str(event.seq), f"{event.at:%Y-%m-%d %H:%M}",
                            event.officer.username if event.officer else "system", event.action,
                            event.step or "", event.comment or "")
        out.print(history)


@app.command()
@reports_errors
def migrate(
    kind: str = typer.Argument(..., help="work_plan, joint_resolution or agreement."),
    party: str = typer.Option(..., help="The party whose plugin brought the newer definition."),
    to: int = typer.Option(..., "--to", help="The party's definition version to move items to."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would move; change nothing."),
) -> None:
    """Move in-flight items of KIND to a newer definition of PARTY (its roles, extra steps
    and rules), each at the same step; items whose step the new definition lacks stay."""
    from engine.core.upgrades import migrate as move_items

    with engine_session() as (session, registry):
        moves = move_items(session, registry, kind=kind, party=party, version=to, dry_run=dry_run)
    if not moves:
        out.print(f"No in-flight {escape(kind)} of {escape(party)} follows a definition older "
                  f"than {to}.", highlight=False)
        return
    verb = "would move" if dry_run else "moved"
    table = Table(title=f"{'Dry run: ' if dry_run else ''}{kind} items to {party} definition {to}"
                  + (" (nothing changed)" if dry_run else ""))
    for column in ("item", "at step", verb, "changes", "cannot move because"):
        table.add_column(column)
    for move in moves:
        add_row(table, move.reference, move.step, move.to_step or "—", "; ".join(move.changes),
                move.reason or "")
    out.print(table)
    stuck = [move for move in moves if move.reason]
    out.print(f"{len(moves) - len(stuck)} item(s) {verb}; {len(stuck)} cannot move"
              + ("" if dry_run or not stuck else ", left untouched"), highlight=False)


@app.command()
@reports_errors
def web(
    port: int = typer.Option(8000, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (behind a TLS proxy in production)."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark cookies Secure (HTTPS only)."),
) -> None:
    """Serve the officers' web app and the REST API alone (docs at /docs)."""
    import uvicorn

    from engine.web import create_app

    out.print(f"Web app        http://{host}:{port}/  ·  API docs http://{host}:{port}/docs", highlight=False)
    uvicorn.run(create_app(secure_cookies=secure_cookies), host=host, port=port, log_level="warning")


@app.command()
@reports_errors
def serve(
    port: int = typer.Option(4200, help="Port of the Prefect server and its UI on 127.0.0.1."),
    web_port: int = typer.Option(8000, help="Port of the officers' web app on 127.0.0.1."),
    demo: bool = typer.Option(False, "--demo", help="Play the demo on a fresh database once serving."),
) -> None:
    """Run Prefect (server, UI, the flows' runner and the outbox) on localhost until Ctrl-C."""
    import signal
    import threading

    from engine.store import home, open_database
    from workflows.stack import Stack, StackError

    open_database()  # create and migrate before the runner reads it
    stack = Stack(home(), port=port, web_port=web_port)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        with out.status("Starting the Prefect server…"):
            stack.start_server()
        with out.status("Starting the runner and the outbox…"):
            stack.start_runner()
        with out.status("Starting the web app…"):
            stack.start_web()
        out.print(f"Web app        {stack.web_url}  (API docs {stack.web_url}/docs)", highlight=False)
        out.print(f"Prefect UI     {stack.ui_url}  (log in with the text of {stack.auth_file})",
                  highlight=False)
        out.print(f"Prefect API    {stack.api_url}", highlight=False)
        out.print(f"Engine         {escape(str(home()))}", highlight=False)
        out.print(f"Logs           {escape(str(stack.prefect_home))}/server.log, runner.log",
                  highlight=False)
        if demo:
            from engine.demo import run_demo

            with engine_session() as (session, registry):
                run_demo(session, registry, out)
        out.print("Serving; Ctrl-C stops everything.")
        while not stopping.wait(0.5):
            if stack.server is None or stack.server.poll() is not None:
                raise StackError(f"the Prefect server stopped; see {stack.prefect_home / 'server.log'}")
            if stack.runner is None or stack.runner.poll() is not None:
                raise StackError(f"the runner stopped; see {stack.prefect_home / 'runner.log'}")
            if stack.web is None or stack.web.poll() is not None:
                raise StackError(f"the web app stopped; see {stack.prefect_home / 'web.log'}")
    except StackError as error:
        err.print(f"[bold red]serve:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        with out.status("Stopping…"):
            stack.stop()
        out.print("Stopped.")


def _on_prefect(command: str, work: Callable[[], Any]) -> Any:
    """Run a coroutine against PREFECT_API_URL; an unreachable or refusing Prefect is a
    plain error, not a traceback."""
    import asyncio

    import httpx
    from prefect.context import SettingsContext
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import Settings

    # Prefect's settings as the environment says now (prefect may have been imported before).
    settings = Settings()
    if not settings.api.url:
        err.print(f"[bold red]{command}:[/] no Prefect server given: set PREFECT_API_URL to its API "
                  "(e.g. http://prefect.example.internal:4200/api)", highlight=False)
        raise typer.Exit(1)
    try:
        with SettingsContext(profile=SettingsContext.get().profile, settings=settings):
            return asyncio.run(work())
    except (httpx.HTTPError, OSError) as error:
        reason = str(error) or type(error).__name__
        err.print(f"[bold red]{command}:[/] Prefect is not reachable ({escape(reason)}); "
                  "set PREFECT_API_URL (and PREFECT_API_AUTH_STRING) to its API", highlight=False)
    except (PrefectHTTPStatusError, ValueError) as error:
        err.print(f"[bold red]{command}:[/] Prefect refused: {escape(str(error))}", highlight=False)
    raise typer.Exit(1)


POOL_OPTION = typer.Option("manzoori", "--pool", help="The Prefect work pool (type process).")


@app.command()
@reports_errors
def deploy(pool: str = POOL_OPTION) -> None:
    """Create the work pool, the flows' deployments on it and the zombie-run automation
    on the Prefect server at PREFECT_API_URL (safe to repeat)."""
    from workflows.pool import deploy as deploy_flows

    names = _on_prefect("deploy", lambda: deploy_flows(pool))
    for name in names:
        out.print(f"Deployed {escape(name)} to work pool {escape(pool)}", highlight=False)


@app.command()
@reports_errors
def dispatch(pool: str = POOL_OPTION) -> None:
    """Deploy, then deliver the engine's outbox to Prefect (start and resume item runs,
    rerun crashed ones) until Ctrl-C. Run one dispatcher per engine database."""
    from engine.store import open_database
    from workflows.pool import dispatch as dispatching

    open_database()  # create and migrate, or fail plainly, before talking to Prefect
    _on_prefect("dispatch", lambda: dispatching(pool))


@app.command()
@reports_errors
def worker(
    pool: str = POOL_OPTION,
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many flow runs at once."),
    name: str | None = typer.Option(None, "--name", help="The worker's name in Prefect (default: generated)."),
) -> None:
    """Run Manzoori's flows from the work pool on this machine until Ctrl-C (a Prefect
    process worker; each flow run is a new process)."""
    from workflows.pool import work

    _on_prefect("worker", lambda: work(pool, limit, name))


@app.command()
@reports_errors
def demo() -> None:
    """Replay the real events of the seeds on a fresh database, with a narrative."""
    from engine.demo import run_demo

    with engine_session() as (session, registry):
        run_demo(session, registry, out)


@app.command()
@reports_errors
def deadlines(
    now: str | None = typer.Option(None, "--now", help="Judge deadlines at this moment "
                                   "(YYYY-MM-DDTHH:MM, UTC unless it names an offset); default: now."),
) -> None:
    """Remind the offices whose steps fall due soon and escalate the overdue ones, on each
    party's working calendar; each step is reminded and escalated once."""
    from engine.clock import utcnow
    from engine.core.deadlines import parse_moment, sweep

    moment = parse_moment(now) if now is not None else utcnow()
    with engine_session() as (session, registry):
        notices = sweep(session, registry, moment)
    if not notices:
        out.print("No reminders or escalations due.")
        return
    table = Table(title=f"Reminders and escalations at {moment:%Y-%m-%d %H:%M} UTC")
    for column in ("reference", "step", "party", "office", "notice", "due (UTC)", "told"):
        table.add_column(column)
    for notice in notices:
        add_row(table, notice.reference, notice.step, notice.party, notice.office, notice.kind,
                f"{notice.due_at:%Y-%m-%d %H:%M}", notice.to_office)
    out.print(table)


@app.command()
@reports_errors
def notify(
    now: str | None = typer.Option(None, "--now", help="Who is waited for at this moment "
                                   "(YYYY-MM-DDTHH:MM, UTC unless it names an offset); default: now."),
) -> None:
    """Email each officer a step waits for a one-time link to decide it (once per step);
    off unless MANZOORI_SMTP_HOST is set."""
    from engine.clock import utcnow
    from engine.core.deadlines import parse_moment
    from engine.core.mail import mail_settings, notify_waiting

    settings = mail_settings()
    if settings is None:
        out.print("Email is off (set MANZOORI_SMTP_HOST to send notifications); nothing sent.")
        return
    moment = parse_moment(now) if now is not None else utcnow()
    with engine_session() as (session, registry):
        sent = notify_waiting(session, registry, moment, settings)
    out.print(f"{len(sent)} notification{'' if len(sent) == 1 else 's'} sent "
              f"through {escape(settings.host)}:{settings.port}.", highlight=False)
    if sent:
        table = Table()
        for column in ("reference", "step", "party", "officer", "email", "link expires (UTC)"):
            table.add_column(column)
        for notice in sent:
            add_row(table, notice.reference, notice.step, notice.party, notice.officer,
                    notice.email, f"{notice.expires_at:%Y-%m-%d %H:%M}")
        out.print(table)


@plugin_app.command("new")
@reports_errors
def plugin_new(
    name: str = typer.Argument(..., help="The party code, e.g. gilgit-baltistan."),
    code: str | None = typer.Option(None, "--code", help="What its items' references start "
                                    "with (2-5 capitals, e.g. GB); default: the initials."),
    name_en: str | None = typer.Option(None, "--name-en", help="English name of the territory."),
    name_ur: str | None = typer.Option(None, "--name-ur", help="Urdu name of the territory."),
    kind: str | None = typer.Option(None, "--kind", help="province or region."),
    output: Path | None = typer.Option(None, "--out", "-o", help="Folder to create (default: ./NAME)."),
) -> None:
    """Write a new party's package: pip-installable, with offices, forms, a rule, a
    letterhead and tests that run Manzoori's conformance kit."""
    from engine.sdk.scaffold import describe, write_package

    party = describe(name, name=name_en, name_ur=name_ur, prefix=code, kind=kind)
    folder = output or Path(party.code)
    written = write_package(party, folder)
    out.print(f"Wrote {party.distribution} ({party.name}, code {party.code}, references "
              f"{party.prefix}-…) to {escape(str(folder))}:", highlight=False)
    for path in written:
        out.print(f"  {escape(str(path.relative_to(folder)))}", highlight=False)
    out.print(f"Next: pip install -e {escape(str(folder))} && manzoori provinces {party.code}",
              highlight=False)


def _register_follow_up() -> None:
    from engine.cli.followup import register

    register(app, sys.modules[__name__])


_register_follow_up()


def _register_trust() -> None:
    from engine.cli.trust import register

    register(app, sys.modules[__name__])


_register_trust()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
