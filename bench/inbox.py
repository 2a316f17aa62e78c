"""The inbox query's latency with 10k, 100k and 1M items, and how it grows.

Each database (SQLite, the engine's settings, cached in bench/.cache/inbox-<N>/manzoori.db)
is built in two parts:

1. templates: real items drafted and moved on through the service layer — Punjab,
   Balochistan, Sindh and KP work plans, an IPMG joint resolution of all six parties, a
   Punjab–Balochistan letter of intent signed in order and a Sindh–KP MoU — one item
   stopped after each of its actions, so every state of every flow (partial quorums and
   signature orders included) exists as the engine wrote it;
2. clones: N items copied from those templates by bulk SQL (their items, item_parties,
   steps and decisions rows, with new ids, references and dates; not their versions and
   events, which the inbox does not read). 90% are finished (in force, adopted, executed)
   and created over the last ten years; 10% are in flight, at a uniformly chosen state,
   created over the last 120 days. Every officer of the directory (the public office
   holders, the [sample] officers) plus 2,000 former officers with ended appointments.

It then times `engine.queries.inbox(session, officer, limit=500)` — what the web page and
the API run, 500 being the page's INBOX_ROWS — and `inbox_count`, which the page adds
when the 500 are full, for two officers: the one whose inbox size is the median of all
officers with a non-empty inbox ("realistic"), and the one with the largest inbox.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent / ".cache"
INBOX_ROWS = 500  # engine.web.pages.INBOX_ROWS, not imported to keep FastAPI out of the timing
IN_FLIGHT = 0.10
FORMERS = 2_000
SEED_VERSION = 1  # bump when the seeding changes, to rebuild the cached databases

CONFIGS: list[tuple[str, list[str], str, float]] = [
    # kind, parties (the first drafts), form of, share of all items
    ("work_plan", ["punjab"], "punjab", 0.15),
    ("work_plan", ["balochistan"], "balochistan", 0.15),
    ("work_plan", ["sindh"], "sindh", 0.15),
    ("work_plan", ["kp"], "kp", 0.15),
    ("joint_resolution", ["ncsw", "punjab", "sindh", "kp", "balochistan", "mohr"], "ncsw", 0.10),
    ("agreement", ["punjab", "balochistan"], "punjab", 0.15),
    ("agreement", ["sindh", "kp"], "sindh", 0.15),
]


def database(size: int) -> Path:
    """The cached database with `size` cloned items, built if missing."""
    folder = CACHE / f"inbox-{size}"
    path = folder / "manzoori.db"
    stamp = folder / "built"
    if path.exists() and stamp.exists() and stamp.read_text().strip() == str(SEED_VERSION):
        return path
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    begin = time.monotonic()
    templates = _templates(path)
    _clone(path, templates, size)
    stamp.write_text(f"{SEED_VERSION}\n")
    (folder / "build_seconds").write_text(f"{time.monotonic() - begin:.1f}\n")
    return path


def _holder(session: Any, party: str, office: str, skip: set[int]) -> list[str]:
    from sqlalchemy import select

    from engine.db import Appointment, Officer

    rows = session.execute(
        select(Officer.username, Officer.id).join(Appointment)
        .where(Appointment.party == party, Appointment.office == office,
               Appointment.until.is_(None)).order_by(Officer.username))
    return [username for username, identity in rows if identity not in skip]


def _advance(session: Any, parties: Any, reference: str) -> bool:
    """One forward action on the item by an officer who may take it; False once it ended."""
    from engine.contract import ItemKind
    from engine.errors import ManzooriError
    from engine.flows import NEXT, Route, current_flow
    from engine.items import act, get_item

    item = get_item(session, reference)
    if item.state in current_flow(ItemKind(item.kind)).end_states:
        return False
    step = Route.from_json(item.route).steps[item.stage]
    forward = next(action for action, target in step.actions.items() if target == NEXT)
    for record in item.steps:
        if record.cycle != item.cycle or record.position != item.stage or record.status != "open":
            continue
        decided = {decision.officer_id for decision in record.decisions}
        for username in _holder(session, record.party, record.office, decided):
            try:
                act(session, parties, reference=reference, action=forward, officer=username,
                    comment="Agreed [bench]")
                return True
            except ManzooriError:
                continue
    raise RuntimeError(f"nobody could {forward} {reference} at {item.state}")


def _templates(path: Path) -> list[tuple[int, int, bool]]:
    """Real items in every state of every flow: [(config index, item id, ended)]."""
    from engine.db import open_database
    from engine.directory import load_public_holders, seed_sample_officers
    from engine.items import draft, get_item
    from engine.registry import registry
    from tests.forms import form_for

    factory = open_database(f"sqlite:///{path}")
    parties = registry()
    templates: list[tuple[int, int, bool]] = []
    try:
        with factory() as session:
            load_public_holders(session, parties, datetime(2000, 1, 1))
            seed_sample_officers(session, parties, datetime(2000, 1, 1))
            session.commit()
            for index, (kind, codes, form_of, _share) in enumerate(CONFIGS):
                from engine.contract import ItemKind

                office = parties.party(codes[0]).roles(ItemKind(kind))["drafter"].office
                drafter = _holder(session, codes[0], office, set())[0]
                form = form_for(form_of, kind, codes) if kind == "joint_resolution" else form_for(form_of, kind)
                for actions in range(100):
                    reference = draft(session, parties, kind=kind, parties=codes,
                                      title=f"Template {kind} {'-'.join(codes)} {actions}",
                                      form=form, officer=drafter,
                                      ordered_signing=kind == "agreement" and codes[0] == "punjab").reference
                    ended = False
                    for _ in range(actions):
                        if not _advance(session, parties, reference):
                            ended = True
                            break
                    ended = ended or not _advance_possible(session, reference)
                    templates.append((index, get_item(session, reference).id, ended))
                    if ended:
                        break
    finally:
        factory.kw["bind"].dispose()
    return templates


def _advance_possible(session: Any, reference: str) -> bool:
    from engine.contract import ItemKind
    from engine.flows import current_flow
    from engine.items import get_item

    item = get_item(session, reference)
    return item.state not in current_flow(ItemKind(item.kind)).end_states


STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _rows(connection: sqlite3.Connection, table: str, where: str, ids: list[int]) -> tuple[list[str], list[tuple]]:
    marks = ",".join("?" * len(ids))
    cursor = connection.execute(f"SELECT * FROM {table} WHERE {where} IN ({marks}) ORDER BY id", ids)
    return [column[0] for column in cursor.description], cursor.fetchall()


def _clone(path: Path, templates: list[tuple[int, int, bool]], size: int) -> None:
    """Bulk-insert `size` items copied from the templates (see the module's docstring)."""
    randomly = random.Random(size)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.execute("PRAGMA synchronous=OFF")
    item_ids = [identity for _, identity, _ in templates]
    item_columns, items = _rows(connection, "items", "id", item_ids)
    party_columns, item_parties = _rows(connection, "item_parties", "item_id", item_ids)
    step_columns, steps = _rows(connection, "steps", "item_id", item_ids)
    decision_columns, decisions = _rows(
        connection, "decisions", "step_id", [row[0] for row in steps] or [0])
    column = {name: position for position, name in enumerate(item_columns)}
    by_item: dict[int, dict[str, Any]] = {}
    for row in items:
        created = datetime.fromisoformat(row[column["created_at"]])
        by_item[row[0]] = {"item": row, "created": created, "parties": [], "steps": [], "decisions": []}
    for row in item_parties:
        by_item[row[party_columns.index("item_id")]]["parties"].append(row)
    step_item = {row[0]: row[step_columns.index("item_id")] for row in steps}
    for row in steps:
        by_item[row[step_columns.index("item_id")]]["steps"].append(row)
    for row in decisions:
        by_item[step_item[row[decision_columns.index("step_id")]]]["decisions"].append(row)

    # Secondary indexes are dropped for the load and built again afterwards.
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('items', 'item_parties', 'steps', 'decisions', 'appointments')").fetchall()
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")

    _former_officers(connection, randomly)
    finished = {index: [identity for i, identity, ended in templates if i == index and ended]
                for index in range(len(CONFIGS))}
    flying = {index: [identity for i, identity, ended in templates if i == index and not ended]
              for index in range(len(CONFIGS))}
    shares = [share for *_, share in CONFIGS]
    next_id = {table: connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] + 1
               for table in ("items", "item_parties", "steps", "decisions")}
    now = datetime.now()
    dated = {"items": [column["created_at"], column["updated_at"]],
             "steps": [step_columns.index(name) for name in ("opened_at", "due_at", "closed_at")],
             "decisions": [decision_columns.index("at")]}
    batch: dict[str, list[tuple]] = {"items": [], "item_parties": [], "steps": [], "decisions": []}

    def shifted(row: tuple, positions: list[int], delta: timedelta) -> list[Any]:
        values = list(row)
        for position in positions:
            if values[position] is not None:
                values[position] = (datetime.fromisoformat(values[position]) + delta).strftime(STAMP)
        return values

    def flush() -> None:
        for table, columns in (("items", item_columns), ("item_parties", party_columns),
                               ("steps", step_columns), ("decisions", decision_columns)):
            if batch[table]:
                marks = ",".join("?" * len(columns))
                connection.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})",
                                       batch[table])
                batch[table].clear()

    for number in range(size):
        config = randomly.choices(range(len(CONFIGS)), shares)[0]
        in_flight = randomly.random() < IN_FLIGHT
        template = by_item[randomly.choice((flying if in_flight else finished)[config])]
        age = timedelta(days=randomly.uniform(0, 120 if in_flight else 3650),
                        seconds=randomly.randrange(86400))
        created = now - age
        delta = created - template["created"]
        item_id = next_id["items"]
        next_id["items"] += 1
        values = shifted(template["item"], dated["items"], delta)
        values[0] = item_id
        stem = values[column["reference"]].rsplit("-", 2)[0]
        values[column["reference"]] = f"{stem}-{created.year}-{number + 1:07d}"
        values[column["title"]] = f"{values[column['title']].replace('Template', 'Bench')} #{number + 1}"
        batch["items"].append(tuple(values))
        for row in template["parties"]:
            values = list(row)
            values[0], values[party_columns.index("item_id")] = next_id["item_parties"], item_id
            next_id["item_parties"] += 1
            batch["item_parties"].append(tuple(values))
        step_ids = {}
        for row in template["steps"]:
            values = shifted(row, dated["steps"], delta)
            step_ids[row[0]] = values[0] = next_id["steps"]
            values[step_columns.index("item_id")] = item_id
            next_id["steps"] += 1
            batch["steps"].append(tuple(values))
        for row in template["decisions"]:
            values = shifted(row, dated["decisions"], delta)
            values[0] = next_id["decisions"]
            values[decision_columns.index("step_id")] = step_ids[row[decision_columns.index("step_id")]]
            next_id["decisions"] += 1
            batch["decisions"].append(tuple(values))
        if len(batch["items"]) >= 20_000:
            flush()
    flush()
    for _, sql in indexes:
        connection.execute(sql)
    connection.commit()
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def _former_officers(connection: sqlite3.Connection, randomly: random.Random) -> None:
    """Officers who held an office of a party for a while and left: the directory grows."""
    offices = connection.execute("SELECT DISTINCT party, office FROM appointments").fetchall()
    first = connection.execute("SELECT coalesce(max(id), 0) FROM officers").fetchone()[0] + 1
    officers, appointments = [], []
    for number in range(FORMERS):
        identity = first + number
        party, office = randomly.choice(offices)
        since = date(2000, 1, 1) + timedelta(days=randomly.randrange(8000))
        officers.append((identity, f"bench.former.{number + 1}", f"Former officer {number + 1} [sample]",
                         1, "2000-01-01 00:00:00.000000"))
        appointments.append((identity, party, office, since.isoformat(),
                             (since + timedelta(days=randomly.randrange(200, 1500))).isoformat(),
                             "bench [sample]"))
    connection.executemany("INSERT INTO officers (id, username, name, sample, created_at) "
                           "VALUES (?, ?, ?, ?, ?)", officers)
    connection.executemany("INSERT INTO appointments (officer_id, party, office, since, until, source) "
                           "VALUES (?, ?, ?, ?, ?, ?)", appointments)


