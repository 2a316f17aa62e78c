"""Which version of the party contract this engine speaks, and which parties it can load.

The contract is versioned MAJOR.MINOR. A minor version adds optional hooks (or optional
fields of the values they return), each with a default for a party that does not know
it: a party written for an older minor keeps loading and gets those defaults. A major
version changes or removes a hook: a party written for another major is refused. A party
written for a newer minor than the engine's is refused too, at load, with a message that
says which contract it needs, rather than failing at the first call of a hook the engine
does not have. `engine.contract.hookspecs` says in which version each hook appeared.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class ContractVersion(NamedTuple):
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> ContractVersion:
        match = re.fullmatch(r"(\d{1,3})\.(\d{1,3})", text.strip())
        if match is None:
            raise ContractMismatch(f"declares contract {text!r}, which is not a version "
                                   f"MAJOR.MINOR such as {CONTRACT_VERSION}")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


CONTRACT_VERSION = ContractVersion(1, 1)
"""The contract this engine speaks."""

OLDEST_SUPPORTED = ContractVersion(1, 0)
"""The oldest contract a party may be written for and still load."""


class ContractMismatch(Exception):  # noqa: N818 - reads as the fault it is, like PluginError
    """A party written for a contract this engine cannot load.

    Not a ValueError on purpose: pydantic lets it out of `PartyIdentity`'s validation as
    itself, before it would report fields of a newer contract that this engine lacks."""


def check_supported(declared: str) -> ContractVersion:
    """The version `declared`, if this engine can load a party written for it; otherwise
    `ContractMismatch` saying which version the party needs and which the engine has."""
    version = ContractVersion.parse(declared)
    if version > CONTRACT_VERSION:
        raise ContractMismatch(
            f"needs contract {version}, and this Manzoori has contract {CONTRACT_VERSION}: "
            f"upgrade Manzoori to a release with contract {version}, or install a release "
            f"of the package written for {CONTRACT_VERSION} or older")
    if version < OLDEST_SUPPORTED or version.major != CONTRACT_VERSION.major:
        raise ContractMismatch(
            f"is written for contract {version}, and this Manzoori loads parties written for "
            f"{OLDEST_SUPPORTED} to {CONTRACT_VERSION}: upgrade the package to contract "
            f"{CONTRACT_VERSION}")
    return version
