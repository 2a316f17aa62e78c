"""Trust: `keys` (office holders' signing keys), `render` (an item's document) and
`verify` (the stored record, or a rendered document).

A passphrase is read from a file the holder names (`--passphrase-file`) or typed at a
hidden prompt; it is never an option's value (which would sit in the shell's history
and the process list), never printed and never logged.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli.common import add_row, as_reader, engine_session, err, out, reader_option, reports_errors
from engine.clock import utcnow
from engine.errors import InvalidForm, ManzooriError, VerificationFailed

commands = typer.Typer()
keys_group = typer.Typer(help="Office holders' signing keys (Ed25519).", no_args_is_help=True)
commands.add_typer(keys_group, name="keys")

PASSPHRASE_FILE = typer.Option(None, "--passphrase-file", help="Read the key's passphrase from "
                               "this file (first line) instead of a hidden prompt.")


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


def read_passphrase(path: Path | None, *, confirm: bool = False, what: str = "Key passphrase") -> str:
    """The first line of the file at `path`, or what the holder types at a hidden prompt."""
    if path is None:
        return str(typer.prompt(what, hide_input=True, confirmation_prompt=confirm))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise InvalidForm(f"cannot read the passphrase file {path}: {reason}",
                          problems=[("passphrase-file", "unreadable")]) from None
    if not lines or not lines[0]:
        raise InvalidForm(f"the passphrase file {path} is empty", problems=[("passphrase-file", "empty")])
    return lines[0]


def passphrase_to_sign(reference: str, username: str, path: Path | None) -> str | None:
    """The signer's passphrase, asked for only when the engine would let them sign now
    with a key they have; otherwise None, and the engine's refusal says why."""
    if path is not None:
        return read_passphrase(path)
    from engine.core.directory import get_officer  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.items import get_item, possible_actions  # lazy: the core; keeps --help fast
    from engine.core.registry import registry  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.signatures import current_key  # lazy: the core, ~1 s; keeps --help fast
    from engine.store import session_scope  # lazy: SQLAlchemy, Alembic; keeps --help fast

    with session_scope() as session:
        try:
            officer = get_officer(session, username)
            if "sign" not in possible_actions(session, registry(), get_item(session, reference), officer):
                return None
            current_key(session, officer)
        except ManzooriError:
            return None
    return read_passphrase(None)


@keys_group.command("new")
@reports_errors
def keys_new(
    officer: str = typer.Option(..., "--as", help="Whose key."),
    passphrase_file: Path | None = PASSPHRASE_FILE,
    key_file: Path | None = typer.Option(None, "--key-file", help="Keep the encrypted "
                                         "private key in this new file, not in the database."),
) -> None:
    """A new signing key for OFFICER (an existing one is revoked: rotation)."""
    from engine.core.signatures import fingerprint, new_key  # lazy: the core; keeps --help fast

    passphrase = read_passphrase(passphrase_file, confirm=True, what="New key passphrase")
    with engine_session() as (session, _registry):
        key = new_key(session, officer, passphrase, utcnow(), key_file=key_file)
        session.commit()
        where = f"in {key.key_file}" if key.key_file else "encrypted in the database"
        out.print(f"key {fingerprint(key.public_key)} for {escape(officer)}; private key kept "
                  f"{escape(where)}", highlight=False)


@keys_group.command("revoke")
@reports_errors
def keys_revoke(officer: str = typer.Option(..., "--as", help="Whose key.")) -> None:
    """End OFFICER's current key: it signs nothing more; earlier signatures stay valid."""
    from engine.core.signatures import fingerprint, revoke  # lazy: the core; keeps --help fast

    with engine_session() as (session, _registry):
        key = revoke(session, officer, utcnow())
        session.commit()
        out.print(f"key {fingerprint(key.public_key)} of {escape(officer)} revoked", highlight=False)


@keys_group.command("list")
@reports_errors
def keys_list(party: str | None = typer.Option(None, help="Only this party's office holders.")) -> None:
    """The published public keys per office holder, with the dates of their offices."""
    from engine.core.signatures import fingerprint, published_keys  # lazy: the core; keeps --help fast

    with engine_session() as (session, _registry):
        table = Table(title="Published signing keys")
        for column in ("officer", "party", "office", "since", "until", "key", "created", "revoked"):
            table.add_column(column)
        table.add_column("public key", no_wrap=True, min_width=64)
        for key in published_keys(session, party):
            for appointment in key.officer.appointments:
                if party and appointment.party != party:
                    continue
                add_row(table, key.officer.username, appointment.party,
                        appointment.office, appointment.since or "", appointment.until or "",
                        fingerprint(key.public_key) + (" [sample]" if key.sample else ""),
                        f"{key.created_at:%Y-%m-%d}",
                        f"{key.revoked_at:%Y-%m-%d}" if key.revoked_at else "", key.public_key)
        out.print(table)


