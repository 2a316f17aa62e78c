"""How the stack's long-lived processes (the runner, the dispatcher, a worker) stop:
cleanly, when told to by SIGINT (Ctrl-C) or SIGTERM (`manzoori serve` stopping them)."""

from __future__ import annotations

import asyncio
import signal


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, for a process that stops cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop
