"""Setting up and running the engine: `init` (the database and the office holders),
`web` (the web app alone), `serve` (everything on localhost), `deploy`, `dispatch` and
`worker` (against a Prefect server elsewhere), and `demo`."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.markup import escape

from engine.cli.common import engine_session, err, out, reports_errors
from engine.clock import utcnow
from engine.errors import ManzooriError

if TYPE_CHECKING:
    from workflows.stack import Stack

T = TypeVar("T")

commands = typer.Typer()

POOL_OPTION = typer.Option("manzoori", "--pool", help="The Prefect work pool (type manzoori-lane).")


@commands.command()
@reports_errors
def init(samples: bool = typer.Option(False, "--samples", help="Add [sample] officers for every office.")) -> None:
    """Create the database (or bring it up to date) and load office holders."""
    from sqlalchemy.engine import make_url  # lazy: SQLAlchemy; keeps --help fast

    from engine.core.directory import load_public_holders, seed_sample_officers  # lazy: the core
    from engine.core.signatures import SAMPLE_PASSPHRASE, seed_sample_keys  # lazy: the core
    from engine.store import database_url, home  # lazy: SQLAlchemy and Alembic; keeps --help fast

    keyed = 0
    with engine_session() as (session, registry):
        now = utcnow()
        added = load_public_holders(session, registry, now)
        if samples:
            added += seed_sample_officers(session, registry, now)
            keyed = seed_sample_keys(session, now)
        session.commit()
    where = make_url(database_url()).render_as_string(hide_password=True)  # never print a password
    out.print(f"Database ready at {escape(where)}; {added} officers added.", highlight=False)
    if keyed:
        out.print(f"{keyed} \\[sample] signing keys, under the passphrase in "
                  f"{escape(str(home() / SAMPLE_PASSPHRASE))}.", highlight=False)
    for fault in registry.faults:
        err.print(f"[yellow]warning:[/] {escape(fault.message)}", highlight=False)


@commands.command()
@reports_errors
def web(
    port: int = typer.Option(8000, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (behind a TLS proxy in production)."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark cookies Secure (HTTPS only)."),
) -> None:
    """Serve the officers' web app and the REST API alone (docs at /docs)."""
    import uvicorn  # lazy: uvicorn and FastAPI, for two commands; keep --help fast

    from engine.web import create_app  # lazy: FastAPI and the core; keeps --help fast

    out.print(f"Web app        http://{host}:{port}/  ·  API docs http://{host}:{port}/docs", highlight=False)
    uvicorn.run(create_app(secure_cookies=secure_cookies), host=host, port=port, log_level="warning")


