"""PAdES signatures: the PDF of a version as it travels, which any PDF reader validates.

When an office holder with a certificate (engine.core.certificates) signs, the engine adds
their PDF signature to the version's signed PDF as an incremental update, so the
signatures follow in signing order and each covers the document as it was when it was
made. Revision 0 is the version's document with a page for the signature fields
(`documents.render_pdf(..., signature_page=True)`: the same data gives the same bytes);
each signature field shows the office, the holder (a substitute "for" the absent holder),
the date and the verification code of the engine's own Ed25519 signature, which stays the
record. With a timestamp authority configured (`MANZOORI_TSA_URL`) each signature also
carries an RFC 3161 timestamp (PAdES B-T); otherwise it is PAdES B-B.

pyHanko writes and validates the signatures; nothing here reads or writes PDF or ASN.1
itself.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.errors import InvalidCertificateError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.certificates import authority, decrypt, holder_certificate
from engine.core.documents import render_pdf
from engine.core.registry import Registry
from engine.core.signatures import verification_code, version_content
from engine.errors import InvalidForm, NotAllowed
from engine.store import Item, Officer, Signature, SignedDocument, SigningKey

T = TypeVar("T")

TSA_URL = "MANZOORI_TSA_URL"
"""The environment variable naming an RFC 3161 timestamp authority (http or https)."""

SLOTS = 9
"""Signature fields on the signatures page, one under the other, wide enough for an
office's full title at a readable size."""
FIELD = "Signature{}"

_STAMP = TextStampStyle(
    stamp_text="%(office)s\n%(holder)s\nSigned %(date)s\nVerification code %(code)s",
    border_width=1,
)


@dataclass(frozen=True)
class Stamp:
    """What a signature field shows."""

    office: str
    holder: str
    date: str
    code: str

    def params(self) -> dict[str, str]:
        return {"office": self.office, "holder": self.holder, "date": self.date, "code": self.code}


def base_data(item: Item, version_number: int) -> dict[str, Any]:
    """The data of revision 0: the version's content; the signatures come as PDF ones."""
    version = next(v for v in item.versions if v.number == version_number)
    return {"manzoori_document": 1, "content": version_content(item, version), "signatures": []}


def signed_document(session: Session, item: Item, version: int) -> SignedDocument | None:
    return session.scalars(select(SignedDocument).where(SignedDocument.item_id == item.id,
                                                        SignedDocument.version == version)).first()


def latest_signed_document(session: Session, item: Item) -> SignedDocument | None:
    """The signed PDF of `item`'s latest submitted version, when its signatories have
    certificates; None when it has no PDF signature (yet)."""
    submitted = [v.number for v in item.versions if v.submitted_at is not None]
    return signed_document(session, item, submitted[-1]) if submitted else None


def stamp_for(registry: Registry, signature: Signature, absent: Officer | None) -> Stamp:
    office = registry.party(signature.party).office(signature.office).title_en
    # On a line of its own: sample names are long, and the stamp shrinks its text to fit.
    holder = signature.holder if absent is None else f"{signature.holder}\nfor {absent.name}"
    if signature.key.sample:  # the demo's keys: the field says what they are
        holder += "\n[sample] demonstration key, not a real signature"
    return Stamp(office, holder, f"{signature.signed_at:%d %B %Y %H:%M} UTC",
                 verification_code(signature.signature))


