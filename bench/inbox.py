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

It then times `engine.core.queries.inbox(session, officer, limit=500)` — what the web page and
the API run, 500 being the page's INBOX_ROWS — and `inbox_count`, which the page adds
when the 500 are full, for two officers: the one whose inbox size is the median of all
officers with a non-empty inbox ("realistic"), and the one with the largest inbox.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import PASSPHRASE, seed_directory
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.contract import ItemKind
from engine.core.flows import NEXT, Route, current_flow
from engine.core.items import act, draft, get_item
from engine.core.queries import inbox, inbox_count
from engine.core.registry import Registry, registry
from engine.errors import ManzooriError
from engine.store import SCHEMA_REVISION, Appointment, Item, Officer, StepRecord, open_database
from tests.forms import form_for

CACHE = Path(__file__).resolve().parent / ".cache"
INBOX_ROWS = 500  # engine.web.pages.INBOX_ROWS, not imported to keep FastAPI out of the timing
IN_FLIGHT = 0.10
FORMERS = 2_000
SEED_VERSION = 2  # bump when the seeding changes, to rebuild the cached databases
STAMP = f"{SEED_VERSION} {SCHEMA_REVISION}"  # a new migration rebuilds them too

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
    if path.exists() and stamp.exists() and stamp.read_text().strip() == STAMP:
        return path
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    begin = time.monotonic()
    shutil.copyfile(_template_database(), path)
    templates = [tuple(row) for row in json.loads((CACHE / "templates" / "templates.json").read_text())]
    _clone(path, templates, size)
    stamp.write_text(f"{STAMP}\n")
    (folder / "build_seconds").write_text(f"{time.monotonic() - begin:.1f}\n")
    return path


def _template_database() -> Path:
    """The database of template items (built once, copied for every size)."""
    folder = CACHE / "templates"
    path, listing = folder / "manzoori.db", folder / "templates.json"
    stamp = folder / "built"
    if not (stamp.exists() and stamp.read_text().strip() == STAMP):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        listing.write_text(json.dumps(_templates(path)) + "\n")
        engine = sqlite3.connect(path)
        engine.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.close()
        stamp.write_text(f"{STAMP}\n")
    return path


def _holder(session: Session, party: str, office: str, skip: set[int]) -> list[str]:
    rows = session.execute(
        select(Officer.username, Officer.id).join(Appointment)
        .where(Appointment.party == party, Appointment.office == office,
               Appointment.until.is_(None)).order_by(Officer.username))
    return [username for username, identity in rows if identity not in skip]


def _advance(session: Session, parties: Registry, reference: str) -> bool:
    """One forward action on the item by an officer who may take it; False once it ended."""
    item = get_item(session, reference)
    if item.state in current_flow(ItemKind(item.kind)).end_states:
        return False
    route = Route.from_json(item.route)
    forward = "?"
    for record in item.current_steps:  # each party's open step, at its own pace
        if record.status != "open":
            continue
        step = route.steps[record.position]
        forward = next(action for action, target in step.actions.items() if target == NEXT)
        decided = {decision.officer_id for decision in record.decisions}
        for username in _holder(session, record.party, record.office, decided):
            try:
                act(session, parties, reference=reference, action=forward, officer=username,
                    comment="Agreed [bench]",
                    passphrase=PASSPHRASE if forward == "sign" else None)
                return True
            except ManzooriError:
                continue
    raise RuntimeError(f"nobody could {forward} {reference} at {item.state}")


def _templates(path: Path) -> list[tuple[int, int, bool]]:
    """Real items in every state of every flow: [(config index, item id, ended)]."""
    factory = open_database(f"sqlite:///{path}")
    parties = registry()
    templates: list[tuple[int, int, bool]] = []
    try:
        with factory() as session:
            seed_directory(session, parties)
            session.commit()
            for index, (kind, codes, form_of, _share) in enumerate(CONFIGS):
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


def _advance_possible(session: Session, reference: str) -> bool:
    item = get_item(session, reference)
    return item.state not in current_flow(ItemKind(item.kind)).end_states


def _shifted(column: str) -> str:
    """SQL for a template's timestamp moved by the clone's shift, in SQLAlchemy's format."""
    return f"strftime('%Y-%m-%d %H:%M:%f', {column}, c.shift) || '000'"


