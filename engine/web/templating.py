"""The HTML side the pages share: the Jinja templates, the officer's language, and
`render`, which gives every template the translator, the language and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.web.auth import form_token
from engine.web.i18n import ACTIONS, LANGUAGES, day, event_name, isolated, ltr, term, translator

#: The web app's templates; the conformance kit renders a party's form with them too.
TEMPLATES = Path(__file__).parent / "templates"

LANGUAGE_COOKIE = "manzoori_lang"
"""The language chosen (a preference of the browser, apart from the session: switching it
touches no session)."""

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True,
)
_environment.filters.update(ltr=ltr, bdi=isolated)
templates = Jinja2Templates(env=_environment)


def chosen_language(request: Request) -> str:
    """The language cookie's language, else English."""
    lang = request.cookies.get(LANGUAGE_COOKIE) or "en"
    return lang if lang in LANGUAGES else "en"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template `name` in the officer's language, with `context`."""
    lang = chosen_language(request)
    context.setdefault("csrf", form_token(request))
    return templates.TemplateResponse(request, name, {
        # t: the pages' words; n: kinds, states, steps, statuses; ev: history actions;
        # dated: a day as CLDR writes it; step_label: an item page passes its route's labels.
        "t": translator(lang), "n": term(lang), "ev": event_name(lang), "dated": day(lang),
        "step_label": term(lang),
        "office_title": lambda office: office.title_ur if lang == "ur" else office.title_en,
        "lang": lang, "languages": LANGUAGES,
        "action_names": {a: names[lang] for a, names in ACTIONS.items()}, **context,
    }, status_code=status)
