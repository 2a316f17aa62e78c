"""Working calendars: deadlines run on working days, not on weekends or public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def pakistan_public_holidays(year: int) -> tuple[date, ...]:
    """The fixed-date national public holidays (Eid and Ashura move with the moon and are
    added by the parties that know their gazetted dates)."""
    return (
        date(year, 2, 5),  # Kashmir Solidarity Day
        date(year, 3, 23),  # Pakistan Day
        date(year, 5, 1),  # Labour Day
        date(year, 8, 14),  # Independence Day
        date(year, 11, 9),  # Iqbal Day
        date(year, 12, 25),  # Quaid-e-Azam Day
    )


def is_working_day(day: date, weekend: tuple[int, ...], holidays: tuple[date, ...]) -> bool:
    return day.weekday() not in weekend and day not in holidays


def add_working_days(
    start: datetime, days: int, weekend: tuple[int, ...], holidays: tuple[date, ...]
) -> datetime:
    """The moment `days` working days after `start` (same time of day)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current.date(), weekend, holidays):
            remaining -= 1
    return current


def working_days_before(day: date, days: int, weekend: tuple[int, ...],
                        holidays: tuple[date, ...]) -> date:
    """The working day `days` working days before `day` (`day` itself when `days` is 0)."""
    current = day
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current, weekend, holidays):
            remaining -= 1
    return current


def to_local(moment: datetime, timezone: str) -> datetime:
    """A stored moment (naive UTC, as the engine keeps them) on the clock of `timezone`."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def from_local(moment: datetime, timezone: str) -> datetime:
    """A time on the clock of `timezone` as the engine stores it (naive UTC)."""
    return moment.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)


def working_days_between(start: date, end: date, weekend: tuple[int, ...],
                         holidays: tuple[date, ...]) -> int:
    """The working days after `start` up to and including `end` (0 when `end` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, weekend, holidays)
    return count
