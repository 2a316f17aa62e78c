"""The world the tests share: a migrated database with sample officers, built once
and copied for each test, and a way to run the `manzoori` command as an officer would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from engine.cli import app
from tests import hypothesis_profiles  # noqa: F401  (registers and loads the profile)


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

    def __init__(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = home
        self.monkeypatch = monkeypatch
        self.runner = CliRunner()

    def __call__(self, *args: str, expect: int | None = 0) -> Result:
        self.monkeypatch.setenv("MANZOORI_HOME", str(self.home))
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
        engine = create_engine(f"sqlite:///{self.home / 'manzoori.db'}")
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, list[Any]]:
        """Every row of every table: compared before and after a refused action."""
        tables = ("officers", "appointments", "items", "item_parties", "versions", "steps",
                  "decisions", "events", "outbox", "item_runs", "credentials", "plan_actions",
                  "progress_reports", "signing_keys", "signatures")
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
        from engine.registry import registry

        office = registry().party(party).roles(ItemKind(kind))[role].office
        rows = self.query(
            "SELECT o.username FROM officers o JOIN appointments a ON a.officer_id = o.id "
            "WHERE a.party = :p AND a.office = :o AND o.sample ORDER BY o.username",
            p=party, o=office)
        names = [row[0] for row in rows if row[0] != exclude]
        assert names, f"no sample officer holds {party}/{office}"
        return names[0]


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once, with public-record holders and sample officers."""
    home = tmp_path_factory.mktemp("seeded")
    monkeypatch = pytest.MonkeyPatch()
    try:
        Manzoori(home, monkeypatch)("init", "--samples")
    finally:
        monkeypatch.undo()
    return home


@pytest.fixture
def manzoori(seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Manzoori]:
    home = tmp_path / "home"
    home.mkdir()
    copy_home(seeded_home, home)
    yield Manzoori(home, monkeypatch)


def copy_home(seeded: Path, home: Path) -> None:
    """The seeded database and the passphrase of its [sample] signing keys, into `home`."""
    for name in ("manzoori.db", "sample-passphrase"):
        shutil.copy(seeded / name, home / name)



@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright, for the browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import CHROMIUM

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()
