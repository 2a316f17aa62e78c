"""X.509 certificates for PDF signatures: a certificate authority per party and one
certificate per office holder's signing key and office.

A party runs its own CA (`init_ca`) or imports the certificate of an existing one
(`import_ca`) and then its holders' certificates (`import_holder`). A holder's
certificate binds an ECDSA P-256 key (the one PDF readers check; Ed25519 stays the
engine's own record) to the person, the office and the party, for the appointment's
period; its private key is kept encrypted under the holder's signing-key passphrase, the
CA's under the CA passphrase; neither passphrase is stored. A certificate is revoked when
its signing key is revoked, when the holder's appointment ends before it does, or by hand;
the party publishes the list as a CRL (`crl`). The policy is in docs/certificates.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.directory import get_officer
from engine.core.registry import Registry
from engine.core.signatures import (
    KDF_ROUNDS,
    MIN_PASSPHRASE,
    PASSPHRASE_TRIES,
    SAMPLE_KDF_ROUNDS,
    current_key,
    unlock,
)
from engine.core.throttle import seconds
from engine.errors import InvalidForm, NotAllowed, NotFound, Throttled
from engine.store import Appointment, Certificate, Officer, SigningKey

POLICY = ObjectIdentifier("2.25.91469679218342206415801980778408702291")
"""The certificate policy every holder's certificate names (docs/certificates.md): a
UUID-based OID (ITU-T X.667), which needs no registration."""
CA_YEARS = 10
OPEN_ENDED_YEARS = 3
"""How long a certificate runs when the appointment has no end date: reissued after."""
CRL_DAYS = 7
"""A published CRL's nextUpdate: the party publishes a new one at least weekly."""


@dataclass(frozen=True)
class Revocation:
    certificate: Certificate
    at: datetime
    reason: x509.ReasonFlags


def _at(day: date) -> datetime:
    return datetime.combine(day, time())


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _fits(text: str) -> str:
    """X.520 caps these attributes at 64 characters (cryptography counts UTF-8 bytes)."""
    return text if len(text.encode()) <= 64 else text.encode()[:61].decode(errors="ignore") + "..."


def _serial() -> int:
    return x509.random_serial_number()


SigningPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
"""Keys a holder's certificate may have: P-256 from our CAs; ECDSA or RSA from an existing CA."""


def _encrypt(key: SigningPrivateKey, passphrase: str, *, sample: bool = False) -> str:
    # The signing keys' format and KDF (OpenSSH, bcrypt, AES-256): PKCS#8's PBKDF2 as
    # `cryptography` writes it takes well under a millisecond to try a passphrase.
    rounds = SAMPLE_KDF_ROUNDS if sample else KDF_ROUNDS
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(rounds)
        .build(passphrase.encode())).decode()


def decrypt(pem: str, passphrase: str, whose: str) -> SigningPrivateKey:
    """The private key in `pem`, or a refusal naming `whose` key the passphrase failed;
    wrong passphrases are throttled as the signing keys' are."""
    wait = PASSPHRASE_TRIES.attempt(pem)
    if wait:
        raise Throttled(f"too many wrong passphrases for {whose}; nothing was changed or signed: "
                        f"try again in {seconds(wait)} s", retry_after=seconds(wait))
    try:
        key = serialization.load_ssh_private_key(pem.encode(), passphrase.encode())
    except (ValueError, TypeError):
        raise NotAllowed(f"wrong passphrase for {whose}; nothing was changed or signed") from None
    PASSPHRASE_TRIES.succeeded(pem)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise NotAllowed(f"{whose} is neither an ECDSA nor an RSA key")
    return key


def authority(session: Session, party: str) -> Certificate:
    """`party`'s CA certificate (the newest, when it was renewed)."""
    found = session.scalars(select(Certificate).where(
        Certificate.party == party, Certificate.signing_key_id.is_(None), Certificate.office.is_(None))
        .order_by(Certificate.id.desc())).first()
    if found is None:
        raise NotFound(f"{party} has no certificate authority: run `manzoori ca init --party {party}` "
                       f"or import its CA's certificate with `manzoori ca import --party {party}`")
    return found


def authorities(session: Session) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.signing_key_id.is_(None),
                                                         Certificate.office.is_(None))))


