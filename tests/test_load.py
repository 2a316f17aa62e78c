"""The load test of issue 14: the web app served by `manzoori web` on 127.0.0.1 while 50
clients log in with wrong passwords and 100 guess one officer's password, and 20 officers
act through the API. Every officer request must answer, 95 % of them within 1 s, no
request of anyone may get a server error, the guessing must be throttled (refused
unchecked, 429), and the officer whose password is guessed still logs in from her own
browser.

Bounded in count (each client sends a fixed number of requests) and in time (a request
waits at most 30 s, the whole run at most 3 minutes); marked `load`, so the default run
leaves it out and `.ci/run` runs it in a step of its own (`python -m pytest -m load`).
The figures, with the load average at the start, go to `bench/results/load.md`
(MANZOORI_LOAD_RESULTS names another file) and are printed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.clock import utcnow
from engine.core.accounts import issue_token, set_password
from engine.store import session_scope
from tests.conftest import Manzoori
from tests.forms import form_for
from tests.pg_cluster import free_port

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parent.parent
OFFICERS, ROUNDS = 20, 10
"""Officers acting at once, and the rounds each does: a comment on an item of their party
(a write: the item's transaction) and their inbox (a read)."""
WRONG_LOGINS = 50
"""Clients logging in with wrong passwords for accounts that mostly do not exist."""
GUESSERS = 100
"""Clients guessing one officer's password at once."""
ATTEMPTS = 10
"""Each attacking client's attempts at most (it stops earlier when the officers are done)."""
VICTIM = "punjab.wpc-convener"
PASSWORD = "the-officers-own-password"
TIMEOUT = 30.0
BUDGET = 180.0


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:300]
    return found[1]


def _officers(manzoori: Manzoori) -> list[tuple[str, str]]:
    """(username, party) of OFFICERS sample officers of Punjab and Balochistan."""
    rows = manzoori.query(
        "SELECT DISTINCT o.username, a.party FROM officers o JOIN appointments a ON a.officer_id = o.id "
        "WHERE a.party IN ('punjab', 'balochistan') AND o.sample AND o.username <> :victim "
        "ORDER BY o.username",
        victim=VICTIM)
    chosen: dict[str, str] = {}
    for username, party in rows:
        chosen.setdefault(username, party)
    assert len(chosen) >= OFFICERS, chosen
    return list(chosen.items())[:OFFICERS]


def _serve(manzoori: Manzoori, port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "MANZOORI_HOME": str(manzoori.home)}
    if manzoori.url.startswith("sqlite:"):
        environment.pop("MANZOORI_DATABASE_URL", None)
    else:
        environment["MANZOORI_DATABASE_URL"] = manzoori.url
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "web", "--port", str(port)],
                            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _client(url: str, **options: Any) -> httpx.AsyncClient:
    # One TLS context for all the clients (plain HTTP here, but each client would otherwise
    # load the CA bundle: seconds of CPU at this count).
    return httpx.AsyncClient(base_url=url, timeout=TIMEOUT, verify=_TLS, trust_env=False, **options)


_TLS = ssl.create_default_context()


async def _guessing(url: str, stop: Any) -> dict[str, Any]:
    """The attackers: WRONG_LOGINS clients with wrong passwords for (mostly unknown)
    accounts, GUESSERS guessing VICTIM's, each at most ATTEMPTS times, until `stop`."""
    wrong: Counter[int] = Counter()
    guessed: Counter[int] = Counter()
    failures: list[str] = []

    async def logging_in(tally: Counter[int], username: str) -> None:
        async with _client(url) as client:
            try:
                form = _csrf((await client.get("/login")).text)
                for attempt in range(ATTEMPTS):
                    if stop.is_set():
                        return
                    answer = await client.post("/login", data={
                        "username": username, "password": f"guess-{attempt}-{id(client)}", "csrf": form})
                    tally[answer.status_code] += 1
            except httpx.HTTPError as error:
                failures.append(f"attacker {username}: {type(error).__name__}")

    await asyncio.gather(*[logging_in(wrong, f"nobody.{number % 10}") for number in range(WRONG_LOGINS)],
                         *[logging_in(guessed, VICTIM) for _ in range(GUESSERS)])
    return {"wrong": wrong, "guessed": guessed, "failures": failures}


def _attacker_process(url: str, stop: Any, started: Any, results: Any) -> None:
    """The attack, in a process of its own (as an attacker's client is), so that its
    clients' work does not count in the officers' times."""
    started.set()
    results.put(asyncio.run(_guessing(url, stop)))


