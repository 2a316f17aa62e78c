"""The sets of values the status columns hold, one enum each. A `StrEnum` member is its
stored string, so rows, JSON and templates read the same as before."""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    """Where one party's instance of a route step stands (`steps.status`)."""

    OPEN = "open"
    """Waiting for decisions."""
    PENDING = "pending"
    """Its turn has not come (signing in order)."""
    DONE = "done"
    CLOSED = "closed"
    """Ended without being done: the item was returned, rejected or withdrawn."""

    @classmethod
    def live(cls) -> tuple[StepStatus, ...]:
        """The statuses of steps that are still to be decided."""
        return cls.OPEN, cls.PENDING


class ProgressStatus(StrEnum):
    """A party's implementation status of one plan action (`progress_reports.status`)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    """Needs a reason."""


#: What the follow-up report shows for an action with no cleared report.
UNREPORTED = "unreported"


class ReportState(StrEnum):
    """Whether a progress report counts yet (`progress_reports.state`)."""

    DRAFT = "draft"
    CLEARED = "cleared"
    """Cleared by an officer other than its drafter: the secretariat counts it."""


class OutboxOutcome(StrEnum):
    """What delivering an outbox entry to Prefect did (`outbox.outcome`)."""

    STARTED = "started"
    RESUMED = "resumed"
    CAUGHT_UP = "caught-up"
    """The item's flow run had already seen the event."""
    ENDED = "ended"
    RESTARTED = "restarted"
    """The item's flow run had crashed and was run again."""