def init_ca(session: Session, registry: Registry, party: str, passphrase: str, now: datetime, *,
            sample: bool = False) -> Certificate:
    """A new certificate authority for `party`, its key under `passphrase`."""
    identity = registry.party(party).identity
    if session.scalars(select(Certificate.id).where(Certificate.party == party,
                                                    Certificate.signing_key_id.is_(None))).first():
        raise InvalidForm(f"{party} has a certificate authority already",
                          problems=[("party", "has a CA")])
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidForm(f"the CA passphrase must have at least {MIN_PASSPHRASE} characters",
                          problems=[("passphrase", "too short")])
    key = ec.generate_private_key(ec.SECP256R1())
    label = " [sample]" if sample else ""
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fits(identity.name_en)),
        *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "[sample] not for real use")] if sample else []),
        x509.NameAttribute(NameOID.COMMON_NAME, _fits(f"{identity.code} Manzoori signing CA{label}")),
    ])
    start = _naive(now) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(_serial())
        .not_valid_before(start).not_valid_after(start + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _store(session, party, None, None, certificate, _encrypt(key, passphrase, sample=sample), now,
                  sample=sample)


def import_ca(session: Session, registry: Registry, party: str, pem: bytes, now: datetime) -> Certificate:
    """The certificate of an existing CA that issues `party`'s holders' certificates."""
    registry.party(party)
    certificate = _load(pem, "the CA certificate")
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value \
        if _has(certificate, x509.BasicConstraints) else None
    if constraints is None or not constraints.ca:
        raise InvalidForm("the certificate given is not a CA's (no basicConstraints CA:TRUE)",
                          problems=[("certificate", "not a CA")])
    return _store(session, party, None, None, certificate, None, now, imported=True)


def _has(certificate: x509.Certificate, extension: type[x509.ExtensionType]) -> bool:
    try:
        certificate.extensions.get_extension_for_class(extension)
    except x509.ExtensionNotFound:
        return False
    return True


def _load(pem: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(pem)
        except ValueError:
            raise InvalidForm(f"{what} is not an X.509 certificate (PEM or DER)",
                              problems=[("certificate", "unreadable")]) from None


def _store(session: Session, party: str, office: str | None, key: SigningKey | None,
           certificate: x509.Certificate, private: str | None, now: datetime, *,
           imported: bool = False, sample: bool = False) -> Certificate:
    row = Certificate(
        party=party, serial=f"{certificate.serial_number:x}", office=office, signing_key=key,
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode(), private_key=private,
        not_before=certificate.not_valid_before_utc.replace(tzinfo=None),
        not_after=certificate.not_valid_after_utc.replace(tzinfo=None),
        imported=imported, sample=sample, created_at=_naive(now))
    session.add(row)
    session.flush()
    return row


def _appointment(officer: Officer, party: str, office: str | None, day: date) -> Appointment:
    held = [a for a in officer.appointments if a.party == party and (office is None or a.office == office)
            and (a.until is None or a.until >= day)]
    if not held:
        raise NotAllowed(f"{officer.username} holds no office of {party} now or later"
                         + (f" as {office}" if office else "") + ": no certificate to issue")
    return held[0]


def issue(session: Session, registry: Registry, username: str, party: str, ca_passphrase: str,
          key_passphrase: str, now: datetime, *, office: str | None = None,
          sample: bool = False) -> Certificate:
    """A certificate for `username`'s current signing key as holder of `office` (the one
    they hold in `party` when not named), valid for the appointment's period; its new P-256
    private key is kept under the holder's signing-key passphrase."""
    officer = get_officer(session, username)
    key = current_key(session, officer)
    unlock(key, key_passphrase)
    appointment = _appointment(officer, party, office, _naive(now).date())
    ca_row = authority(session, party)
    if ca_row.private_key is None:
        raise NotAllowed(f"{party}'s CA is imported: its certificates are issued by that CA; "
                         f"import them with `manzoori ca import-holder`")
    ca_key = decrypt(ca_row.private_key, ca_passphrase, f"{party}'s CA key")
    ca_cert = x509.load_pem_x509_certificate(ca_row.pem.encode())
    title = registry.party(party).office(appointment.office).title_en
    start = max(_at(appointment.since) if appointment.since else _naive(now), ca_row.not_before)
    end = (_at(appointment.until) + timedelta(days=1) - timedelta(seconds=1) if appointment.until
           else max(start, _naive(now)) + timedelta(days=365 * OPEN_ENDED_YEARS))
    end = min(end, ca_row.not_after)
    private = ec.generate_private_key(ec.SECP256R1())
    label = " [sample]" if sample or key.sample else ""
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fits(registry.party(party).identity.name_en)),
        x509.NameAttribute(NameOID.TITLE, _fits(title)),
        x509.NameAttribute(NameOID.USER_ID, officer.username),
        *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "[sample] not for real use")] if label else []),
        x509.NameAttribute(NameOID.COMMON_NAME, _fits(officer.name)),
    ])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(private.public_key()).serial_number(_serial())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(POLICY, None)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _store(session, party, appointment.office, key, certificate,
                  _encrypt(private, key_passphrase, sample=bool(label)), now, sample=bool(label))


