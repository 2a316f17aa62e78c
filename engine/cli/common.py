"""What the commands share: the consoles, the report of an engine error (with the option
that gives the field it names), the engine's session, and reading what an operator types
(a form file, a date, a moment).

An import marked `# lazy:` stays inside the function that needs it: the core
(SQLAlchemy, pydantic, Alembic, the plugins) costs about 1 s to import and Prefect more,
and `manzoori --help` needs neither.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer
import yaml
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.models import OptionInfo

from engine.clock import utcnow
from engine.errors import InvalidForm, ManzooriError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from engine.core.access import Reader
    from engine.core.registry import Registry

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

#: Columns of text a reader reads rather than copies: they wrap (at word boundaries, at least
#: `TEXT_WIDTH` wide). Every other column holds identifiers, codes and dates, never cut.
TEXT_COLUMNS = frozenset({
    "title", "name", "نام", "text", "comment", "priority area", "transitions", "label", "لیبل",
    "عہدہ", "reason", "message", "parties",
})
TEXT_WIDTH = 16


class Listing(Table):
    """A table for people and for scripts reading a pipe: a reference, code, username or
    date is never cut (`balochis…`) nor folded, whatever the width, for a script takes it
    as it stands; titles and other text wrap in the room that is left, never narrower than
    `TEXT_WIDTH`, so a line is never a single word. Narrower than the widest identifiers,
    the lines get long rather than wrong."""

    def add_column(self, header: RenderableType = "", footer: RenderableType = "",
                   **options: Any) -> None:
        text = str(header) in TEXT_COLUMNS
        options.setdefault("no_wrap", not text)
        options.setdefault("overflow", "fold")
        if text:
            options.setdefault("min_width", TEXT_WIDTH)
        super().add_column(header, footer, **options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        need = self._extra_width
        for index, column in enumerate(self.columns):
            widest = max([Text(str(column.header)).cell_len,
                          *(Text.from_markup(cell).cell_len for cell in column._cells if isinstance(cell, str))])
            if column.no_wrap:
                column.min_width = widest
            need += min(widest, column.min_width or widest) + self._get_padding_width(index)
        # Too narrow (a pipe is 80 columns): as wide as the identifiers and the shortest
        # text need; `show` prints it uncropped.
        yield from super().__rich_console__(console, options.update_width(max(need, options.max_width)))


def print_table(table: Table | str) -> None:
    """Print a table (a `Listing`) whole: its lines may be wider than the console."""
    out.print(table, crop=False)


def json_option() -> Any:
    """`--json`: the listing as JSON on stdout, in the shape README's "Output for scripts" gives."""
    return typer.Option(False, "--json", help="Print JSON (shape in the README) instead of a table.")


def print_json(data: Any) -> None:
    """`data` as indented UTF-8 JSON on stdout (dates as ISO 8601 strings)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_iso) + "\n")


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def add_row(table: Table, *values: object) -> None:
    """A row of data, never read as Rich markup ("[sample]" is part of a name)."""
    table.add_row(*(escape(str(value)) for value in values))


def reports_errors(command: F) -> F:
    """Turn the engine's errors into a plain message and the error's exit code."""
    options = _command_options(command)

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ManzooriError as error:
            _report(error, _option_for(error.field, options, kwargs))
            raise typer.Exit(error.exit_code) from None
        except Exception as error:
            from engine.store import busy_from  # lazy: SQLAlchemy; keeps --help fast

            busy = busy_from(error)
            if busy is None:
                raise
            _report(busy, None)
            raise typer.Exit(busy.exit_code) from None

    return cast(F, run)


def _command_options(command: Callable[..., Any]) -> dict[str, OptionInfo]:
    """The command's options by parameter name, as its signature declares them."""
    return {name: parameter.default for name, parameter in inspect.signature(command).parameters.items()
            if isinstance(parameter.default, OptionInfo)}


def _option_for(field: str | None, options: dict[str, OptionInfo], given: dict[str, Any]) -> str | None:
    """What to tell the operator about the option that gives `field` ('--comment' for
    comment): to use it if they left it out, to check it if they gave it. The engine
    names fields; the command line names flags."""
    name = (field or "").replace("-", "_")
    option = options.get(name)
    if option is None:
        return None
    flags = [flag for flag in option.param_decls or () if flag.startswith("--")]
    flag = flags[0] if flags else "--" + name.replace("_", "-")
    return f"use {flag}" if given.get(name, option.default) == option.default else f"check {flag}"


def _report(error: ManzooriError, hint: str | None) -> None:
    """The error on stderr: its class, its message (with a word on the option that gives
    the field it names) and, for a form, each problem."""
    kind = type(error).__name__
    if isinstance(error, InvalidForm) and len(error.problems) > 1:
        err.print(f"[bold red]{kind}:[/] {escape(error.headline)}", highlight=False)
        for where, message in error.problems:
            err.print(f"  - {where}: {message}", highlight=False, markup=False)
        return
    # The console sees every item, so it may be told why one is not shown to an officer.
    text = getattr(error, "console", None) or error.message
    if hint is not None and hint.split()[-1] not in text:
        text += f"; {hint}"
    err.print(f"[bold red]{kind}:[/] {escape(text)}", highlight=False)


@contextmanager
def engine_session() -> Iterator[tuple[Session, Registry]]:
    """A session on the configured database and the installed parties."""
    from engine.core.registry import registry  # lazy: the core, ~1 s; keeps --help fast
    from engine.store import open_database  # lazy: SQLAlchemy and Alembic; keeps --help fast

    factory = open_database()
    try:
        with factory() as session:
            yield session, registry()
    finally:
        factory.kw["bind"].dispose()


def read_form(path: Path | None) -> dict[str, Any] | None:
    """The form data in a JSON or YAML file ('-' for stdin)."""
    if path is None:
        return None
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


def reader_option(what: str) -> Any:
    """`--as USER`: read as this officer, within their need-to-know; without it, the
    operator at the server's console reads everything."""
    return typer.Option(None, "--as", help=f"Show {what} as this officer may read them "
                        "(need-to-know); without it, everything (the operator's console).")


def as_reader(session: Session, registry: Registry, username: str | None) -> Reader | None:
    """The reader `--as` names (an `engine.core.access.Reader`), or None: the console."""
    if username is None:
        return None
    from engine.core.access import reader_of  # lazy: the core, ~1 s; keeps --help fast

    return reader_of(session, registry, username, utcnow().date())


def parse_date(value: str | None, name: str) -> date | None:
    """The date an option `--NAME` gives (YYYY-MM-DD), if any."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidForm(f"--{name} {value!r} is not a date (YYYY-MM-DD)",
                          problems=[(name, "not a date")]) from None


def moment(now: str | None) -> datetime:
    """The moment `--now` gives (UTC unless it names an offset), or now."""
    from engine.core.deadlines import parse_moment  # lazy: the core, ~1 s; keeps --help fast

    return parse_moment(now) if now is not None else utcnow()
