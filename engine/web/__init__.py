"""The officers' web app and the REST API, one FastAPI application over the engine's
services. No rule lives here: every decision goes through `engine.core.items`, and the
engine's errors become HTTP statuses (403, 404, 409, 422) with the field and reason.

`create_app()` builds it; `manzoori web` serves it alone, `manzoori serve` beside Prefect.
The modules: `app` (the factory), `deps` (what handlers share), `auth` (cookies and
tokens), `templating`, `pages`, `plan_pages`, `mail_pages` (HTML), `api` and
`api_models` (JSON), `formkit` and `i18n` (forms and words).
"""

from engine.web.app import create_app

__all__ = ["create_app"]
