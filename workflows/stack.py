"""The embedded Prefect stack that `manzoori serve` runs on localhost: a Prefect server
(its own SQLite under MANZOORI_HOME/prefect, its UI, a generated basic-auth secret) and
the runner process (`workflows.runner`: the deployments, a lane that executes their runs,
and the outbox dispatcher).

The tests use the same class, so what they start is what an operator starts.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class StackError(RuntimeError):
    """The stack could not start; the message says which part and where its log is."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def auth_string(prefect_home: Path) -> str:
    """The Prefect API's basic-auth secret, generated once and readable only by its owner."""
    path = prefect_home / "auth"
    if not path.exists():
        prefect_home.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"manzoori:{secrets.token_urlsafe(24)}")
    return path.read_text().strip()


@dataclass
class Stack:
    home: Path
    port: int = 4200
    poll_seconds: int = 1
    web_port: int | None = None
    database_url: str | None = None
    """The engine's database (MANZOORI_DATABASE_URL); default: SQLite under `home`."""
    prefect_database_url: str | None = None
    """Prefect's own database (PREFECT_API_DATABASE_CONNECTION_URL); default: SQLite."""
    server: subprocess.Popen | None = field(default=None, repr=False)
    runner: subprocess.Popen | None = field(default=None, repr=False)
    web: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    @property
    def auth_file(self) -> Path:
        return self.prefect_home / "auth"

    def env(self) -> dict[str, str]:
        """Settings for every process of the stack, and for clients of it."""
        auth = auth_string(self.prefect_home)
        return {
            "MANZOORI_HOME": str(self.home),
            "PREFECT_HOME": str(self.prefect_home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_SERVER_API_AUTH_STRING": auth,
            "PREFECT_API_AUTH_STRING": auth,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": str(self.poll_seconds),
            "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
            "PREFECT_LOCAL_STORAGE_PATH": str(self.prefect_home / "storage"),
            "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            "PREFECT_WORKER_QUERY_SECONDS": str(self.poll_seconds),
            # The stack's server does not ask for CSRF tokens (Prefect's default), so its
            # clients need not fetch one for every client they open (one call a wake-up).
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "false",
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "false",
            **({"MANZOORI_DATABASE_URL": self.database_url} if self.database_url else {}),
            **({"PREFECT_API_DATABASE_CONNECTION_URL": self.prefect_database_url}
               if self.prefect_database_url else {}),
        }

    def _spawn(self, name: str, arguments: list[str]) -> subprocess.Popen:
        self.prefect_home.mkdir(parents=True, exist_ok=True)
        log = open(self.prefect_home / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        environment = {**os.environ, **self.env()}
        environment.pop("PREFECT_API_KEY", None)  # it would take precedence over the auth string
        return subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                start_new_session=True)

    def start_server(self, timeout: float = 180) -> None:
        self._check_free(self.port, "--port")
        self.server = self._spawn("server", [
            sys.executable, "-m", "prefect", "server", "start",
            "--host", "127.0.0.1", "--port", str(self.port),
        ])
        self._wait_for(self.server, "server", f"{self.api_url}/health",
                       "the Prefect server did not answer", timeout)

    def start_runner(self, timeout: float = 60, processes: bool = False) -> None:
        """The runner (`workflows.runner`): a lane and the outbox; `processes`: the runner
        before the lane, a process per wake-up (for the benchmark's comparison)."""
        self.runner = self._spawn("runner", [sys.executable, "-m", "workflows.runner",
                                             *(["--processes"] if processes else [])])
        self._wait_for(self.runner, "runner", f"{self.api_url}/deployments/name/item-lifecycle/manzoori",
                       "the runner did not register its deployments", timeout)

    def start_dispatcher(self, pool: str = "manzoori", timeout: float = 90) -> subprocess.Popen:
        """`manzoori dispatch`: the work pool, its deployments and the outbox (several machines)."""
        self.runner = self._spawn("dispatcher", [sys.executable, "-m", "engine.cli", "dispatch",
                                                 "--pool", pool])
        self._wait_for(self.runner, "dispatcher", f"{self.api_url}/deployments/name/item-lifecycle/manzoori",
                       "the dispatcher did not deploy the flows", timeout)
        return self.runner

    def start_worker(self, name: str, limit: int, pool: str = "manzoori") -> subprocess.Popen:
        """`manzoori worker`, logging to PREFECT_HOME/NAME.log; the caller stops it."""
        return self._spawn(name, [sys.executable, "-m", "engine.cli", "worker", "--pool", pool,
                                  "--name", name, "--limit", str(limit)])

    def start_web(self, timeout: float = 30) -> None:
        """The officers' web app (`manzoori web`) as a process of the stack."""
        if self.web_port is None:
            return
        self._check_free(self.web_port, "--web-port")
        self.web = self._spawn("web", [sys.executable, "-m", "engine.cli", "web",
                                       "--port", str(self.web_port)])
        self._wait_for(self.web, "web", f"{self.web_url}/login", "the web app did not answer", timeout)

    @staticmethod
    def _check_free(port: int, option: str) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise StackError(f"port {port} on 127.0.0.1 is taken: choose another with {option}")

    def _wait_for(self, process: subprocess.Popen, name: str, url: str, failure: str,
                  timeout: float) -> None:
        """Until `url` answers 200 (with the Prefect API's credentials), or `process` dies."""
        log = self.prefect_home / f"{name}.log"
        user, _, password = auth_string(self.prefect_home).partition(":")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"the {name} process exited; see {log}")
            try:
                if httpx.get(url, auth=(user, password), timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StackError(f"{failure} within {timeout:.0f} s; see {log}")

    def start(self) -> None:
        self.start_server()
        self.start_runner()

    @staticmethod
    def _stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def stop_process(self, process: subprocess.Popen | None) -> None:
        """Stop a process of the stack the caller started (a worker), SIGTERM first."""
        self._stop(process)

    def stop_runner(self) -> None:
        self._stop(self.runner)
        self.runner = None

    def stop_server(self) -> None:
        self._stop(self.server)
        self.server = None

    def stop(self) -> None:
        self._stop(self.web)
        self.web = None
        self.stop_runner()
        self.stop_server()
