"""`manzoori ca`: a party's certificate authority for PDF signatures, its office holders'
X.509 certificates and the revocation list it publishes (docs/certificates.md).

The CA's passphrase and the holder's signing-key passphrase are read like every other
passphrase: from a file named by an option, or at a hidden prompt; never an option's value.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli.common import add_row, engine_session, out, reports_errors
from engine.cli.trust import PASSPHRASE_FILE, read_passphrase
from engine.clock import utcnow
from engine.errors import InvalidForm

commands = typer.Typer()
ca_group = typer.Typer(help="Certificate authorities and office holders' certificates for PDF "
                       "signatures (X.509).", no_args_is_help=True)
commands.add_typer(ca_group, name="ca")

PARTY = typer.Option(..., "--party", help="The party (its code, e.g. punjab).")
CA_PASSPHRASE_FILE = typer.Option(None, "--ca-passphrase-file", help="Read the CA key's "
                                  "passphrase from this file (first line) instead of a hidden prompt.")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidForm(f"cannot read {what} {path}: {error.strerror}",
                          problems=[(what.replace(" ", "-"), "unreadable")]) from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise InvalidForm(f"cannot write {path}: {error.strerror}", problems=[("out", "unwritable")]) from None


@ca_group.command("init")
@reports_errors
def ca_init(party: str = PARTY, ca_passphrase_file: Path | None = CA_PASSPHRASE_FILE,
            output: Path | None = typer.Option(None, "--out", "-o", help="Also write the CA "
                                               "certificate (PEM) here, to publish.")) -> None:
    """Start PARTY's own certificate authority; its key is kept under a passphrase."""
    from engine.core.certificates import init_ca  # lazy: the core, ~1 s; keeps --help fast

    passphrase = read_passphrase(ca_passphrase_file, confirm=True, what="New CA passphrase")
    with engine_session() as (session, registry):
        row = init_ca(session, registry, party, passphrase, utcnow())
        session.commit()
        pem = row.pem
    if output is not None:
        _write(output, pem.encode())
    out.print(f"{escape(party)}'s certificate authority made (serial {row.serial}), valid until "
              f"{row.not_after:%Y-%m-%d}" + (f"; certificate written to {escape(str(output))}" if output else ""),
              highlight=False)


@ca_group.command("export")
@reports_errors
def ca_export(party: str = PARTY,
              output: Path = typer.Option(..., "--out", "-o", help="Write the CA certificate (PEM) here.")) -> None:
    """PARTY's CA certificate, for receiving departments to trust (it holds no secret)."""
    from engine.core.certificates import authority  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        pem = authority(session, party).pem
    _write(output, pem.encode())
    out.print(f"{escape(party)}'s CA certificate written to {escape(str(output))}", highlight=False)


@ca_group.command("import")
@reports_errors
def ca_import(party: str = PARTY,
              certificate: Path = typer.Option(..., "--certificate", help="The existing CA's "
                                               "certificate (PEM or DER).")) -> None:
    """Trust an existing CA for PARTY: its holders' certificates are then imported."""
    from engine.core.certificates import import_ca  # lazy: the core, ~1 s; keeps --help fast

    data = _read(certificate, "certificate")
    with engine_session() as (session, registry):
        row = import_ca(session, registry, party, data, utcnow())
        session.commit()
        out.print(f"{escape(party)}'s CA imported (serial {row.serial})", highlight=False)


@ca_group.command("issue")
@reports_errors
def ca_issue(party: str = PARTY,
             officer: str = typer.Option(..., "--as", help="The office holder."),
             office: str | None = typer.Option(None, "--office", help="The office (the one they "
                                               "hold in PARTY when not named)."),
             ca_passphrase_file: Path | None = CA_PASSPHRASE_FILE,
             passphrase_file: Path | None = PASSPHRASE_FILE) -> None:
    """A certificate for OFFICER's signing key as holder of an office of PARTY, valid for the
    appointment; the holder gives their key's passphrase, which guards the new key too."""
    from engine.core.certificates import issue  # lazy: the core, ~1 s; keeps --help fast

    ca_passphrase = read_passphrase(ca_passphrase_file, what="CA passphrase")
    passphrase = read_passphrase(passphrase_file, what=f"{officer}'s key passphrase")
    with engine_session() as (session, registry):
        row = issue(session, registry, officer, party, ca_passphrase, passphrase, utcnow(), office=office)
        session.commit()
        out.print(f"certificate {row.serial} for {escape(officer)} as {escape(row.office or '')} "
                  f"({escape(party)}), valid {row.not_before:%Y-%m-%d} to {row.not_after:%Y-%m-%d}",
                  highlight=False)


