"""The engine's memory with 100k items in flight, and the command line's wall time.

Memory: `manzoori web` (the officers' web app, the engine's long-running process) on the
1M-item inbox database of bench/inbox.py, in which 10% — about 100k — are in flight. The
resident set (VmRSS) of that process is read after it started, and again after an officer
with the largest inbox logged in and loaded the inbox page (500 rows and the count) and
the pages of 20 in-flight items, the API's inbox (500 entries), and the same again five
times; VmHWM is the peak. The item pages are those of template items (the clones have no
versions and events, which an item page shows).

Command line: `manzoori --help`, and `manzoori inbox --as OFFICER` (the 500 soonest
printed, the command's default limit) for the realistic officer of each inbox database, each run 7
times as a new process; the median and spread of the wall time, and the median CPU
time (user + system) of the process, which a busy machine disturbs less.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import inbox as inboxes
from common import spread, tree
from sqlalchemy import func, select

from engine.contract import ItemKind
from engine.core.access import readable_by
from engine.core.accounts import issue_token, set_password
from engine.core.directory import get_officer
from engine.core.flows import current_flow
from engine.store import Item, StepRecord, open_database
from tests.pg_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"


def _status(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def memory(size: int, rounds: int = 5) -> dict[str, Any]:
    path = inboxes.database(size)
    factory = open_database(f"sqlite:///{path}")
    try:
        with factory() as session:
            officer, waiting = inboxes.chosen(session)["large"]
            set_password(session, officer, PASSWORD)
            token = issue_token(session, officer, "bench", datetime.now())
            session.commit()
            ended = set().union(*(current_flow(kind).end_states for kind in ItemKind))
            in_flight = session.scalar(select(func.count()).select_from(Item)
                                       .where(Item.state.not_in(ended)))
            # Item pages the officer may open (need-to-know: items of the parties they serve).
            reader = get_officer(session, officer)
            references = list(session.scalars(
                select(Item.reference).join(StepRecord, StepRecord.item_id == Item.id)
                .where(StepRecord.status == "open", Item.title.like("Template %"),
                       readable_by(reader, date.today())).limit(20)))
    finally:
        factory.kw["bind"].dispose()
    port = free_port()
    environment = {**os.environ, "MANZOORI_HOME": str(path.parent)}
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
        started = _status(server.pid)
        with httpx.Client(base_url=url, timeout=300) as client:
            form = client.get("/login").text  # the login form's token (login CSRF)
            login_csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            answer = client.post("/login", data={"username": officer, "password": PASSWORD,
                                                 "csrf": login_csrf})
            assert answer.status_code in (200, 303), answer.status_code
            for _ in range(rounds):
                page = client.get("/inbox")
                assert page.status_code == 200 and "Bench" in page.text, page.status_code
                for reference in references:
                    assert client.get(f"/items/{reference}").status_code == 200
                api = client.get("/api/inbox", headers={"Authorization": f"Bearer {token}"})
                assert api.status_code == 200, api.status_code
                assert len(api.json()) == min(waiting, inboxes.INBOX_ROWS), len(api.json())
        served = _status(server.pid)
        rss_tree, processes = tree(server.pid)
    finally:
        server.terminate()
        server.wait(20)
    return {"database_items": size, "items_in_flight": in_flight, "officer": officer,
            "officer_waiting": waiting, "process": "manzoori web (uvicorn, one process)",
            "rss_after_start_mb": started["VmRSS"], "rss_after_serving_mb": served["VmRSS"],
            "peak_rss_mb": served["VmHWM"], "process_tree_rss_mb": round(rss_tree, 1),
            "processes": processes,
            "served": f"{rounds} × (inbox page, {len(references)} item pages, "
                      f"API inbox of {min(waiting, inboxes.INBOX_ROWS)})"}


def wall(command: list[str], home: Path | None, runs: int) -> dict[str, Any]:
    environment = {**os.environ}
    environment.pop("MANZOORI_DATABASE_URL", None)
    if home is not None:
        environment["MANZOORI_HOME"] = str(home)
    times, cpu = [], []
    for _ in range(runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        begin = time.perf_counter()
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - begin)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        assert done.returncode == 0, done.stderr[-2000:]
    return {**spread(times, digits=3), "cpu_median": round(sorted(cpu)[len(cpu) // 2], 3)}


def cli(sizes: tuple[int, ...], runs: int = 7) -> dict[str, Any]:
    manzoori = str(Path(sys.executable).parent / "manzoori")
    results: dict[str, Any] = {"runs": runs, "help_s": wall([manzoori, "--help"], None, runs)}
    for size in sizes:
        path = inboxes.database(size)
        factory = open_database(f"sqlite:///{path}")
        try:
            with factory() as session:
                officer, waiting = inboxes.chosen(session)["realistic"]
        finally:
            factory.kw["bind"].dispose()
        results[f"inbox_{size}"] = {"officer": officer, "waiting": waiting,
                                    "rows_printed": min(waiting, inboxes.INBOX_ROWS),
                                    "wall_s": wall([manzoori, "inbox", "--as", officer], path.parent, runs)}
    return results
