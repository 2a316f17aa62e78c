"""The errors an officer, a script or a plugin author can meet: one table.

Each class carries a message a person can act on, and what every interface needs to
report it: the CLI's exit code and the HTTP status. `exit_codes()` is the table the
CLI's help prints; nothing else restates a code or a status.
"""

from __future__ import annotations

from typing import ClassVar


class ManzooriError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    #: What the exit code means, in the CLI's help.
    meaning: ClassVar[str] = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ManzooriError):
    """The officer may not do this: wrong role, wrong party, maker = checker, wrong step."""

    exit_code = 3
    http_status = 403
    meaning = "not allowed"


class NotAuthenticated(NotAllowed):
    """No valid credential at all, as opposed to a credential without the right."""

    http_status = 401


class NotFound(ManzooriError):
    """An item, officer, party, office or form that does not exist, or an item outside the
    reading officer's need-to-know (`engine.core.access`), told apart only by `console`."""

    exit_code = 4
    http_status = 404
    meaning = "not found"

    def __init__(self, message: str, *, field: str | None = None, console: str | None = None) -> None:
        super().__init__(message, field=field)
        #: What the server's console may be told beyond `message`: why an item that exists
        #: is not shown to an officer. The web app and the API never show it, so an officer
        #: cannot tell an item they may not read from one that does not exist.
        self.console = console


def missing_item(reference: str) -> str:
    """What an officer is told of an item that does not exist, or that they may not read."""
    return f"no item {reference!r} (see `manzoori items`)"


class InvalidForm(ManzooriError):
    """Form data or content that fails the form model or a party's rules."""

    exit_code = 5
    http_status = 422
    meaning = "invalid form"

    def __init__(self, message: str, *, problems: list[tuple[str, str]] | None = None,
                 headline: str | None = None,
                 problems_ur: list[tuple[str, str]] | None = None) -> None:
        problems = problems or []
        super().__init__(message, field=problems[0][0] if problems else None)
        self.problems = problems
        #: The same problems in Urdu, where the form's validation says them (else None).
        self.problems_ur = problems_ur
        #: The message without the list of problems, for readers that list them apart.
        self.headline = headline or message


class Conflict(ManzooriError):
    """Someone else acted first, or the same decision was already recorded."""

    exit_code = 6
    http_status = 409
    meaning = "conflict"


class PluginError(ManzooriError):
    """A party plugin that failed to load or broke the contract."""

    exit_code = 7
    # The server is sound but a party's configuration is not: try again once it is fixed.
    http_status = 503
    meaning = "plugin fault"

    def __init__(self, plugin: str, hook: str | None, reason: str) -> None:
        where = f"{plugin}.{hook}" if hook else plugin
        super().__init__(f"plugin {where}: {reason}")
        self.plugin = plugin
        self.hook = hook
        self.reason = reason


class DefinitionError(ManzooriError):
    """A flow definition that does not hold together (unreachable step, missing role, ...)."""

    exit_code = PluginError.exit_code
    http_status = PluginError.http_status
    meaning = PluginError.meaning


class VerificationFailed(ManzooriError):
    """An item's record or a document does not verify: tampered, or signed by a key or an
    officer that was not entitled to sign."""

    exit_code = 8
    http_status = 409
    meaning = "verification failed"


class Busy(ManzooriError):
    """The database is busy (another process holds its write lock, or every connection is
    in use): nothing was changed; the same request can simply be sent again a little later."""

    exit_code = 9
    http_status = 503
    meaning = "busy, try again"

    def __init__(self, message: str = "the database is busy; nothing was changed: try again "
                 "in a few seconds", *, retry_after: int = 2) -> None:
        super().__init__(message)
        #: Seconds to wait before trying again (the HTTP answer's Retry-After).
        self.retry_after = retry_after


class Throttled(NotAllowed):
    """Too many failed attempts (a login, a signing passphrase): refused without checking,
    until `retry_after` seconds have passed."""

    exit_code = 10
    http_status = 429
    meaning = "too many attempts, wait"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


def exit_codes() -> dict[int, str]:
    """{0: "ok", 1: "error", 3: "not allowed", ...}: the exit codes a script can rely on."""
    codes: dict[int, str] = {0: "ok"}
    pending: list[type[ManzooriError]] = [ManzooriError]
    while pending:
        kind = pending.pop()
        codes.setdefault(kind.exit_code, kind.meaning)
        pending.extend(kind.__subclasses__())
    return dict(sorted(codes.items()))
