"""The whole API under schemathesis with every check it has, served by `manzoori web` over
HTTP as a client reaches it, and every operation that takes a body given an oversized one
and one nested hundreds of levels deep: never a server error, and every answer as the
OpenAPI document says."""

from __future__ import annotations

import re

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.core.accounts import issue_token
from engine.store import session_scope
from engine.web import create_app
from engine.web.guards import MAX_BODY
from tests.browsing import serving
from tests.conftest import Manzoori
from tests.forms import form_for
from workflows.stack import free_port

DRAFTER = "punjab.pdu-director"

# The engine's own refusals of schema-valid requests (an agreement with one party, a
# blocked action without a reason) are 422s with `problems`, as the document says: a
# request the schema allows may still be refused by the rules behind it.
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


def token_for(manzoori: Manzoori, username: str = DRAFTER) -> str:
    with session_scope(manzoori.url) as session:
        token = issue_token(session, username, "schemathesis", datetime.now())
        session.commit()
    return token


def nested(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"a": [value]}
    return value


def test_oversized_and_deeply_nested_bodies_to_every_operation_are_refused_as_documented(
        manzoori: Manzoori) -> None:
    reference = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                               form_for("punjab", "work_plan"), DRAFTER)
    headers = {"Authorization": f"Bearer {token_for(manzoori)}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    with TestClient(create_app(manzoori.url, secret_key="s")) as client:
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).include(path_regex="^/api/")
        operations = [result.ok() for result in schema.get_all_operations()]
        posts = [operation for operation in operations if operation.method.upper() == "POST"]
        assert len(posts) == 10  # items, actions, bulk, reassign, progress, clear, absences (2), directory (2)
        before = manzoori.snapshot()
        for operation in posts:
            path = {parameter.name: reference if parameter.name == "reference" else 1
                    for parameter in operation.path_parameters}
            takes_body = any(True for _ in operation.body)
            # (Nested past ~450 levels JSON is refused just the same, tests/test_hostile_input.py;
            # schemathesis's own encoder stops there.)
            for body, status in ((nested(400), 422 if takes_body else None),
                                 ({"title": "x" * (MAX_BODY + 1)}, 413)):
                case = operation.Case(path_parameters=path, body=body, media_type="application/json")
                answer = case.call_and_validate(headers=headers, checks=checks)
                assert status is None or answer.status_code == status, (operation.label, answer.text[:300])
                assert len(answer.content) < 5_000
        assert manzoori.snapshot() == before


@pytest.mark.slow
def test_schemathesis_with_all_checks_finds_no_server_error(manzoori: Manzoori, tmp_path: Path) -> None:
    """`schemathesis run --checks all` against the served API for two minutes: every phase
    (examples, coverage, fuzzing, stateful), ~4,000 requests on 2 cores."""
    references = [manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026",
                                 form_for("punjab", "work_plan"), DRAFTER)]
    manzoori.act(references[0], "submit", DRAFTER)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    token = token_for(manzoori)
    with serving(Path(manzoori.home), free_port(), {"MANZOORI_DATABASE_URL": manzoori.url}) as url:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
             f"{url}/openapi.json", "--checks", "all", "--include-path-regex", "^/api/",
             "-H", f"Authorization: Bearer {token}", "--max-time", "120", "--workers", "1",
             "--max-examples", "30", "--suppress-health-check", "all", "--no-color"],
            capture_output=True, text=True, timeout=400, cwd=tmp_path)
    output = run.stdout + run.stderr
    print(output[output.find("SUMMARY"):])  # the figures, with `-s`
    assert "Server error" not in output and "ST101" not in output, output[-5_000:]
    assert run.returncode == 0, output[-5_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    assert selected and selected[1] == selected[2] and int(selected[1]) >= 20, output[-2_000:]  # every /api operation