def import_holder(session: Session, registry: Registry, username: str, party: str, office: str,
                  certificate_pem: bytes, private_pem: bytes, private_passphrase: str,
                  key_passphrase: str, now: datetime) -> Certificate:
    """A certificate the party's existing CA issued for `username` as `office`, with its
    private key (PKCS#8 under `private_passphrase`), kept re-encrypted under the holder's
    signing-key passphrase. The certificate must chain to the party's CA and match the key."""
    officer = get_officer(session, username)
    key = current_key(session, officer)
    unlock(key, key_passphrase)
    registry.party(party).office(office)
    certificate = _load(certificate_pem, "the holder's certificate")
    ca_cert = x509.load_pem_x509_certificate(authority(session, party).pem.encode())
    try:
        certificate.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        raise InvalidForm(f"the certificate was not issued by {party}'s CA "
                          f"({ca_cert.subject.rfc4514_string()})",
                          problems=[("certificate", "another CA")]) from None
    usage = (certificate.extensions.get_extension_for_class(x509.KeyUsage).value
             if _has(certificate, x509.KeyUsage) else None)
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise InvalidForm("the certificate does not allow signing (its key usage has neither "
                          "digitalSignature nor nonRepudiation)", problems=[("certificate", "key usage")])
    try:
        private = serialization.load_pem_private_key(private_pem, private_passphrase.encode())
    except (ValueError, TypeError):
        raise NotAllowed("the private key file cannot be opened with the passphrase given (it "
                         "must be PKCS#8 PEM under that passphrase); nothing was imported") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InvalidForm("the private key given is neither an ECDSA nor an RSA key",
                          problems=[("key", "unsupported")])
    if private.public_key() != certificate.public_key():
        raise InvalidForm("the private key given is not the certificate's",
                          problems=[("key", "does not match")])
    return _store(session, party, office, key, certificate, _encrypt(private, key_passphrase), now,
                  imported=True)


def holder_certificate(session: Session, key: SigningKey, party: str, office: str | None,
                       moment: datetime) -> Certificate | None:
    """The certificate with which `key`'s holder signs as `office` of `party` at `moment`;
    with no office, any of theirs in `party` (a substitute signs with their own)."""
    query = select(Certificate).where(Certificate.signing_key_id == key.id, Certificate.party == party,
                                      Certificate.revoked_at.is_(None))
    if office is not None:
        query = query.where(Certificate.office == office)
    rows = session.scalars(query.order_by(Certificate.id.desc()))
    moment = _naive(moment)
    return next((row for row in rows if row.not_before <= moment <= row.not_after), None)


def revocation(row: Certificate) -> tuple[datetime, x509.ReasonFlags] | None:
    """When and why a holder's certificate stopped being good before its end: revoked by
    hand, its signing key revoked (key compromise or rotation), or its holder relieved."""
    if row.revoked_at is not None:
        return row.revoked_at, x509.ReasonFlags.unspecified
    key = row.signing_key
    if key is None:
        return None
    if key.revoked_at is not None and key.revoked_at < row.not_after:
        return key.revoked_at, x509.ReasonFlags.superseded
    spans = [a for a in key.officer.appointments if a.party == row.party and a.office == row.office
             and (a.since is None or _at(a.since) <= row.not_after)]
    ends = [a.until for a in spans]
    if spans and None not in ends:
        last = max(d for d in ends if d is not None)
        ended = _at(last) + timedelta(days=1)
        if ended <= row.not_after:
            return ended, x509.ReasonFlags.cessation_of_operation
    return None


def revocations(session: Session, party: str) -> list[Revocation]:
    rows = session.scalars(select(Certificate).where(Certificate.party == party,
                                                     Certificate.signing_key_id.is_not(None)))
    found = []
    for row in rows:
        revoked = revocation(row)
        if revoked is not None:
            found.append(Revocation(row, *revoked))
    return found


def revoke(session: Session, serial: str, now: datetime) -> Certificate:
    row = session.scalars(select(Certificate).where(Certificate.serial == serial.lower())).first()
    if row is None or row.signing_key_id is None:
        raise NotFound(f"no office holder's certificate with serial {serial}")
    row.revoked_at = _naive(now)
    return row


def crl(session: Session, party: str, ca_passphrase: str, now: datetime) -> x509.CertificateRevocationList:
    """`party`'s certificate revocation list, signed by its CA, for it to publish."""
    ca_row = authority(session, party)
    if ca_row.private_key is None:
        raise NotAllowed(f"{party}'s CA is imported: its CRL is published by that CA")
    ca_key = decrypt(ca_row.private_key, ca_passphrase, f"{party}'s CA key")
    ca_cert = x509.load_pem_x509_certificate(ca_row.pem.encode())
    moment = _naive(now)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(moment).next_update(moment + timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(int(moment.timestamp())), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    for found in revocations(session, party):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(found.certificate.serial, 16))
            .revocation_date(found.at)
            .add_extension(x509.CRLReason(found.reason), critical=False).build())
    return builder.sign(ca_key, hashes.SHA256())


def seed_sample_certificates(session: Session, registry: Registry, now: datetime, usernames: list[str],
                             passphrase: str) -> int:
    """[sample] CAs (under `passphrase`, the sample keys' one) for the parties of the named
    officers, and a [sample] certificate for each office they hold there, from `now` on."""
    issued = 0
    for username in usernames:
        officer = get_officer(session, username)
        for appointment in list(officer.appointments):
            if appointment.until is not None and appointment.until < _naive(now).date():
                continue
            if not session.scalars(select(Certificate.id).where(
                    Certificate.party == appointment.party, Certificate.signing_key_id.is_(None))).first():
                init_ca(session, registry, appointment.party, passphrase, now, sample=True)
            issue(session, registry, username, appointment.party, passphrase, passphrase, now,
                  office=appointment.office, sample=True)
            issued += 1
    return issued
