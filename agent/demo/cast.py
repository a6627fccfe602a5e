"""Who and what the demo sends: the clinic's domain, the recipients (a partner with an
OpenPGP key, a patient whose key expired, a billing firm reached over verified TLS), and the
sample messages in `assets/samples/`.
"""

from __future__ import annotations

from pathlib import Path

ORG = "valleyclinic.example"
PARTNER = "referrals@lakesidecardiology.example"  # has an OpenPGP key
PATIENT = "maria.gonzalez@mailbox.example"  # her key expired: she gets the portal
TLS_DOMAIN = "harborbilling.example"  # reached over enforced, verified TLS


def samples_dir() -> Path:
    """`assets/samples` beside the `agent` package (a bundle keeps it there, postseal.spec)."""
    return Path(__file__).resolve().parents[2] / "assets" / "samples"
