"""Loading parties from the entry-point group `manzoori.provinces`, each on its own.

pluggy's `load_setuptools_entrypoints` stops at the first plugin that fails to
import; we load entry points one by one instead so that a broken party is reported by
name and reason while the others keep working. Hooks are then called one party at a
time (`Party.call`), and what each returns is checked against the contract's types.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import logging
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from typing import Any

import pluggy
from pydantic import TypeAdapter, ValidationError

from engine.contract import (
    DelegationRule,
    ItemKind,
    Office,
    PartyIdentity,
    RoleRule,
    hookspecs,
)
from engine.contract.contract_version import ContractMismatch, ContractVersion
from engine.contract.forms import FormModel
from engine.core.flows import current_flow
from engine.errors import NotFound, PluginError

GROUP = "manzoori.provinces"
log = logging.getLogger("manzoori.plugins")

_REQUIRED = ("party", "offices")


@dataclass
class Party:
    """One installed party and the hooks it implements."""

    name: str
    """The entry point's name: how faults are reported."""
    impls: dict[str, Any]
    distribution: str | None = None
    """The installed package that registered it, with its version (`manzoori-gb 0.1.0`)."""
    _roles: dict[tuple[ItemKind, int], dict[str, RoleRule] | None] = field(
        default_factory=dict, repr=False)

    def call(self, hook: str, **kwargs: Any) -> Any:
        """This party's answer to a hook, checked against the contract. Arguments the
        implementation does not declare (as pluggy allows) are not passed to it."""
        function = self.impls.get(hook)
        if function is None:
            if hook in _REQUIRED:
                raise PluginError(self.name, hook, "required hook is not implemented")
            # A hook of a newer minor contract than the party's, or one it leaves out.
            return hookspecs.ABSENT[hook]
        accepted = _parameters(function)
        try:
            result = function(**{name: value for name, value in kwargs.items() if name in accepted})
            return _check_return(self.name, hook, result)
        except ContractMismatch as error:
            package = f"{self.distribution} " if self.distribution else ""
            raise PluginError(self.name, hook, f"{package}{error}") from None
        except PluginError:
            raise
        except Exception as error:  # a plugin's fault must not take the engine down
            raise PluginError(self.name, hook, f"raised {type(error).__name__}: {error}") from error

    @cached_property
    def identity(self) -> PartyIdentity:
        return self.call("party")

    @property
    def code(self) -> str:
        return self.identity.code

    @property
    def contract(self) -> ContractVersion:
        """The version of the contract the party was written for."""
        return ContractVersion.parse(self.identity.contract)

    @cached_property
    def offices(self) -> dict[str, Office]:
        offices: dict[str, Office] = {}
        for office in self.call("offices"):
            if office.code in offices:
                raise PluginError(self.name, "offices", f"declares office {office.code!r} twice")
            offices[office.code] = office
        return offices

    def office(self, code: str) -> Office:
        try:
            return self.offices[code]
        except KeyError:
            raise NotFound(
                f"{self.code} has no office {code!r} (offices: {', '.join(self.offices)})"
            ) from None

    @property
    def definition_version(self) -> int:
        """The version of the party's definition that new items follow."""
        return self.identity.definition_version

    def roles(self, kind: ItemKind, version: int | None = None) -> dict[str, RoleRule] | None:
        """The party's roles for `kind` under definition `version` (default: its current
        one), checked once and then remembered (they are data)."""
        key = (kind, version or self.definition_version)
        if key not in self._roles:
            self._roles[key] = self._checked_roles(*key)
        return self._roles[key]

    def _checked_roles(self, kind: ItemKind, version: int) -> dict[str, RoleRule] | None:
        roles = self.call("roles", kind=kind, version=version)
        for role, rule in (roles or {}).items():
            if rule.office not in self.offices:
                raise PluginError(
                    self.name, "roles",
                    f"role {role!r} of {kind} names office {rule.office!r}, which offices() lacks",
                )
            if rule.escalate_to is not None and rule.escalate_to not in self.offices:
                raise PluginError(
                    self.name, "roles",
                    f"role {role!r} of {kind} escalates to office {rule.escalate_to!r}, "
                    "which offices() lacks",
                )
        if roles is not None:
            self._check_flow_roles(kind, roles)
        return roles

    def _check_flow_roles(self, kind: ItemKind, roles: dict[str, RoleRule]) -> None:
        """Every role a step of `kind`'s flow asks of this party is mapped: all of them
        for a work plan, the drafter's only if the party drafts the kind."""
        flow = current_flow(kind)
        drafts = self.form(kind) is not None
        for step in flow.steps:
            if step.role in roles or not (step.per_party or not flow.multi_party or drafts):
                continue
            strays = [role for role in roles if role not in {s.role for s in flow.steps}]
            guess = difflib.get_close_matches(step.role, strays, n=1)
            hint = f"; it maps {guess[0]!r}, which no step asks for" if guess else ""
            raise PluginError(self.name, "roles", f"maps no office to role {step.role!r} of {kind} "
                                                  f"(step {step.name!r} needs it){hint}")

    def delegation(self, office: str) -> DelegationRule:
        """Who may stand in for the holder of `office` while they are away, and which
        office supervises them (the default when the party does not say)."""
        rule = self.call("delegation", office=office) or DelegationRule()
        for named in (*rule.substitutes, *([rule.supervisor] if rule.supervisor else [])):
            if named not in self.offices:
                raise PluginError(self.name, "delegation", f"names office {named!r} for "
                                  f"{office!r}, which offices() lacks")
        return rule

    def form(self, kind: ItemKind) -> type[FormModel] | None:
        model = self.call("form", kind=kind)
        if model is not None and not (isinstance(model, type) and issubclass(model, FormModel)):
            raise PluginError(self.name, "form", f"returned {model!r}, not a FormModel subclass")
        return model


