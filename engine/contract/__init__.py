"""The plugin contract: what a province author reads.

`hookspecs` names the hooks, `forms` the shared form models, `partykit` and
`calendar` the helpers; the values a plugin hands over are defined in `terms` and
importable from here.
"""

from engine.contract.terms import (
    DelegationRule,
    EventNotice,
    ExtraStep,
    Finding,
    ItemKind,
    Office,
    OfficeHolder,
    PartyIdentity,
    RoleRule,
)

__all__ = [
    "DelegationRule",
    "EventNotice",
    "ExtraStep",
    "Finding",
    "ItemKind",
    "Office",
    "OfficeHolder",
    "PartyIdentity",
    "RoleRule",
]