def _clone(path: Path, templates: list[tuple[int, int, bool]], size: int) -> None:
    """Bulk-insert `size` items copied from the templates (see the module's docstring):
    Python picks each clone's template and date, SQLite copies the rows."""
    randomly = random.Random(size)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA temp_store=MEMORY")
    ids = [identity for _, identity, _ in templates]
    marks = ",".join("?" * len(ids))
    # Each template row's rank within its item, so a clone's rows get consecutive ids.
    connection.executescript("""
        CREATE TEMP TABLE t_items (id INTEGER PRIMARY KEY, stem TEXT, created TEXT,
                                   parties INTEGER, steps INTEGER, decisions INTEGER);
        CREATE TEMP TABLE t_parties (id INTEGER PRIMARY KEY, item_id INTEGER, rank INTEGER);
        CREATE TEMP TABLE t_steps (id INTEGER PRIMARY KEY, item_id INTEGER, rank INTEGER);
        CREATE TEMP TABLE t_decisions (id INTEGER PRIMARY KEY, item_id INTEGER, rank INTEGER,
                                       step_rank INTEGER);
        CREATE TEMP TABLE clones (id INTEGER PRIMARY KEY, template INTEGER, shift TEXT,
                                  number INTEGER, year INTEGER, party_base INTEGER,
                                  step_base INTEGER, decision_base INTEGER);
    """)
    counts: dict[int, list[int]] = {identity: [0, 0, 0] for identity in ids}
    step_rank: dict[int, int] = {}
    for identity, item_id in connection.execute(
            f"SELECT id, item_id FROM item_parties WHERE item_id IN ({marks}) ORDER BY id", ids).fetchall():
        connection.execute("INSERT INTO t_parties VALUES (?, ?, ?)", (identity, item_id, counts[item_id][0]))
        counts[item_id][0] += 1
    for identity, item_id in connection.execute(
            f"SELECT id, item_id FROM steps WHERE item_id IN ({marks}) ORDER BY id", ids).fetchall():
        step_rank[identity] = counts[item_id][1]
        connection.execute("INSERT INTO t_steps VALUES (?, ?, ?)", (identity, item_id, counts[item_id][1]))
        counts[item_id][1] += 1
    for identity, item_id, step_id in connection.execute(
            f"SELECT d.id, s.item_id, d.step_id FROM decisions d JOIN steps s ON s.id = d.step_id "
            f"WHERE s.item_id IN ({marks}) ORDER BY d.id", ids).fetchall():
        connection.execute("INSERT INTO t_decisions VALUES (?, ?, ?, ?)",
                           (identity, item_id, counts[item_id][2], step_rank[step_id]))
        counts[item_id][2] += 1
    created: dict[int, datetime] = {}
    for identity, reference, at in connection.execute(
            f"SELECT id, reference, created_at FROM items WHERE id IN ({marks})", ids).fetchall():
        created[identity] = datetime.fromisoformat(at)
        connection.execute("INSERT INTO t_items VALUES (?, ?, ?, ?, ?, ?)",
                           (identity, reference.rsplit("-", 2)[0], at, *counts[identity]))

    _former_officers(connection, randomly)
    finished = {index: [identity for i, identity, ended in templates if i == index and ended]
                for index in range(len(CONFIGS))}
    flying = {index: [identity for i, identity, ended in templates if i == index and not ended]
              for index in range(len(CONFIGS))}
    shares = [share for *_, share in CONFIGS]
    base = {table: connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] + 1
            for table in ("items", "item_parties", "steps", "decisions")}
    now = datetime.now()
    clones = []
    party_base, step_base, decision_base = base["item_parties"], base["steps"], base["decisions"]
    for number in range(size):
        config = randomly.choices(range(len(CONFIGS)), shares)[0]
        in_flight = randomly.random() < IN_FLIGHT
        template = randomly.choice((flying if in_flight else finished)[config])
        age = timedelta(days=randomly.uniform(0, 120 if in_flight else 3650))
        moment = now - age
        shift = int((moment - created[template]).total_seconds())
        clones.append((base["items"] + number, template, f"{shift:+d} seconds", number + 1, moment.year,
                       party_base, step_base, decision_base))
        parties, steps, decisions = counts[template]
        party_base, step_base, decision_base = party_base + parties, step_base + steps, decision_base + decisions
    connection.executemany("INSERT INTO clones VALUES (?, ?, ?, ?, ?, ?, ?, ?)", clones)
    del clones

    # Secondary indexes are dropped for the load and built again afterwards.
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('items', 'item_parties', 'steps', 'decisions')").fetchall()
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    connection.executescript(f"""
        INSERT INTO items (id, reference, kind, title, state, drafting_party, drafter_id,
                           flow_version, route, stage, cycle, ordered_signing, revision,
                           created_at, updated_at)
        SELECT c.id, t.stem || '-' || c.year || '-' || printf('%07d', c.number), i.kind,
               replace(i.title, 'Template', 'Bench') || ' #' || c.number, i.state,
               i.drafting_party, i.drafter_id, i.flow_version, i.route, i.stage, i.cycle,
               i.ordered_signing, i.revision, {_shifted('i.created_at')}, {_shifted('i.updated_at')}
        FROM clones c JOIN t_items t ON t.id = c.template JOIN items i ON i.id = c.template
        ORDER BY c.id;
        INSERT INTO item_parties (id, item_id, party, position)
        SELECT c.party_base + r.rank, c.id, p.party, p.position
        FROM clones c JOIN t_parties r ON r.item_id = c.template JOIN item_parties p ON p.id = r.id
        ORDER BY c.id, r.rank;
        INSERT INTO steps (id, item_id, cycle, position, name, party, role, office, quorum, status,
                           opened_at, due_at, closed_at, assigned_to_id)
        SELECT c.step_base + r.rank, c.id, s.cycle, s.position, s.name, s.party, s.role, s.office,
               s.quorum, s.status, {_shifted('s.opened_at')}, {_shifted('s.due_at')},
               {_shifted('s.closed_at')}, s.assigned_to_id
        FROM clones c JOIN t_steps r ON r.item_id = c.template JOIN steps s ON s.id = r.id
        ORDER BY c.id, r.rank;
        INSERT INTO decisions (id, step_id, officer_id, action, at)
        SELECT c.decision_base + r.rank, c.step_base + r.step_rank, d.officer_id, d.action,
               {_shifted('d.at')}
        FROM clones c JOIN t_decisions r ON r.item_id = c.template JOIN decisions d ON d.id = r.id
        ORDER BY c.id, r.rank;
    """)
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


