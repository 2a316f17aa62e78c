"""Form models: the base forms parties extend, bilingual labels, validation, rendering."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.errors import InvalidForm

MAX_TEXT = 20_000
"""Characters a form's text field may have, unless the field (`max_length`) or the form
(`model_config = ConfigDict(str_max_length=...)`) says fewer: a long summary is ~5,000."""

MAX_ROWS = 200
"""Entries a form's list may have, unless the field (`max_length`) or the form
(`max_rows`) says fewer; a list past it is refused before its entries are read."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")


def control_character(value: str, *, single_line: bool) -> str | None:
    """How `value` breaks the rule for text (None if it does not): no control characters,
    and in a single line (a title, a name, a code) no line break either. Tabs pass."""
    found = _CONTROL.search(value) or (_LINE_BREAK.search(value) if single_line else None)
    if found is None:
        return None
    what = "a line break" if _LINE_BREAK.match(found[0]) else "a control character"
    return f"{what} (U+{ord(found[0]):04X}) at character {found.start() + 1}"


def check_line(value: str | None, where: str, *, single_line: bool = True) -> None:
    """InvalidForm naming `where` if `value` has a control character (or a line break)."""
    problem = None if value is None else control_character(value, single_line=single_line)
    if problem is not None:
        raise InvalidForm(f"{where} contains {problem}: write it on one line, without control "
                          f"characters" if single_line else f"{where} contains {problem}",
                          problems=[(where, f"contains {problem}")])


def label(en: str, ur: str, *, multiline: bool = False, hint_ur: str | None = None,
          **field_kwargs: Any) -> Any:
    """A pydantic field labelled in English (its title) and Urdu (``title_ur``).

    Text is one line unless `multiline` (a summary, a clause): a name, a place or an
    entry of a list refuses line breaks, and the web form gives it a one-line input.
    A `description` is the hint shown under the field, `hint_ur` its Urdu; the first of
    `examples` is shown as the format to follow, and quoted when a value does not match."""
    extra: dict[str, Any] = {"title_ur": ur, **({"multiline": True} if multiline else {}),
                             **({"hint_ur": hint_ur} if hint_ur else {})}
    return Field(title=en, json_schema_extra=extra, **field_kwargs)


