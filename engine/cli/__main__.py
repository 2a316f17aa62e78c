"""`python -m engine.cli`: the `manzoori` command without its console script."""

from engine.cli import main

main()
