"""PDFs that any PDF reader validates: each province runs a certificate authority, its
signatories get X.509 certificates, and `manzoori render --format pdf` gives a PDF with
one PAdES signature per signatory, checked by pyHanko's validator (`manzoori verify
--document`) and by poppler's `pdfsig`, an independent implementation on NSS."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import Manzoori, copy_home
from tests.test_trust import SIGNERS, sign_letter_of_intent

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


def pdfsig(path: Path, manzoori: Manzoori) -> str:
    """pdfsig's report, with the parties' CA certificates trusted in an NSS database of the
    test's own (certutil, from libnss3-tools)."""
    nss = manzoori.home / "nss"
    if not nss.exists():
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        for party in SIGNERS:
            subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", f"{party} CA", "-t", "C,C,C",
                            "-i", str(manzoori.home / f"{party}-ca.pem")], check=True)
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True)
    return done.stdout + done.stderr


def test_the_letter_of_intent_carries_both_provinces_pades_signatures(signed) -> None:
    manzoori, reference = signed
    pdf = manzoori.home / "loi.pdf"
    manzoori("render", reference, "--format", "pdf", "-o", str(pdf))
    told = manzoori("verify", "--document", str(pdf))
    assert "loi.pdf: intact" in told.stdout, told.output
    report = pdfsig(pdf, manzoori)
    print(report)
    assert report.count("Signature is Valid") == 2, report
