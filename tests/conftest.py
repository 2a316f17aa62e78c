"""The world the tests share: a migrated database with sample officers, built once
and copied for each test, and a way to run the `manzoori` command as an officer would."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

# pytest-xdist's workers start with COLUMNS=80, which the command line's Rich consoles would
# keep from their making (when engine.cli is imported) and wrap every table at 80 columns:
# unset, they read it when they print, and `Manzoori` sets it for each command as in one process.
os.environ.pop("COLUMNS", None)

import engine.core.registry  # noqa: E402
from engine.cli import app  # noqa: E402
from engine.core.registry import Registry  # noqa: E402
from tests import (
    hypothesis_profiles,  # noqa: E402, F401  (registers and loads the profile)
    provinces,  # noqa: E402
)

pytest_plugins = ["pytester"]  # tests/test_hooks.py runs a test session of its own


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Manzoori:
    """Runs `manzoori ...` in-process against one test's MANZOORI_HOME."""

    def __init__(self, home: Path, monkeypatch: pytest.MonkeyPatch, url: str | None = None) -> None:
        self.home = home
        self.monkeypatch = monkeypatch
        self.runner = CliRunner()
        #: The database this officer's commands use: the SQLite file in `home` unless given.
        self.url = url or f"sqlite:///{home / 'manzoori.db'}"

    def __call__(self, *args: str, expect: int | None = 0) -> Result:
        self.monkeypatch.setenv("MANZOORI_HOME", str(self.home))
        if self.url.startswith("sqlite:"):
            self.monkeypatch.delenv("MANZOORI_DATABASE_URL", raising=False)
        else:
            self.monkeypatch.setenv("MANZOORI_DATABASE_URL", self.url)
        self.monkeypatch.setenv("COLUMNS", "250")
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        outcome = Result(result.exit_code, result.stdout, result.stderr)
        if expect is not None:
            assert outcome.exit_code == expect, (
                f"manzoori {' '.join(args)} exited {outcome.exit_code}, not {expect}:\n{outcome.output}"
            )
        return outcome

    def form(self, name: str, data: dict[str, Any]) -> str:
        path = self.home / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    def draft(self, kind: str, parties: str, title: str, data: dict[str, Any], officer: str,
              *extra: str) -> str:
        result = self("draft", kind, "--parties", parties, "--title", title,
                      "--form", self.form(f"form-{abs(hash(title))}", data), "--as", officer, *extra)
        return result.stdout.strip()

    @property
    def passphrase(self) -> str:
        """The passphrase of the [sample] officers' signing keys (`init --samples`)."""
        return (self.home / "sample-passphrase").read_text().strip()

    def act(self, reference: str, action: str, officer: str, *extra: str, expect: int | None = 0) -> Result:
        if action == "sign" and "--passphrase-file" not in extra:  # the [sample] keys' passphrase
            extra = (*extra, "--passphrase-file", str(self.home / "sample-passphrase"))
        return self("act", reference, action, "--as", officer, *extra, expect=expect)

    # The stored state, read straight from the database, not through the engine.
    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, list[Any]]:
        """Every row of every table: compared before and after a refused action."""
        tables = ("officers", "appointments", "items", "item_parties", "versions", "steps",
                  "decisions", "events", "outbox", "item_runs", "credentials", "plan_actions",
                  "progress_reports", "signing_keys", "signatures", "absences", "certificates",
                  "signed_documents")
        return {table: [tuple(row) for row in self.query(f"SELECT * FROM {table} ORDER BY 1")]
                for table in tables}

    def state(self, reference: str) -> str:
        return self.query("SELECT state FROM items WHERE reference = :r", r=reference)[0][0]

    def actions(self, reference: str) -> list[str]:
        return [row[0] for row in self.query(
            "SELECT e.action FROM events e JOIN items i ON i.id = e.item_id "
            "WHERE i.reference = :r ORDER BY e.seq", r=reference)]

    def officer_for(self, party: str, kind: str, role: str, exclude: str | None = None) -> str:
        """The first sample officer holding the office a party maps to a role."""
        from engine.contract import ItemKind
        from engine.core.registry import registry

        office = registry().party(party).roles(ItemKind(kind))[role].office
        rows = self.query(
            "SELECT o.username FROM officers o JOIN appointments a ON a.officer_id = o.id "
            "WHERE a.party = :p AND a.office = :o AND o.sample ORDER BY o.username",
            p=party, o=office)
        names = [row[0] for row in rows if row[0] != exclude]
        assert names, f"no sample officer holds {party}/{office}"
        return names[0]


