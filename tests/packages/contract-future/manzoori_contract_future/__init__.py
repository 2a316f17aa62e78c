"""A province written for contract 1.2, which this engine does not have: its identity
carries a field of 1.2 and it implements a hook of 1.2. The engine must refuse it at
load, saying which contract it needs, not fail at the first call. Frozen."""

from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.contract.hookspecs import hookimpl


@hookimpl
def party() -> PartyIdentity:
    return PartyIdentity(code="contract-future", name_en="Province of the Future [sample]",
                         name_ur="مستقبل کا صوبہ", kind="province", reference_prefix="CF",
                         contract="1.2", languages=("en", "ur", "shina"))


@hookimpl
def offices() -> list[Office]:
    return [Office(code="secretary", title_en="Secretary [sample]", title_ur="سیکرٹری")]


@hookimpl
def roles(kind: ItemKind) -> dict[str, RoleRule] | None:
    return None


@hookimpl
def recusal(office: str) -> list[str]:
    return []
