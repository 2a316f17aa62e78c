"""The insight figures' latency on the inbox benchmark's databases (10k, 100k and 1M
items), and how it grows: a quarter's figures for one party and for all parties.

Each database is the inbox benchmark's (bench/inbox.py: items cloned from real templates
over ten years, 10% in flight over the last 120 days), copied to
bench/.cache/insight-<N>/ and given the deadline notices its clones lack (their events are
not cloned): a reminder the day before and an escalation just after the deadline of every
open step that is overdue now, as `manzoori deadlines` would have recorded them.

The quarter measured is the last full one before today, where the in-flight clones start;
the figures are those of `manzoori insight` and the web page (engine.core.insight.figures),
read by the console (everything) and by the IPMG secretariat's officer (need-to-know, an
auditor of joint resolutions).

    python -m bench --only insight
    python bench/insight.py 10000 100000          # some sizes only, printed as JSON
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import inbox
from sqlalchemy import create_engine, func, select

from engine.core.access import reader_of
from engine.core.followup import previous_quarter, quarter_end
from engine.core.insight import figures
from engine.core.insight_terms import checked_filters
from engine.core.registry import registry
from engine.store import Base, Item, open_database

SECRETARIAT = "ncsw.secretary"  # the IPMG secretariat: audits joint resolutions


def database(size: int) -> Path:
    """The inbox benchmark's database of `size` items, with deadline notices, cached."""
    source = inbox.database(size)
    folder = inbox.CACHE / f"insight-{size}"
    path, stamp = folder / "manzoori.db", folder / "built"
    if path.exists() and stamp.exists() and stamp.read_text().strip() == inbox.STAMP:
        return path
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copyfile(source, path)
    connection = sqlite3.connect(path)
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    connection.executescript(f"""
        INSERT INTO events (item_id, seq, at, officer_id, action, step, party, version, comment,
                            payload, idempotency_key, prev_hash, hash, global_seq)
        SELECT s.item_id, 100000 + 2 * s.id + k.n,
               strftime('%Y-%m-%d %H:%M:%f', s.due_at, k.shift) || '000', NULL, k.action, s.name,
               s.party, NULL, 'bench', '{{}}', NULL, '', '', NULL
        FROM steps s CROSS JOIN (SELECT 0 AS n, 'remind' AS action, '-1 days' AS shift
                                 UNION ALL SELECT 1, 'escalate', '+1 seconds') k
        WHERE s.status = 'open' AND s.due_at < '{now}';
        UPDATE events SET global_seq = id WHERE global_seq IS NULL;
    """)
    connection.commit()
    connection.close()
    _indexes(path)
    stamp.write_text(f"{inbox.STAMP}\n")
    return path


def _indexes(path: Path) -> None:
    """Every index the models declare (the inbox benchmark's database may predate some)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        for table in Base.metadata.tables.values():
            for index in table.indexes:
                index.create(engine, checkfirst=True)
    finally:
        engine.dispose()


def timed(call: Any, repeats: int) -> tuple[dict[str, float], Any]:
    seconds, result = [], None
    for _ in range(repeats):
        begin = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - begin)
    return {"p50_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
            "n": repeats}, result


def measure(size: int, repeats: int) -> dict[str, Any]:
    begin = time.monotonic()
    path = database(size)
    built = time.monotonic() - begin
    parties = registry()
    now = datetime.now()
    quarter = previous_quarter(now.date())
    end = quarter_end(quarter)
    start = date(end.year, end.month - 2, 1)
    factory = open_database(f"sqlite:///{path}")
    results: dict[str, Any] = {"quarter": quarter, "build_s": round(built, 1),
                               "database_mb": round(path.stat().st_size / 2**20, 1)}
    try:
        with factory() as session:
            results["items"] = session.scalar(select(func.count()).select_from(Item))
            secretariat = reader_of(session, parties, SECRETARIAT, now.date())
            for name, party, reader in (("one_party", "punjab", None), ("all_parties", None, None),
                                        ("secretariat_all", None, secretariat)):
                chosen = checked_filters(session, parties, start, end, party=party)
                timing, found = timed(lambda c=chosen, r=reader: figures(session, parties, c, now, r),
                                      repeats)
                results[name] = {**timing, "started": found.started, "ended": sum(found.ended.values()),
                                 "steps_closed": found.steps_closed,
                                 "open_steps": sum(o.count for o in found.open_steps),
                                 "escalations": sum(n.escalations for n in found.notices)}
    finally:
        factory.kw["bind"].dispose()
    return results


def run(sizes: tuple[int, ...], repeats: int = 5) -> dict[str, Any]:
    results: dict[str, Any] = {"query": "engine.core.insight.figures, a quarter, SQLite (WAL)", "sizes": {}}
    for size in sizes:
        results["sizes"][str(size)] = measure(size, repeats)
        print(json.dumps({size: results["sizes"][str(size)]}), flush=True)
    growth = {}
    for name in ("one_party", "all_parties", "secretariat_all"):
        p50 = [results["sizes"][str(size)][name]["p50_s"] for size in sizes]
        growth[name] = {f"{a}->{b}": round(y / x, 2) if x else None
                        for a, b, x, y in zip(sizes, sizes[1:], p50, p50[1:], strict=False)}
    results["p50_growth"] = growth
    return results


if __name__ == "__main__":
    chosen_sizes = tuple(int(arg) for arg in sys.argv[1:]) or inbox.SIZES
    print(json.dumps(run(chosen_sizes), indent=2))
