"""`manzoori verify --document` for a PDF with PAdES signatures: each signature is
checked as a receiving department's PDF reader would (pyHanko's validator): the bytes it
covers are unchanged, the only changes after it are later signatures, its certificate
chains to a party's CA, was valid on the signing day and is not revoked. Revision 0 must
be the rendering of the data it carries (the version's content), byte for byte.

Trust comes from the database (the parties' CAs; revocations as `manzoori ca crl` would
publish them) or, away from it, from CA certificates and CRLs a party published.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.orm import Session

from engine.core import signatures
from engine.core.certificates import authorities, revocations
from engine.core.documents import DATA_FILE, render_pdf
from engine.core.items import get_item
from engine.core.pades import FIELD, finish
from engine.core.registry import Registry
from engine.core.verification import Finding, verify_items
from engine.errors import InvalidForm, NotFound

TSA_CA = "MANZOORI_TSA_CA"


def timestamp_authorities() -> list[x509.Certificate]:
    path = os.environ.get(TSA_CA)
    if not path:
        return []
    try:
        return [x509.load_pem_x509_certificate(Path(path).read_bytes())]
    except (OSError, ValueError):
        raise InvalidForm(f"{TSA_CA}={path} is not a readable PEM certificate",
                          problems=[("tsa-ca", "unreadable")]) from None


@dataclass
class Trust:
    """The CAs a signature may chain to (by party) and the revoked serials with when."""

    authorities: list[tuple[str, x509.Certificate]] = field(default_factory=list)
    revoked: dict[int, datetime] = field(default_factory=dict)
    timestamp_roots: list[x509.Certificate] = field(default_factory=timestamp_authorities)
    """The timestamp authority's root (`MANZOORI_TSA_CA`, a PEM file), for B-T signatures."""


def database_trust(session: Session) -> Trust:
    trust = Trust()
    for row in authorities(session):
        trust.authorities.append((row.party, x509.load_pem_x509_certificate(row.pem.encode())))
        for found in revocations(session, row.party):
            trust.revoked[int(found.certificate.serial, 16)] = found.at
    return trust


def file_trust(ca_files: list[Path], crl_files: list[Path]) -> Trust:
    """Trust from published files: CA certificates (PEM or DER) and CRLs each CA signed."""
    trust = Trust()
    for path in ca_files:
        data = _read(path, "ca")
        try:
            certificate = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data \
                else x509.load_der_x509_certificate(data)
        except ValueError:
            raise InvalidForm(f"{path} is not an X.509 certificate (PEM or DER)",
                              problems=[("ca", "unreadable")]) from None
        trust.authorities.append((certificate.subject.rfc4514_string(), certificate))
    for path in crl_files:
        data = _read(path, "crl")
        try:
            listing = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        except ValueError:
            raise InvalidForm(f"{path} is not a certificate revocation list (PEM or DER)",
                              problems=[("crl", "unreadable")]) from None
        if not any(listing.issuer == ca.subject and listing.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
                   for _party, ca in trust.authorities):
            raise InvalidForm(f"{path} is not signed by any CA given with --ca",
                              problems=[("crl", "unknown issuer")])
        for entry in listing:
            trust.revoked[entry.serial_number] = entry.revocation_date_utc.replace(tzinfo=None)
    return trust


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidForm(f"cannot read {path}: {error.strerror}", problems=[(option, "unreadable")]) from None


def has_pdf_signatures(raw: bytes) -> bool:
    """Whether `raw` is a PDF with PDF signatures (a signature's /ByteRange), parsed or
    not: a damaged one is reported by `verify_signed_pdf`."""
    return raw.startswith(b"%PDF") and b"/ByteRange" in raw


def attached_data(reader: PdfFileReader) -> dict[str, Any]:
    """The document data attached to the PDF (`documents.DATA_FILE`), through pyHanko's reader."""
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    for position in range(0, len(names), 2):
        if str(names[position]) == DATA_FILE:
            return dict(json.loads(names[position + 1].get_object()["/EF"]["/F"].get_object().data))
    raise KeyError(DATA_FILE)


def verify_signed_pdf(raw: bytes, where: str, registry: Registry, trust: Trust,
                      session: Session | None = None) -> list[Finding]:
    """What fails in a PDF with PAdES signatures: each signature, revision 0 against the
    rendering of its data, and (with the database) the engine's own record of the item."""
    try:
        reader = PdfFileReader(BytesIO(raw), strict=False)
        embedded = reader.embedded_signatures
        data = attached_data(reader)
        content = data["content"]
    except Exception as error:  # any damage to the file's structure (zlib, xref, syntax)
        return [Finding(where, "structure", f"the PDF cannot be read: it was changed or damaged "
                        f"({type(error).__name__}: {error})")]
    if not embedded:
        return [Finding(where, "signatures", "the document carries no PDF signature")]
    findings = [finding for signature in embedded for finding in _check(signature, trust)]
    try:
        fresh = render_pdf(data, registry, signature_page=True)
    except Exception as error:  # data altered so far that it no longer renders
        return [*findings, Finding(where, "content", f"the signed data cannot be rendered ({error})")]
    if raw[:len(fresh)] != fresh:
        offset = next((i for i, (a, b) in enumerate(zip(fresh, raw, strict=False)) if a != b), len(fresh))
        findings.append(Finding(where, "content", "the document before its first signature differs "
                                f"from the rendering of its data from byte {offset} on"))
    if session is not None:
        findings += _engine_record(session, content, embedded)
    return findings


