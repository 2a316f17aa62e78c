"""Helpers a party plugin can use so that its package stays a filled-in form."""

from __future__ import annotations

from datetime import date

from engine.contract.calendar import pakistan_public_holidays


def national_holidays(*years: int, extra: tuple[tuple[int, int], ...] = ()) -> tuple[date, ...]:
    """The fixed national holidays of `years`, plus a party's own (month, day) ones."""
    days = [day for year in years for day in pakistan_public_holidays(year)]
    days += [date(year, month, day) for year in years for month, day in extra]
    return tuple(sorted(days))

