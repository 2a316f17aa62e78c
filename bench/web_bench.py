"""Inbox page-load time with many waiting items (issue 4).

Builds a database where N Punjab work plans wait at review for the same WPC member
(the worst case: every item in one inbox), serves it with `manzoori web`, logs in, and
times GET /inbox (the whole page, over HTTP) K times, plus the API's GET /api/inbox.

    python bench/web_bench.py [--items 10000] [--loads 20] [--home DIR]

Prints the figures and writes them to bench/results/web.json; `python -m bench --only web`
runs it with these sizes, `--quick` with tiny ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, seed_directory, spread, write_results  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from engine.core.accounts import issue_token, set_password  # noqa: E402
from engine.core.items import act, draft  # noqa: E402
from engine.core.registry import registry  # noqa: E402
from engine.store import Appointment, Item, Officer, open_database  # noqa: E402
from tests.forms import form_for  # noqa: E402
from tests.pg_cluster import free_port  # noqa: E402

OFFICER, PASSWORD = "punjab.wpc-member.1", "bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--home", type=Path, default=None,
                        help="Reuse the database a previous run built there (building takes minutes).")
    arguments = parser.parse_args()
    write_results("web", {**machine(), **run(arguments.items, arguments.loads, arguments.home)})


def run(items: int, loads: int, home: Path | None = None, acting: int = 25) -> dict[str, Any]:
    """Build (or complete) the database in `home` (a temporary folder, removed afterwards,
    unless given), serve it and time the inbox page and the API's inbox."""
    folder = home or Path(tempfile.mkdtemp(prefix="manzoori-web-bench-"))
    try:
        built, token, officers, references = _build(folder, items)
        return {"items_waiting_in_one_inbox": items, "build_database_s": round(built, 1),
                "inbox_rows_on_the_page": "the 500 soonest, with the total",
                **_serve(folder, token, loads, officers, references, acting)}
    finally:
        if home is None:
            shutil.rmtree(folder, ignore_errors=True)


OFFICERS = 20
"""Concurrent officers acting through the API (issue 17: round trip p50 < 15 ms, p95 < 40 ms)."""


def _officer_tokens(session: Any) -> list[str]:
    """API tokens for up to OFFICERS officers in office in Punjab today (the items' party,
    so each may comment on them), one each; fewer officers are used by more than one client."""
    officers = session.scalars(select(Officer.username).join(Appointment)
                               .where(Appointment.party == "punjab", Appointment.active_on(date.today())).distinct()
                               .order_by(Officer.username)).all()[:OFFICERS]
    return [issue_token(session, username, "bench-officers", datetime.now()) for username in officers]


def _build(folder: Path, items: int) -> tuple[float, str, list[str], list[str]]:
    factory = open_database(f"sqlite:///{folder / 'manzoori.db'}")
    parties = registry()
    start = time.monotonic()
    try:
        with factory() as session:
            present = session.scalar(select(func.count()).select_from(Item)) or 0
            if not present:
                seed_directory(session, parties)
            set_password(session, OFFICER, PASSWORD)
            token = issue_token(session, OFFICER, "bench", datetime.now())
            officers = _officer_tokens(session)
            session.commit()
            form = form_for("punjab", "work_plan")
            for number in range(present, items):
                reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                                  title=f"Work plan {number:05d}", form=form,
                                  officer="punjab.pdu-director").reference
                act(session, parties, reference=reference, action="submit", officer="punjab.pdu-director")
        with factory() as session:
            references = list(session.scalars(select(Item.reference).order_by(Item.id).limit(200)))
    finally:
        factory.kw["bind"].dispose()
    return time.monotonic() - start, token, officers, references


def _act_concurrently(url: str, tokens: list[str], references: list[str],
                      actions: int) -> dict[str, Any]:
    """OFFICERS clients at once, each its own connection and token, each taking `actions`
    comment actions (a durable action: event, outbox, one commit) and reading its inbox
    after each: the round trip an officer waits for, over HTTP."""
    acted: list[float] = []
    read: list[float] = []
    failures: list[str] = []

    def officer(number: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
        with httpx.Client(base_url=url, timeout=60) as client:
            for turn in range(actions):
                reference = references[(number * actions + turn) % len(references)]
                begin = time.perf_counter()
                answer = client.post(f"/api/items/{reference}/actions", headers=headers,
                                     json={"action": "comment", "comment": f"Seen ({number}.{turn})."})
                acted.append(time.perf_counter() - begin)
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                begin = time.perf_counter()
                answer = client.get("/api/inbox", headers=headers, params={"limit": 50})
                read.append(time.perf_counter() - begin)
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=officer, args=(number,)) for number in range(OFFICERS)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begin
    assert not failures, failures[:3]
    return {"officers": OFFICERS, "actions_each": actions,
            "actions_per_s": round(len(acted) / elapsed, 1),
            "action_round_trip_ms": percentiles(acted), "inbox_round_trip_ms": percentiles(read)}


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)
    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def _serve(folder: Path, token: str, loads: int, officers: list[str], references: list[str],
           acting: int) -> dict[str, Any]:
    port = free_port()
    environment = {**os.environ, "MANZOORI_HOME": str(folder)}
    environment.pop("MANZOORI_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "engine.cli", "web", "--port", str(port)],
                              cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/login", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=120) as client:
            form = client.get("/login").text  # the login form's token (login CSRF)
            login_csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            answer = client.post("/login", data={"username": OFFICER, "password": PASSWORD,
                                                 "csrf": login_csrf})
            assert answer.status_code in (200, 303), answer.status_code
            page_times, api_times, size = [], [], 0
            for _ in range(loads):
                begin = time.perf_counter()
                answer = client.get("/inbox")
                page_times.append(time.perf_counter() - begin)
                assert answer.status_code == 200 and "Work plan" in answer.text
                size = len(answer.content)
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(loads):
                begin = time.perf_counter()
                answer = client.get("/api/inbox", headers=headers)
                api_times.append(time.perf_counter() - begin)
                assert answer.status_code == 200
        concurrent = _act_concurrently(url, officers, references, acting)
    finally:
        server.terminate()
        server.wait(20)

    return {"inbox_page_ms": {**spread(page_times, scale=1000, digits=1), "bytes": size},
            "api_inbox_ms": spread(api_times, scale=1000, digits=1),
            "api_concurrent_officers": concurrent}


if __name__ == "__main__":
    main()
