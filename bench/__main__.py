"""Run the benchmarks of issue 6 and write BENCHMARKS.md:

    python -m bench                       # all of them (the 1M-item database is built once)
    python -m bench --quick               # fewer repetitions, inbox up to 100k items
    python -m bench --only actions        # actions | inbox | memory | cli (repeatable)
    python -m bench --write-markdown      # BENCHMARKS.md again from bench/results/*.json
    python -m bench --baseline ../main --only actions --only inbox
                                          # the engine of another checkout, kept as
                                          # bench/results/baseline-<name>.json ("before")

Each benchmark prints a table and writes bench/results/<name>.json; BENCHMARKS.md is
written from those files at the end. The Prefect and web-page benchmarks of earlier
issues (bench/prefect_bench.py, bench/web_bench.py) take minutes and run on their own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import described, write_results  # noqa: E402
from report import show, write_markdown  # noqa: E402

NAMES = ("actions", "inbox", "memory", "cli")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repetitions; inbox up to 100k items.")
    parser.add_argument("--only", action="append", choices=NAMES, help="Run only this benchmark.")
    parser.add_argument("--write-markdown", action="store_true",
                        help="Only write BENCHMARKS.md from bench/results/*.json.")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="Measure the engine of another checkout (actions and inbox only).")
    arguments = parser.parse_args()
    import actions
    import inbox
    import memory

    prefix, extra = "", {}
    if arguments.baseline:
        import subprocess

        # After the imports above, which put this checkout first on the path again.
        sys.path.insert(0, str(arguments.baseline.resolve()))
        prefix = "baseline-"
        commit = subprocess.run(["git", "-C", str(arguments.baseline), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False).stdout.strip()
        extra = {"engine_commit": commit, "when": time.strftime("%Y-%m-%d %H:%M")}
        arguments.only = [name for name in arguments.only or NAMES if name in ("actions", "inbox")]
    if not arguments.write_markdown:
        sizes = inbox.SIZES[:2] if arguments.quick else inbox.SIZES
        runs = {
            "actions": lambda: actions.run(arguments.quick),
            "inbox": lambda: inbox.run(arguments.quick),
            "memory": lambda: memory.memory(sizes[-1]),
            "cli": lambda: memory.cli(sizes),
        }
        begin = time.monotonic()
        if not prefix:
            write_results("machine", described(), echo=False)
        import engine
        print(f"engine of {Path(engine.__file__).parent.parent}")
        for name in arguments.only or NAMES:
            started = time.monotonic()
            results = {**runs[name](), "seconds": round(time.monotonic() - started, 1),
                       "quick": arguments.quick, **extra}
            write_results(prefix + name, results, echo=False)
            show(name, results)
        print(f"all in {time.monotonic() - begin:.0f} s")
    print(f"written {write_markdown()}")


if __name__ == "__main__":
    main()