def is_multiline(info: Any) -> bool:
    """Whether a form field (pydantic's FieldInfo) was labelled `multiline`."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return bool(extra.get("multiline"))


class FormModel(BaseModel):
    """Base of every party's form: unknown fields are refused, values are frozen, text is
    bounded (MAX_TEXT) and free of control characters, lists are bounded (`max_rows`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              str_max_length=MAX_TEXT)
    #: Entries any list of this form may have; a party may set fewer.
    max_rows: ClassVar[int] = MAX_ROWS

    @field_validator("*", mode="before")
    @classmethod
    def _bounded_and_clean(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse a list over `max_rows` before its entries are validated, control
        characters in any text, and line breaks in text that is not `multiline`."""
        if isinstance(value, list | tuple) and len(value) > cls.max_rows:
            raise ValueError(f"at most {cls.max_rows} entries, not {len(value)}")
        field = cls.model_fields.get(info.field_name or "")
        single_line = field is not None and not is_multiline(field)
        for text in (value if isinstance(value, list | tuple) else [value]):
            problem = control_character(text, single_line=single_line) if isinstance(text, str) else None
            if problem is not None:
                raise ValueError(f"contains {problem}")
        return value


class Activity(FormModel):
    activity: str = label("Activity", "سرگرمی", min_length=3, multiline=True)
    quarter: str = label("Quarter", "سہ ماہی", pattern=r"^20\d\d-Q[1-4]$", examples=["2025-Q3"],
                         description="The year, a dash, Q and the quarter's number (1 to 4)",
                         hint_ur="سال، ڈیش، Q اور سہ ماہی کا نمبر (1 تا 4)")


class WorkPlanForm(FormModel):
    """A party's work plan: what it will do in a period."""

    period_start: date = label("Period start", "مدت کا آغاز", examples=["2026-01-01"])
    period_end: date = label("Period end", "مدت کا اختتام", examples=["2026-12-31"])
    summary: str = label("Summary", "خلاصہ", min_length=10, multiline=True)

    @model_validator(mode="after")
    def _period_runs_forward(self) -> WorkPlanForm:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class ResolutionPoint(FormModel):
    text: str = label("Resolution", "قرارداد", min_length=10, multiline=True)
    priority_area: str = label("Priority area", "ترجیحی شعبہ", min_length=3)
    parties: list[str] = label(
        "Parties responsible (empty: all)", "ذمہ دار فریق (خالی: سب)", default_factory=list,
        max_length=50,
    )


class JointResolutionForm(FormModel):
    """Resolutions passed at a meeting, shared with the parties for feedback and approval."""

    meeting: str = label("Meeting", "اجلاس", min_length=5)
    meeting_date: date = label("Meeting date", "اجلاس کی تاریخ")
    points: list[ResolutionPoint] = label("Resolution points", "قرارداد کے نکات", min_length=1,
                                          max_length=MAX_ROWS)


class AgreementForm(FormModel):
    """An agreement between parties: a Letter of Intent or a Memorandum of Understanding."""

    instrument: Literal["Letter of Intent", "Memorandum of Understanding"] = label(
        "Instrument", "دستاویز"
    )
    purpose: str = label("Purpose", "مقصد", min_length=10, multiline=True)
    areas: list[str] = label("Areas of cooperation", "تعاون کے شعبے", min_length=1,
                             max_length=MAX_ROWS)
    data_sharing: bool = label("Shares personal data", "ذاتی ڈیٹا کا تبادلہ", default=False)
    data_protection_clause: str | None = label(
        "Data protection clause", "ڈیٹا کے تحفظ کی شق", default=None, multiline=True
    )
    signing_place: str | None = label("Place of signing", "مقامِ دستخط", default=None)


@dataclass(frozen=True)
class FormField:
    name: str
    label_en: str
    label_ur: str
    type: str
    required: bool


def form_fields(model: type[FormModel]) -> list[FormField]:
    """The top-level fields of a form with their labels, in declaration order."""
    fields = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        annotation = getattr(info.annotation, "__name__", None) or str(info.annotation)
        fields.append(
            FormField(
                name=name,
                label_en=info.title or name,
                label_ur=str(extra.get("title_ur", "")),
                type=annotation.replace("typing.", ""),
                required=info.is_required(),
            )
        )
    return fields


def _field_label(model: type[BaseModel], location: tuple[Any, ...]) -> str:
    """`points[0].text (Resolution)`: the path an officer can find, with its label."""
    path = ""
    current: Any = model
    title = None
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        path += f".{part}" if path else str(part)
        fields = getattr(current, "model_fields", {})
        info = fields.get(part)
        title = info.title if info else None
        current = _inner_model(info.annotation) if info else None
    return f"{path} ({title})" if title else path


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _field_info(model: type[BaseModel], location: tuple[Any, ...]) -> Any:
    """The FieldInfo at `location` (None for the form, or a list's entry)."""
    current: Any = model
    info = None
    for part in location:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return info


def field_example(info: Any) -> str | None:
    """The first of a field's `examples`, as text: the format the hint and messages show."""
    examples = getattr(info, "examples", None) or []
    return str(examples[0]) if examples else None


_DATE_ERRORS = {"date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"}

#: Pydantic's error types as a person would say them, in English and Urdu; `{...}` are the
#: error's context (min_length, expected, ...) and `{example}` the field's first example.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("This is required: fill it in.", "یہ خانہ لازمی ہے: اسے پُر کریں۔"),
    "string_too_short": ("Too short: write at least {min_length} characters.",
                         "بہت مختصر: کم از کم {min_length} حروف لکھیں۔"),
    "string_too_long": ("Too long: write at most {max_length} characters.",
                        "بہت طویل: زیادہ سے زیادہ {max_length} حروف لکھیں۔"),
    "string_pattern_mismatch": ("Not in the expected form: write it like {example}.",
                                "درست شکل میں نہیں: اس طرح لکھیں: {example}"),
    "date": ("Not a date: write it like {example} (year-month-day).",
             "تاریخ درست نہیں: اس طرح لکھیں: {example} (سال-مہینہ-دن)"),
    "int_parsing": ("Not a whole number: write digits only, like {example}.",
                    "پورا عدد نہیں: صرف ہندسے لکھیں، جیسے {example}"),
    "int_from_float": ("Not a whole number: write digits only, like {example}.",
                       "پورا عدد نہیں: صرف ہندسے لکھیں، جیسے {example}"),
    "greater_than": ("Must be more than {gt}.", "{gt} سے زیادہ ہونا چاہیے۔"),
    "greater_than_equal": ("Must be {ge} or more.", "کم از کم {ge} ہونا چاہیے۔"),
    "less_than_equal": ("Must be {le} or less.", "زیادہ سے زیادہ {le} ہونا چاہیے۔"),
    "too_short": ("Give at least {min_length} entries.", "کم از کم {min_length} اندراجات دیں۔"),
    "too_long": ("Give at most {max_length} entries, not {actual_length}.",
                 "زیادہ سے زیادہ {max_length} اندراجات دیں، {actual_length} نہیں۔"),
    "literal_error": ("Choose one of: {expected}.", "ان میں سے ایک منتخب کریں: {expected}"),
    "bool_parsing": ("Answer yes or no.", "ہاں یا نہیں میں جواب دیں۔"),
    "extra_forbidden": ("This field is not part of the form.", "یہ خانہ فارم کا حصہ نہیں۔"),
}

