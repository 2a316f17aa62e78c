"""HTML forms generated from a party's pydantic form model, and the posted fields read
back into the nested data the model validates. Inputs are named by their path in the
data (`psdp_schemes[1].estimated_cost_pkr`), the same path the engine's validation
messages name, so each message lands beside its field."""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from engine.contract.forms import field_example, is_multiline
from engine.errors import InvalidForm

EXTRA_ROWS = 2
"""Empty rows a list of rows offers after its filled ones; "Add a row" adds one more
(in the browser by pages.js, or without script by a round trip: `ADD_ROW`)."""

LONG_TEXT = {"summary", "purpose", "text", "data_protection_clause", "activity"}

ADD_ROW = "add_row:"
"""The posted button (`add_row:activities`) that asks for one more row of the list it
names; nothing is saved."""
REMOVE_ROW = "remove_row:"
"""The posted button (`remove_row:activities[1]`) that drops the row it names; nothing is
saved. The buttons are named so, with their label as value, so that they are inputs and
the form's save button stays its only <button>."""


@dataclass
class Field:
    name: str
    path: str
    label_en: str
    label_ur: str
    widget: str
    """text, textarea, date, number, checkbox, select, lines (one value per line) or rows."""
    required: bool
    value: Any = None
    choices: list[str] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    error: str | None = None
    hint: str = ""
    hint_ur: str = ""
    example: str | None = None
    """The format to follow, shown under the field ("for example 2025-Q3")."""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside Optional[...], whether None is allowed)."""
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(inner) == 1:
            return inner[0], True
    return annotation, False


def _row_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation) or (None,)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def fields(model: type[BaseModel], data: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
           prefix: str = "", extra_rows: dict[str, int] | None = None) -> list[Field]:
    """The model's fields as widgets, filled with `data` and marked with `errors` by path;
    a list of rows gets EXTRA_ROWS empty ones, or as many as `extra_rows` says for it."""
    data, errors, extra_rows = data or {}, errors or {}, extra_rows or {}
    result = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        annotation, _optional = _unwrap(info.annotation)
        value = data.get(name, None if info.is_required() else info.get_default(call_default_factory=True))
        item = Field(name, path, info.title or name, str(extra.get("title_ur", "")), "text",
                     info.is_required(), value, error=errors.get(path), hint=info.description or "",
                     hint_ur=str(extra.get("hint_ur", "")), example=field_example(info))
        row_model = _row_model(annotation)
        if row_model is not None:
            item.widget = "rows"
            existing = [row for row in (value or []) if isinstance(row, dict)]
            item.rows = [fields(row_model, row, errors, f"{path}[{index}].")
                         for index, row in enumerate([*existing, *([{}] * extra_rows.get(path, EXTRA_ROWS))])]
            item.error = errors.get(path)
        elif get_origin(annotation) is list:
            item.widget = "lines"
            item.value = "\n".join(str(v) for v in (value or []))
        elif get_origin(annotation) is Literal:
            item.widget, item.choices = "select", [str(choice) for choice in get_args(annotation)]
        elif annotation is bool:
            item.widget = "checkbox"
        elif annotation is int:
            item.widget = "number"
        elif annotation is date:
            item.widget = "date"
        elif name in LONG_TEXT or is_multiline(info):
            item.widget = "textarea"
        result.append(item)
    return result


_INDEX = re.compile(r"^([^\[.]+)\[(\d+)\]\.(.+)$")


def parse(model: type[BaseModel], posted: dict[str, str]) -> dict[str, Any]:
    """Posted fields (path → text) back into nested data; blank rows are dropped, and
    values stay text for the model to validate and convert."""
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in posted.items():
        match = _INDEX.match(key)
        if match:
            rows.setdefault(match[1], {}).setdefault(int(match[2]), {})[match[3]] = value
    for name, info in model.model_fields.items():
        annotation, optional = _unwrap(info.annotation)
        row_model = _row_model(annotation)
        if row_model is not None:
            kept = []
            for _index, row in sorted(rows.get(name, {}).items()):
                cleaned = {k: v.strip() for k, v in row.items() if k in row_model.model_fields}
                if any(cleaned.values()):
                    kept.append({k: v for k, v in cleaned.items() if v != ""})
            data[name] = kept
        elif annotation is bool:
            data[name] = name in posted
        elif get_origin(annotation) is list:
            data[name] = [line.strip() for line in posted.get(name, "").splitlines() if line.strip()]
        elif name in posted:
            text = posted[name].strip()
            if text:
                data[name] = text
            # an empty field is left out: an optional one takes its default, a required
            # one is "required", not "not a date" or "too short"
    return data


def row_request(posted: dict[str, str]) -> tuple[str, str] | None:
    """("add", "activities") or ("remove", "activities[1]") when the form was posted by a
    row's button rather than to be saved; the button's field is taken out of `posted`, and
    a removed row's fields too."""
    for key in list(posted):
        if key.startswith(ADD_ROW):
            del posted[key]
            return "add", key.removeprefix(ADD_ROW)
        if key.startswith(REMOVE_ROW):
            del posted[key]
            row = key.removeprefix(REMOVE_ROW)
            for field_key in [name for name in posted if name.startswith(f"{row}.")]:
                del posted[field_key]
            return "remove", row
    return None


def errors_by_path(problems: list[tuple[str, str]]) -> dict[str, str]:
    """`activities[0].quarter (Quarter)` → {'activities[0].quarter': message}."""
    found: dict[str, str] = {}
    for where, message in problems:
        path = where.split(" (", 1)[0].strip()
        found[path] = f"{found[path]}; {message}" if path in found else message
    return found


def rows_wanted(rows: tuple[str, str], data: dict[str, Any]) -> dict[str, int]:
    """Empty rows to offer after a row's button: one more for "add", the usual after "remove"."""
    what, where = rows
    if what != "add":
        return {}
    return {where: EXTRA_ROWS + 1} if isinstance(data.get(where), list) else {}


def problems_shown(error: InvalidForm, lang: str) -> dict[str, str]:
    """The form's problems by field, in the page's language where the engine says them in it."""
    urdu = lang == "ur" and error.problems_ur
    return errors_by_path(error.problems_ur if urdu and error.problems_ur else error.problems)


def form_headline(error: InvalidForm, lang: str) -> str:
    """The line above the form: in Urdu, where each field has its Urdu message, none (the
    page's own "correct the fields marked" says it), else the engine's headline."""
    return "" if lang == "ur" and error.problems_ur else error.headline
