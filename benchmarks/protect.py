"""Protect throughput per method: 50 KB messages per second through each protector, against
the same work done by the standard tools invoked directly in the same run.

- S/MIME: SmimeProtector (sign SHA-256 + envelope AES-256-CBC, in process with
  `cryptography`) against `openssl cms -sign | openssl cms -encrypt -aes256` per message;
- OpenPGP: PgpProtector (python-gnupg, one gpg process per message, signed and encrypted to
  the recipient and the sender) against `gpg --sign --encrypt` per message;
- portal: the portal document and its AES-256-GCM seal in process (the upload is the
  portal's HTTP, measured by the pipeline benchmark) against `openssl enc -aes-256-cbc` per
  message.

Each figure is messages/s on this machine, one core, with the ratio to its baseline.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

from agent.demo_world import Recipient
from agent.keys.pgp_store import PgpStore
from agent.keys.smime_store import SmimeStore
from agent.model import Method, RecipientPlan
from agent.protect.pgp import PgpProtector
from agent.protect.portal import portal_document, seal
from agent.protect.smime import SmimeProtector
from benchmarks.figures import Figure

SENDER = "dr.chen@valleyclinic.example"
PARTNER = "referrals@lakesidecardiology.example"


def message(i: int) -> bytes:
    line = "Assessment and plan reviewed with the patient; labs to be repeated in four weeks.\n"
    body = (line * 700)[:50_000]
    return (
        f"From: {SENDER}\r\nTo: {PARTNER}\r\nSubject: Referral {i}\r\nMessage-ID: <p-{i}@valleyclinic.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nPatient MRN: VC-{i:07d}\r\n{body}"
    ).encode()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def smime(count: int, folder: Path) -> tuple[float, float]:
    from tests.smime_pki import Pki

    pki = Pki(folder / "pki")
    try:
        store = SmimeStore(folder / "home", [str(pki.ca_file)], use_system_roots=False)
        partner, me = pki.person(PARTNER, crl=False), pki.person(SENDER, crl=False)
        store.import_certificates(partner.pem())
        store.import_identity(me.p12(b"pw", pki.ca), b"pw")
        protector = SmimeProtector(store)
        plan = [RecipientPlan(PARTNER, Method.SMIME, "bench")]
        messages = [message_from_bytes(message(i), policy=policy.default) for i in range(count)]
        start = time.perf_counter()
        for m in messages:
            protector.protect(m, SENDER, plan)
        ours = rate(count, time.perf_counter() - start)
        source = folder / "m.eml"
        start = time.perf_counter()
        for i in range(count):
            source.write_bytes(message(i))
            signed = subprocess.run(
                [
                    "openssl",
                    "cms",
                    "-sign",
                    "-signer",
                    str(me.cert_file),
                    "-inkey",
                    str(me.key_file),
                    "-in",
                    str(source),
                ],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(
                ["openssl", "cms", "-encrypt", "-aes256", str(partner.cert_file), str(me.cert_file)],
                input=signed,
                capture_output=True,
                check=True,
            )
        return ours, rate(count, time.perf_counter() - start)
    finally:
        pki.close()


def pgp(count: int, folder: Path) -> tuple[float, float]:
    partner = Recipient(folder / "people", PARTNER)
    try:
        store = PgpStore(folder / "home")
        own = store.generate(SENDER)
        store.import_keys(partner.public_key())
        protector = PgpProtector(store)
        plan = [RecipientPlan(PARTNER, Method.PGP, "bench", partner.fingerprint)]
        messages = [message_from_bytes(message(i), policy=policy.default) for i in range(count)]
        start = time.perf_counter()
        for m in messages:
            protector.protect(m, SENDER, plan)
        ours = rate(count, time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(count):
            subprocess.run(
                [
                    "gpg",
                    "--homedir",
                    str(store.home),
                    "--batch",
                    "--yes",
                    "--trust-model",
                    "always",
                    "--armor",
                    "--sign",
                    "--local-user",
                    own,
                    "--encrypt",
                    "-r",
                    partner.fingerprint,
                    "-r",
                    own,
                ],
                input=message(i),
                capture_output=True,
                check=True,
            )
        baseline = rate(count, time.perf_counter() - start)
        store.close()
        return ours, baseline
    finally:
        partner.close()


def portal(count: int, folder: Path) -> tuple[float, float]:
    """In process: the document and the seal (what the protector does before its upload);
    baseline: `openssl enc -aes-256-cbc` over the message, one process per message."""
    messages = [message_from_bytes(message(i), policy=policy.default) for i in range(count)]
    start = time.perf_counter()
    for i, m in enumerate(messages):
        seal(portal_document(m), f"id{i:020d}")
    ours = rate(count, time.perf_counter() - start)
    key, iv = os.urandom(32).hex(), os.urandom(16).hex()
    start = time.perf_counter()
    for i in range(count):
        subprocess.run(
            ["openssl", "enc", "-aes-256-cbc", "-K", key, "-iv", iv], input=message(i), capture_output=True, check=True
        )
    return ours, rate(count, time.perf_counter() - start)


TARGETS = {"S/MIME": "keep ≥ 2x", "OpenPGP": "≥ 1.5x", "portal": "—"}


def figures(messages: int = 200) -> list[Figure]:
    count = max(3, min(messages, 200))
    # Throwaway homes: their keys' passphrases in files beside them, not the desktop's keyring.
    os.environ.setdefault("POSTSEAL_KEYRING", "file")
    with tempfile.TemporaryDirectory(prefix="ps-bench-", dir="/tmp") as tmp:
        folder = Path(tmp)
        rows = [
            ("S/MIME sign + envelope, 50 KB", *smime(count, folder / "smime"), "`openssl cms` sign + encrypt"),
            ("OpenPGP sign + encrypt, 50 KB", *pgp(count, folder / "pgp"), "`gpg --sign --encrypt`"),
            ("portal seal (document + AES-256-GCM), 50 KB", *portal(count, folder), "`openssl enc -aes-256-cbc`"),
        ]
    return [
        Figure(f"{name}: msg/s", ours, base, "msg/s", what, TARGETS[name.split()[0]]) for name, ours, base, what in rows
    ]


def main(messages: int = 200) -> int:
    print(f"protect throughput, {max(3, min(messages, 200))} messages of 50 KB, one core, baseline per message")
    for figure in figures(messages):
        print(figure.line())
    return 0
