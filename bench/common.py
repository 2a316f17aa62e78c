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


def spread(values: list[float], *, scale: float = 1.0, digits: int | None = None) -> dict[str, Any]:
    """Median, min, max and count of `values` times `scale`, rounded to `digits`."""
    def shown(value: float) -> float:
        return round(value * scale, digits)
    return {"median": shown(statistics.median(values)), "min": shown(min(values)),
            "max": shown(max(values)), "n": len(values)}


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Print the figures and write them to bench/results/<name>.json."""
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {out}")
    return out
