"""Run the benchmarks and write BENCHMARKS.md:

    python -m bench                       # all of them (the 1M-item database is built once)
    python -m bench --quick               # smoke run: every part with tiny sizes, Prefect skipped
    python -m bench --only actions        # actions | inbox | memory | cli | trust | web | prefect | insight
                                          # (repeatable; --quick --only prefect runs it small)
    python -m bench --write-markdown      # BENCHMARKS.md again from bench/results/*.json
    python -m bench --baseline ../main --only actions --only inbox
                                          # the engine of another checkout (same module layout),
                                          # kept as bench/results/baseline-<name>.json ("before")

It prints the load average when it starts; each part prints its tables (for the actions,
the ratio to every baseline of the same run) and writes bench/results/<name>.json with the
load average before and after it, so a reader can tell a draft (load above the number of
cores) from a result. A full run then writes BENCHMARKS.md from those files. `--quick`
writes to bench/results/quick/ and leaves BENCHMARKS.md alone. The exit status is 1 when
any part failed (the others still run).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("actions", "inbox", "memory", "cli", "trust", "web", "prefect", "insight")
QUICK_SKIPS = {"prefect": "its Prefect server and `manzoori serve` take minutes to start on 2 cores; "
                          "run it with `python -m bench --quick --only prefect`"}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0].rstrip(":") + ".",
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true",
                        help="Smoke run: tiny sizes, results in bench/results/quick/, no BENCHMARKS.md.")
    parser.add_argument("--only", action="append", choices=NAMES, help="Run only this benchmark.")
    parser.add_argument("--write-markdown", action="store_true",
                        help="Only write BENCHMARKS.md from bench/results/*.json.")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="Measure the engine of another checkout (actions and inbox only).")
    return parser


def lanes(quick: bool) -> dict[str, Callable[[], dict[str, Any]]]:
    """Each part's run with the sizes of a full or a quick run."""
    # Imported here, after main() put the engine to measure first on the path (--baseline).
    import actions
    import inbox
    import insight
    import memory
    import trust_bench
    import web_bench

    def prefect() -> dict[str, Any]:
        # Imported only when this part runs: importing Prefect takes seconds, and --quick skips it.
        import prefect_bench

        return prefect_bench.run(5, 2, 3) if quick else prefect_bench.run(1000, 20, 50, catch_up=1000)

    sizes = inbox.sizes(quick)
    return {
        "actions": lambda: actions.run(quick),
        "inbox": lambda: inbox.run(quick),
        "memory": lambda: memory.memory(sizes[-1], rounds=1 if quick else 5),
        "cli": lambda: memory.cli(sizes, runs=2 if quick else 7),
        "trust": lambda: trust_bench.run(200, 3) if quick else trust_bench.run(10_000, 100),
        "web": lambda: web_bench.run(30, 3, acting=3) if quick else web_bench.run(10_000, 20),
        "prefect": prefect,
        "insight": lambda: insight.run(sizes, repeats=2 if quick else 5),
    }


def main() -> int:
    arguments = parser().parse_args()
    prefix, extra = "", {}
    if arguments.baseline:
        sys.path.insert(0, str(arguments.baseline.resolve()))
        prefix = "baseline-"
        commit = subprocess.run(["git", "-C", str(arguments.baseline), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False).stdout.strip()
        extra = {"engine_commit": commit}
        arguments.only = [name for name in arguments.only or NAMES if name in ("actions", "inbox")]
    sys.path.insert(1 if arguments.baseline else 0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    # Imported after the path is set, so that --baseline measures the other checkout's engine.
    from common import QUICK_RESULTS, RESULTS, described, load, load_line, write_results
    from report import show, write_markdown

    import engine

    if arguments.write_markdown:
        print(f"written {write_markdown()}")
        return 0
    folder = QUICK_RESULTS if arguments.quick else RESULTS
    chosen = arguments.only or [name for name in NAMES if not (arguments.quick and name in QUICK_SKIPS)]
    began = load()
    print(f"{'quick' if arguments.quick else 'full'} run of {', '.join(chosen)}; engine of "
          f"{Path(engine.__file__).parent.parent}")
    print(f"at the start: {load_line(began)}", flush=True)
    for name, why in QUICK_SKIPS.items():
        if arguments.quick and name not in chosen:
            print(f"skipped {name}: {why}")
    if not prefix:
        write_results("machine", {**described(), "quick": arguments.quick}, echo=False, folder=folder)
    runs = lanes(arguments.quick)
    begin, failed, summary = time.monotonic(), [], []
    for name in chosen:
        print(f"\n== {name} ({load_line(load())})", flush=True)
        started, before = time.monotonic(), load()
        try:
            figures = runs[name]()
        except Exception:  # noqa: BLE001 - reported, and the other parts still run
            traceback.print_exc()
            failed.append(name)
            summary.append((name, "FAILED", time.monotonic() - started, before))
            continue
        results = {**figures, "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
                   "seconds": round(time.monotonic() - started, 1), "quick": arguments.quick,
                   "load_before": before, "load_after": load(), **extra}
        write_results(prefix + name, results, echo=False, folder=folder)
        show(name, results)
        summary.append((name, "ok", time.monotonic() - started, before))
    print(f"\nall in {time.monotonic() - begin:.0f} s")
    for name, status, seconds, before in summary:
        print(f"  {name:8} {status:6} {seconds:6.0f} s  load before {before['1min']}"
              f"{' (draft)' if before['draft'] else ''}")
    print(f"at the end: {load_line(load())}")
    if not arguments.quick and not failed:
        print(f"written {write_markdown()}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
