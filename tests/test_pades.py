"""PDFs that any PDF reader validates: each province runs a certificate authority, its
signatories get X.509 certificates, and `manzoori render --format pdf` gives a PDF with
one PAdES signature per signatory, checked by pyHanko's validator (`manzoori verify
--document`) and by poppler's `pdfsig`, an independent implementation on NSS."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from engine.core.certificates import decrypt
from engine.core.pades import Stamp, sign_pdf
from tests.conftest import Manzoori, copy_home
from tests.test_absences import CONVENER, STAND_IN, TODAY, away, in_approval
from tests.test_invariants import refused
from tests.test_trust import SIGNERS, sign_letter_of_intent

# The signed Letter of Intent is made once and copied as an SQLite file; on PostgreSQL the
# signed PDF is stored and checked through the demo (tests/test_demo.py).
pytestmark = pytest.mark.sqlite_only

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
CA_PASSPHRASE = "ca passphrase for tests"


def ca_passphrase_file(manzoori: Manzoori) -> str:
    path = manzoori.home / "ca-passphrase"
    if not path.exists():
        path.write_text(CA_PASSPHRASE + "\n")
    return str(path)


def certify(manzoori: Manzoori, signers: dict[str, str]) -> None:
    """A CA for each party and a certificate for each signatory, as a province's IT cell
    would make them."""
    for party, officer in signers.items():
        if not manzoori.query("SELECT 1 FROM certificates WHERE party = :p AND office IS NULL", p=party):
            manzoori("ca", "init", "--party", party, "--ca-passphrase-file", ca_passphrase_file(manzoori),
                     "-o", str(manzoori.home / f"{party}-ca.pem"))
        manzoori("ca", "issue", "--party", party, "--as", officer,
                 "--ca-passphrase-file", ca_passphrase_file(manzoori),
                 "--passphrase-file", str(manzoori.home / "sample-passphrase"))


@pytest.fixture(scope="module")
def pades_home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("pades")
    copy_home(seeded_home, home)
    monkeypatch = pytest.MonkeyPatch()
    try:
        manzoori = Manzoori(home, monkeypatch)
        certify(manzoori, SIGNERS)
        return home, sign_letter_of_intent(manzoori)
    finally:
        monkeypatch.undo()


@pytest.fixture
def signed(pades_home: tuple[Path, str], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Manzoori, str]:
    home = tmp_path / "home"
    home.mkdir()
    copy_home(pades_home[0], home)
    for name in ("ca-passphrase", "punjab-ca.pem", "balochistan-ca.pem"):
        shutil.copy(pades_home[0] / name, home / name)
    return Manzoori(home, monkeypatch), pades_home[1]


def pdfsig(path: Path, manzoori: Manzoori, parties: tuple[str, ...] = tuple(SIGNERS)) -> str:
    """pdfsig's report, with the parties' CA certificates trusted in an NSS database of the
    test's own (certutil, from libnss3-tools)."""
    nss = manzoori.home / "nss"
    if not nss.exists():
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        for party in parties:
            subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", f"{party} CA", "-t", "C,C,C",
                            "-i", str(manzoori.home / f"{party}-ca.pem")], check=True)
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True)
    return done.stdout + done.stderr


def test_the_letter_of_intent_carries_both_provinces_pades_signatures(signed: tuple[Manzoori, str]) -> None:
    manzoori, reference = signed
    pdf = manzoori.home / "loi.pdf"
    manzoori("render", reference, "--format", "pdf", "-o", str(pdf))
    told = manzoori("verify", "--document", str(pdf))
    assert "loi.pdf: intact" in told.stdout, told.output
    report = pdfsig(pdf, manzoori)
    print(report)
    assert report.count("Signature is Valid") == 2, report
    assert report.count("Certificate is Trusted") == 2, report
    assert "Total document signed" in report
    (image,) = page_images(pdf, "pades-letter-of-intent-signatures")
    assert image.stat().st_size > 10_000


def page_images(pdf: Path, name: str) -> list[Path]:
    """The PDF's last page (its signature fields) as a PNG in test-output/, to look at."""
    OUTPUT.mkdir(exist_ok=True)
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    last = next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", last, "-l", last, "-singlefile", str(pdf),
                    str(OUTPUT / name)], check=True)
    return [OUTPUT / f"{name}.png"]


def rendered(manzoori: Manzoori, reference: str, name: str = "loi.pdf") -> Path:
    pdf = manzoori.home / name
    manzoori("render", reference, "--format", "pdf", "-o", str(pdf))
    return pdf


