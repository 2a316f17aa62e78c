"""Inbox page-load time with many waiting items (issue 4).

Builds a database where N Punjab work plans wait at review for the same WPC member
(the worst case: every item in one inbox), serves it with `manzoori web`, logs in, and
times GET /inbox (the whole page, over HTTP) K times, plus the API's GET /api/inbox.

    python bench/web_bench.py [--items 10000] [--loads 20] [--home DIR]

Prints the figures and writes them to bench/results/web.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, spread, write_results  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--home", type=Path, default=None,
                        help="Reuse the database a previous run built there (building takes minutes).")
    arguments = parser.parse_args()

    home = arguments.home or Path(tempfile.mkdtemp(prefix="manzoori-web-bench-"))
    os.environ["MANZOORI_HOME"] = str(home)
    from engine.core.accounts import issue_token, set_password
    from engine.store import open_database
    from engine.core.directory import load_public_holders, seed_sample_officers
    from engine.core.items import act, draft
    from engine.core.registry import registry
    from tests.forms import form_for
    from workflows.stack import free_port

    factory = open_database()
    parties = registry()
    start = time.monotonic()
    with factory() as session:
        from sqlalchemy import func, select

        from engine.store import Item

        present = session.scalar(select(func.count()).select_from(Item))
        if not present:
            load_public_holders(session, parties, datetime(2000, 1, 1))
            seed_sample_officers(session, parties, datetime(2000, 1, 1))
        set_password(session, "punjab.wpc-member.1", "bench-password-1")
        token = issue_token(session, "punjab.wpc-member.1", "bench", datetime(2026, 1, 1))
        session.commit()
        form = form_for("punjab", "work_plan")
        for number in range(present, arguments.items):
            reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                              title=f"Work plan {number:05d}", form=form,
                              officer="punjab.pdu-director").reference
            act(session, parties, reference=reference, action="submit", officer="punjab.pdu-director")
    built = time.monotonic() - start

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "engine.cli", "web", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/login")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=120) as client:
            client.post("/login", data={"username": "punjab.wpc-member.1", "password": "bench-password-1"})
            page_times, api_times, size = [], [], 0
            for _ in range(arguments.loads):
                begin = time.perf_counter()
                answer = client.get("/inbox")
                page_times.append(time.perf_counter() - begin)
                assert answer.status_code == 200 and "Work plan" in answer.text
                size = len(answer.content)
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(arguments.loads):
                begin = time.perf_counter()
                answer = client.get("/api/inbox", headers=headers)
                api_times.append(time.perf_counter() - begin)
                assert answer.status_code == 200
    finally:
        server.terminate()
        server.wait(10)

    results = {
        **machine(),
        "items_waiting_in_one_inbox": arguments.items,
        "build_database_s": round(built, 1),
        "inbox_rows_on_the_page": "the 500 soonest, with the total",
        "inbox_page_ms": {**spread(page_times, scale=1000), "bytes": size},
        "api_inbox_ms": spread(api_times, scale=1000),
    }
    write_results("web", results)


if __name__ == "__main__":
    main()
