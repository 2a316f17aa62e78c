"""The definition an item follows: the engine's flow version and, for each of its
parties, the plugin definition it was drafted under.

A party's definition is its roles (which office acts at each step, the quorum, the
deadlines), its extra steps and its rules, numbered by `PartyIdentity.definition_version`.
When a province upgrades its plugin, items in flight finish under the definition they
started with and new items follow the new one. What is data is kept with the item at
draft: the route (`Item.route`, extra steps included) and, here, each party's definition
version and the roles then in force (`Item.definition`). What is code — the rules and
the extra steps of a resubmission — is asked again with `version=` the item's number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.contract import ItemKind, RoleRule
from engine.core.registry import Registry
from engine.errors import NotAllowed
from engine.store import Item


@dataclass(frozen=True)
class PartyDefinition:
    """One party's definition as an item keeps it."""

    version: int
    roles: dict[str, RoleRule]


@dataclass(frozen=True)
class Definition:
    """Everything an item follows: the flow's version and each party's definition."""

    flow_version: int
    parties: dict[str, PartyDefinition]

    def version(self, party: str) -> int:
        return self.parties[party].version

    def roles(self, party: str) -> dict[str, RoleRule]:
        """The roles `party` mapped for the item's kind under the item's definition."""
        held = self.parties.get(party)
        return held.roles if held is not None else {}

    def versions(self) -> dict[str, int]:
        return {code: held.version for code, held in self.parties.items()}

    def describe(self, kind: str) -> str:
        """How `manzoori show` says it: "work_plan v1 · punjab definition 1"."""
        return " · ".join([f"{kind} v{self.flow_version}",
                           *(f"{code} definition {v}" for code, v in self.versions().items())])

    def replace_party(self, party: str, held: PartyDefinition) -> Definition:
        return Definition(self.flow_version, {**self.parties, party: held})

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_version": self.flow_version,
            "parties": {
                code: {"version": held.version,
                       "roles": {role: rule.model_dump(mode="json")
                                 for role, rule in held.roles.items()}}
                for code, held in self.parties.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Definition:
        return cls(data["flow_version"], {
            code: PartyDefinition(held["version"], {role: RoleRule.model_validate(rule)
                                                    for role, rule in held["roles"].items()})
            for code, held in data["parties"].items()
        })


def party_definition(registry: Registry, kind: ItemKind, party: str,
                     version: int | None = None) -> PartyDefinition:
    """`party`'s definition `version` (default: the installed one) as its plugin gives it."""
    installed = registry.party(party)
    version = version or installed.definition_version
    roles = installed.roles(kind, version)
    if roles is None:
        raise NotAllowed(f"{party} takes no part in {kind.label.lower()}s")
    return PartyDefinition(version, dict(roles))


def installed(registry: Registry, kind: ItemKind, flow_version: int, parties: list[str],
              versions: Mapping[str, int] | None = None) -> Definition:
    """The definition a new item follows: each party's installed one (or the version
    `versions` names for it)."""
    versions = versions or {}
    return Definition(flow_version, {
        code: party_definition(registry, kind, code, versions.get(code)) for code in parties
    })


def of_item(registry: Registry, item: Item) -> Definition:
    """The definition `item` follows."""
    if item.definition:
        return Definition.from_json(item.definition)
    # Items drafted before definitions had versions follow each party's first definition.
    return installed(registry, ItemKind(item.kind), item.flow_version, item.party_codes,
                     dict.fromkeys(item.party_codes, 1))


def item_roles(registry: Registry, item: Item, party: str) -> dict[str, RoleRule]:
    """The roles `party` fills on `item`, as they were when the item was drafted (or
    last migrated), whatever the party's plugin says today."""
    return of_item(registry, item).roles(party)

