"""Signing and verification rates (issue 5).

Two measures of signing, one of verification, on one SQLite database:

- *engine*: M Punjab work plans brought to signature through the engine (draft, submit,
  clear, approve), then the whole `sign` action timed on each: checks, unlocking the
  signer's key, canonical digest, Ed25519, signature row, hash-chained event, follow-up
  planning, one transaction each. Building through the engine is slow (seconds per item
  on a shared machine), so M is small.
- *signatures*: N (10,000) submitted work plans written straight through the ORM (item,
  version with its digest, draft and submit events through the engine's own
  `routing.record`), then each signed with `signatures.sign_with` (the key unlocked once,
  as by a holder signing a batch) and its `sign` event, one transaction per item: the
  signing itself without the flow's bookkeeping or a key unlock per item.
- *verify*: `verify_items` over every item (chains, version digests, signatures).

    python bench/trust_bench.py [--items 10000] [--engine-items 100] [--home DIR]

Prints the figures and writes them to bench/results/trust.json; `python -m bench --only
trust` runs it with these sizes, `--quick` with tiny ones.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PASSPHRASE, machine, seed_directory, spread, write_results  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.clock import utcnow  # noqa: E402
from engine.core import routing, signatures  # noqa: E402
from engine.core.directory import get_officer  # noqa: E402
from engine.core.items import act, draft  # noqa: E402
from engine.core.registry import Registry, registry  # noqa: E402
from engine.core.verification import verify_items  # noqa: E402
from engine.store import Item, ItemParty, Version, open_database  # noqa: E402
from tests.forms import form_for  # noqa: E402

DRAFTER, REVIEWER, SIGNER = "punjab.pdu-director", "punjab.wpc-member.1", "punjab.wpc-convener"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--engine-items", type=int, default=100)
    parser.add_argument("--home", type=Path, default=None)
    arguments = parser.parse_args()
    results = {**machine(), **run(arguments.items, arguments.engine_items, arguments.home)}
    write_results("trust", results)


def run(items: int, engine_items: int, home: Path | None = None) -> dict[str, Any]:
    """The three measures on a new SQLite database in `home` (a temporary folder, removed
    afterwards, unless given)."""
    folder = home or Path(tempfile.mkdtemp(prefix="manzoori-trust-bench-"))
    factory = open_database(f"sqlite:///{folder / 'manzoori.db'}")
    parties = registry()
    results: dict[str, Any] = {"items": items, "engine_items": engine_items}
    try:
        with factory() as session:
            seed_directory(session, parties)
            session.commit()
            results["engine"] = _engine_signing(session, parties, engine_items)
            results["signatures"] = _direct_signing(session, items)
            began = time.monotonic()
            checked = verify_items(session)
            elapsed = time.monotonic() - began
            results["verify"] = {"items": len(checked),
                                 "intact": sum(1 for _, findings in checked if not findings),
                                 "items_per_s": round(len(checked) / elapsed, 1),
                                 "total_s": round(elapsed, 1)}
    finally:
        factory.kw["bind"].dispose()
        if home is None:
            shutil.rmtree(folder, ignore_errors=True)
    results["unlock_own_key_ms"] = _unlock_cost()
    return results


def _engine_signing(session: Session, parties: Registry, count: int) -> dict[str, Any]:
    began = time.monotonic()
    references = []
    for number in range(count):
        reference = draft(session, parties, kind="work_plan", parties=["punjab"],
                          title=f"WPC Action Plan {number:05d}", form=form_for("punjab", "work_plan"),
                          officer=DRAFTER).reference
        for action, officer in (("submit", DRAFTER), ("clear", REVIEWER), ("approve", SIGNER)):
            act(session, parties, reference=reference, action=action, officer=officer)
        references.append(reference)
    built = time.monotonic() - began
    passphrase, timings = PASSPHRASE, []
    began = time.monotonic()
    for reference in references:
        once = time.perf_counter()
        act(session, parties, reference=reference, action="sign", officer=SIGNER, passphrase=passphrase)
        timings.append(time.perf_counter() - once)
    elapsed = time.monotonic() - began
    return {"build_to_signature_s": round(built), "signed": count,
            "items_per_s": round(count / elapsed, 1), "sign_action_ms": spread(timings, scale=1000, digits=1)}


def _direct_signing(session: Session, count: int) -> dict[str, Any]:
    drafter, signer = get_officer(session, DRAFTER), get_officer(session, SIGNER)
    form = form_for("punjab", "work_plan")
    began = time.monotonic()
    items = []
    for number in range(count):
        now = utcnow()
        item = Item(reference=f"BENCH-{number:06d}", kind="work_plan", title=f"Plan {number:05d}",
                    state="signature", drafting_party="punjab", drafter=drafter, flow_version=1,
                    route=[], stage=0, cycle=1, ordered_signing=False, created_at=now, updated_at=now,
                    parties=[ItemParty(party="punjab", position=0)])
        session.add(item)
        version = Version(number=1, title=item.title, form_model="PunjabWorkPlan", form=form,
                          author=drafter, created_at=now, submitted_at=now)
        item.versions.append(version)
        version.digest = routing.digest(item, version)
        routing.record(session, item, drafter, "draft", now, step="draft", party="punjab")
        routing.record(session, item, drafter, "submit", now, step="draft", party="punjab")
        items.append(item)
        if number % 500 == 499:
            session.commit()
            print(f"built {number + 1}", file=sys.stderr, flush=True)
    session.commit()
    built = time.monotonic() - began
    key = signatures.current_key(session, signer)
    private = signatures.unlock(key, PASSPHRASE)  # once, as a holder signing a batch
    timings = []
    began = time.monotonic()
    for item in items:
        once = time.perf_counter()
        now = utcnow()
        signature = signatures.sign_with(session, key, private, item, signer, "punjab", "wpc-convener", now)
        event = routing.record(session, item, signer, "sign", now, step="signature", party="punjab",
                                payload={"signature": signatures.event_copy(signature, signer.username)})
        signature.event_seq = event.seq
        session.commit()
        timings.append(time.perf_counter() - once)
        if len(timings) % 1000 == 0 and count > 1000:
            print(f"signed {len(timings)}", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - began
    return {"build_s": round(built), "signed": count, "items_per_s": round(count / elapsed, 1),
            "sign_ms": spread(timings, scale=1000, digits=2)}


def _unlock_cost() -> dict[str, float]:
    """What a holder's own key (16 bcrypt rounds) adds to each signature, unlike [sample] keys."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(signatures.KDF_ROUNDS)
        .build(b"a passphrase of ten"))
    timings = []
    for _ in range(5):
        once = time.perf_counter()
        serialization.load_ssh_private_key(pem, b"a passphrase of ten")
        timings.append(time.perf_counter() - once)
    return spread(timings, scale=1000, digits=0)


if __name__ == "__main__":
    main()