# --- The database the suite runs on: SQLite (default) or PostgreSQL (--db postgresql) ---
# One seeded database is built per session by `manzoori init --samples`; each test gets a
# copy of it (the SQLite file copied, or CREATE DATABASE ... TEMPLATE on PostgreSQL).


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=("sqlite", "postgresql"), default=os.environ.get("MANZOORI_TEST_DB") or "sqlite",
        help="the database the tests run on: the embedded SQLite (default) or PostgreSQL in a "
             "throw-away cluster (tests/pg_cluster.py); also MANZOORI_TEST_DB")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--db") not in ("sqlite", "postgresql"):  # a default is not checked
        raise pytest.UsageError(f"MANZOORI_TEST_DB must be sqlite or postgresql, "
                                f"not {config.getoption('--db')!r}")
    config.addinivalue_line("markers", "sqlite_only: about the embedded SQLite database; "
                                       "deselected (not skipped) in the PostgreSQL run")
    config.addinivalue_line("markers", "postgresql_only: about a PostgreSQL server; "
                                       "deselected (not skipped) in the SQLite run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    other = "sqlite_only" if config.getoption("--db") == "postgresql" else "postgresql_only"
    deselected = [item for item in items if item.get_closest_marker(other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(other)]
    # The modules that start Prefect servers take longest: handed to the xdist workers first,
    # they run while the other worker goes through the rest, and both finish together.
    items.sort(key=lambda item: item.get_closest_marker("prefect") is None)


def stored_json(value: Any) -> Any:
    """A JSON column read with plain SQL: SQLite gives its text, PostgreSQL the parsed value."""
    return json.loads(value) if isinstance(value, str) else value


class Databases:
    """Where the tests' databases come from: fresh copies of the seeded one, or empty ones."""

    def __init__(self, kind: str, cluster: Any = None) -> None:
        self.kind = kind
        self.cluster = cluster
        self.seeded_home: Path | None = None
        self._names = itertools.count(1)

    @property
    def postgresql(self) -> bool:
        return self.kind == "postgresql"

    def empty(self, home: Path) -> str:
        """A database with nothing in it (not even the schema), for `home`."""
        home.mkdir(parents=True, exist_ok=True)
        if not self.postgresql:
            return f"sqlite:///{home / 'manzoori.db'}"
        return self.cluster.create_database(f"test_{next(self._names)}")

    def copy(self, home: Path) -> str:
        """A copy of the seeded database (migrated, officers loaded; see `seeded_home`) for
        `home`, with the passphrase of its [sample] signing keys."""
        if not self.postgresql:
            copy_home(self.seeded_home, home)
            return f"sqlite:///{home / 'manzoori.db'}"
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.seeded_home / "sample-passphrase", home / "sample-passphrase")
        return self.cluster.create_database(f"test_{next(self._names)}", template="seeded")

    def drop(self, url: str) -> None:
        """Drop a PostgreSQL database made here, whoever is still connected to it."""
        if self.postgresql:
            self.cluster.drop_database(url.rsplit("/", 1)[1])

    def environment(self, url: str) -> dict[str, str]:
        """What a subprocess of a test needs to use `url`."""
        return {"MANZOORI_DATABASE_URL": url} if self.postgresql else {}


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest) -> Iterator[Databases]:
    kind = request.config.getoption("--db")
    if kind == "sqlite":
        yield Databases(kind)
        return
    from tests.pg_cluster import running_cluster

    with running_cluster() as cluster:
        yield Databases(kind, cluster)


@pytest.fixture(scope="session")
def seeded_home(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once, with public-record holders and sample officers."""
    home = tmp_path_factory.mktemp("seeded")
    url = None
    if databases.postgresql:
        url = databases.cluster.create_database("seeded")
    monkeypatch = pytest.MonkeyPatch()
    try:
        Manzoori(home, monkeypatch, url)("init", "--samples")
    finally:
        monkeypatch.undo()
    if databases.postgresql:
        # A template is copied only while nobody is connected to it.
        databases.cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = 'seeded' AND pid <> pg_backend_pid()")
        databases.cluster.psql("ALTER DATABASE seeded WITH ALLOW_CONNECTIONS false")
    databases.seeded_home = home
    return home


@pytest.fixture
def manzoori(databases: Databases, seeded_home: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Manzoori]:
    url = databases.copy(tmp_path / "home")
    # Set for the whole test, so the processes it starts (web app, runner) use it too.
    for name, value in databases.environment(url).items():
        monkeypatch.setenv(name, value)
    yield Manzoori(tmp_path / "home", monkeypatch, url)
    databases.drop(url)


def copy_home(seeded: Path, home: Path) -> None:
    """The seeded SQLite database and the passphrase of its [sample] signing keys, into
    `home` (for tests about the SQLite file itself; others use `databases.copy`)."""
    home.mkdir(parents=True, exist_ok=True)
    for name in ("manzoori.db", "sample-passphrase"):
        shutil.copy(seeded / name, home / name)


# --- end of the database block ---


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright's sync API, once per process: while it runs, its event loop is this
    thread's, so a second `sync_playwright()` would be refused; tests that need a Chromium
    of their own (another environment) launch it from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright, for the browser tests."""
    from tests.browsing import CHROMIUM

    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield launched
    launched.close()


# --- Parties made in a test (tests/provinces.py) ---


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch) -> provinces.Install:
    """`install(name=plugin, ...)`: these plugin objects beside the built-in parties, as this
    process's registry (what `manzoori`, the web app and the flows' tasks use) for this test."""
    def install(**plugins: object) -> Registry:
        loaded = provinces.with_built_ins(**plugins)
        monkeypatch.setattr(engine.core.registry, "_registry", loaded)
        return loaded

    return install


@pytest.fixture(autouse=True)
def hooks_called(request: pytest.FixtureRequest) -> Iterator[set[str]]:
    """The hooks called on plugins made in this test; a test marked `hooks(...)` must have
    called each hook it names (tests/test_hooks.py counts on it)."""
    provinces.CALLED.clear()
    yield provinces.CALLED
    marker = request.node.get_closest_marker("hooks")
    if marker is not None and getattr(request.node, "rep_call_passed", False):
        missing = [hook for hook in marker.args if hook not in provinces.CALLED]
        assert not missing, (f"{request.node.nodeid} is marked as calling {', '.join(missing)} "
                             f"on a plugin made in the test, and did not")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":  # read by `hooks_called`: a failed test has said enough
        item.rep_call_passed = report.passed  # type: ignore[attr-defined]
    return report
