"""`manzoori serve --demo` as an operator meets it: the Prefect UI in a real browser
(Debian's Chromium, driven by Playwright) shows the demo items' runs by reference.

Marked `slow`: a Prefect server of its own, the demo played and Chromium took 80 s of the
default suite's 5 minutes; `.ci/run` runs it on both databases (`-m slow`). The default
suite still starts a Prefect server (tests/test_prefect.py) and drives Chromium
(tests/test_web_browser.py, tests/test_mail.py)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from sqlalchemy import func, select

from engine.core.registry import registry
from engine.demo.scenes import LIVE_OFFICERS
from engine.store import AuditEvent, Item, session_scope
from tests.browsing import OUTPUT
from tests.conftest import Databases
from tests.forms import form_for
from tests.prefect_support import PrefectView
from workflows.stack import Stack, auth_string, free_port

pytestmark = [pytest.mark.prefect, pytest.mark.browser, pytest.mark.slow]

DEMO = ["PJ-IPA-2025-0001", "BL-WP-2025-0001", "NCSW-JR-2015-0001", "PJ-WP-2025-0001"]


@pytest.fixture(scope="module")
def served(databases: Databases, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Stack, subprocess.Popen, dict[str, str]]]:
    home = tmp_path_factory.mktemp("served")
    url = databases.empty(home)
    port = free_port()
    environment = {**os.environ, "MANZOORI_HOME": str(home), "COLUMNS": "200",
                   **databases.environment(url)}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--web-port", str(free_port()),
         "--demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
    )
    lines = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving;"):
            break
    else:
        process.kill()
    assert lines and lines[-1].startswith("Serving;"), "".join(lines)
    try:
        yield Stack(home, port=port), process, environment
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        databases.drop(url)


def test_the_prefect_ui_shows_the_demo_runs_by_reference(served, browser, request, tmp_path) -> None:
    stack, _process, environment = served
    prefect = PrefectView(stack)
    for reference in DEMO:
        assert prefect.wait_final(reference, timeout=120).state.is_completed()
    # An item that waits: its run Suspended, the office it waits for in its status artifact.
    form = tmp_path / "plan.json"
    form.write_text(json.dumps(form_for("punjab", "work_plan")))
    drafted = subprocess.run([sys.executable, "-m", "engine.cli", "draft", "work_plan", "--parties", "punjab",
                              "--title", "A plan that waits", "--form", str(form), "--as", "punjab.pdu-director"],
                             capture_output=True, text=True, env=environment, timeout=120)
    assert drafted.returncode == 0, drafted.stdout + drafted.stderr
    waiting = re.search(r"PJ-WP-\d{4}-\d{4}", drafted.stdout).group(0)
    run = prefect.wait_suspended_after(waiting, 1, timeout=120)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / f"{request.node.name}.png"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _log_in_to_prefect(page, stack)
    for reference in DEMO:
        page.get_by_text(reference, exact=True).first.wait_for(timeout=60_000)
    page.screenshot(path=str(screenshot), full_page=True)
    # The waiting run's page says Suspended; its status artifact names the office.
    page.goto(f"{stack.ui_url}/runs/flow-run/{run.id}")
    page.get_by_text("Suspended").first.wait_for(timeout=60_000)
    status = prefect.artifact(f"{waiting.lower()}-status")
    page.goto(f"{stack.ui_url}/artifacts/artifact/{status.latest_id}")
    page.get_by_text("Director, Parliamentary Development Unit").first.wait_for(timeout=60_000)
    page.screenshot(path=str(OUTPUT / f"{request.node.name}-waiting.png"), full_page=True)
    context.close()
    assert screenshot.stat().st_size > 10_000


def test_the_demo_leaves_three_runs_suspended_waiting_for_named_offices(served, browser) -> None:
    """The README's first command leaves work waiting: each live [sample] item's run is
    Suspended after its last event, its status artifact names the office it waits for,
    and the suspension is logged at INFO, not as an error."""
    stack, _process, environment = served
    url = environment.get("MANZOORI_DATABASE_URL") or f"sqlite:///{environment['MANZOORI_HOME']}/manzoori.db"
    parties = registry()
    with session_scope(url) as session:
        live = session.scalars(select(Item).where(Item.title.in_(sorted(LIVE_OFFICERS)))).all()
        waiting = {item.reference: (session.scalar(select(func.max(AuditEvent.seq))
                                                   .where(AuditEvent.item_id == item.id)),
                                    {parties.party(s.party).office(s.office).title_en
                                     for s in item.steps if s.status == "open"})
                   for item in live}
    assert len(waiting) == 3
    prefect = PrefectView(stack)
    for reference, (last, offices) in waiting.items():
        run = prefect.wait_suspended_after(reference, last, timeout=120)
        assert run.state.name == "Suspended"
        status = prefect.artifact(f"{reference.lower()}-status").data
        assert f"{reference} waits at step" in status and all(office in status for office in offices)
        assert "### Route" in status and "▶" in status.split("### Route", 1)[1]
        levels = prefect.levels(run.id)
        assert not [line for level, line in levels if level >= logging.ERROR and "Suspended" in line]
    # The Prefect UI shows the last one's artifacts readably at its own width.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in_to_prefect(page, stack)
    page.get_by_text(reference, exact=True).first.wait_for(timeout=60_000)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    artifact = prefect.artifact(f"{reference.lower()}-status")
    page.goto(f"{stack.ui_url}/artifacts/artifact/{artifact.latest_id}")
    page.get_by_text("Route", exact=True).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUTPUT / "guide-prefect-status.png"), full_page=True)
    context.close()


def _log_in_to_prefect(page, stack) -> None:
    """The Prefect UI's login (the stack's auth string), then its runs page."""
    page.goto(f"{stack.ui_url}/runs")
    password = page.locator("input[type=password]")
    password.wait_for(timeout=30_000)
    password.fill(auth_string(stack.prefect_home))
    password.press("Enter")


def test_ctrl_c_stops_the_server_and_the_runner(served) -> None:
    stack, process, _environment = served
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    rest = process.stdout.read()
    assert "Stopped." in rest
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", stack.port)) != 0, "the Prefect server still listens"