@keys_group.command("export")
@reports_errors
def keys_export(output: Path | None = typer.Option(None, "--out", "-o", help="Write here, not to stdout.")) -> None:
    """The published public keys as a JSON bundle, for `verify --document --keys`."""
    from engine.core.signatures import key_bundle  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        text = json.dumps(key_bundle(session), indent=1, ensure_ascii=False)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"public keys written to {escape(str(output))}", highlight=False)


@reports_errors
def render(
    reference: str = typer.Argument(..., metavar="ITEM"),
    format: Format = typer.Option(Format.html, "--format", help="html or pdf."),  # noqa: A002
    output: Path | None = typer.Option(None, "--out", "-o", help="Write here (HTML: else stdout)."),
    officer: str | None = reader_option("the document"),
) -> None:
    """Render an item's latest submitted version: letterheads, content in English and
    Urdu, and a block per signature with its verification code."""
    from engine.core.access import require_readable  # lazy: the core; keeps --help fast
    from engine.core.documents import document_data, render_data, render_pdf  # lazy: the core
    from engine.core.items import get_item  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.pades import travelling_pdf  # lazy: the core and pyHanko; keeps --help fast

    if format is Format.pdf and output is None:
        raise InvalidForm("a PDF needs a file: add -o FILE.pdf", problems=[("out", "required")])
    with engine_session() as (session, registry):
        item = get_item(session, reference)
        require_readable(session, as_reader(session, registry, officer), item)
        data = document_data(item)
        signed_pdf = travelling_pdf(session, item) if format is Format.pdf else None
    if output is None:
        sys.stdout.write(render_data(data, registry))
        return
    if format is Format.pdf:
        output.write_bytes(signed_pdf or render_pdf(data, registry))
    else:
        output.write_text(render_data(data, registry), encoding="utf-8")
    out.print(f"{reference} written to {escape(str(output))}", highlight=False)


commands.command("render")(render)
commands.command("document", help="The same as `render` (HTML).", hidden=True)(render)


@commands.command("verify", help=(
    "Re-compute every item's event chain, version digests and signatures (exit "
    f"{VerificationFailed.exit_code} naming what fails), or check a rendered document's "
    "signatures and bytes."))
@reports_errors
def verify(
    reference: str | None = typer.Argument(None, metavar="[ITEM]", help="Only this item."),
    document: Path | None = typer.Option(None, "--document", help="Check this rendered "
                                         "HTML or PDF document instead."),
    keys: Path | None = typer.Option(None, "--keys", help="With --document: the public keys "
                                     "from `manzoori keys export` instead of the database."),
    ca: list[Path] = typer.Option([], "--ca", help="With a PDF signed with certificates: a party "
                                  "CA's certificate to trust instead of the database's (repeat)."),
    crl: list[Path] = typer.Option([], "--crl", help="With --ca: a CRL that CA published (repeat)."),
) -> None:
    from engine.core.registry import registry as load  # lazy: the core, ~1 s; keeps --help fast
    from engine.core.verification import (  # lazy: the core, ~1 s; keeps --help fast
        bundle_keys,
        database_keys,
        verify_document,
        verify_items,
    )

    if document is not None and is_signed_pdf(document):
        results = [(document.name, signed_pdf_findings(document, ca, crl))]
    elif document is not None:
        if keys is not None:
            findings = verify_document(document, load(), bundle_keys(keys))
        else:
            with engine_session() as (session, registry):
                published = database_keys(session)
            findings = verify_document(document, registry, published)
        results = [(document.name, findings)]
    else:
        with engine_session() as (session, _registry):
            results = verify_items(session, reference)
    for name, findings in results:
        if not findings:
            out.print(f"{escape(name)}: intact", highlight=False)
        for finding in findings:
            out.print(f"{escape(name)}: FAILS {escape(str(finding))}", highlight=False)
    failed = sum(1 for _, findings in results if findings)
    if failed:
        err.print(f"{failed} of {len(results)} failed verification", highlight=False)
        raise typer.Exit(VerificationFailed.exit_code)
    err.print(f"{len(results)} verified intact", highlight=False)



def is_signed_pdf(path: Path) -> bool:
    from engine.core.pades_validation import has_pdf_signatures  # lazy: the core and pyHanko

    try:
        return has_pdf_signatures(path.read_bytes())
    except OSError:
        return False  # verify_document reports the unreadable file


def signed_pdf_findings(path: Path, ca: list[Path], crl: list[Path]) -> list[Any]:
    """A PDF with PAdES signatures: checked against the CAs and CRLs given, or the database's
    CAs, revocations and the item's own record."""
    from engine.core.pades_validation import (  # lazy: the core and pyHanko; keeps --help fast
        database_trust,
        file_trust,
        verify_signed_pdf,
    )
    from engine.core.registry import registry as load  # lazy: the core, ~1 s; keeps --help fast

    raw = path.read_bytes()
    if ca:
        return verify_signed_pdf(raw, path.name, load(), file_trust(ca, crl))
    with engine_session() as (session, registry):
        return verify_signed_pdf(raw, path.name, registry, database_trust(session), session)
