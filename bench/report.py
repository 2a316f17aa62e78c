"""The benchmarks' tables, printed with Rich and written to BENCHMARKS.md from the JSON
files in bench/results (so the page can be written again without running anything)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common import RESULTS

ROOT = RESULTS.parent.parent
Table = tuple[str, list[str], list[list[str]]]


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def tables(name: str, results: dict[str, Any]) -> list[Table]:
    return {"actions": _actions, "inbox": _inbox, "memory": _memory, "cli": _cli}[name](results)


def _actions(r: dict[str, Any]) -> list[Table]:
    sqlite, postgres = r["sqlite"], r["postgresql"]
    engine_sqlite, engine_pg = sqlite["engine"]["per_s"], postgres["engine"]["per_s"]
    rows = [
        ("engine service layer (`act`)", "SQLite", sqlite["engine"]),
        ("engine service layer (`act`)", "PostgreSQL", postgres["engine"]),
        ("SpiffWorkflow, workflow kept, saved after each task", "SQLite", sqlite["spiff_kept"]),
        ("SpiffWorkflow, loaded and saved for each task", "SQLite", sqlite["spiff_reloaded"]),
        ("transitions, in memory (no persistence)", "none", r["transitions"]),
        ("raw single-row INSERT + COMMIT", "SQLite", sqlite["raw_commit"]),
        ("raw single-row INSERT + COMMIT", "PostgreSQL", postgres["raw_commit"]),
    ]
    figures = [[what, where, f"{f['per_s']:,.0f}" if f["per_s"] >= 100 else f"{f['per_s']:.1f}", f"{f['action_ms']['median']:.2f}",
                f"{engine_sqlite / f['per_s']:.2f}", f"{engine_pg / f['per_s']:.2f}"]
               for what, where, f in rows]
    ratios = r["ratios"]
    targets = [
        ["engine ≥ 10× SpiffWorkflow", "SQLite engine ÷ Spiff (kept)",
         f"{ratios['sqlite_engine_over_spiff_kept']:.2f}×", _met(ratios["sqlite_engine_over_spiff_kept"] >= 10)],
        ["engine ≥ 10× SpiffWorkflow", "SQLite engine ÷ Spiff (reloaded)",
         f"{ratios['sqlite_engine_over_spiff_reloaded']:.2f}×",
         _met(ratios["sqlite_engine_over_spiff_reloaded"] >= 10)],
        ["engine ≥ 10× SpiffWorkflow", "PostgreSQL engine ÷ Spiff (kept, SQLite)",
         f"{ratios['postgresql_engine_over_spiff_kept']:.2f}×",
         _met(ratios["postgresql_engine_over_spiff_kept"] >= 10)],
        ["engine ≥ 40% of the raw commit rate", "SQLite",
         f"{ratios['sqlite_engine_over_raw_commit']:.1%}", _met(ratios["sqlite_engine_over_raw_commit"] >= 0.4)],
        ["engine ≥ 40% of the raw commit rate", "PostgreSQL",
         f"{ratios['postgresql_engine_over_raw_commit']:.1%}",
         _met(ratios["postgresql_engine_over_raw_commit"] >= 0.4)],
    ]
    return [
        (f"Persisted officer actions ({r['flow']}; {r['items']} items, "
         f"{r['items'] * r['actions_per_item']} timed actions each)",
         ["what", "database", "actions/s", "median ms/action", "SQLite engine ÷ this",
          "PostgreSQL engine ÷ this"], figures),
        ("Action targets", ["target", "measured as", "figure", ""], targets),
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
    rows = [["manzoori --help", "", "", f"{r['help_s']['median']:.3f}", f"{r['help_s']['max']:.3f}",
             f"{r['help_s']['cpu_median']:.3f}", _met(r["help_s"]["median"] < 0.4)]]
    for key, figures in r.items():
        if key.startswith("inbox_"):
            wall = figures["wall_s"]
            rows.append([f"manzoori inbox --as {figures['officer']}", f"{int(key[6:]):,} items",
                         f"{figures['rows_printed']:,}", f"{wall['median']:.3f}", f"{wall['max']:.3f}",
                         f"{wall['cpu_median']:.3f}", _met(wall["median"] < 0.4)])
    return [("Command line wall time, s (7 runs each, a new process each; target < 0.4 s)",
             ["command", "database", "rows printed", "median", "max", "CPU median", "target (wall)"], rows)]


def show(name: str, results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console()
    for title, headers, rows in tables(name, results):
        table = RichTable(title=title)
        for header in headers:
            table.add_column(header)
        for row in rows:
            table.add_row(*(str(cell).replace("**", "") for cell in row))
        console.print(table)


def markdown(title: str, headers: list[str], rows: list[list[str]]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def write_markdown() -> Path:
    from notes import INTRO, NOTES

    machine = _load("machine") or {}
    parts = [INTRO.format(**{key: machine.get(key, "unknown") for key in
                             ("cpu", "memory", "disk", "os", "python", "sqlite", "postgresql", "when", "load")})]
    for name in ("actions", "inbox", "memory", "cli"):
        results = _load(name)
        if results is None:
            parts.append(f"## {name}\n\nNot run yet: `python -m bench --only {name}`.\n")
            continue
        parts.append(f"## {NOTES[name]['title']}\n")
        quick = " (`--quick` run)" if results.get("quick") else ""
        parts.append(f"Measured {results.get('seconds', '?')} s{quick}.\n")
        parts += [markdown(*table) for table in tables(name, results)]
        before = _load(f"baseline-{name}")
        if before is not None:
            parts.append(f"Before the fixes (engine of main at {before.get('engine_commit', '?')}, "
                         f"measured {before.get('when', '?')}):\n")
            parts += [markdown(f"Before: {title}", headers, rows)
                      for title, headers, rows in tables(name, before)]
        parts.append(NOTES[name]["limits"] + "\n")
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(parts))
    return out
