"""Manzoori (منظوری): the approval engine's core.

Nothing in this package imports Prefect, FastAPI or Typer at module level; the CLI,
the HTTP app and `workflows/` sit on top and call the same service functions.
"""

__version__ = "0.1.0"