@ca_group.command("import-holder")
@reports_errors
def ca_import_holder(
    party: str = PARTY,
    officer: str = typer.Option(..., "--as", help="The office holder."),
    office: str = typer.Option(..., "--office", help="The office the certificate names."),
    certificate: Path = typer.Option(..., "--certificate", help="The holder's certificate (PEM or DER)."),
    key: Path = typer.Option(..., "--key", help="Its private key, PKCS#8 PEM under a passphrase."),
    key_passphrase_file: Path | None = typer.Option(None, "--key-passphrase-file", help="That "
                                                    "key file's passphrase (else a hidden prompt)."),
    passphrase_file: Path | None = PASSPHRASE_FILE,
) -> None:
    """Import a certificate PARTY's existing CA issued to OFFICER; its private key is then
    kept under OFFICER's signing-key passphrase."""
    from engine.core.certificates import import_holder  # lazy: the core, ~1 s; keeps --help fast

    certificate_pem, key_pem = _read(certificate, "certificate"), _read(key, "key")
    key_passphrase = read_passphrase(key_passphrase_file, what="The key file's passphrase")
    passphrase = read_passphrase(passphrase_file, what=f"{officer}'s signing-key passphrase")
    with engine_session() as (session, registry):
        row = import_holder(session, registry, officer, party, office, certificate_pem, key_pem,
                            key_passphrase, passphrase, utcnow())
        session.commit()
        out.print(f"certificate {row.serial} imported for {escape(officer)} as {escape(office)}",
                  highlight=False)


@ca_group.command("list")
@reports_errors
def ca_list(party: str | None = typer.Option(None, help="Only this party's.")) -> None:
    """The CAs and holders' certificates, with their periods and revocation."""
    from sqlalchemy import select  # lazy: SQLAlchemy; keeps --help fast

    from engine.core.certificates import revocation  # lazy: the core, ~1 s; keeps --help fast
    from engine.store import Certificate  # lazy: SQLAlchemy; keeps --help fast

    with engine_session() as (session, _registry):
        table = Table(title="Certificates")
        for column in ("party", "serial", "holder", "office", "from", "until", "revoked"):
            table.add_column(column)
        query = select(Certificate).order_by(Certificate.party, Certificate.id)
        for row in session.scalars(query):
            if party and row.party != party:
                continue
            revoked = revocation(row)
            holder = row.signing_key.officer.username if row.signing_key else "(CA)"
            add_row(table, row.party, row.serial, holder + (" [sample]" if row.sample else ""),
                    row.office or "", f"{row.not_before:%Y-%m-%d}", f"{row.not_after:%Y-%m-%d}",
                    f"{revoked[0]:%Y-%m-%d} ({revoked[1].value})" if revoked else "")
        out.print(table)


@ca_group.command("revoke")
@reports_errors
def ca_revoke(serial: str = typer.Argument(..., help="The certificate's serial (hex).")) -> None:
    """Revoke one holder's certificate (a revoked key or an ended appointment revokes its
    certificates without this); the next CRL lists it."""
    from engine.core.certificates import revoke  # lazy: the core, ~1 s; keeps --help fast

    with engine_session() as (session, _registry):
        row = revoke(session, serial, utcnow())
        session.commit()
        out.print(f"certificate {row.serial} revoked; publish a new CRL (`manzoori ca crl`)", highlight=False)


@ca_group.command("crl")
@reports_errors
def ca_crl(party: str = PARTY, ca_passphrase_file: Path | None = CA_PASSPHRASE_FILE,
           output: Path = typer.Option(..., "--out", "-o", help="Write the CRL (DER) here.")) -> None:
    """PARTY's certificate revocation list, signed by its CA, for it to publish."""
    from cryptography.hazmat.primitives.serialization import Encoding  # lazy: only here

    from engine.core.certificates import crl  # lazy: the core, ~1 s; keeps --help fast

    passphrase = read_passphrase(ca_passphrase_file, what="CA passphrase")
    with engine_session() as (session, _registry):
        listing = crl(session, party, passphrase, utcnow())
    _write(output, listing.public_bytes(Encoding.DER))
    out.print(f"{escape(party)}'s CRL ({len(listing)} revoked) written to {escape(str(output))}",
              highlight=False)
