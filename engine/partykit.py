"""Helpers a party plugin can use, importable under the name province packages have
used since the first release; they live in `engine.contract.partykit`."""

from engine.contract.partykit import (
    national_holidays,
)

__all__ = [
    "national_holidays",
]
