"""What arrived, checked with tools that are not the agent's: `gpg` as the recipient for PGP
copies, the portal link (as a browser would open it) for portal copies, and a scan for every
PHI value of the original in what went over the wire.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from dataclasses import dataclass
from typing import Any

from agent.demo_world import Received, Recipient, SmtpSink
from agent.intake import parse
from agent.policy.inspect import inspect
from agent.protect.portal import b64url_decode, unseal


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def phi_values(raw: bytes) -> list[str]:
    """The identifier values a detector finds in the original, to look for in what arrived."""
    message = parse(raw).message
    values = set()
    for part in message.walk():
        if part.is_multipart():
            continue
        text = part.get_content() if part.get_content_maintype() == "text" else ""
        for finding in inspect(_single(text)):
            values.add(text[finding.start : finding.end])
    return sorted(v for v in values if len(v) >= 5)


def _single(text: str):
    from email.message import EmailMessage

    m = EmailMessage()
    m.set_content(text)
    return m


def body_lines(raw: bytes) -> list[str]:
    body = parse(raw).message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return [line.strip() for line in text.splitlines() if len(line.strip()) >= 24]


def gpg_decrypt(recipient: Recipient, received: Received) -> tuple[str, bool]:
    """Plain gpg as the recipient: the text, and whether the sender's signature is good."""
    encrypted = next(p for p in received.message.walk() if p.get_content_type() == "application/octet-stream")
    armored = encrypted.get_payload(decode=True)
    result = subprocess.run(
        ["gpg", "--homedir", str(recipient.home), "--batch", "--quiet", "--status-fd", "2", "--decrypt"],
        input=armored,
        capture_output=True,
        check=False,
    )
    status = result.stderr.decode(errors="replace")
    if "[GNUPG:] DECRYPTION_OKAY" not in status:
        raise RuntimeError(f"gpg --decrypt failed: {status[-200:]}")
    return result.stdout.decode("utf-8", "replace"), "[GNUPG:] GOODSIG" in status


def open_portal_link(received: Received, sink: SmtpSink) -> dict:
    """What the recipient does: open the link, ask for a code, read it in their mailbox (the
    sink), type it, and decrypt with the key in the fragment, as the page's script does."""
    text = received.message.get_body(("plain",)).get_content()
    link = re.search(r"(https?://\S+/m/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]+))", text)
    if not link:
        raise RuntimeError("no portal link in the notice")
    url, portal_id, key = link.groups()
    api = f"{url.split('/m/')[0]}/api/v1/messages/{portal_id}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def post(path: str, body: dict) -> None:
        request = urllib.request.Request(
            f"{api}{path}", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        opener.open(request, timeout=10).read()

    before = len(sink.received)
    post("/code", {})
    if not sink.wait_for(before + 1, timeout=20):
        raise RuntimeError("the one-time code never arrived")
    mail = next(r for r in sink.received[before:] if received.recipients[0] in r.recipients)
    code = re.search(r"Your code is (\d{6})", mail.message.get_body(("plain",)).get_content())
    if not code:
        raise RuntimeError("no code in the code e-mail")
    post("/session", {"code": code.group(1)})
    with opener.open(f"{api}/blob", timeout=10) as response:
        blob = response.read()
    return unseal(b64url_decode(key), blob, portal_id)


def verify(results: list[dict[str, Any]], sink: SmtpSink, partner: Recipient, running) -> list[Check]:
    """Each delivered copy as its recipient gets it, the held message, and the audit log."""
    checks: list[Check] = []
    for result in results:
        raw = result.pop("raw")
        values = phi_values(raw)
        lines = body_lines(raw)
        for rcpt in result["recipients"]:
            if rcpt["state"] != "delivered":
                continue
            copy = sink.by_reply(rcpt["proof"].get("reply", ""))
            if copy is None or rcpt["address"] not in copy.recipients:
                checks.append(Check(f"{result['file']} → {rcpt['address']}", False, "nothing arrived"))
                continue
            method = rcpt["method"]
            name = f"{result['file']} → {rcpt['address']} ({method})"
            if method == "pgp":
                leaked = [v for v in values if v.encode() in copy.data]
                try:
                    plain, signed = gpg_decrypt(partner, copy)
                    same = all(line in plain for line in lines)
                    detail = (
                        f"gpg --decrypt as the recipient gives back the original text ({len(lines)} lines compared), "
                        f"{'good signature from the clinic' if signed else 'SIGNATURE NOT GOOD'}; "
                        f"{len(values)} PHI values, {len(leaked)} in clear on the wire"
                    )
                    checks.append(Check(name, same and signed and not leaked, detail))
                except RuntimeError as exc:
                    checks.append(Check(name, False, str(exc)))
            elif method == "portal":
                leaked = [v for v in values if v.encode() in copy.data]
                body_leak = [line for line in lines if line.encode() in copy.data]
                try:
                    document = open_portal_link(copy, sink)
                    same = all(line in document["text"] for line in lines)
                    detail = (
                        f"notice holds {len(body_leak)} body lines and {len(leaked)} PHI values; "
                        f"the link's key decrypts the portal copy to the original text"
                    )
                    checks.append(Check(name, same and not leaked and not body_leak, detail))
                except (RuntimeError, OSError, ValueError) as exc:
                    checks.append(Check(name, False, f"portal link did not open: {exc}"))
            elif method == "tls":
                proof = rcpt["proof"]
                ok = copy.tls and bool(proof.get("tls_peer"))
                checks.append(
                    Check(
                        name,
                        ok,
                        f"sent over {proof.get('tls_version')} {proof.get('tls_cipher')}, "
                        f"certificate verified for {proof.get('tls_peer') or 'nobody'}",
                    )
                )
            elif method == "internal":
                checks.append(Check(name, True, "internal recipient: handed to the organization's relay"))
    held = [r for r in results if r["state"] == "held"]
    checks.append(
        Check(
            "policy holds the message with an SSN",
            bool(held),
            "; ".join(f"{r['file']}: {r['reason']}" for r in held) or "nothing was held",
        )
    )
    verify = running.agent.audit.verify()
    checks.append(
        Check(
            "audit log",
            verify.ok,
            f"{verify.records} records, hash chain and signed head verified" if verify.ok else verify.problem,
        )
    )
    return checks
