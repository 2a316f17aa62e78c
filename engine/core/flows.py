"""Flows are data: each item kind's steps, roles and transitions as one table.

A `FlowDefinition` is checked once when it is built (every target known, every step
reachable, every step with a role, a way to the end). At each submission the
definition, the item's parties and the parties' extra steps are resolved into the
item's *route*: the concrete steps it will pass, stored with the item so that an item
in flight keeps the definition it started with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from engine.contract import ExtraStep, ItemKind
from engine.errors import DefinitionError

#: Where an action that counts toward its step's quorum leads.
NEXT = "next"


class EndState(StrEnum):
    """The states an item ends in: its flow's own end, or rejected, or withdrawn."""

    IN_FORCE = "in_force"
    """A work plan signed by its signatory."""
    ADOPTED = "adopted"
    """A joint resolution signed by every party."""
    EXECUTED = "executed"
    """An inter-provincial agreement signed by every party."""
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

#: Actions that record an officer's decision on a step; the drafter may never take them.
CHECKER_ACTIONS = frozenset({"clear", "feedback", "approve", "sign"})


class Scope(StrEnum):
    """Which of an item's parties a step is for."""

    DRAFTING = "drafting party"
    EACH = "each party"
    OTHERS = "each other party"
    """Every party but the drafting one: a feedback round on the drafting party's own draft."""


@dataclass(frozen=True)
class Step:
    name: str
    role: str
    actions: Mapping[str, str]
    """action -> where it leads: NEXT (counts toward the step's quorum), a step name
    (return for revision), or an end state."""
    label_en: str
    label_ur: str
    scope: Scope = Scope.DRAFTING
    join: bool = True
    """A synchronisation point: the step opens only once every party has finished the
    steps before it. Between two joins each party walks its own steps at its own pace
    (its review, its extra steps, its approval); a step for the drafting party alone is
    always a join."""

    @property
    def is_drafting(self) -> bool:
        return "submit" in self.actions

    @property
    def per_party(self) -> bool:
        """One step per party of the item (or per other party), each party's own."""
        return self.scope != Scope.DRAFTING


