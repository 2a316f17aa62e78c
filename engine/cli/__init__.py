"""The `manzoori` command: one module per group of commands, each declaring its commands
at module level, joined here into one app.

`manzoori --help` imports none of the core: the commands import it when they run
(the imports marked `# lazy:`), so help and usage errors come back at once.
"""

from __future__ import annotations

import typer

from engine.cli import certificates, deadlines, followup, items, officers, parties, running, trust
from engine.errors import exit_codes

#: Typer's own exit code for a command line it cannot parse.
USAGE_EXIT_CODE = 2


def exit_code_table() -> str:
    """'0 ok, 1 error, 2 usage, 3 not allowed, ...': the engine's codes and Typer's."""
    codes = {**exit_codes(), USAGE_EXIT_CODE: "usage"}
    return ", ".join(f"{code} {meaning}" for code, meaning in sorted(codes.items()))


app = typer.Typer(
    help="Manzoori (منظوری): draft, review, approve and sign work plans, joint resolutions "
    f"and inter-provincial agreements.\n\nExit codes: {exit_code_table()}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# In the order of `manzoori --help`: set up and run, the parties, the work, its deadlines,
# its follow-up, trust and its certificates.
for module in (running, parties, officers, items, deadlines, followup, trust, certificates):
    app.add_typer(module.commands)


def main() -> None:
    app()
