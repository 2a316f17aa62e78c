"""What the benchmarks share: the machine and its load, the spread of a series of timings,
the directory every benchmark seeds, and the results files."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.directory import load_public_holders, seed_sample_officers
from engine.core.registry import Registry
from engine.core.signatures import seed_sample_keys
from engine.store import Officer

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = RESULTS / "quick"
CORES = os.cpu_count() or 1
PASSPHRASE = "bench-passphrase"
"""The passphrase of the [sample] signing keys the benchmarks give every officer."""
START = datetime(2000, 1, 1)


def load() -> dict[str, Any]:
    """The load average now, and whether figures measured at it are only a draft: above
    one runnable process per core the benchmark shared the CPU with others."""
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2),
            "cores": CORES, "draft": one > CORES}


def load_line(figures: dict[str, Any]) -> str:
    verdict = ("a draft: the CPU was shared" if figures["draft"]
               else "quiet enough for a result")
    return (f"load average {figures['1min']} / {figures['5min']} / {figures['15min']} "
            f"on {figures['cores']} cores: {verdict}")


def machine() -> dict[str, Any]:
    return {"machine": f"{platform.machine()}, {CORES} cores",
            "when": datetime.now().isoformat(timespec="seconds"), "load": load()}


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "unknown"


def described() -> dict[str, Any]:
    """The machine in more detail, for BENCHMARKS.md: CPU, memory, disk, OS and versions."""
    memory_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    disk = shutil.disk_usage(RESULTS.parent)
    device = subprocess.run(["df", "--output=source,fstype", str(RESULTS.parent)],
                            capture_output=True, text=True, check=False).stdout.split("\n")[1:2]
    try:
        from tests.pg_cluster import bindir  # PostgreSQL is optional for describing the machine

        postgres = subprocess.run([str(bindir() / "postgres"), "--version"], capture_output=True,
                                  text=True, check=False).stdout.strip()
    except Exception as error:  # noqa: BLE001 - described, not needed
        postgres = f"not found ({error})"
    return {
        **machine(),
        "cpu": f"{_first('/proc/cpuinfo', 'model name')}, {CORES} cores",
        "memory": f"{int(memory_kb) / 2**20:.1f} GiB" if memory_kb.isdigit() else "unknown",
        "disk": f"{' '.join(' '.join(device).split())}, {disk.total / 2**30:.0f} GiB (virtual disk)",
        "os": f"{_first('/etc/os-release', 'PRETTY_NAME')}, Linux {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
    }


def seed_directory(session: Session, parties: Registry) -> None:
    """The public office holders and the [sample] officers, every one of them with a
    [sample] signing key under PASSPHRASE (signing needs a key per office holder); the
    caller commits."""
    load_public_holders(session, parties, START)
    seed_sample_officers(session, parties, START)
    seed_sample_keys(session, START, usernames=list(session.scalars(select(Officer.username))),
                     passphrase=PASSPHRASE)


def spread(values: list[float], *, scale: float = 1.0, digits: int | None = None) -> dict[str, Any]:
    """Median, min, max and count of `values` times `scale`, rounded to `digits`."""
    def shown(value: float) -> float:
        return round(value * scale, digits)
    return {"median": shown(statistics.median(values)), "min": shown(min(values)),
            "max": shown(max(values)), "n": len(values)}


def tree(pid: int) -> tuple[float, int]:
    """Resident memory (MB) of `pid` and all its descendants, and how many they are."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack, count = 0, [pid], 0
    while stack:
        current = stack.pop()
        count += 1
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024, count


def write_results(name: str, results: dict[str, Any], *, echo: bool = True,
                  folder: Path = RESULTS) -> Path:
    """Print the figures (unless `echo` is False) and write them to <folder>/<name>.json."""
    out = folder / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    if echo:
        print(json.dumps(results, indent=2))
    print(f"written to {out}")
    return out
