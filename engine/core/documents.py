"""An item as a printable document (HTML, or PDF through WeasyPrint): each party's
letterhead, the latest submitted version's content under its English and Urdu labels,
and a block per signature (office, holder, date, digest, verification code).

A document is rendered from its *data* alone: the version's content and the signatures
on it, which it also carries in machine-readable form (HTML: a JSON script element; PDF:
an attached `manzoori-signatures.json`). `manzoori verify --document` re-checks those
signatures and re-renders the data, so any changed byte of the file is found.

Everything is rendered by Jinja2 with autoescape on, the parties' letterheads included,
so text typed into a form can never become markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel

from engine.contract import ItemKind
from engine.core.registry import Party, Registry
from engine.core.signatures import acting_for_of, verification_code, version_content
from engine.errors import NotFound, PluginError
from engine.store import Item


@dataclass(frozen=True)
class Entry:
    """One labelled value of the form; `children` holds the entries of a nested list."""

    label_en: str
    label_ur: str
    value: str | None
    children: list[list[Entry]]


@dataclass(frozen=True)
class SignatureBlock:
    party: str
    name: str
    office: str
    at: str
    digest: str
    code: str
    acting_for: str | None = None
    """"USERNAME2 for USERNAME (Office)" when a substitute signed for an absent holder."""


KIND_LABELS_UR = {
    ItemKind.WORK_PLAN: "ورک پلان",
    ItemKind.JOINT_RESOLUTION: "مشترکہ قرارداد",
    ItemKind.AGREEMENT: "بین الصوبائی معاہدہ",
}

DATA_FILE = "manzoori-signatures.json"
"""The name of the document data attached to a PDF."""


def _environment() -> Environment:
    return Environment(loader=PackageLoader("engine.core", "templates"), trim_blocks=True, lstrip_blocks=True,
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


def document_data(item: Item) -> dict[str, Any]:
    """What the document of `item`'s latest submitted version shows: its content and the
    signatures on that version, as they were signed."""
    submitted = [version for version in item.versions if version.submitted_at is not None]
    if not submitted:
        raise NotFound(f"{item.reference} has no submitted version to print yet")
    version = submitted[-1]
    signatures = [
        {"party": s.party, "office": s.office,
         "holder": {"username": s.officer.username, "name": s.holder},
         "signed_at": s.signed_at.isoformat(), "digest": s.digest, "signature": s.signature,
         "public_key": s.public_key,
         **({"acting_for": acting_for_of(s.acting_for)} if s.acting_for else {})}
        for s in item.signatures if s.version == version.number
    ]
    return {"manzoori_document": 1, "content": version_content(item, version),
            "signatures": signatures}


def render_document(item: Item, registry: Registry) -> str:
    """The HTML document of `item`'s latest submitted version."""
    return render_data(document_data(item), registry)


def render_data(data: dict[str, Any], registry: Registry, *, signature_page: bool = False) -> str:
    """The HTML of a document's data; the same data always gives the same bytes. With
    `signature_page`, a last page for PDF signature fields replaces the signature blocks."""
    content = data["content"]
    environment = _environment()
    kind = ItemKind(content["kind"])
    drafting = registry.party(content["parties"][0])
    model = drafting.form(kind)
    if model is None:
        raise NotFound(f"{drafting.code} has no {kind} form to print {content['reference']} with")

    letterheads = [Markup(render_letterhead(registry.party(code), content["title"], content["reference"]))
                   for code in content["parties"]]

    blocks = [
        SignatureBlock(s["party"], s["holder"]["name"],
                       registry.party(s["party"]).office(s["office"]).title_en,
                       f"{datetime.fromisoformat(s['signed_at']):%d %B %Y}", s["digest"],
                       verification_code(s["signature"]),
                       _acting_for(s, registry.party(s["party"]).office(s["office"]).title_en))
        for s in data["signatures"]
    ]
    return environment.get_template("document.html").render(
        content=content, kind_label=kind.label, kind_label_ur=KIND_LABELS_UR[kind],
        letterheads=letterheads, data=data,
        entries=_entries(model, content["form"]), signatures=blocks, signature_page=signature_page,
    )


def _acting_for(signature: dict[str, Any], office: str) -> str | None:
    absent = signature.get("acting_for")
    if not absent:
        return None
    return (f"{signature['holder']['username']} for {absent['username']} ({office}): "
            f"signed for {absent['name']}, who was away")


def render_pdf(data: dict[str, Any], registry: Registry, *, signature_page: bool = False) -> bytes:
    """The PDF of a document's data (WeasyPrint, Pango shaping the Urdu), with the data
    attached; deterministic, like the HTML."""
    # lazy: WeasyPrint (Pango, fonts) takes ~1 s to import; only PDFs need it.
    from weasyprint import HTML, Attachment

    # Dated by the last signature, not the clock, so the same data gives the same bytes.
    moment = max((datetime.fromisoformat(s["signed_at"]) for s in data["signatures"]),
                 default=datetime(2000, 1, 1))
    attached = Attachment(string=json.dumps(data, sort_keys=True, ensure_ascii=False),
                          name=DATA_FILE, description="Manzoori document data and signatures",
                          created=moment, modified=moment)
    html = render_data(data, registry, signature_page=signature_page)
    return HTML(string=html).write_pdf(attachments=[attached])
