"""Slowing down guessing: an exponential delay per key after a few failures, and a budget
of failures per key over time.

This is the answer of OWASP's authentication cheat sheet to brute force without handing
an attacker a lockout: failed logins slow the *account* down (the delay doubles with each
failure, up to a cap, and a success forgets them), failed logins spend the *client
address's* budget (a burst, then a trickle), and a browser the officer has logged in from
before (a signed device cookie, `engine.web.auth`) is judged on its own failures only, so
an attacker hammering an account from elsewhere cannot lock its officer out. A refused
attempt is refused before any password or passphrase is checked: it costs no hashing.

The state is in the process's memory (a web server process, the command line's process),
bounded in size; it is not a record, and a restart forgets it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from engine.errors import Throttled

_KEYS = 100_000
"""At most this many keys are remembered; the least recently failed are forgotten first."""


@dataclass
class _Failures:
    count: int
    not_before: float


class Backoff:
    """`free` failures per key without delay; then the key waits `base` seconds before its
    next attempt, twice as long after each further failure, at most `cap`. An attempt is counted as failed
    the moment it starts (`attempt`), so concurrent guesses cannot all slip through
    before the first one's failure is known; `succeeded` forgets the key."""

    def __init__(self, *, free: int, base: float, cap: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.cap, self.clock = free, base, cap, clock
        self._keys: OrderedDict[Hashable, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: Hashable) -> float:
        """Seconds `key` must wait before its next attempt (0: it may try now)."""
        with self._lock:
            found = self._keys.get(key)
            return max(0.0, found.not_before - self.clock()) if found else 0.0

    def attempt(self, key: Hashable) -> float:
        """Start an attempt: 0 if it may go on (and it counts as a failure until
        `succeeded`), else the seconds to wait (and it is not counted)."""
        with self._lock:
            now = self.clock()
            found = self._keys.get(key) or _Failures(0, 0.0)
            if found.not_before > now:
                return found.not_before - now
            found.count += 1
            beyond = found.count - self.free + 1  # the free-th failure makes the next one wait
            if beyond > 0:
                found.not_before = now + min(self.cap, self.base * 2 ** (beyond - 1))
            self._keys[key] = found
            self._keys.move_to_end(key)
            while len(self._keys) > _KEYS:
                self._keys.popitem(last=False)
            return 0.0

    def succeeded(self, key: Hashable) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


class Budget:
    """A bucket of `burst` attempts per key, refilled by one every `refill` seconds."""

    def __init__(self, *, burst: int, refill: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.refill, self.clock = burst, refill, clock
        self._keys: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def spend(self, key: Hashable) -> float:
        """Take one attempt from `key`'s bucket: 0 if there was one, else the seconds
        until there is."""
        with self._lock:
            now = self.clock()
            level, since = self._keys.get(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - since) / self.refill)
            if level < 1:
                self._keys[key] = (level, now)
                return (1 - level) * self.refill
            self._keys[key] = (level - 1, now)
            self._keys.move_to_end(key)
            while len(self._keys) > _KEYS:
                self._keys.popitem(last=False)
            return 0.0

    def refund(self, key: Hashable) -> None:
        with self._lock:
            if key in self._keys:
                level, since = self._keys[key]
                self._keys[key] = (min(float(self.burst), level + 1), since)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


def seconds(wait: float) -> int:
    """A wait as the whole seconds of a Retry-After header (at least 1)."""
    return max(1, math.ceil(wait))


class LoginGuard:
    """The policy of one web server's logins: per account, per client address, and per
    trusted device (a browser the account logged in from before)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        #: 5 free failures, then 1 s, 2 s, 4 s, ... at most 15 minutes between attempts.
        self.accounts = Backoff(free=5, base=1.0, cap=900.0, clock=clock)
        #: A trusted device: the same, on its own failures only.
        self.devices = Backoff(free=5, base=1.0, cap=900.0, clock=clock)
        #: 20 failed logins from one address at once, then one per 15 s.
        self.addresses = Budget(burst=20, refill=15.0, clock=clock)

    def begin(self, username: str, client: str | None, device: str | None) -> None:
        """Let a login attempt go on to the password check, or raise Throttled (nothing
        checked). `device` is the trusted device's id when the browser showed one for
        this username."""
        account = username.strip().lower()
        if device is not None:
            wait = self.devices.attempt((account, device))
            if wait:
                raise Throttled("too many failed logins from this browser; try again in "
                                f"{seconds(wait)} s", retry_after=seconds(wait))
            return
        wait = self.addresses.spend(client or "?")
        if wait:
            raise Throttled(f"too many failed logins from your address; try again in {seconds(wait)} s",
                            retry_after=seconds(wait))
        wait = self.accounts.attempt(account)
        if wait:
            self.addresses.refund(client or "?")
            raise Throttled(f"too many failed logins for this account; try again in {seconds(wait)} s "
                            "(or from a browser you have logged in from before)",
                            retry_after=seconds(wait))

    def succeeded(self, username: str, client: str | None, device: str | None) -> None:
        """A right password: forget the failures it was counted among (a trusted device's
        success leaves the account's own count alone: the device was never counted there)."""
        account = username.strip().lower()
        if device is not None:
            self.devices.succeeded((account, device))
            return
        self.addresses.refund(client or "?")
        self.accounts.succeeded(account)
