"""Manzoori (منظوری): the approval engine.

The package reads in layers, each importing only those below it (`lint-imports` checks):

- `engine.cli`: the `manzoori` command;
- `engine.sdk` (scaffold, conformance kit, hook reference) and `engine.demo`;
- `engine.web` (the officers' web app and the REST API) and, beside the package,
  `workflows` (the Prefect flows);
- `engine.core`: the domain's rules and services, which every interface calls;
- `engine.store`: the tables, the database, the unit of work, the migrations;
- `engine.contract`: what a province's plugin implements and hands over;
- `engine.errors` and `engine.clock`.

Only the interfaces import Prefect, FastAPI or Typer; the core and below never do.
"""

__version__ = "0.1.0"
