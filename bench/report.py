"""The benchmarks' tables, printed with Rich and written to BENCHMARKS.md from the JSON
files in bench/results (so the page can be written again without running anything:
`python -m bench --write-markdown`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from common import CORES, RESULTS, load_line
from notes import INTRO, LOAD_TEST_NOTE, NOTES
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

ROOT = RESULTS.parent.parent
NAMES = ("actions", "inbox", "memory", "cli", "trust", "web", "prefect", "insight")
Table = tuple[str, list[str], list[list[str]]]


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _ratio(value: float) -> str:
    """A ratio with three significant digits, however small: 0.00240×, 12.3×."""
    return f"{value:.3g}×"


def tables(name: str, results: dict[str, Any]) -> list[Table]:
    return {"actions": _actions, "inbox": _inbox, "memory": _memory, "cli": _cli,
            "trust": _trust, "web": _web, "prefect": _prefect, "insight": _insight}[name](results)


DECISIONS = "submit, clear, approve"
KINDS = ("submit", "clear", "approve", "sign")


def _actions(r: dict[str, Any]) -> list[Table]:
    sqlite, postgres = r["sqlite"], r["postgresql"]
    engine_sqlite, engine_pg = sqlite["engine"]["per_s"], postgres["engine"]["per_s"]
    rows = [
        ("engine service layer (`act`)", "SQLite", sqlite["engine"]),
        ("engine service layer (`act`)", "PostgreSQL", postgres["engine"]),
        *[(f"engine `act`, decisions only ({DECISIONS})", where, figures["engine"]["decisions"])
          for where, figures in (("SQLite", sqlite), ("PostgreSQL", postgres))
          if "decisions" in figures["engine"]],
        ("SpiffWorkflow, workflow kept, saved after each task", "SQLite", sqlite["spiff_kept"]),
        ("SpiffWorkflow, loaded and saved for each task", "SQLite", sqlite["spiff_reloaded"]),
        ("transitions, in memory (no persistence)", "none", r["transitions"]),
        ("raw single-row INSERT + COMMIT", "SQLite", sqlite["raw_commit"]),
        ("raw single-row INSERT + COMMIT", "PostgreSQL", postgres["raw_commit"]),
    ]
    figures = [[what, where, f"{f['per_s']:,.0f}" if f["per_s"] >= 100 else f"{f['per_s']:.1f}",
                f"{f['action_ms']['median']:.2f}", _ratio(engine_sqlite / f["per_s"]),
                _ratio(engine_pg / f["per_s"])]
               for what, where, f in rows]
    ratios = r["ratios"]
    targets = [
        ["engine ≥ 10× SpiffWorkflow", "SQLite engine ÷ Spiff (kept)",
         _ratio(ratios["sqlite_engine_over_spiff_kept"]), _met(ratios["sqlite_engine_over_spiff_kept"] >= 10)],
        ["engine ≥ 10× SpiffWorkflow", "SQLite engine ÷ Spiff (reloaded)",
         _ratio(ratios["sqlite_engine_over_spiff_reloaded"]),
         _met(ratios["sqlite_engine_over_spiff_reloaded"] >= 10)],
        ["engine ≥ 10× SpiffWorkflow", "PostgreSQL engine ÷ Spiff (kept, SQLite)",
         _ratio(ratios["postgresql_engine_over_spiff_kept"]),
         _met(ratios["postgresql_engine_over_spiff_kept"] >= 10)],
        ["engine ≥ 40% of the raw commit rate", "SQLite",
         f"{ratios['sqlite_engine_over_raw_commit']:.1%}", _met(ratios["sqlite_engine_over_raw_commit"] >= 0.4)],
        ["engine ≥ 40% of the raw commit rate", "PostgreSQL",
         f"{ratios['postgresql_engine_over_raw_commit']:.1%}",
         _met(ratios["postgresql_engine_over_raw_commit"] >= 0.4)],
        ["none: an upper bound without persistence", "SQLite engine ÷ transitions",
         _ratio(engine_sqlite / r["transitions"]["per_s"]), ""],
    ]
    if "decisions" in sqlite["engine"]:
        spiff = sqlite["spiff_reloaded"]["per_s"]
        targets += [
            [f"decisions ({DECISIONS}) ≥ 1.0× SpiffWorkflow (issue 17)", f"{where} decisions ÷ Spiff (reloaded)",
             _ratio(figures["engine"]["decisions"]["per_s"] / spiff),
             _met(figures["engine"]["decisions"]["per_s"] / spiff >= 1.0)]
            for where, figures in (("SQLite", sqlite), ("PostgreSQL", postgres))]
    kinds = [[where, measure, *(f"{figures['engine'][field][kind]['median']:.2f}" for kind in KINDS)]
             for where, figures in (("SQLite", sqlite), ("PostgreSQL", postgres))
             for measure, field in (("wall", "by_action_ms"), ("CPU", "cpu_by_action_ms"))
             if field in figures["engine"]]
    return [
        *([("The engine's `act` by action kind, median ms (a sign unlocks the [sample] key: "
            "one bcrypt round); CPU: this process's, which the machine's load hardly moves",
            ["database", "time", *KINDS], kinds)] if kinds else []),
        (f"Persisted officer actions ({r['flow']}; {r['items']} items, "
         f"{r['items'] * r['actions_per_item']} timed actions each)",
         ["what", "database", "actions/s", "median ms/action", "SQLite engine ÷ this",
          "PostgreSQL engine ÷ this"], figures),
        ("Action targets (ratios to the baselines of the same run)",
         ["target", "measured as", "figure", ""], targets),
    ]


def _inbox(r: dict[str, Any]) -> list[Table]:
    rows = []
    sizes = list(r["sizes"])
    for size in sizes:
        figures = r["sizes"][size]
        for who in ("realistic", "large"):
            f = figures[who]
            rows.append([f"{int(size):,}", f"{figures['open_steps']:,}", f"{who}: {f['officer']}",
                         f"{f['waiting']:,}", f"{f['inbox_ms']['p50']:.1f}", f"{f['inbox_ms']['p95']:.1f}",
                         f"{f['count_ms']['p50']:.1f}", f"{f['page_queries_ms']['p50']:.1f}",
                         f"{f['page_queries_ms']['p95']:.1f}",
                         f"{f.get('cpu_ms', {}).get('p50', float('nan')):.1f}"])
    growth = [[who, *(f"{step}: ×{factor}" for step, factor in r["p95_growth"][who].items())]
              for who in ("realistic", "large")]
    tables = [
        (f"Inbox query latency, ms ({r['query']}; {int(r['in_flight_share'] * 100)}% of items in flight)",
         ["items", "open steps", "officer", "waiting", "inbox p50", "inbox p95", "count p50",
          "page p50", "page p95", "page CPU p50"], rows),
        ("p95 growth of the page's queries (inbox + count)", ["officer", *(["step"] * len(sizes[1:]))],
         growth),
    ]
    if "1000000" in r["sizes"]:
        at = r["sizes"]["1000000"]
        tables.append(("Inbox target", ["target", "officer", "p95 ms", ""], [
            ["page queries p95 < 20 ms at 1M items", who, f"{at[who]['page_queries_ms']['p95']:.1f}",
             _met(at[who]["page_queries_ms"]["p95"] < 20)] for who in ("realistic", "large")]))
    return tables


def _insight(r: dict[str, Any]) -> list[Table]:
    rows = []
    for size, at in r["sizes"].items():
        for name in ("one_party", "all_parties", "secretariat_all"):
            f = at[name]
            rows.append([f"{int(size):,}", at["quarter"], name.replace("_", " "), f"{f['p50_s']:.3f}",
                         f"{f['max_s']:.3f}", f"{f['started']:,}", f"{f['steps_closed']:,}",
                         f"{f['open_steps']:,}", f"{f['escalations']:,}"])
    growth = [[name.replace("_", " "), *(f"{step}: ×{factor}" for step, factor in steps.items())]
              for name, steps in r["p50_growth"].items()]
    tables = [(f"Insight figures of a quarter, s ({r['query']})",
               ["items", "quarter", "figures", "p50 s", "max s", "started", "steps closed",
                "open steps", "escalations"], rows),
              ("p50 growth", ["figures", *(["step"] * (len(r["sizes"]) - 1))], growth)]
    if "1000000" in r["sizes"]:
        at = r["sizes"]["1000000"]
        tables.append(("Insight targets", ["target", "p50 s", ""], [
            ["one party < 2 s at 1M items", f"{at['one_party']['p50_s']:.3f}", _met(at["one_party"]["p50_s"] < 2)],
            ["all parties < 10 s at 1M items", f"{at['all_parties']['p50_s']:.3f}",
             _met(at["all_parties"]["p50_s"] < 10)]]))
    return tables


def _memory(r: dict[str, Any]) -> list[Table]:
    return [(f"Memory of the engine's process ({r['process']})", ["measure", "value"], [
        ["items in the database / in flight", f"{r['database_items']:,} / {r['items_in_flight']:,}"],
        ["officer served (waiting)", f"{r['officer']} ({r['officer_waiting']:,})"],
        ["served", r["served"]],
        ["RSS after start", f"{r['rss_after_start_mb']} MB"],
        ["RSS after serving", f"{r['rss_after_serving_mb']} MB"],
        ["peak RSS (VmHWM)", f"{r['peak_rss_mb']} MB"],
    ])]


def _cli(r: dict[str, Any]) -> list[Table]:
    runs = r.get("runs", 7)
    rows = [["manzoori --help", "", "", f"{r['help_s']['median']:.3f}", f"{r['help_s']['max']:.3f}",
             f"{r['help_s']['cpu_median']:.3f}", _met(r["help_s"]["median"] < 0.4)]]
    for key, figures in r.items():
        if key.startswith("inbox_"):
            wall = figures["wall_s"]
            rows.append([f"manzoori inbox --as {figures['officer']}", f"{int(key[6:]):,} items",
                         f"{figures['rows_printed']:,}", f"{wall['median']:.3f}", f"{wall['max']:.3f}",
                         f"{wall['cpu_median']:.3f}", _met(wall["median"] < 0.4)])
    return [(f"Command line wall time, s ({runs} runs each, a new process each; target < 0.4 s)",
             ["command", "database", "rows printed", "median", "max", "CPU median", "target (wall)"], rows)]


def _trust(r: dict[str, Any]) -> list[Table]:
    engine, direct, verify = r["engine"], r["signatures"], r["verify"]
    return [("Signing and verification (one SQLite database)",
             ["what", "items", "items/s", "median ms", "max ms"], [
        ["`sign` action through the engine (`act`, [sample] key unlocked each time)",
         f"{engine['signed']:,}", f"{engine['items_per_s']}", f"{engine['sign_action_ms']['median']}",
         f"{engine['sign_action_ms']['max']}"],
        ["signature alone (`sign_with` and its event, key unlocked once)", f"{direct['signed']:,}",
         f"{direct['items_per_s']}", f"{direct['sign_ms']['median']}", f"{direct['sign_ms']['max']}"],
        ["`verify_items` over every item", f"{verify['items']:,} ({verify['intact']:,} intact)",
         f"{verify['items_per_s']}", "", ""],
        ["unlocking a holder's own key (16 bcrypt rounds)", "", "",
         f"{r['unlock_own_key_ms']['median']}", f"{r['unlock_own_key_ms']['max']}"],
    ])]


def _web(r: dict[str, Any]) -> list[Table]:
    page, api = r["inbox_page_ms"], r["api_inbox_ms"]
    return [(f"Inbox over HTTP, ms ({r['items_waiting_in_one_inbox']:,} items waiting in one inbox; "
             f"{r['inbox_rows_on_the_page']})", ["request", "median", "min", "max", "n", "bytes"], [
        ["GET /inbox (the page)", f"{page['median']}", f"{page['min']}", f"{page['max']}",
         f"{page['n']}", f"{page.get('bytes', 0):,}"],
        ["GET /api/inbox", f"{api['median']}", f"{api['min']}", f"{api['max']}", f"{api['n']}", ""],
    ]), *_concurrent(r.get("api_concurrent_officers"))]


def _concurrent(c: dict[str, Any] | None) -> list[Table]:
    """Officers acting through the API at once: what each waits for (issue 17's target:
    the action's round trip p50 < 15 ms, p95 < 40 ms with 20 officers)."""
    if not c:
        return []
    act, read = c["action_round_trip_ms"], c["inbox_round_trip_ms"]
    return [(f"{c['officers']} officers at once over the API, each {c['actions_each']} comment actions "
             f"and an inbox read after each: round trip, ms ({c['actions_per_s']} actions/s in all)",
             ["request", "p50", "p95", "max", "n", "target"], [
                 ["POST /api/items/{ref}/actions", f"{act['p50']}", f"{act['p95']}", f"{act['max']}",
                  f"{act['n']}", f"p50 < 15, p95 < 40: {_met(act['p50'] < 15 and act['p95'] < 40)}"],
                 ["GET /api/inbox?limit=50", f"{read['p50']}", f"{read['p95']}", f"{read['max']}",
                  f"{read['n']}", ""]])]


def _prefect(r: dict[str, Any]) -> list[Table]:
    variants = [name for name in ("processes", "lane", "lane-pg") if name in r]
    label = {"processes": "before: `aserve`, a process per wake-up", "lane": "the lane: in-process, threads",
             "lane-pg": "the lane, Prefect server on PostgreSQL"}

    def row(name: str) -> list[str]:
        v = r[name]
        visible, cpu, crowd = v["action_to_visible_s"], v["cpu_s_per_wake_up"], v["crowd"]
        caught = v.get("catch_up")
        settled = v.get("load_at_measure", v["load_before"])
        return [label[name], f"{visible['p50']} / {visible['p95']} / {visible['max']} (n={visible['n']})",
                f"{cpu['runner']} + {cpu['prefect_server']} = {cpu['runner'] + cpu['prefect_server']:.2f}",
                f"{crowd['woken_at_once']} in {crowd['all_visible_s']} s",
                f"{caught['queued_actions']:,} in {caught['all_visible_s']} s" if caught else "—",
                f"{v['runner_mb_with_all_suspended']} MB ({v['runner_processes_with_all_suspended']}) → "
                f"peak {crowd['peak_runner_mb']} MB",
                f"{settled['1min']}"]

    sizes = r.get("sizes", {})
    return [(f"Prefect: the runner of `manzoori serve`, {sizes.get('items_suspended', '?'):,} items' runs suspended",
             ["variant", "action → run visibly updated, s (p50 / p95 / max)",
              "CPU-s per wake-up: runner + Prefect server (+ its database)", "woken at once → all visible",
              "queued in an outage → all visible", "runner memory (processes) → peak in the crowd",
              "load (1 min) when measured"],
             [row(name) for name in variants])]


def show(name: str, results: dict[str, Any]) -> None:
    console = Console(width=None if sys.stdout.isatty() else 160)  # logs: no 80-column wrap
    for title, headers, rows in tables(name, results):
        table = RichTable(title=escape(title))
        for header in headers:
            table.add_column(escape(header))
        for row in rows:
            table.add_row(*(escape(str(cell).replace("**", "")) for cell in row))
        console.print(table)


def markdown(title: str, headers: list[str], rows: list[list[str]]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def measured(results: dict[str, Any], run_began: str = "?") -> str:
    """When and at what load a lane was measured, so a reader can tell a draft from a result."""
    when = results.get("when", run_began)
    quick = " (`--quick` run)" if results.get("quick") else ""
    load = results.get("load_before")
    if isinstance(load, dict):
        state = f"; {load_line(load)}"
    else:
        state = "; load average not recorded (measured before the bench wrote it): treat as a draft"
    took = f", {results['seconds']} s" if "seconds" in results else ""
    return f"Measured {when}{took}{quick}{state}.\n"


def _load_test() -> str:
    """The web app under a login attack: the figures tests/test_load.py wrote last."""
    title = "## The web app under a login attack (`python -m pytest -m load`)\n\n"
    path = RESULTS / "load.md"
    if not path.exists():
        return title + "Not run yet: `python -m pytest -n 0 -m load -s`.\n"
    figures = path.read_text(encoding="utf-8").split("\n", 1)[1].strip()
    return title + LOAD_TEST_NOTE + "\n\n" + figures + "\n"


def write_markdown() -> Path:
    machine = _load("machine") or {}
    fields = {key: machine.get(key, "unknown") for key in
              ("cpu", "memory", "disk", "os", "python", "sqlite", "postgresql", "when")}
    load = machine.get("load")
    if isinstance(load, dict):
        fields["load"] = load_line(load)
    else:  # written before the bench recorded the whole load average
        fields["load"] = f"{load} (1 min) on {CORES} cores" + (
            ": a draft: the CPU was shared" if float(load) > CORES else "")
    parts = [INTRO.format(**fields)]
    for name in NAMES:
        results = _load(name)
        if results is None:
            parts.append(f"## {NOTES[name]['title']}\n\nNot run yet: `python -m bench --only {name}`.\n")
            continue
        parts.append(f"## {NOTES[name]['title']}\n")
        parts.append(measured(results, str(fields["when"])))
        parts += [markdown(*table) for table in tables(name, results)]
        before = _load(f"baseline-{name}")
        if before is not None:
            parts.append(f"Before the fixes (engine of main at {before.get('engine_commit', '?')}, "
                         f"measured {before.get('when', '?')}):\n")
            parts += [markdown(f"Before: {title}", headers, rows)
                      for title, headers, rows in tables(name, before)]
        parts.append(NOTES[name]["limits"] + "\n")
    parts.append(_load_test())
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(parts))
    return out