def officers_by_inbox(session: Session) -> list[tuple[str, int]]:
    """Every current officer (not the former ones) and how many steps wait for them."""
    names = session.scalars(select(Officer.username).where(~Officer.username.like("bench.former.%")))
    return sorted(((name, inbox_count(session, name)) for name in names), key=lambda pair: pair[1])


def chosen(session: Session) -> dict[str, tuple[str, int]]:
    """The realistic (median non-empty) inbox and the largest."""
    counts = [pair for pair in officers_by_inbox(session) if pair[1]]
    return {"realistic": counts[len(counts) // 2], "large": counts[-1]}


def latency(session: Session, officer: str, repeats: int) -> dict[str, Any]:
    today = date.today()
    lists, counts, cpu = [], [], []
    for number in range(repeats + 2):
        begin, processor = time.perf_counter(), time.process_time()
        entries = inbox(session, officer, today, limit=INBOX_ROWS)
        middle = time.perf_counter()
        if len(entries) == INBOX_ROWS:  # the page asks for the total only then
            inbox_count(session, officer, today)
        end, processor_end = time.perf_counter(), time.process_time()
        session.expunge_all()
        if number >= 2:
            lists.append(middle - begin)
            counts.append(end - middle)
            cpu.append(processor_end - processor)
    page = [a + b for a, b in zip(lists, counts, strict=True)]
    return {"rows_returned": len(entries),
            "inbox_ms": percentiles(lists), "count_ms": percentiles(counts),
            "page_queries_ms": percentiles(page), "cpu_ms": percentiles(cpu)}


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(statistics.median(ordered) * 1000, 2), "p95": round(cut[94] * 1000, 2),
            "max": round(ordered[-1] * 1000, 2), "n": len(ordered)}


def measure(size: int, repeats: int) -> dict[str, Any]:
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
QUICK_SIZES = (1_000, 5_000)


def sizes(quick: bool) -> tuple[int, ...]:
    return QUICK_SIZES if quick else SIZES


def run(quick: bool) -> dict[str, Any]:
    sizes_run = sizes(quick)
    repeats = 5 if quick else 60
    results: dict[str, Any] = {
        "query": f"engine.core.queries.inbox(limit={INBOX_ROWS}) and inbox_count, SQLite (WAL)",
        "in_flight_share": IN_FLIGHT, "sizes": {}}
    for size in sizes_run:
        results["sizes"][str(size)] = measure(size, repeats)
    growth = {}
    for who in ("realistic", "large"):
        p95 = [results["sizes"][str(size)][who]["page_queries_ms"]["p95"] for size in sizes_run]
        growth[who] = {f"{a}->{b}": round(y / x, 2) for a, b, x, y in
                       zip(sizes_run, sizes_run[1:], p95, p95[1:], strict=False)}
    results["p95_growth"] = growth
    return results
