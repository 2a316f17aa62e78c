"""Prefect figures of issue 3, measured on a real `manzoori serve`:

- the delay from an officer's action (committed by the engine) to the item's run
  resuming (state Running) and to it waiting again (suspended after the new event),
  median and spread over N actions;
- the peak memory (RSS summed over `manzoori serve` and every process it started) while
  M items' runs start and suspend, and once all M wait suspended, with the time it took.

    python bench/prefect_bench.py [--items 1000] [--actions 20]

Prints the figures and writes them to bench/results/prefect.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def tree_rss_mb(pid: int) -> float:
    return tree(pid)[0]


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


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20)
    arguments = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="manzoori-bench-"))
    os.environ["MANZOORI_HOME"] = str(home)
    from engine.db import open_database
    from engine.directory import load_public_holders, seed_sample_officers
    from engine.items import act, draft
    from engine.registry import registry
    from tests.forms import form_for
    from tests.prefect_support import PrefectView
    from workflows.stack import Stack, free_port

    factory = open_database()
    parties = registry()
    with factory() as session:
        load_public_holders(session, parties, datetime(2000, 1, 1))
        seed_sample_officers(session, parties, datetime(2000, 1, 1))
        session.commit()

    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port),
                              "--web-port", str(free_port())],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    while not (serve.stdout.readline() or "Serving;").startswith("Serving;"):
        pass
    prefect = PrefectView(Stack(home, port=port))
    idle_mb = tree_rss_mb(serve.pid)
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                     "when": datetime.now().isoformat(timespec="seconds"), "idle_serve_mb": round(idle_mb)}
    try:
        # 1. Action → run resumes.
        with factory() as session:
            reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                              title="Benchmark plan", form=form_for("punjab", "work_plan"),
                              officer="punjab.pdu-director").reference
        prefect.wait_suspended_after(reference, 1, timeout=120)
        to_running, to_waiting = [], []
        for number in range(arguments.actions):
            with factory() as session:
                act(session, parties, reference=reference, action="comment",
                    officer="punjab.wpc-member.1", comment=f"benchmark comment {number}")
            start, running = time.monotonic(), None
            seq = number + 2
            while True:
                run = prefect.run(reference)
                now = time.monotonic()
                if running is None and run.state.is_running():
                    running = now - start
                if run.state.is_paused() and run.state.state_details.pause_key == f"after-{seq}":
                    break
                time.sleep(0.02)
            to_running.append(running if running is not None else now - start)
            to_waiting.append(now - start)
        results["action_to_running_s"] = {
            "median": round(statistics.median(to_running), 2), "min": round(min(to_running), 2),
            "max": round(max(to_running), 2), "n": len(to_running)}
        results["action_to_waiting_again_s"] = {
            "median": round(statistics.median(to_waiting), 2), "min": round(min(to_waiting), 2),
            "max": round(max(to_waiting), 2), "n": len(to_waiting)}
        print(json.dumps(results, indent=2), flush=True)

        # 2. M items suspended.
        sampler = PeakSampler(serve.pid)
        sampler.start()
        start = time.monotonic()
        with factory() as session:
            for number in range(arguments.items):
                draft(session, parties, kind="work_plan", parties=["kp"],
                      title=f"Benchmark plan {number:04d}", form=form_for("kp", "work_plan"),
                      officer="kp.swd-secretary")
        drafted = time.monotonic() - start
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
        with prefect.client() as client:
            while True:
                waiting = client.count_flow_runs(flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["PAUSED"]))))
                if waiting >= arguments.items + 1:
                    break
                time.sleep(2)
        all_waiting = time.monotonic() - start
        time.sleep(10)
        sampler.stop.set()
        results.update({
            "items": arguments.items,
            "draft_all_s": round(drafted, 1),
            "until_all_suspended_s": round(all_waiting, 1),
            "peak_serve_mb_while_starting": round(sampler.peak),
            "serve_mb_with_all_suspended": round(tree(serve.pid)[0]),
            "serve_processes_with_all_suspended": tree(serve.pid)[1],
        })
    finally:
        serve.send_signal(2)
        serve.wait(60)
    out = ROOT / "bench" / "results" / "prefect.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