@commands.command()
@reports_errors
def serve(
    port: int = typer.Option(4200, help="Port of the Prefect server and its UI on 127.0.0.1."),
    web_port: int = typer.Option(8000, help="Port of the officers' web app on 127.0.0.1."),
    demo: bool = typer.Option(False, "--demo", help="Play the demo on a fresh database once serving."),
) -> None:
    """Run Prefect (server, UI, the flows' runner, a lane, and the outbox) on localhost until Ctrl-C."""
    from engine.store import home, open_database  # lazy: SQLAlchemy and Alembic; keeps --help fast
    from workflows.stack import Stack, StackError  # lazy: the Prefect stack; keeps --help fast

    open_database()  # create and migrate before the runner reads it
    stack = Stack(home(), port=port, web_port=web_port)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        _start(stack)
        if demo:
            _play_demo()
        out.print("Serving; Ctrl-C stops everything.")
        _watch(stack, stopping)
    except StackError as error:
        err.print(f"[bold red]serve:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(ManzooriError.exit_code) from None
    finally:
        with out.status("Stopping…"):
            stack.stop()
        out.print("Stopped.")


def _start(stack: Stack) -> None:
    """Start the Prefect server, the runner and the web app, and say where they are."""
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
    out.print(f"Engine         {escape(str(stack.home))}", highlight=False)
    out.print(f"Logs           {escape(str(stack.prefect_home))}/server.log, runner.log",
              highlight=False)


def _watch(stack: Stack, stopping: threading.Event) -> None:
    """Until `stopping` is set, check every half second that each process still runs."""
    from workflows.stack import StackError  # lazy: the Prefect stack; keeps --help fast

    while not stopping.wait(0.5):
        if stack.server is None or stack.server.poll() is not None:
            raise StackError(f"the Prefect server stopped; see {stack.prefect_home / 'server.log'}")
        if stack.runner is None or stack.runner.poll() is not None:
            raise StackError(f"the runner stopped; see {stack.prefect_home / 'runner.log'}")
        if stack.web is None or stack.web.poll() is not None:
            raise StackError(f"the web app stopped; see {stack.prefect_home / 'web.log'}")


def _on_prefect(command: str, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine against PREFECT_API_URL; an unreachable or refusing Prefect is a
    plain error, not a traceback."""
    import asyncio  # lazy: with Prefect, for three commands; keeps --help fast

    import httpx  # lazy: with Prefect, for three commands; keeps --help fast
    from prefect.context import SettingsContext, get_settings_context  # lazy: Prefect, ~1 s
    from prefect.exceptions import PrefectHTTPStatusError  # lazy: Prefect; keeps --help fast
    from prefect.settings import Settings  # lazy: Prefect costs ~1 s; keeps --help fast

    # Prefect's settings as the environment says now (prefect may have been imported before).
    settings = Settings()
    if not settings.api.url:
        err.print(f"[bold red]{command}:[/] no Prefect server given: set PREFECT_API_URL to its API "
                  "(e.g. http://prefect.example.internal:4200/api)", highlight=False)
        raise typer.Exit(ManzooriError.exit_code)
    try:
        with SettingsContext(profile=get_settings_context().profile, settings=settings):
            return asyncio.run(work())
    except (httpx.HTTPError, OSError) as error:
        reason = str(error) or type(error).__name__
        err.print(f"[bold red]{command}:[/] Prefect is not reachable ({escape(reason)}); "
                  "set PREFECT_API_URL (and PREFECT_API_AUTH_STRING) to its API", highlight=False)
    except (PrefectHTTPStatusError, ValueError) as error:
        err.print(f"[bold red]{command}:[/] Prefect refused: {escape(str(error))}", highlight=False)
    raise typer.Exit(ManzooriError.exit_code)


@commands.command()
@reports_errors
def deploy(pool: str = POOL_OPTION) -> None:
    """Create the work pool, the flows' deployments on it and the zombie-run automation
    on the Prefect server at PREFECT_API_URL (safe to repeat)."""
    from workflows.pool import deploy as deploy_flows  # lazy: Prefect costs ~1 s; keeps --help fast

    names = _on_prefect("deploy", lambda: deploy_flows(pool))
    for name in names:
        out.print(f"Deployed {escape(name)} to work pool {escape(pool)}", highlight=False)


@commands.command()
@reports_errors
def dispatch(pool: str = POOL_OPTION) -> None:
    """Deploy, then deliver the engine's outbox to Prefect (start and resume item runs,
    rerun crashed ones) until Ctrl-C. Run one dispatcher per engine database."""
    from engine.store import open_database  # lazy: SQLAlchemy and Alembic; keeps --help fast
    from workflows.pool import dispatch as dispatching  # lazy: Prefect costs ~1 s; keeps --help fast

    open_database()  # create and migrate, or fail plainly, before talking to Prefect
    _on_prefect("dispatch", lambda: dispatching(pool))


@commands.command()
@reports_errors
def worker(
    pool: str = POOL_OPTION,
    limit: int | None = typer.Option(None, "--limit", min=1,
                                     help="At most this many flow runs at once, a thread each (default 4)."),
    name: str | None = typer.Option(None, "--name", help="The worker's name in Prefect (default: generated)."),
) -> None:
    """Run Manzoori's flows from the work pool on this machine until Ctrl-C: a lane, a
    Prefect worker that executes each flow run in this process, in a thread."""
    from workflows.pool import work  # lazy: Prefect costs ~1 s; keeps --help fast

    _on_prefect("worker", lambda: work(pool, limit, name))


@commands.command()
@reports_errors
def demo() -> None:
    """Replay the real events of the seeds on a fresh database, with a narrative."""
    _play_demo()


def _play_demo() -> None:
    """The demo's scenes on the configured database, narrated on stdout."""
    from engine.demo import run_demo  # lazy: the demo and the core, ~1 s; keeps --help fast

    with engine_session() as (session, registry):
        run_demo(session, registry, out)
