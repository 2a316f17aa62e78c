"""The errors an officer, a script or a plugin author can meet.

Each carries a message a person can act on. Interfaces map the kinds to exit codes
and HTTP statuses in one place (`EXIT_CODES` here, the API later).
"""

from __future__ import annotations


class ManzooriError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ManzooriError):
    """An item, officer, party, office or form that does not exist."""

    exit_code = 4


class NotAllowed(ManzooriError):
    """The officer may not do this: wrong role, wrong party, maker = checker, wrong step."""

    exit_code = 3


class InvalidForm(ManzooriError):
    """Form data or content that fails the form model or a party's rules."""

    exit_code = 5

    def __init__(self, message: str, *, problems: list[tuple[str, str]] | None = None,
                 headline: str | None = None) -> None:
        problems = problems or []
        super().__init__(message, field=problems[0][0] if problems else None)
        self.problems = problems
        #: The message without the list of problems, for readers that list them apart.
        self.headline = headline or message


class Conflict(ManzooriError):
    """Someone else acted first, or the same decision was already recorded."""

    exit_code = 6


class PluginError(ManzooriError):
    """A party plugin that failed to load or broke the contract."""

    exit_code = 7

    def __init__(self, plugin: str, hook: str | None, reason: str) -> None:
        where = f"{plugin}.{hook}" if hook else plugin
        super().__init__(f"plugin {where}: {reason}")
        self.plugin = plugin
        self.hook = hook
        self.reason = reason


class DefinitionError(ManzooriError):
    """A flow definition that does not hold together (unreachable step, missing role, ...)."""

    exit_code = 7


EXIT_CODES = {
    "ok": 0,
    "error": ManzooriError.exit_code,
    "usage": 2,
    "not allowed": NotAllowed.exit_code,
    "not found": NotFound.exit_code,
    "invalid form": InvalidForm.exit_code,
    "conflict": Conflict.exit_code,
    "plugin": PluginError.exit_code,
}