def officers_by_inbox(session: Any) -> list[tuple[str, int]]:
    """Every current officer (not the former ones) and how many steps wait for them."""
    from sqlalchemy import select

    from engine.db import Officer
    from engine.queries import inbox_count

    names = session.scalars(select(Officer.username).where(~Officer.username.like("bench.former.%")))
    return sorted(((name, inbox_count(session, name)) for name in names), key=lambda pair: pair[1])


def chosen(session: Any) -> dict[str, tuple[str, int]]:
    """The realistic (median non-empty) inbox and the largest."""
    counts = [pair for pair in officers_by_inbox(session) if pair[1]]
    return {"realistic": counts[len(counts) // 2], "large": counts[-1]}


def latency(session: Any, officer: str, repeats: int) -> dict[str, Any]:
    from engine.queries import inbox, inbox_count

    today = date.today()
    lists, counts = [], []
    for number in range(repeats + 2):
        begin = time.perf_counter()
        entries = inbox(session, officer, today, limit=INBOX_ROWS)
        middle = time.perf_counter()
        inbox_count(session, officer, today)
        end = time.perf_counter()
        session.expunge_all()
        if number >= 2:
            lists.append(middle - begin)
            counts.append(end - middle)
    page = [a + b for a, b in zip(lists, counts, strict=True)] if len(entries) == INBOX_ROWS else lists
    return {"rows_returned": len(entries),
            "inbox_ms": percentiles(lists), "count_ms": percentiles(counts),
            "page_queries_ms": percentiles(page)}


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(statistics.median(ordered) * 1000, 2), "p95": round(cut[94] * 1000, 2),
            "max": round(ordered[-1] * 1000, 2), "n": len(ordered)}


def measure(size: int, repeats: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from engine.db import Item, StepRecord, open_database

    begin = time.monotonic()
    path = database(size)
    built = time.monotonic() - begin
    factory = open_database(f"sqlite:///{path}")
    try:
        with factory() as session:
            items = session.scalar(select(func.count()).select_from(Item))
            open_steps = session.scalar(select(func.count()).select_from(StepRecord)
                                        .where(StepRecord.status == "open"))
            steps = session.scalar(select(func.count()).select_from(StepRecord))
            picked = chosen(session)
            figures = {name: {"officer": officer, "waiting": waiting, **latency(session, officer, repeats)}
                       for name, (officer, waiting) in picked.items()}
    finally:
        factory.kw["bind"].dispose()
    return {"items": items, "steps": steps, "open_steps": open_steps,
            "database_mb": round(path.stat().st_size / 2**20, 1),
            "built_now": built > 1, "build_s": round(built, 1),
            **figures}


SIZES = (10_000, 100_000, 1_000_000)


def run(quick: bool) -> dict[str, Any]:
    sizes = SIZES[:2] if quick else SIZES
    repeats = 20 if quick else 60
    results: dict[str, Any] = {
        "query": f"engine.queries.inbox(limit={INBOX_ROWS}) and inbox_count, SQLite (WAL)",
        "in_flight_share": IN_FLIGHT, "sizes": {}}
    for size in sizes:
        results["sizes"][str(size)] = measure(size, repeats)
    growth = {}
    for who in ("realistic", "large"):
        p95 = [results["sizes"][str(size)][who]["page_queries_ms"]["p95"] for size in sizes]
        growth[who] = {f"{a}->{b}": round(y / x, 2) for a, b, x, y in
                       zip(sizes, sizes[1:], p95, p95[1:], strict=False)}
    results["p95_growth"] = growth
    return results