@dataclass(frozen=True)
class FlowDefinition:
    kind: ItemKind
    version: int
    steps: tuple[Step, ...]
    end: EndState
    """The state an item reaches when its last step is done (in force, adopted, executed)."""
    multi_party: bool

    def __post_init__(self) -> None:
        _check(self)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise DefinitionError(f"{self.kind} flow v{self.version} has no step {name!r}")

    @property
    def end_states(self) -> frozenset[str]:
        return frozenset({self.end, EndState.REJECTED, EndState.WITHDRAWN})

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The table a reader sees: step, role, scope, transitions (a step that waits for
        every party's steps before it says so)."""
        return [
            (
                step.name,
                step.role,
                str(step.scope) + (", after every party" if step.join and step.per_party else ""),
                ", ".join(f"{action} → {_target_label(self, step, target)}"
                          for action, target in step.actions.items()),
            )
            for step in self.steps
        ]


def _target_label(flow: FlowDefinition, step: Step, target: str) -> str:
    if target != NEXT:
        return target
    index = flow.steps.index(step)
    return flow.steps[index + 1].name if index + 1 < len(flow.steps) else flow.end


def _check(flow: FlowDefinition) -> None:
    where = f"{flow.kind} flow v{flow.version}"
    names = [step.name for step in flow.steps]
    if not names:
        raise DefinitionError(f"{where} has no steps")
    if len(set(names)) != len(names):
        raise DefinitionError(f"{where} names a step twice: {names}")
    if not flow.steps[0].is_drafting:
        raise DefinitionError(f"{where} must start with a drafting step (one with 'submit')")
    allowed_targets = set(names) | {NEXT, EndState.REJECTED, EndState.WITHDRAWN}
    for step in flow.steps:
        if not step.join and not step.per_party:
            raise DefinitionError(f"{where}: step {step.name!r} is for the drafting party alone, "
                                  "so every party's steps before it must be done: it must be a join")
        if step.is_drafting and step.per_party:
            raise DefinitionError(f"{where}: drafting step {step.name!r} is for the drafting party alone")
        if not step.role:
            raise DefinitionError(f"{where}: step {step.name!r} has no role")
        if not step.actions:
            raise DefinitionError(f"{where}: step {step.name!r} has no actions")
        for action, target in step.actions.items():
            if target not in allowed_targets:
                raise DefinitionError(
                    f"{where}: step {step.name!r} action {action!r} leads to unknown {target!r}"
                )
    if NEXT not in flow.steps[-1].actions.values():
        raise DefinitionError(f"{where}: the last step never reaches {flow.end!r}")
    reached = {names[0]}
    frontier = [0]
    while frontier:
        index = frontier.pop()
        for target in flow.steps[index].actions.values():
            following = index + 1 if target == NEXT else names.index(target) if target in names else None
            if following is not None and following < len(names) and names[following] not in reached:
                reached.add(names[following])
                frontier.append(following)
    unreachable = [name for name in names if name not in reached]
    if unreachable:
        raise DefinitionError(f"{where}: unreachable steps {unreachable}")


def _actions(**targets: str) -> Mapping[str, str]:
    return MappingProxyType(dict(targets))


WORK_PLAN = FlowDefinition(
    kind=ItemKind.WORK_PLAN,
    version=1,
    multi_party=False,
    end=EndState.IN_FORCE,
    steps=(
        Step("draft", "drafter", _actions(submit=NEXT), "Draft", "مسودہ"),
        Step("review", "reviewer", _actions(clear=NEXT, **{"return": "draft"}), "Review", "جائزہ"),
        Step(
            "approval", "approver",
            _actions(approve=NEXT, reject=EndState.REJECTED, **{"return": "draft"}), "Approval", "منظوری",
        ),
        Step("signature", "signatory", _actions(sign=NEXT), "Signature", "دستخط"),
    ),
)

JOINT_RESOLUTION = FlowDefinition(
    kind=ItemKind.JOINT_RESOLUTION,
    version=1,
    multi_party=True,
    end=EndState.ADOPTED,
    steps=(
        Step("draft", "drafter", _actions(submit=NEXT), "Draft", "مسودہ"),
        # The drafting party wrote the draft: the other parties give their feedback on it,
        # each at its own pace; the round closes (a join) before the revision.
        Step("feedback", "reviewer", _actions(feedback=NEXT), "Feedback round", "آراء کا دور",
             scope=Scope.OTHERS),
        Step("revision", "drafter", _actions(submit=NEXT), "Revision", "نظرِ ثانی"),
        Step("approval", "approver", _actions(approve=NEXT, **{"return": "revision"}),
             "Approval by each party", "ہر فریق کی منظوری", scope=Scope.EACH),
        Step("signature", "signatory", _actions(sign=NEXT), "Signature by each party",
             "ہر فریق کے دستخط", scope=Scope.EACH),
    ),
)

AGREEMENT = FlowDefinition(
    kind=ItemKind.AGREEMENT,
    version=1,
    multi_party=True,
    end=EndState.EXECUTED,
    steps=(
        Step("draft", "drafter", _actions(submit=NEXT), "Draft", "مسودہ"),
        # Each party reviews and approves at its own pace (its extra steps in between);
        # the joint signature waits for every party's approval.
        Step("internal_review", "reviewer", _actions(clear=NEXT, **{"return": "draft"}),
             "Internal review", "داخلی جائزہ", scope=Scope.EACH),
        Step("approval", "approver",
             _actions(approve=NEXT, reject=EndState.REJECTED, **{"return": "draft"}),
             "Approval by each party", "ہر فریق کی منظوری", scope=Scope.EACH, join=False),
        Step("signature", "signatory", _actions(sign=NEXT), "Signature by each party",
             "ہر فریق کے دستخط", scope=Scope.EACH),
    ),
)

FLOWS: dict[tuple[ItemKind, int], FlowDefinition] = {
    (flow.kind, flow.version): flow for flow in (WORK_PLAN, JOINT_RESOLUTION, AGREEMENT)
}


def current_flow(kind: ItemKind) -> FlowDefinition:
    return max((flow for (k, _), flow in FLOWS.items() if k == kind), key=lambda f: f.version)


def flow_for(kind: ItemKind, version: int) -> FlowDefinition:
    try:
        return FLOWS[(kind, version)]
    except KeyError:
        raise DefinitionError(f"no {kind} flow of version {version} is installed") from None


@dataclass(frozen=True)
class RouteStep:
    """One step of an item's resolved route."""

    name: str
    role: str
    actions: dict[str, str]
    parties: tuple[str, ...]
    label_en: str
    label_ur: str
    source: str = "core"
    reason: str | None = None
    join: bool = True
    """Opens only when every party is done with the steps before it (see `Step.join`).
    Routes stored before parties moved at their own pace have no joins recorded: every
    step of theirs is one, as it was."""

    @property
    def is_drafting(self) -> bool:
        return "submit" in self.actions

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "role": self.role, "actions": self.actions,
            "parties": list(self.parties), "label_en": self.label_en,
            "label_ur": self.label_ur, "source": self.source, "reason": self.reason,
            "join": self.join,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RouteStep:
        return cls(**{**data, "parties": tuple(data["parties"])})


@dataclass(frozen=True)
class Route:
    steps: tuple[RouteStep, ...] = field(default_factory=tuple)

    def index(self, name: str) -> int:
        for position, step in enumerate(self.steps):
            if step.name == name:
                return position
        raise DefinitionError(f"the item's route has no step {name!r}")

    def segment(self, position: int) -> range:
        """The positions from the join at or before `position` up to the next join: the
        steps each party walks at its own pace."""
        start = position
        while start > 0 and not self.steps[start].join:
            start -= 1
        end = position + 1
        while end < len(self.steps) and not self.steps[end].join:
            end += 1
        return range(start, end)

    def next_for(self, party: str, after: int) -> int | None:
        """The position of `party`'s next step after position `after` before the next join,
        or None when the party is done with this segment."""
        for position in range(after + 1, self.segment(after).stop):
            if party in self.steps[position].parties:
                return position
        return None

    def first_for(self, party: str, start: int) -> int | None:
        """The position of `party`'s first step in the segment that begins at `start`."""
        return start if party in self.steps[start].parties else self.next_for(party, start)

    def to_json(self) -> list[dict[str, Any]]:
        return [step.to_json() for step in self.steps]

    @classmethod
    def from_json(cls, data: Iterable[dict[str, Any]]) -> Route:
        return cls(tuple(RouteStep.from_json(step) for step in data))


def resolve_route(
    flow: FlowDefinition,
    drafting_party: str,
    parties: tuple[str, ...],
    extras: Mapping[str, list[ExtraStep]],
) -> Route:
    """The item's steps: the flow's, each for its parties, with each party's extra
    steps placed after the step they name (for that party only, in its own chain; after a
    drafting step, once the draft is submitted)."""
    core_names = {step.name for step in flow.steps}
    for party, steps in extras.items():
        for extra in steps:
            if extra.after not in core_names:
                raise DefinitionError(
                    f"{party} adds step {extra.name!r} after {extra.after!r}, "
                    f"which the {flow.kind} flow does not have ({sorted(core_names)})"
                )
            if extra.name in core_names:
                raise DefinitionError(f"{party} adds step {extra.name!r}, a core step's name")
    route: list[RouteStep] = []
    last_drafting = flow.steps[0].name
    for step in flow.steps:
        if step.is_drafting:
            last_drafting = step.name
        scoped = {Scope.DRAFTING: (drafting_party,), Scope.EACH: parties,
                  Scope.OTHERS: tuple(code for code in parties if code != drafting_party)}
        route.append(
            RouteStep(
                name=step.name, role=step.role, actions=dict(step.actions),
                parties=scoped[step.scope], label_en=step.label_en, label_ur=step.label_ur,
                join=step.join,
            )
        )
        for party in parties:
            for extra in extras.get(party, []):
                if extra.after == step.name:
                    route.append(
                        RouteStep(
                            name=f"{extra.name}" if not flow.multi_party else f"{extra.name}:{party}",
                            role=extra.role,
                            actions={"clear": NEXT, "return": last_drafting},
                            parties=(party,), label_en=extra.label_en, label_ur=extra.label_ur,
                            source=party, reason=extra.reason, join=step.is_drafting,
                        )
                    )
    return Route(tuple(route))
