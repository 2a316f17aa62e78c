"""What a scene of the demo is made of: the item drafted, the moves that carry it to its
end, and the follow-up reports on an adopted resolution. `engine.demo.scenes` writes
the scenes in these terms; `engine.demo` plays them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Move:
    """One action of a scene: who does what, when, and what the narrator says."""

    at: str
    officer: str
    action: str
    say: str
    comment: str | None = None
    form: dict[str, Any] | None = None
    illustrative: bool = False


@dataclass(frozen=True)
class Scene:
    """One text of the record played as an item: drafted, then carried by its moves."""

    title: str
    source: str
    kind: str
    parties: list[str]
    item_title: str
    form: dict[str, Any]
    drafter: str
    drafted_at: str
    moves: list[Move] = field(default_factory=list)
    ordered_signing: bool = False


@dataclass(frozen=True)
class ProgressMove:
    """A party's report on one point of an adopted resolution, drafted and then cleared."""

    reference: str
    point: int
    party: str
    status: str
    reporter: str
    reported_at: str
    clearer: str
    cleared_at: str
    say: str
    note: str | None = None
    reason: str | None = None
