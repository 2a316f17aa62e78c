"""The hook markers, importable under the name province packages have used since the
first release; the contract itself is `engine.contract.hookspecs`."""

from engine.contract.hookspecs import (
    check,
    delegation,
    extra_steps,
    form,
    hookimpl,
    hookspec,
    letterhead,
    office_holders,
    offices,
    on_event,
    party,
    roles,
)

__all__ = [
    "check",
    "delegation",
    "extra_steps",
    "form",
    "hookimpl",
    "hookspec",
    "letterhead",
    "office_holders",
    "offices",
    "on_event",
    "party",
    "roles",
]
