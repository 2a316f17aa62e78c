"""A throw-away PostgreSQL cluster from Debian's binaries, for the tests and the benchmarks.

PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
`postgres` user Debian's package creates. It listens on 127.0.0.1 on a free port and on
a socket in its own folder, trusts local connections, and is removed when stopped.

    with running_cluster() as cluster:
        url = cluster.create_database("manzoori")   # postgresql+psycopg://...
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "manzoori"


def bindir() -> Path:
    """The newest installed server's binaries (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Cluster:
    directory: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [str(bindir() / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-c", sql],
            capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"psql failed on {sql!r}: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of `template` when given); returns its SQLAlchemy URL."""
        copy = f" TEMPLATE {template}" if template else ""
        self.psql(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "-D", str(self.directory / "data"),
                                  "-m", "immediate", "-w", "stop"]),
                       capture_output=True, check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(durable: bool = False, max_connections: int = 200) -> Cluster:
    """Start a new cluster. `durable=False` turns fsync off: fine for tests, not for
    benchmarks that claim a durable commit rate."""
    directory = Path(tempfile.mkdtemp(prefix="manzoori-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    subprocess.run(_as_owner([str(bindir() / "initdb"), "-D", str(data), "-U", USER, "-A", "trust",
                              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   capture_output=True, check=True)
    port = free_port()
    settings = [f"-p {port}", "-c listen_addresses=127.0.0.1", f"-k {directory}",
                f"-c max_connections={max_connections}"]
    if not durable:
        settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    started = subprocess.run(
        _as_owner([str(bindir() / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
                   "-o", " ".join(settings), "-w", "-t", "60", "start"]),
        capture_output=True, text=True, check=False)
    cluster = Cluster(directory, port)
    if started.returncode:
        log = (directory / "server.log").read_text(errors="replace") if (directory / "server.log").exists() else ""
        cluster.stop()
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()}\n{log}")
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.psql("SELECT 1")
            return cluster
        except RuntimeError:
            if time.monotonic() > deadline:
                cluster.stop()
                raise
            time.sleep(0.2)


@contextmanager
def running_cluster(durable: bool = False) -> Iterator[Cluster]:
    cluster = start_cluster(durable=durable)
    try:
        yield cluster
    finally:
        cluster.stop()