def failed_verification(manzoori: Manzoori, *args: str) -> str:
    told = manzoori("verify", "--document", *args, expect=8)
    assert "Traceback" not in told.output
    return told.stdout


def test_a_byte_changed_after_signing_is_reported_by_both_validators(signed: tuple[Manzoori, str]) -> None:
    manzoori, reference = signed
    pdf = rendered(manzoori, reference)
    raw = bytearray(pdf.read_bytes())
    at = raw.index(b"stream\n") + 20  # inside the first page's content, which both signatures cover
    raw[at] ^= 0x01
    pdf.write_bytes(bytes(raw))
    found = failed_verification(manzoori, str(pdf))
    for field in ("Signature1", "Signature2"):
        assert f"PDF signature {field}: content: the bytes this signature covers were changed" in found
    assert f"from byte {at} on" in found  # revision 0 no longer renders from its data
    report = pdfsig(pdf, manzoori)
    assert report.count("Signature Validation: Digest Mismatch") == 2, report


@pytest.mark.slow  # over 3 s: CI's slow step runs it
def test_a_revoked_key_fails_its_pdf_signature_with_the_database_and_with_the_published_crl(signed: tuple[Manzoori, str]) -> None:
    manzoori, reference = signed
    pdf = rendered(manzoori, reference)
    cas = ["--ca", str(manzoori.home / "punjab-ca.pem"), "--ca", str(manzoori.home / "balochistan-ca.pem")]
    assert "loi.pdf: intact" in manzoori("verify", "--document", str(pdf), *cas).stdout
    manzoori("keys", "revoke", "--as", SIGNERS["punjab"])
    assert "superseded" in manzoori("ca", "list", "--party", "punjab").stdout
    found = failed_verification(manzoori, str(pdf))
    assert "PDF signature Signature1: certificate: " in found and "was revoked on" in found
    assert "Signature2" not in found
    # Away from the database: the CA certificates and the CRL Punjab publishes.
    crl = manzoori.home / "punjab.crl"
    manzoori("ca", "crl", "--party", "punjab", "--ca-passphrase-file", ca_passphrase_file(manzoori),
             "-o", str(crl))
    found = failed_verification(manzoori, str(pdf), *cas, "--crl", str(crl))
    assert "Signature1: certificate: " in found and "with no timestamp" in found
    # A CRL signed by no CA given is refused, not believed.
    message = manzoori("verify", "--document", str(pdf), "--ca", str(manzoori.home / "balochistan-ca.pem"),
                       "--crl", str(crl), expect=5).stderr
    assert "punjab.crl is not signed by any CA given with --ca" in message


def test_relieving_a_holder_revokes_their_certificate_from_that_day(signed: tuple[Manzoori, str]) -> None:
    manzoori, _reference = signed
    day = TODAY + timedelta(days=3)
    manzoori("officers", "relieve", SIGNERS["balochistan"], "--office", "ps-social-welfare",
             "--on", day.isoformat())
    listed = manzoori("ca", "list", "--party", "balochistan").stdout
    assert f"{day:%Y-%m-%d} (cessationOfOperation)" in listed