def sign_document(session: Session, registry: Registry, item: Item, signature: Signature,
                  passphrase: str) -> SignedDocument | None:
    """Add `signature`'s PAdES signature to its version's PDF, with the holder's
    certificate for that office; None (nothing done) when they have none."""
    key = session.get_one(SigningKey, signature.key_id)
    # A substitute signs with the certificate of their own office; the field says "for".
    office = None if signature.acting_for is not None else signature.office
    certificate = holder_certificate(session, key, signature.party, office, signature.signed_at)
    if certificate is None or certificate.private_key is None:
        return None
    private = decrypt(certificate.private_key, passphrase,
                      f"{signature.officer.username}'s certificate key")
    document = signed_document(session, item, signature.version)
    if document is None:
        pdf = render_pdf(base_data(item, signature.version), registry, signature_page=True)
        document = SignedDocument(item_id=item.id, version=signature.version, signatures=0, pdf=pdf,
                                  updated_at=signature.signed_at)
        session.add(document)
    if document.signatures >= SLOTS:
        raise InvalidForm(f"{item.reference} has {SLOTS} PDF signatures already, as many as its "
                          "signatures page holds", problems=[("signature", "no room")])
    ca = authority(session, signature.party)
    stamp = stamp_for(registry, signature, signature.acting_for)
    reason = (f"Signed as {stamp.office} ({signature.party})"
              + (f" for {signature.acting_for.name}, who was away" if signature.acting_for else "")
              + f"; Manzoori verification code {stamp.code}")
    try:
        document.pdf = sign_pdf(document.pdf, document.signatures, private, certificate.pem, ca.pem,
                                stamp, reason=reason, location=registry.party(signature.party).identity.name_en,
                                name=signature.holder, signed_at=signature.signed_at)
    except (SigningError, InvalidCertificateError, TimestampRequestError) as error:
        # The engine's signature is not recorded either: the action changes nothing.
        raise NotAllowed(f"{signature.officer.username}'s certificate {certificate.serial} cannot sign "
                         f"the PDF ({error}); nothing was signed") from None
    document.signatures += 1
    document.updated_at = signature.signed_at
    return document


def _box(slot: int) -> tuple[int, int, int, int]:
    # A4 is 595 x 842 pt; the page's 2 cm margins and heading leave the area below.
    top = 690 - slot * 70
    return 57, top - 64, 538, top


class _SignerAt(signers.PdfSigner):
    """pyHanko's PDF signer, claiming the moment the engine recorded for the signature (its
    /M and the CMS signing time) instead of the clock's: the demo replays past signatures."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.signing_time
        return session


def timestamper() -> timestamps.TimeStamper | None:
    url = os.environ.get(TSA_URL)
    return timestamps.HTTPTimeStamper(url) if url else None


def sign_pdf(pdf: bytes, slot: int, private: Any, certificate_pem: str, ca_pem: str, stamp: Stamp, *,
             reason: str, location: str, name: str, signed_at: datetime | None = None,
             stamper: timestamps.TimeStamper | None = None) -> bytes:
    """`pdf` with one more PAdES signature, in a new visible field at `slot` of its last
    page: an incremental update, so the signatures before it stay valid."""
    signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(certificate_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(ca_pem)]),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    field_name = FIELD.format(slot + 1)
    moment = signed_at or datetime.now(UTC)
    if moment.tzinfo is None:  # the engine keeps UTC without a zone
        moment = moment.replace(tzinfo=UTC)
    pdf_signer = _SignerAt(
        signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256",
                                     signer_key_usage={"digital_signature", "non_repudiation"},
                                     subfilter=fields.SigSeedSubFilter.PADES,
                                     reason=reason, location=location, name=name),
        signer=signer, timestamper=stamper or timestamper(), stamp_style=_STAMP,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=-1, box=_box(slot)),
        signing_time=moment,
    )
    output = BytesIO()
    finish(pdf_signer.async_sign_pdf(writer, output=output, appearance_text_params=stamp.params()))
    return output.getvalue()


def finish(work: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines to its end from synchronous code. pyHanko's own sync
    wrappers call `asyncio.run`, which refuses to start inside a thread whose event loop is
    running (a caller that is itself async, or a loop some library left running); then the
    coroutine runs on a loop of its own in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="manzoori-pades") as pool:
        return pool.submit(asyncio.run, work).result()


def _asn1_certificate(pem: str) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def travelling_pdf(session: Session, item: Item) -> bytes | None:
    """The PDF with PAdES signatures of `item`'s latest submitted version, when every
    signature on it is there as a PDF signature; else None (the engine's PDF serves)."""
    document = latest_signed_document(session, item)
    if document is None:
        return None
    signed = sum(1 for s in item.signatures if s.version == document.version)
    return document.pdf if document.signatures == signed else None
