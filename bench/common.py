"""What the benchmarks share: the spread of a series of timings, and their results file."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, str]:
    return {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "when": datetime.now().isoformat(timespec="seconds")}


def described() -> dict[str, str]:
    """The machine in more detail, for BENCHMARKS.md: CPU, memory, disk, OS and versions."""
    import shutil
    import sqlite3
    import subprocess

    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
        except OSError:
            pass
        return "unknown"

    memory_kb = first("/proc/meminfo", "MemTotal").split()[0]
    disk = shutil.disk_usage(RESULTS.parent)
    device = subprocess.run(["df", "--output=source,fstype", str(RESULTS.parent)],
                            capture_output=True, text=True, check=False).stdout.split("\n")[1:2]
    try:
        from tests.pg_cluster import bindir
        postgres = subprocess.run([str(bindir() / "postgres"), "--version"], capture_output=True,
                                  text=True, check=False).stdout.strip()
    except Exception as error:  # noqa: BLE001 - described, not needed
        postgres = f"not found ({error})"
    return {
        **machine(),
        "cpu": f"{first('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores",
        "memory": f"{int(memory_kb) / 2**20:.1f} GiB" if memory_kb.isdigit() else "unknown",
        "disk": f"{' '.join(' '.join(device).split())}, {disk.total / 2**30:.0f} GiB (virtual disk)",
        "os": f"{first('/etc/os-release', 'PRETTY_NAME')}, Linux {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "load": f"{os.getloadavg()[0]:.1f}",
    }


def spread(values: list[float], *, scale: float = 1.0, digits: int | None = None) -> dict[str, Any]:
    """Median, min, max and count of `values` times `scale`, rounded to `digits`."""
    def shown(value: float) -> float:
        return round(value * scale, digits)
    return {"median": shown(statistics.median(values)), "min": shown(min(values)),
            "max": shown(max(values)), "n": len(values)}


def write_results(name: str, results: dict[str, Any], *, echo: bool = True) -> Path:
    """Print the figures (unless `echo` is False) and write them to bench/results/<name>.json."""
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    if echo:
        print(json.dumps(results, indent=2))
    print(f"written to {out}")
    return out