def _check(signature: Any, trust: Trust) -> list[Finding]:
    place = f"PDF signature {signature.field_name}"
    signer = x509.load_der_x509_certificate(signature.signer_cert.dump())
    who = signer.subject.rfc4514_string()
    moment = signature.self_reported_timestamp
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    issuers = [(party, ca) for party, ca in trust.authorities if ca.subject == signer.issuer]
    roots = [_asn1(ca) for _p, ca in issuers]
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail",
                                moment=moment.replace(tzinfo=UTC))
    stamping = ValidationContext(trust_roots=[_asn1(ca) for ca in trust.timestamp_roots],
                                 allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = finish(async_validate_pdf_signature(signature, context, ts_validation_context=stamping))
    except (SignatureValidationError, PdfError, ValueError) as error:
        return [Finding(place, "signature", f"cannot be validated ({error})")]
    findings = []
    contents = bytes(signature.pkcs7_content)
    if any(contents[len(cms.ContentInfo.load(contents).dump()):]):
        # The space reserved for the signature is outside what it covers; only its padding
        # after the signature may be there, and it is zeros as written.
        findings.append(Finding(place, "contents", "the space reserved for this signature was "
                                "changed after signing (its padding is not zeros)"))
    # The certificates a signature carries are outside what it signs: each must be the
    # signer's (checked against its CA's signature above) or a trusted CA's, byte for byte.
    known = {signature.signer_cert.dump(), *(_asn1(ca).dump() for _p, ca in trust.authorities),
             *(_asn1(ca).dump() for ca in trust.timestamp_roots)}
    carried = [c.chosen.dump() for c in signature.signed_data["certificates"] or []]
    if any(c not in known for c in carried):
        findings.append(Finding(place, "certificates", "a certificate carried in the signature is "
                                "neither the signer's nor a trusted CA's (changed after signing?)"))
    if not status.intact:
        findings.append(Finding(place, "content", "the bytes this signature covers were changed "
                                "after signing (their digest differs from the signed one)"))
    elif not status.valid:
        findings.append(Finding(place, "signature", f"is not a valid signature by {who}"))
    if status.intact and not status.docmdp_ok:
        findings.append(Finding(place, "later changes", "the document was changed after this "
                                "signature by more than adding later signatures"))
    if not issuers:
        findings.append(Finding(place, "certificate", f"{who} was issued by "
                                f"{signer.issuer.rfc4514_string()}, which is not a party's CA known here"))
    elif not (signer.not_valid_before_utc.replace(tzinfo=None) <= moment
              <= signer.not_valid_after_utc.replace(tzinfo=None)):
        findings.append(Finding(place, "certificate", f"{who} was not valid on the signing day "
                                f"{moment:%Y-%m-%d} (valid {signer.not_valid_before_utc:%Y-%m-%d} "
                                f"to {signer.not_valid_after_utc:%Y-%m-%d})"))
    elif status.intact and status.valid and not status.trusted:
        findings.append(Finding(place, "certificate", f"{who} does not chain to {issuers[0][0]}'s CA"))
    revoked = trust.revoked.get(signer.serial_number)
    stamped = status.timestamp_validity
    if stamped is not None and not (stamped.intact and stamped.valid):
        findings.append(Finding(place, "timestamp", "the signature's timestamp token is not valid"))
    if revoked is not None:
        proven = stamped is not None and stamped.intact and stamped.valid and stamped.trusted \
            and stamped.timestamp.astimezone(UTC).replace(tzinfo=None) < revoked
        if not proven:
            findings.append(Finding(place, "certificate", f"{who} was revoked on {revoked:%Y-%m-%d}"
                                    + ("" if stamped else "; with no timestamp the signature cannot "
                                       "be shown to come before that")))
    return findings


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _engine_record(session: Session, content: dict[str, Any], embedded: list[Any]) -> list[Finding]:
    """The item's stored record verifies, the PDF is of its version, and each PDF signature
    matches one of the engine's signatures on that version (by its verification code)."""
    try:
        item = get_item(session, content["reference"])
    except NotFound:
        return [Finding(str(content.get("reference")), "reference", "no such item in this database")]
    findings = [finding for _name, found in verify_items(session, item.reference) for finding in found]
    version = next((v for v in item.versions if v.number == content.get("version")), None)
    if version is None or version.digest != content.get("version_digest"):
        findings.append(Finding(item.reference, "version_digest", "the document's version is not "
                                "one stored for the item"))
        return findings
    codes = {signatures.verification_code(s.signature) for s in item.signatures if s.version == version.number}
    for number, signature in enumerate(embedded, start=1):
        reason = str(signature.sig_object.get("/Reason", ""))
        if not any(code in reason for code in codes):
            findings.append(Finding(f"PDF signature {signature.field_name}", "verification code",
                                    f"matches none of the engine's signatures on version {version.number}"))
        if signature.field_name != FIELD.format(number):
            findings.append(Finding(f"PDF signature {signature.field_name}", "order",
                                    f"is signature {number} of the file"))
    return findings