@functools.cache
def _parameters(function: Any) -> frozenset[str]:
    """The argument names a hook implementation declares."""
    return frozenset(inspect.signature(function).parameters)


@functools.cache
def _returns(hook: str) -> Any:
    """What `hook` returns, as its specification in `hookspecs.py` is annotated."""
    return typing.get_type_hints(getattr(hookspecs, hook))["return"]


@functools.cache
def _adapter(hook: str) -> TypeAdapter:
    """One validator per hook: building a TypeAdapter costs milliseconds."""
    return TypeAdapter(_returns(hook))


def _check_return(plugin: str, hook: str, result: Any) -> Any:
    # A form is a class, checked by `Party.form`; a reaction returns nothing to check.
    if hook == "form" or _returns(hook) is type(None):
        return result
    try:
        return _adapter(hook).validate_python(result)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        raise PluginError(
            plugin, hook, f"returned the wrong type ({where}: {first['msg']})"
        ) from None


@dataclass
class Registry:
    """The installed parties by code, and the faults of those that could not load."""

    parties: dict[str, Party] = field(default_factory=dict)
    faults: list[PluginError] = field(default_factory=list)

    def party(self, code: str) -> Party:
        try:
            return self.parties[code]
        except KeyError:
            known = ", ".join(sorted(self.parties)) or "none"
            raise NotFound(f"no party {code!r} is installed (installed: {known})") from None

    def listening(self, party_codes: Iterable[str]) -> list[str]:
        """The parties among `party_codes` that implement `on_event`: the others need not
        be told (and an item's run makes no task of telling them)."""
        return [code for code in party_codes
                if code in self.parties and "on_event" in self.parties[code].impls]

    def notify(self, party_codes: list[str], notice: Any) -> None:
        for code in party_codes:
            party = self.parties.get(code)
            if party is None:
                continue
            try:
                party.call("on_event", event=notice)
            except PluginError as error:
                log.warning("%s", error.message)


def _implementations(plugin_manager: pluggy.PluginManager, plugin: object) -> dict[str, Any]:
    impls = {}
    for hook in plugin_manager.get_hookcallers(plugin) or []:
        for impl in hook.get_hookimpls():
            if impl.plugin is plugin:
                impls[hook.name] = impl.function
    return impls


def load_parties(plugins: Mapping[str, object] | None = None) -> Registry:
    """Every party registered in `manzoori.provinces`, or the plugin objects given by
    name (`plugins`, for tests and for embedding); faults are collected, not raised."""
    plugin_manager = pluggy.PluginManager("manzoori")
    plugin_manager.add_hookspecs(hookspecs)
    registry = Registry()
    if plugins is None:
        found = sorted(entry_points(group=GROUP), key=lambda ep: ep.name)
        loaders: list[tuple[str, Callable[[], object], str | None]] = [
            (ep.name, ep.load, f"{ep.dist.name} {ep.dist.version}" if ep.dist else None) for ep in found]
    else:
        loaders = [(name, functools.partial(_given, plugin), None) for name, plugin in plugins.items()]
    for name, load, distribution in loaders:
        try:
            plugin = load()
        except Exception as error:
            registry.faults.append(PluginError(name, None, f"failed to load: {type(error).__name__}: {error}"))
            continue
        try:
            party = _admit(plugin_manager, name, plugin, distribution)
        except PluginError as error:
            registry.faults.append(error)
            continue
        except Exception as error:  # pluggy's own validation of hook signatures
            registry.faults.append(PluginError(name, None, str(error)))
            continue
        if party.code in registry.parties:
            registry.faults.append(PluginError(name, "party", f"code {party.code!r} is already taken"))
            continue
        registry.parties[party.code] = party
    return registry


def _given(plugin: object) -> object:
    return plugin


def _admit(plugin_manager: pluggy.PluginManager, name: str, plugin: object,
           distribution: str | None) -> Party:
    """Register `plugin` and check it: only hooks of the contract, and what must hold."""
    plugin_manager.register(plugin, name=name)
    party = Party(name, _implementations(plugin_manager, plugin), distribution)
    # The contract first: a party of a newer one brings hooks this engine does not know,
    # and "needs contract 1.2" says more than "recusal is not a hook of the contract".
    party.identity  # noqa: B018 - raises PluginError when wrong
    unknown = [attribute for attribute in dir(plugin)
               if plugin_manager.parse_hookimpl_opts(plugin, attribute) is not None
               and attribute not in hookspecs.SINCE]
    if unknown:
        raise PluginError(name, unknown[0], "is not a hook of the contract")
    _check_party(party)
    return party


def _check_party(party: Party) -> None:
    """What must hold before a party is admitted: a contract this engine speaks (checked
    first, by `PartyIdentity`), identity, offices, roles naming them."""
    party.identity  # noqa: B018 - raises PluginError when wrong
    for hook in party.impls:
        if hookspecs.SINCE[hook] > party.contract:
            raise PluginError(party.name, hook, f"appeared in contract {hookspecs.SINCE[hook]}, "
                              f"but the party declares contract {party.contract}: declare "
                              f"PartyIdentity(contract=\"{hookspecs.SINCE[hook]}\") or later")
    party.offices  # noqa: B018
    for kind in ItemKind:
        party.roles(kind)
        party.form(kind)


_registry: Registry | None = None


def registry() -> Registry:
    """The process's registry, loaded on first use."""
    global _registry
    if _registry is None:
        _registry = load_parties()
    return _registry