async def _working(url: str, officers: list[tuple[str, str]], tokens: dict[str, str],
                   items: dict[str, str], begin_attack: Callable[[], None]) -> dict[str, Any]:
    """The officers: each ROUNDS times a comment on their party's item and their inbox;
    and, meanwhile, VICTIM logging in again from the browser she used before the attack
    (`begin_attack` starts it)."""
    times: list[float] = []
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    async def officer(number: int, username: str, party: str) -> None:
        async with _client(url, headers={"Authorization": f"Bearer {tokens[username]}"}) as client:
            for round_ in range(ROUNDS):
                for method, path, body in (
                    ("POST", f"/api/items/{items[party]}/actions",
                     {"action": "comment", "comment": f"Load test comment {number}.{round_}"}),
                    ("GET", "/api/inbox", None),
                ):
                    begin = time.perf_counter()
                    try:
                        answer = await client.request(method, path, json=body)
                    except httpx.HTTPError as error:
                        failures.append(f"{username} {method} {path}: {type(error).__name__}")
                        continue
                    times.append(time.perf_counter() - begin)
                    statuses[answer.status_code] += 1

    async def her_login(browser: httpx.AsyncClient) -> tuple[int, float]:
        await asyncio.sleep(1.0)
        begin = time.perf_counter()
        form = _csrf((await browser.get("/login")).text)
        answer = await browser.post("/login", data={"username": VICTIM, "password": PASSWORD, "csrf": form},
                                    follow_redirects=False)
        return answer.status_code, time.perf_counter() - begin

    async with _client(url, follow_redirects=True) as browser:
        form = _csrf((await browser.get("/login")).text)
        first = await browser.post("/login", data={"username": VICTIM, "password": PASSWORD, "csrf": form})
        assert first.status_code == 200 and first.url.path == "/inbox", first.status_code
        await browser.post("/logout", data={"csrf": _csrf(first.text)})
        begin_attack()
        await asyncio.sleep(0.5)  # the attack under way first
        begin = time.perf_counter()
        her = await asyncio.wait_for(asyncio.gather(
            her_login(browser), *[officer(n, u, p) for n, (u, p) in enumerate(officers)]), BUDGET)
        elapsed = time.perf_counter() - begin
    return {"times": times, "statuses": statuses, "failures": failures, "her_status": her[0][0],
            "her_time": her[0][1], "elapsed": elapsed}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_officers_keep_working_while_logins_are_attacked(manzoori: Manzoori) -> None:
    load_at_start = os.getloadavg()
    officers = _officers(manzoori)
    items = {
        "punjab": manzoori.draft("work_plan", "punjab", "Load test plan (Punjab)",
                                 form_for("punjab", "work_plan"), "punjab.pdu-director"),
        "balochistan": manzoori.draft("work_plan", "balochistan", "Load test plan (Balochistan)",
                                      form_for("balochistan", "work_plan"), "balochistan.assembly-secretary"),
    }
    with session_scope(manzoori.url) as session:
        set_password(session, VICTIM, PASSWORD)
        tokens = {username: issue_token(session, username, "load test", utcnow()) for username, _ in officers}
        session.commit()
    events_before = manzoori.query("SELECT count(*) FROM events")[0][0]
    port = free_port()
    server = _serve(manzoori, port)
    url = f"http://127.0.0.1:{port}"
    processes = multiprocessing.get_context("spawn")
    stop, started, results = processes.Event(), processes.Event(), processes.Queue()
    attacker = processes.Process(target=_attacker_process, args=(url, stop, started, results), daemon=True)

    def begin_attack() -> None:
        attacker.start()
        assert started.wait(60), "the attackers' process did not start"

    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/login", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        figures = asyncio.run(_working(url, officers, tokens, items, begin_attack))
        stop.set()
        attack = results.get(timeout=BUDGET)
        attacker.join(30)
    finally:
        stop.set()
        if attacker.is_alive():
            attacker.kill()
        server.terminate()
        _out, errors = server.communicate(timeout=30)
    times = figures["times"]
    statuses: Counter[int] = figures["statuses"]
    wrong: Counter[int] = attack["wrong"]
    guessed: Counter[int] = attack["guessed"]
    failures = figures["failures"] + attack["failures"]
    expected = OFFICERS * ROUNDS * 2
    report = "\n".join([
        f"# Load test: {WRONG_LOGINS} wrong-login clients and {GUESSERS} guessers at one account "
        f"(at most {ATTEMPTS} attempts each), {OFFICERS} officers x {ROUNDS} rounds (comment + inbox) "
        "over the API",
        "",
        f"- when: {utcnow():%Y-%m-%d %H:%M} UTC, database {manzoori.url.split(':')[0]}, "
        f"load average at the start {load_at_start[0]:.2f} / {load_at_start[1]:.2f} / {load_at_start[2]:.2f} "
        f"on {os.cpu_count()} cores",
        f"- whole run: {figures['elapsed']:.1f} s",
        f"- officer requests: {len(times)} of {expected} answered; statuses {dict(sorted(statuses.items()))}",
        f"- officer latency: p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {_percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms",
        f"- wrong logins: {dict(sorted(wrong.items()))} (401 checked and wrong, 429 refused unchecked)",
        f"- guesses at {VICTIM}: {dict(sorted(guessed.items()))}",
        f"- the officer's own login from her browser during the attack: {figures['her_status']} "
        f"in {figures['her_time'] * 1000:.0f} ms",
        f"- server errors (5xx) to anyone: "
        f"{sum(n for counter in (statuses, wrong, guessed) for code, n in counter.items() if code >= 500)}",
        f"- failures (no answer): {len(failures)}",
        f"- p95 {'under' if _percentile(times, 0.95) < 1.0 else 'OVER'} the 1 s bound"
        + (f" (a draft: the load average {load_at_start[0]:.1f} was above the {os.cpu_count()} cores)"
           if load_at_start[0] > (os.cpu_count() or 1) else ""),
    ])
    target = Path(os.environ.get("MANZOORI_LOAD_RESULTS") or ROOT / "bench" / "results" / "load.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report + "\n", encoding="utf-8")
    print("\n" + report)

    assert failures == [], failures[:5]
    assert len(times) == expected and set(statuses) == {200}, statuses
    # The p95 against its 1 s target is a figure (above, in bench/results/load.md and
    # BENCHMARKS.md), not an assertion: a timed test fails on a busy machine, not on a slow app.
    assert not any(code >= 500 for counter in (wrong, guessed) for code in counter), report
    # The guessing was throttled: at most the address's burst was checked at all.
    assert guessed[429] >= 0.9 * sum(guessed.values()) and guessed[401] <= 20, report
    assert wrong[429] > 0 and wrong[401] + guessed[401] <= 25, report
    assert figures["her_status"] == 303, report
    assert b"Traceback" not in errors, errors.decode()[-2000:]
    comments = manzoori.query("SELECT count(*) FROM events")[0][0] - events_before
    assert comments == OFFICERS * ROUNDS
