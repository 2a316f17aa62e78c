"""Looking at a real Prefect server from the tests: runs by name, their task runs,
artifacts and logs, and resuming a run as an operator would from the UI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from workflows import itemview
from workflows.lifecycle import pause_key_seq
from workflows.stack import Stack, auth_string


class PrefectView:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    @contextmanager
    def client(self) -> Iterator[Any]:
        updates = {PREFECT_API_URL: self.stack.api_url,
                   PREFECT_API_AUTH_STRING: auth_string(self.stack.prefect_home)}
        with temporary_settings(updates=updates), get_client(sync_client=True) as client:
            yield client

    def run(self, name: str) -> FlowRun | None:
        with self.client() as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
        assert len(runs) <= 1, f"{len(runs)} flow runs are named {name}"
        return runs[0] if runs else None

    def wait(self, name: str, check: Callable[[FlowRun], bool], what: str, timeout: float = 90) -> FlowRun:
        deadline = time.monotonic() + timeout
        run = None
        while time.monotonic() < deadline:
            run = self.run(name)
            if run is not None and run.state is not None and check(run):
                return run
            time.sleep(0.25)
        state = run.state if run is not None else "no run"
        raise AssertionError(f"{name}: not {what} after {timeout:.0f} s (now {state}); "
                             f"see {self.stack.prefect_home}/runner.log")

    def wait_suspended_after(self, name: str, seq: int, timeout: float = 90) -> FlowRun:
        return self.wait(
            name, lambda run: run.state.is_paused() and pause_key_seq(run.state.state_details.pause_key) == seq,
            f"suspended after event {seq}", timeout)

    def wait_final(self, name: str, timeout: float = 90) -> FlowRun:
        return self.wait(name, lambda run: run.state.is_final(), "finished", timeout)

    def executed_tasks(self, run: FlowRun) -> list[str]:
        """Names of the run's task runs that did their work (not those found cached), in order."""
        with self.client() as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [run.id]}))
        done = [task for task in runs if task.state is not None and task.state.name == "Completed"]
        return [task.name for task in sorted(done, key=lambda task: task.start_time or task.expected_start_time)]

    def artifact(self, key: str) -> Any:
        with self.client() as client:
            found = client.read_latest_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
        assert found, f"no artifact {key!r}"
        return found[0]

    def logs(self, run_id: UUID) -> list[str]:
        with self.client() as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        return [log.message for log in logs]

    def levels(self, run_id: UUID) -> list[tuple[int, str]]:
        """The run's log lines with their levels (logging.INFO, ...)."""
        with self.client() as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        return [(log.level, log.message) for log in logs]

    def wait_log(self, run_id: UUID, check: Callable[[str], bool], timeout: float = 20) -> str:
        """Logs reach the API in batches: look until one line passes `check`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.logs(run_id):
                if check(line):
                    return line
            time.sleep(0.5)
        raise AssertionError(f"no such log line; the run logged: {self.logs(run_id)}")

    def resume(self, run_id: UUID, run_input: dict[str, Any]) -> None:
        with self.client() as client:
            result = client.resume_flow_run(run_id, run_input=run_input)
        assert result.status.value == "ACCEPT", result


def history_actions(status: str) -> list[str]:
    """The actions of the history in an item's status artifact, in order."""
    return itemview.history_actions(status)