def forged(manzoori: Manzoori, *, days: tuple[int, int], own_ca: bool) -> tuple[str, str, object]:
    """A certificate for the Punjab signatory, from Punjab's CA for the given days around
    today, or from a CA of nobody's; returns (certificate PEM, issuer PEM, private key)."""
    if own_ca:
        [(ca_pem, ca_private)] = manzoori.query(
            "SELECT pem, private_key FROM certificates WHERE party = 'punjab' AND office IS NULL")
        ca_key = decrypt(ca_private, CA_PASSPHRASE, "the test's CA")
        issuer = x509.load_pem_x509_certificate(ca_pem.encode()).subject
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else's CA")])
        ca_pem = (x509.CertificateBuilder().subject_name(issuer).issuer_name(issuer)
                  .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2040, 1, 1))
                  .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                  .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now()
    certificate = (x509.CertificateBuilder().issuer_name(issuer)
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Forged holder")]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now + timedelta(days=days[0]))
                   .not_valid_after(now + timedelta(days=days[1]))
                   .sign(ca_key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), ca_pem, key


@pytest.mark.slow  # over 3 s: CI's slow step runs it
def test_a_signature_outside_its_certificates_period_or_from_another_ca_fails(signed: tuple[Manzoori, str]) -> None:
    manzoori, reference = signed
    pdf = rendered(manzoori, reference)
    stamp = Stamp("Office", "Someone", "today", "CODE")
    expired, punjab_ca, key = forged(manzoori, days=(-400, -35), own_ca=True)
    late = manzoori.home / "late.pdf"
    late.write_bytes(sign_pdf(pdf.read_bytes(), 2, key, expired, punjab_ca, stamp, reason="test",
                              location="test", name="Someone"))
    found = failed_verification(manzoori, str(late))
    assert "PDF signature Signature3: certificate: " in found and "was not valid on the signing day" in found
    assert "Signature1" not in found.replace("Signature3", "")
    assert "expired" in pdfsig(late, manzoori).lower()

    stranger, other_ca, key = forged(manzoori, days=(-1, 30), own_ca=False)
    foreign = manzoori.home / "foreign.pdf"
    foreign.write_bytes(sign_pdf(pdf.read_bytes(), 2, key, stranger, other_ca, stamp, reason="test",
                                 location="test", name="Someone"))
    found = failed_verification(manzoori, str(foreign))
    assert "CN=Someone else's CA, which is not a party's CA known here" in found
    assert "Certificate issuer isn't Trusted" in pdfsig(foreign, manzoori)


def test_a_certificate_from_another_ca_or_a_wrong_passphrase_is_refused_and_changes_nothing(signed: tuple[Manzoori, str]) -> None:
    manzoori, _reference = signed
    stranger, _other_ca, key = forged(manzoori, days=(-1, 30), own_ca=False)
    (manzoori.home / "holder.pem").write_text(stranger)
    (manzoori.home / "holder.key").write_bytes(key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key file passphrase")))
    (manzoori.home / "key-passphrase").write_text("key file passphrase\n")
    message = refused(manzoori, 5, "ca", "import-holder", "--party", "punjab", "--as", SIGNERS["punjab"],
                      "--office", "pspa-vice-chair", "--certificate", str(manzoori.home / "holder.pem"),
                      "--key", str(manzoori.home / "holder.key"),
                      "--key-passphrase-file", str(manzoori.home / "key-passphrase"),
                      "--passphrase-file", str(manzoori.home / "sample-passphrase"))
    assert "the certificate was not issued by punjab's CA" in message
    (manzoori.home / "wrong").write_text("not the CA passphrase\n")
    message = refused(manzoori, 3, "ca", "issue", "--party", "punjab", "--as", SIGNERS["punjab"],
                      "--ca-passphrase-file", str(manzoori.home / "wrong"),
                      "--passphrase-file", str(manzoori.home / "sample-passphrase"))
    assert "wrong passphrase for punjab's CA key" in message
    message = refused(manzoori, 5, "ca", "init", "--party", "punjab",
                      "--ca-passphrase-file", ca_passphrase_file(manzoori))
    assert "punjab has a certificate authority already" in message
    message = refused(manzoori, 4, "ca", "init", "--party", "atlantis",
                      "--ca-passphrase-file", ca_passphrase_file(manzoori))
    assert "atlantis" in message


@pytest.mark.slow  # over 3 s: CI's slow step runs it
def test_a_work_plan_signed_by_a_substitute_says_for_in_its_pdf_signature(manzoori: Manzoori) -> None:
    certify(manzoori, {"punjab": STAND_IN})
    reference = in_approval(manzoori)
    away(manzoori, CONVENER, STAND_IN, TODAY, TODAY + timedelta(days=6))
    manzoori.act(reference, "approve", STAND_IN)
    manzoori.act(reference, "sign", STAND_IN)
    pdf = rendered(manzoori, reference, "work-plan.pdf")
    assert "work-plan.pdf: intact" in manzoori("verify", "--document", str(pdf)).stdout
    with pdf.open("rb") as handle:
        [signature] = PdfFileReader(handle).embedded_signatures
        reason = str(signature.sig_object["/Reason"])
    assert "Signed as Convener, Women Parliamentary Caucus" in reason and ", who was away" in reason
    report = pdfsig(pdf, manzoori, ("punjab",))
    assert "Signature is Valid" in report and "Certificate is Trusted" in report, report
    page_images(pdf, "pades-work-plan-substitute-signature")


@pytest.fixture
def local_tsa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The local timestamp authority, configured as the engine's and trusted by verify."""
    with serve_local_tsa(tmp_path) as (url, pem):
        monkeypatch.setenv("MANZOORI_TSA_URL", url)
        monkeypatch.setenv("MANZOORI_TSA_CA", str(pem))
        yield url


@contextmanager
def serve_local_tsa(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An RFC 3161 timestamp authority on 127.0.0.1 (pyHanko's test stamper behind a small
    HTTP server), with its certificate's PEM file; stops on leaving."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the stamper is RSA-only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local test TSA")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2040, 1, 1))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                   .sign(key, hashes.SHA256()))
    pem = tmp_path / "tsa.pem"
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            request = tsp.TimeStampReq.load(self._body())
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            if self.headers.get("Content-Length"):
                return self.rfile.read(int(self.headers["Content-Length"]))
            body = b""  # chunked, as aiohttp sends it
            while size := int(self.rfile.readline().strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return body

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", pem
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # over 3 s: CI's slow step runs it
def test_with_a_timestamp_authority_a_signature_made_before_its_revocation_stays_valid(
        manzoori: Manzoori, local_tsa: str) -> None:
    certify(manzoori, SIGNERS)
    reference = sign_letter_of_intent(manzoori)
    pdf = rendered(manzoori, reference)
    with pdf.open("rb") as handle:
        signatures = PdfFileReader(handle).embedded_signatures
        unsigned = [[attribute["type"].native for attribute in s.signed_data["signer_infos"][0]["unsigned_attrs"]]
                    for s in signatures]
    assert unsigned == [["signature_time_stamp_token"]] * 2  # PAdES B-T
    manzoori("keys", "revoke", "--as", SIGNERS["punjab"])
    assert "loi.pdf: intact" in manzoori("verify", "--document", str(pdf)).stdout
    assert "Signature is Valid" in pdfsig(pdf, manzoori)


@pytest.mark.slow  # over 3 s: CI's slow step runs it
def test_a_party_with_an_existing_ca_imports_its_certificates_and_signs_with_them(manzoori: Manzoori) -> None:
    # Punjab's existing CA (its own PKI, say), outside Manzoori: an RSA root and a certificate
    # it issued to the Convener, whose key comes as a PKCS#8 file under a passphrase.
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Punjab PKI root [sample]")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2040, 1, 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(root_key, hashes.SHA256()))
    holder_key = ec.generate_private_key(ec.SECP256R1())
    holder = (x509.CertificateBuilder().issuer_name(root_name)
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Convener [sample]")]))
              .public_key(holder_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2039, 1, 1))
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=False, crl_sign=False,
                                           encipher_only=False, decipher_only=False), critical=True)
              .sign(root_key, hashes.SHA256()))
    files = manzoori.home
    (files / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (files / "holder.pem").write_bytes(holder.public_bytes(serialization.Encoding.PEM))
    (files / "holder.key").write_bytes(holder_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key file passphrase")))
    (files / "key-passphrase").write_text("key file passphrase\n")
    manzoori("ca", "import", "--party", "punjab", "--certificate", str(files / "root.pem"))
    manzoori("ca", "import-holder", "--party", "punjab", "--as", CONVENER, "--office", "wpc-convener",
             "--certificate", str(files / "holder.pem"), "--key", str(files / "holder.key"),
             "--key-passphrase-file", str(files / "key-passphrase"),
             "--passphrase-file", str(files / "sample-passphrase"))
    # The imported key is kept re-encrypted, never as it came.
    [(kept,)] = manzoori.query("SELECT private_key FROM certificates WHERE office = 'wpc-convener'")
    assert kept.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    reference = in_approval(manzoori)
    manzoori.act(reference, "approve", CONVENER)
    manzoori.act(reference, "sign", CONVENER)
    pdf = rendered(manzoori, reference, "work-plan.pdf")
    assert "work-plan.pdf: intact" in manzoori("verify", "--document", str(pdf)).stdout
    assert "work-plan.pdf: intact" in manzoori("verify", "--document", str(pdf),
                                               "--ca", str(files / "root.pem")).stdout
    # An imported CA's CRL is that CA's to publish.
    message = manzoori("ca", "crl", "--party", "punjab", "--ca-passphrase-file", str(files / "key-passphrase"),
                       "-o", str(files / "punjab.crl"), expect=3).stderr
    assert "punjab's CA is imported: its CRL is published by that CA" in message


def test_pyhankos_work_finishes_from_inside_a_running_event_loop() -> None:
    """Signing and validating run pyHanko's coroutines; a caller whose thread already runs
    an event loop (an async caller, or a loop a library left running) must not get
    "asyncio.run() cannot be called from a running event loop"."""
    from engine.core.pades import finish

    async def answer() -> int:
        return 42

    async def caller() -> int:
        return finish(answer())

    assert finish(answer()) == 42
    # An async caller, in a thread of its own (this one's loop may be taken already).
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, caller()).result() == 42