#: A validator's own message (`value_error`), when a person would say it otherwise.
VALUE_MESSAGES: dict[str, tuple[str, str]] = {
    "period_end must be after period_start": (
        "The period must end after it starts: give a period end later than the period start.",
        "مدت کا اختتام اس کے آغاز کے بعد ہونا چاہیے۔"),
}


def explain(detail: Any, info: Any) -> tuple[str, str]:
    """One validation error (pydantic's `ErrorDetails`) as a person would say it, in
    English and Urdu: what is wrong and the form to follow, never the pattern itself."""
    kind = "date" if detail["type"] in _DATE_ERRORS else detail["type"]
    if kind == "value_error":
        text = str(detail["msg"]).removeprefix("Value error, ")
        english, urdu = VALUE_MESSAGES.get(text, (text, text))
        return english[:1].upper() + english[1:], urdu
    if kind not in MESSAGES:
        return str(detail["msg"]), str(detail["msg"])
    context = {key: str(value) for key, value in (detail.get("ctx") or {}).items()}
    fallback = {"date": "2026-01-01", "int_parsing": "2500000", "int_from_float": "2500000"}
    context["example"] = field_example(info) or fallback.get(kind, "the example under the field")
    english, urdu = MESSAGES[kind]
    # In Urdu the example keeps its left-to-right order: isolated (LRI … PDI), so that a
    # right-to-left line does not show 2026-01-01 as 01-01-2026.
    isolated = {**context, "example": f"\u2066{context['example']}\u2069"}
    return english.format_map(_Blank(context)), urdu.format_map(_Blank(isolated))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def validate_form(model: type[FormModel], data: dict[str, Any], *, party: str) -> FormModel:
    """The form as the model reads it, or InvalidForm naming every field that is wrong,
    each with a message a person can act on (`explain`), in English and Urdu."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems, problems_ur = [], []
        for detail in error.errors(include_url=False):
            location = tuple(detail["loc"])
            where = _field_label(model, location) if location else "form"
            english, urdu = explain(detail, _field_info(model, location))
            problems.append((where, english))
            problems_ur.append((where, urdu))
        lines = "; ".join(f"{where}: {message}" for where, message in problems)
        raise InvalidForm(
            f"{party}'s {model.__name__} form is not valid: {lines}", problems=problems,
            headline=f"{party}'s {model.__name__} form is not valid ({len(problems)} "
                     f"problem{'s' if len(problems) != 1 else ''}):",
            problems_ur=problems_ur,
        ) from None


def unlabelled_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Fields of `model`, nested lists of models included, that lack an English or Urdu label."""
    missing = []
    for name, info in model.model_fields.items():
        extra: Any = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not info.title or not extra.get("title_ur"):
            missing.append(prefix + name)
        for inner in getattr(info.annotation, "__args__", ()):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                missing += unlabelled_fields(inner, f"{prefix}{name}[].")
    return missing


def example_data(model: type[BaseModel]) -> dict[str, Any]:
    """Form data a drafter could have typed, built from the model's JSON schema: each
    field's first `examples` value, else its default, else the least its type and bounds
    allow. A field with a pattern or a validator the schema cannot express needs
    `examples=[...]` for this to pass its validation."""
    schema = model.model_json_schema()
    return _example(schema, schema.get("$defs", {}), "form")


def _example(schema: dict[str, Any], defs: dict[str, Any], name: str) -> Any:
    if "$ref" in schema:
        return _example(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, name)
    for key in ("examples", "enum"):
        if schema.get(key):
            return schema[key][0]
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        return _example(options[0], defs, name) if options else None
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        return {field: _example(inner, defs, field)
                for field, inner in schema.get("properties", {}).items() if field in required}
    if kind == "array":
        return [_example(schema.get("items", {}), defs, name)
                for _ in range(max(1, schema.get("minItems", 1)))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return max(low, 1) if "maximum" not in schema else min(max(low, 1), schema["maximum"])
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-01-01"
    text = f"{schema.get('title', name)} [sample]"
    return text.ljust(schema.get("minLength", 0), ".")
