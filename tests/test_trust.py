"""Signatures and verification as an officer and an auditor meet them: keys made and
published, a Letter of Intent signed by both provinces, and `manzoori verify` finding any
changed byte of a stored version, event or signature, naming the place and the field."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.conftest import Manzoori, copy_home
from tests.forms import form_for

# It flips bytes of the SQLite file's rows itself (sqlite3), below the engine; signing and
# verification on PostgreSQL run through the flows, demo and render tests.
pytestmark = pytest.mark.sqlite_only

TITLE = "Letter of Intent on social protection"
SIGNERS = {"punjab": "punjab.pspa-vice-chair", "balochistan": "balochistan.ps-social-welfare"}


def sign_letter_of_intent(manzoori: Manzoori) -> str:
    reference = manzoori.draft("agreement", "punjab,balochistan", TITLE,
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    manzoori.act(reference, "comment", "punjab.swd-secretary", "--comment", "Cleared by law",
                 "--key", "review-note-1")
    manzoori.act(reference, "clear", "punjab.swd-secretary")
    manzoori.act(reference, "clear", "balochistan.law-secretary")
    manzoori.act(reference, "approve", "punjab.pspa-vice-chair")
    manzoori.act(reference, "approve", "balochistan.ps-social-welfare")
    for signer in SIGNERS.values():
        manzoori.act(reference, "sign", signer)
    assert manzoori.state(reference) == "executed"
    return reference


@pytest.fixture(scope="module")
def signed_home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("signed")
    copy_home(seeded_home, home)
    monkeypatch = pytest.MonkeyPatch()
    try:
        return home, sign_letter_of_intent(Manzoori(home, monkeypatch))
    finally:
        monkeypatch.undo()


@pytest.fixture
def signed(signed_home: tuple[Path, str], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Manzoori, str]:
    home = tmp_path / "home"
    home.mkdir()
    copy_home(signed_home[0], home)
    return Manzoori(home, monkeypatch), signed_home[1]


def item_id(manzoori: Manzoori, reference: str) -> int:
    return manzoori.query("SELECT id FROM items WHERE reference = :r", r=reference)[0][0]


def test_a_letter_of_intent_signed_by_both_provinces_verifies(signed) -> None:
    manzoori, reference = signed
    rows = manzoori.query(
        "SELECT s.party, s.office, o.username, s.digest, s.signature, s.public_key, k.public_key "
        "FROM signatures s JOIN officers o ON o.id = s.officer_id "
        "JOIN signing_keys k ON k.id = s.key_id ORDER BY s.id")
    assert [(party, username) for party, _, username, *_ in rows] == list(SIGNERS.items())
    for *_, digest, signature, public_key, published in rows:
        assert public_key == published
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(signature), bytes.fromhex(digest))  # raises if it does not verify
    told = manzoori("verify", reference)
    assert f"{reference}: intact" in told.stdout
    # The sign events keep a copy of their signature, inside the hash chain.
    copies = manzoori.query("SELECT payload FROM events WHERE action = 'sign' ORDER BY seq")
    assert [digest for *_, digest, _, _, _ in rows] == [
        json.loads(payload)["signature"]["digest"] for (payload,) in copies]


def test_events_carry_a_unique_rising_global_sequence(signed) -> None:
    manzoori, reference = signed
    sequence = [row[0] for row in manzoori.query("SELECT global_seq FROM events ORDER BY id")]
    assert None not in sequence and sequence == sorted(set(sequence))


# Change one byte of one stored field: `verify` must fail and say where. ------------------

def flipped(value: Any, bit: int = 1) -> Any:
    """`value` with one byte changed, still of a type the column accepts (and, for JSON,
    still JSON: one character of its first string changes)."""
    if value is None:
        return "x"
    if isinstance(value, int):
        return value ^ bit
    if value[:1] in "{[":
        data = json.loads(value)
        holder, key = _first_string(data)
        holder[key] = flipped(holder[key])
        return json.dumps(data)
    text = str(value)
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    at = positions[-1] if text[:4].isdigit() else positions[len(positions) // 2]  # dates: last digit
    c = text[at]
    if c.isdigit():
        new = str((int(c) + 1) % 10)
    elif c in "abcde":
        new = chr(ord(c) + 1)
    else:
        new = "a" if c != "a" else "b"
    return text[:at] + new + text[at + 1:]


def _first_string(data: Any) -> tuple[Any, Any]:
    for key, inner in (data.items() if isinstance(data, dict) else enumerate(data)):
        if isinstance(inner, str) and any(c.isalnum() for c in inner):
            return data, key
        if isinstance(inner, dict | list):
            try:
                return _first_string(inner)
            except LookupError:
                continue
    raise LookupError("no string")


def columns(manzoori: Manzoori, table: str) -> list[str]:
    # `id` is the row's surrogate key: it says nothing an officer decided or signed.
    return [row[1] for row in manzoori.query(f"PRAGMA table_info({table})") if row[1] != "id"]


def tamper(manzoori: Manzoori, table: str, column: str, row_id: int) -> None:
    with sqlite3.connect(manzoori.home / "manzoori.db") as connection:
        (value,) = connection.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        for bit in (1, 2, 4, 8, 16, 32, 64):  # a unique column: the first free neighbour
            try:
                connection.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                                   (flipped(value, bit), row_id))
                break
            except sqlite3.IntegrityError:
                continue
        assert connection.execute(f"SELECT {column} FROM {table} WHERE id = ?",
                                  (row_id,)).fetchone()[0] != value


VERSION_FIELDS = ["item_id", "number", "title", "form_model", "form", "author_id", "created_at",
                  "submitted_at", "digest"]
EVENT_FIELDS = ["item_id", "seq", "at", "officer_id", "action", "step", "party", "version",
                "comment", "payload", "idempotency_key", "prev_hash", "hash", "global_seq"]
SIGNATURE_FIELDS = ["item_id", "version", "event_seq", "party", "office", "officer_id", "holder",
                    "signed_at", "digest", "signature", "public_key", "key_id", "acting_for_id"]


def test_the_tampering_tests_cover_every_stored_field(signed) -> None:
    manzoori, _ = signed
    assert columns(manzoori, "versions") == VERSION_FIELDS
    assert columns(manzoori, "events") == EVENT_FIELDS
    assert columns(manzoori, "signatures") == SIGNATURE_FIELDS


def failures(manzoori: Manzoori) -> str:
    told = manzoori("verify", expect=8)
    assert "failed verification" in told.stderr
    return told.stdout


@pytest.mark.parametrize("field", VERSION_FIELDS)
def test_changing_a_byte_of_the_signed_version_fails_verify(signed, field: str) -> None:
    manzoori, reference = signed
    version = manzoori.query("SELECT id FROM versions WHERE item_id = :i", i=item_id(manzoori, reference))[0][0]
    tamper(manzoori, "versions", field, version)
    told = failures(manzoori)
    assert f"{reference}: FAILS" in told
    assert "version 1: digest" in told or "signature (punjab, pspa-vice-chair)" in told, told


@pytest.mark.parametrize("field", EVENT_FIELDS)
def test_changing_a_byte_of_an_event_fails_verify_naming_the_event(signed, field: str) -> None:
    manzoori, reference = signed
    # The comment with an idempotency key: every column of it holds a value.
    event, seq = manzoori.query("SELECT id, seq FROM events WHERE action = 'comment' AND item_id = :i",
                                i=item_id(manzoori, reference))[0]
    tamper(manzoori, "events", field, event)
    told = failures(manzoori)
    assert f"{reference}: FAILS event {seq} " in told or f"{reference}: FAILS event {seq + 1} " in told, told


@pytest.mark.parametrize("field", SIGNATURE_FIELDS)
def test_changing_a_byte_of_a_stored_signature_fails_verify_naming_it(signed, field: str) -> None:
    manzoori, reference = signed
    signature, seq = manzoori.query("SELECT id, event_seq FROM signatures WHERE party = 'balochistan'")[0]
    tamper(manzoori, "signatures", field, signature)
    told = failures(manzoori)
    if field == "item_id":  # gone from the item: its sign event misses it
        assert f"{reference}: FAILS event {seq} (#" in told and ": signature: " in told, told
    else:
        assert re.search(rf"{reference}: FAILS signature \([a-z-]+, [a-z-]+\): {field}: ", told), told


def test_verify_names_only_the_item_that_was_changed(signed) -> None:
    manzoori, reference = signed
    other = manzoori.draft("work_plan", "punjab", "WPC Action Plan 2026", form_for("punjab", "work_plan"),
                           "punjab.pdu-director")
    manzoori.act(other, "submit", "punjab.pdu-director")
    with sqlite3.connect(manzoori.home / "manzoori.db") as connection:
        connection.execute("UPDATE events SET comment = 'Not cleared' WHERE action = 'comment'")
    told = failures(manzoori)
    assert f"{other}: intact" in told
    assert f"{reference}: FAILS event 3 (#3): hash: " in told  # draft, submit, the comment
    assert manzoori("verify", other).stdout.strip() == f"{other}: intact"


# Keys ---------------------------------------------------------------------------------------

def test_a_signer_without_a_key_is_told_how_to_make_one(manzoori, tmp_path) -> None:
    reference = sign_letter_of_intent_up_to_signature(manzoori)
    manzoori("keys", "revoke", "--as", "punjab.pspa-vice-chair")
    before = manzoori.snapshot()
    refused = manzoori.act(reference, "sign", "punjab.pspa-vice-chair", expect=3)
    assert "has no signing key; make one with `manzoori keys new --as punjab.pspa-vice-chair`" in refused.stderr
    assert manzoori.snapshot() == before
    phrase = tmp_path / "phrase"
    phrase.write_text("a long passphrase of my own\n")
    key_file = tmp_path / "vice-chair.key"
    made = manzoori("keys", "new", "--as", "punjab.pspa-vice-chair", "--passphrase-file", str(phrase),
                    "--key-file", str(key_file))
    assert str(key_file) in made.stdout and key_file.stat().st_mode & 0o777 == 0o600
    stored = manzoori.query("SELECT private_key, key_file FROM signing_keys WHERE revoked_at IS NULL "
                            "AND officer_id = (SELECT id FROM officers WHERE username = 'punjab.pspa-vice-chair')")
    assert stored == [(None, str(key_file))]
    wrong = manzoori.act(reference, "sign", "punjab.pspa-vice-chair", expect=3)  # the sample passphrase
    assert "wrong passphrase for punjab.pspa-vice-chair's signing key; nothing was signed" in wrong.stderr
    manzoori.act(reference, "sign", "punjab.pspa-vice-chair", "--passphrase-file", str(phrase))
    assert manzoori.query("SELECT count(*) FROM signatures")[0][0] == 1
    assert "intact" in manzoori("verify", reference).stdout


def sign_letter_of_intent_up_to_signature(manzoori: Manzoori) -> str:
    reference = manzoori.draft("agreement", "punjab,balochistan", TITLE,
                               form_for("punjab", "agreement"), "punjab.pspa-dg")
    manzoori.act(reference, "submit", "punjab.pspa-dg")
    manzoori.act(reference, "clear", "punjab.swd-secretary")
    manzoori.act(reference, "clear", "balochistan.law-secretary")
    manzoori.act(reference, "approve", "punjab.pspa-vice-chair")
    manzoori.act(reference, "approve", "balochistan.ps-social-welfare")
    return reference


def test_a_passphrase_shorter_than_ten_characters_is_refused(manzoori, tmp_path) -> None:
    phrase = tmp_path / "short"
    phrase.write_text("short")
    before = manzoori.snapshot()
    refused = manzoori("keys", "new", "--as", "punjab.pspa-dg", "--passphrase-file", str(phrase), expect=5)
    assert "at least 10 characters" in refused.stderr and manzoori.snapshot() == before


def test_keys_list_publishes_each_holders_key_with_the_dates_of_the_office(signed) -> None:
    manzoori, _ = signed
    listed = manzoori("keys", "list", "--party", "balochistan").stdout
    public = manzoori.query("SELECT k.public_key FROM signing_keys k JOIN officers o ON o.id = k.officer_id "
                            "WHERE o.username = 'balochistan.ps-social-welfare'")[0][0]
    line = next(line for line in listed.splitlines() if "balochistan.ps-social-welfare" in line)
    assert public in line and "2000-01-01" in line and "[sample]" in line
    assert "punjab.pspa-vice-chair" not in listed


def test_the_private_key_never_reaches_the_database_the_logs_or_the_output(
        manzoori, tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    phrase = tmp_path / "phrase"
    secret = "correct horse battery staple"
    phrase.write_text(secret)
    outputs = [manzoori("keys", "new", "--as", "punjab.pspa-vice-chair", "--passphrase-file", str(phrase)).output]
    reference = sign_letter_of_intent_up_to_signature(manzoori)
    outputs.append(manzoori.act(reference, "sign", "punjab.pspa-vice-chair", "--passphrase-file", str(phrase)).output)
    outputs += [manzoori(*command).output for command in (
        ("keys", "list"), ("keys", "export"), ("show", reference), ("verify",), ("render", reference))]
    (encrypted,) = manzoori.query(
        "SELECT private_key FROM signing_keys WHERE revoked_at IS NULL AND officer_id = "
        "(SELECT id FROM officers WHERE username = 'punjab.pspa-vice-chair')")[0]
    private = serialization.load_ssh_private_key(encrypted.encode(), secret.encode())
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    plain_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                      serialization.NoEncryption())
    database = b"".join(path.read_bytes() for path in manzoori.home.glob("manzoori.db*"))
    logs = caplog.text + "".join(path.read_text(errors="replace") for path in manzoori.home.rglob("*.log"))
    import base64

    texts = [raw.hex(), base64.b64encode(raw).decode(), plain_pem.decode(), secret]
    assert raw not in database
    for text in texts:
        assert text.encode() not in database
        assert text not in logs
        assert not any(text in output for output in outputs)
    assert b"ENCRYPTED" not in plain_pem and b"aes256-ctr" in base64.b64decode(
        "".join(encrypted.splitlines()[1:-1]))


def test_the_prefect_ui_cannot_carry_a_signature() -> None:
    from types import SimpleNamespace

    from engine.errors import NotAllowed
    from workflows.lifecycle import OfficerDecision, apply_decision

    view = SimpleNamespace(reference="PJ-IPA-2025-0001")
    with pytest.raises(NotAllowed, match="sign cannot be given in the Prefect UI.*manzoori act PJ-IPA-2025-0001 sign"):
        apply_decision(view, OfficerDecision(officer="punjab.pspa-vice-chair", code="123", action="sign"),
                       "run", "key")


def test_the_api_signs_with_the_passphrase_it_is_given_and_never_echoes_it(manzoori, caplog) -> None:
    from datetime import datetime

    from fastapi.testclient import TestClient

    from engine.core.accounts import issue_token
    from engine.store import open_database
    from engine.web import create_app

    caplog.set_level(logging.DEBUG)
    reference = sign_letter_of_intent_up_to_signature(manzoori)
    manzoori.monkeypatch.setenv("MANZOORI_HOME", str(manzoori.home))
    with open_database()() as session:
        token = issue_token(session, "punjab.pspa-vice-chair", "tests", datetime.now())
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app()) as client:
        missing = client.post(f"/api/items/{reference}/actions", headers=headers, json={"action": "sign"})
        assert missing.status_code == 422 and missing.json()["field"] == "passphrase"
        wrong = client.post(f"/api/items/{reference}/actions", headers=headers,
                            json={"action": "sign", "passphrase": "not the passphrase"})
        assert wrong.status_code == 403 and "wrong passphrase" in wrong.json()["message"]
        done = client.post(f"/api/items/{reference}/actions", headers=headers,
                           json={"action": "sign", "passphrase": manzoori.passphrase})
        assert done.status_code == 200, done.text
    assert manzoori.passphrase not in done.text + missing.text + wrong.text + caplog.text
    assert manzoori.query("SELECT count(*) FROM signatures")[0][0] == 1


def test_the_upgrade_to_signatures_rechains_existing_events_so_they_verify(manzoori) -> None:
    from alembic import command
    from alembic.config import Config

    from engine import store as db

    reference = sign_letter_of_intent_up_to_signature(manzoori)
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    engine = db.make_engine(f"sqlite:///{manzoori.home / 'manzoori.db'}")
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")  # to the versioned definitions, before signatures
        assert "global_seq" not in columns(manzoori, "events")
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert manzoori.query("SELECT count(*) FROM events WHERE global_seq IS NULL OR global_seq != id") == [(0,)]
    assert manzoori("verify", reference).stdout.strip() == f"{reference}: intact"


def test_the_passphrase_is_asked_for_hidden_and_only_when_signing_is_possible(signed) -> None:
    manzoori, _ = signed
    reference = sign_letter_of_intent_up_to_signature(manzoori)
    from typer.testing import CliRunner

    from engine.cli import app

    runner = CliRunner()
    drafter = runner.invoke(app, ["act", reference, "sign", "--as", "punjab.pspa-dg"])
    assert drafter.exit_code == 3 and "Key passphrase" not in drafter.stdout  # may not sign: no prompt
    signed_now = runner.invoke(app, ["act", reference, "sign", "--as", "punjab.pspa-vice-chair"],
                               input=manzoori.passphrase + "\n")
    assert signed_now.exit_code == 0, signed_now.output
    assert "Key passphrase:" in signed_now.stdout and manzoori.passphrase not in signed_now.output
