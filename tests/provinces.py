"""Parties made in a test and registered in process, as pluggy's and datasette's own tests
register plugin objects: a test subclasses `TestProvince`, redefines the hook it is about,
and installs it beside the built-in parties with the `install` fixture (tests/conftest.py).
`load_parties(plugins=...)` admits these objects exactly as it admits entry points.

Every call of a hook on a plugin made here is recorded for the running test: a test marked
`@pytest.mark.hooks("check", ...)` fails unless each hook it names was called on one of its
plugins, and tests/test_hooks.py fails unless every hook of the contract has such a test.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from engine.contract import ItemKind, Office, PartyIdentity, RoleRule
from engine.contract.forms import WorkPlanForm
from engine.contract.hookspecs import hookimpl
from engine.core.registry import GROUP, Registry, load_parties

#: The `install` fixture: `install(name=plugin, ...)` gives the registry it installed.
Install = Callable[..., Registry]

#: The hooks called on plugins made here during the running test (reset for each test).
CALLED: set[str] = set()

_MARK = "manzoori_impl"  # what `hookimpl` sets on an implementation


class TestWorkPlan(WorkPlanForm):
    """A test province's work plan: the engine's base form and nothing more."""


class TestProvince:
    """A province that loads cleanly: three offices, a work plan it drafts, reviews,
    approves and signs itself, and a part in joint resolutions. Subclasses redefine one
    hook to be about it."""

    __test__ = False  # a plugin, not a test class

    def __init__(self, code: str = "test-province") -> None:
        self.code = code

    @hookimpl
    def party(self) -> PartyIdentity:
        return PartyIdentity(code=self.code, name_en=f"Test province {self.code}", name_ur="آزمائشی صوبہ",
                             kind="province", reference_prefix="TP", contract="1.1")

    @hookimpl
    def offices(self) -> list[Office]:
        return [Office(code="secretary", title_en="Secretary, Women Development Department",
                       title_ur="سیکرٹری، محکمہ ترقیِ نسواں"),
                Office(code="minister", title_en="Minister for Women Development",
                       title_ur="وزیر برائے ترقیِ نسواں"),
                Office(code="director", title_en="Director, Gender Mainstreaming",
                       title_ur="ڈائریکٹر، صنفی مساوات")]

    @hookimpl
    def roles(self, kind: ItemKind) -> dict[str, RoleRule] | None:
        if kind == ItemKind.AGREEMENT:
            return None
        roles = {"reviewer": RoleRule(office="secretary"), "approver": RoleRule(office="minister"),
                 "signatory": RoleRule(office="minister")}
        if kind == ItemKind.WORK_PLAN:
            roles["drafter"] = RoleRule(office="director")
        return roles

    @hookimpl
    def form(self, kind: ItemKind) -> type[WorkPlanForm] | None:
        return TestWorkPlan if kind == ItemKind.WORK_PLAN else None


def recorded(plugin: object) -> object:
    """`plugin` with each of its hook implementations recording its calls in `CALLED`."""
    for name in dir(plugin):
        implementation = getattr(plugin, name, None)
        if callable(implementation) and getattr(implementation, _MARK, None) is not None:
            setattr(plugin, name, _recording(name, implementation))
    return plugin


def _recording(hook: str, implementation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(implementation)  # keeps the signature: the engine passes what it declares
    def call(*args: Any, **kwargs: Any) -> Any:
        CALLED.add(hook)
        return implementation(*args, **kwargs)

    setattr(call, _MARK, getattr(implementation, _MARK))
    return call


def with_built_ins(**plugins: object) -> Registry:
    """The built-in parties (from their entry points) and `plugins`, by name, admitted
    in process; the plugins' hook calls recorded."""
    built_in = {point.name: point.load() for point in entry_points(group=GROUP)}
    return load_parties(plugins={**built_in, **{name: recorded(plugin) for name, plugin in plugins.items()}})


def fake_distribution(root: Path, module: str, source: str) -> None:
    """A province package in folder `root` with its entry point in `manzoori.provinces`, as
    pip would install it: found by importlib.metadata once `root` is on the path."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{module} = {module}\n")
