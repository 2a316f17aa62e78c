"""An item as a printable HTML document: each party's letterhead, the latest submitted
version's content under its English and Urdu labels, and the signatures on it.

Everything is rendered by Jinja2 with autoescape on, the parties' letterheads included,
so text typed into a form can never become markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel

from engine.contract import ItemKind
from engine.db import Item
from engine.errors import NotFound, PluginError
from engine.registry import Party, Registry


@dataclass(frozen=True)
class Entry:
    """One labelled value of the form; `children` holds the entries of a nested list."""

    label_en: str
    label_ur: str
    value: str | None
    children: list[list[Entry]]


@dataclass(frozen=True)
class Signature:
    party: str
    name: str
    office: str
    at: str


def _environment() -> Environment:
    return Environment(loader=PackageLoader("engine", "templates"), trim_blocks=True, lstrip_blocks=True,
                       autoescape=select_autoescape(default=True, default_for_string=True))


def _entries(model: type[BaseModel], data: dict[str, Any]) -> list[Entry]:
    entries = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        value = data[name]
        nested = _list_model(info.annotation)
        if nested is not None and isinstance(value, list):
            entries.append(Entry(info.title or name, str(extra.get("title_ur", "")), None,
                                 [_entries(nested, row) for row in value]))
            continue
        if isinstance(value, bool):
            shown = "Yes / ہاں" if value else "No / نہیں"
        elif isinstance(value, list):
            shown = "; ".join(str(part) for part in value) or "—"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = "—" if value in (None, "") else str(value)
        entries.append(Entry(info.title or name, str(extra.get("title_ur", "")), shown, []))
    return entries


def _list_model(annotation: Any) -> type[BaseModel] | None:
    arguments = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is list and arguments:
        inner = arguments[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def render_letterhead(party: Party, title: str, reference: str) -> str:
    """`party`'s letterhead (its own, or the engine's when it has none) for one document."""
    environment = _environment()
    source = party.call("letterhead")  # "" when the party keeps the engine's letterhead
    try:
        template = (environment.from_string(source) if source
                    else environment.get_template("letterhead.html"))
        return template.render(party=party.identity, title=title, reference=reference)
    except Exception as error:  # a broken template is the plugin's fault, named as such
        raise PluginError(party.name, "letterhead", f"{type(error).__name__}: {error}") from None


def render_document(item: Item, registry: Registry) -> str:
    """The HTML document of `item`'s latest submitted version."""
    submitted = [version for version in item.versions if version.submitted_at is not None]
    if not submitted:
        raise NotFound(f"{item.reference} has no submitted version to print yet")
    version = submitted[-1]
    environment = _environment()
    drafting = registry.party(item.drafting_party)
    model = drafting.form(ItemKind(item.kind))
    if model is None:
        raise NotFound(f"{item.drafting_party} has no {item.kind} form to print {item.reference} with")

    letterheads = [Markup(render_letterhead(registry.party(code), version.title, item.reference))
                   for code in item.party_codes]

    signatures = []
    for step in item.steps:
        if step.cycle != item.cycle:
            continue
        for decision in step.decisions:
            if decision.action == "sign":
                office = registry.party(step.party).office(step.office)
                signatures.append(Signature(step.party, decision.officer.name, office.title_en,
                                            f"{decision.at:%d %B %Y}"))

    return environment.get_template("document.html").render(
        item=item, version=version, letterheads=letterheads,
        entries=_entries(model, version.form), signatures=signatures,
    )
