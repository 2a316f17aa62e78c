"""The parties: `provinces` (installed parties, their offices and forms, faulty plugins),
`flows` (the flow definitions), `plugin new` (a new party's package) and `plugin check`
(the conformance kit against a package that is not installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli.common import add_row, err, out, reports_errors
from engine.errors import PluginError

if TYPE_CHECKING:
    from engine.core.registry import Party

commands = typer.Typer()
plugin_group = typer.Typer(help="Party plugins: start a new province's package, check one.",
                           no_args_is_help=True)
commands.add_typer(plugin_group, name="plugin")


@commands.command()
@reports_errors
def provinces(
    code: str | None = typer.Argument(None, help="Show one party's offices and forms."),
    check: bool = typer.Option(False, "--check",
                               help=f"Exit {PluginError.exit_code} if any plugin is faulty."),
) -> None:
    """The installed parties, their offices and forms; faulty plugins by name and reason."""
    from engine.contract import ItemKind  # lazy: pydantic, ~0.5 s; keeps --help fast
    from engine.core.registry import registry as load  # lazy: the core, ~1 s; keeps --help fast

    registry = load()
    if code:
        _show_party(registry.party(code))
    else:
        table = Table(title="Installed parties")
        for column in ("code", "name", "نام", "kind", "offices", *[k.code for k in ItemKind], "contract"):
            table.add_column(column)
        for party in sorted(registry.parties.values(), key=lambda p: p.code):
            identity = party.identity
            forms = ["form" if party.form(kind) else "—" for kind in ItemKind]
            add_row(table, identity.code, identity.name_en, identity.name_ur, identity.kind,
                    str(len(party.offices)), *forms, str(party.contract))
        out.print(table)
    for fault in registry.faults:
        err.print(f"[bold red]faulty:[/] {escape(fault.message)}", highlight=False)
    if check and registry.faults:
        raise typer.Exit(PluginError.exit_code)


def _show_party(party: Party) -> None:
    """A party's offices, and for each kind of item its roles and its form's fields."""
    from engine.contract import ItemKind  # lazy: pydantic, ~0.5 s; keeps --help fast
    from engine.contract.forms import form_fields  # lazy: pydantic, ~0.5 s; keeps --help fast

    table = Table(title=f"Offices of {party.identity.name_en}")
    for column in ("office", "title", "عہدہ", "seats"):
        table.add_column(column)
    for office in party.offices.values():
        add_row(table, office.code, office.title_en, office.title_ur, str(office.seats))
    out.print(table)
    keepers = [office.code for office in party.offices.values() if office.keeps_directory]
    out.print(f"Keeps the directory (appoints and relieves officers): {', '.join(keepers) or 'no office'}",
              highlight=False)
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


@commands.command()
def flows() -> None:
    """The flow definitions as tables: steps, roles, scope and transitions."""
    from engine.core.flows import FLOWS  # lazy: pydantic, ~0.5 s; keeps --help fast

    for flow in FLOWS.values():
        table = Table(title=f"{flow.kind.label} — flow v{flow.version} (ends: {flow.end})")
        for column in ("step", "role", "who", "transitions"):
            table.add_column(column)
        for row in flow.rows():
            add_row(table, *row)
        out.print(table)


@plugin_group.command("new")
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
    from engine.sdk.scaffold import describe, write_package  # lazy: Jinja2, one command

    party = describe(name, name=name_en, name_ur=name_ur, prefix=code, kind=kind)
    folder = output or Path(party.code)
    written = write_package(party, folder)
    out.print(f"Wrote {party.distribution} ({party.name}, code {party.code}, references "
              f"{party.prefix}-…) to {escape(str(folder))}:", highlight=False)
    for path in written:
        out.print(f"  {escape(str(path.relative_to(folder)))}", highlight=False)
    out.print(f"Next: pip install -e {escape(str(folder))} && manzoori provinces {party.code}",
              highlight=False)



@plugin_group.command("check")
@reports_errors
def plugin_check(
    path: Path = typer.Argument(..., help="The package's folder (with its pyproject.toml) or a wheel."),
) -> None:
    """Run the conformance kit against a party package, from anywhere: it is installed in a
    throw-away folder (offline, without its dependencies), loaded beside the installed
    parties and checked; what to fix is printed as PARTY.HOOK: reason."""
    from engine.sdk.packagecheck import installed, run_kit  # lazy: the core, one command

    with installed(path) as package:
        out.print(f"Checking {package.distribution} (party {', '.join(package.parties)}) in a "
                  "throw-away environment", highlight=False)
        loaded = subprocess.run([sys.executable, "-m", "engine.cli", "provinces", "--check"],
                                env=package.environment, cwd=package.folder, capture_output=True,
                                text=True, timeout=300)
        faults = [" ".join(line.split()) for line in loaded.stderr.split("faulty:")[1:]]
        own = [fault for fault in faults if any(f"plugin {name}" in fault for name in package.parties)]
        if own:
            for fault in own:
                err.print(f"[bold red]to fix:[/] {escape(fault)}", highlight=False)
            raise typer.Exit(PluginError.exit_code)
        kit = run_kit(package)
        failed = [line.removeprefix("FAILED ") for line in kit.stdout.splitlines()
                  if line.startswith("FAILED ")]
        for line in failed:
            err.print(f"[bold red]to fix:[/] {escape(line)}", highlight=False)
        summary = kit.stdout.strip().splitlines()[-1:] or ["the kit printed nothing"]
        out.print(" ".join(summary[0].strip("= ").split()), highlight=False)
        if kit.returncode != 0:
            raise typer.Exit(PluginError.exit_code)
        out.print(f"{package.distribution} passes Manzoori's conformance kit.", highlight=False)
