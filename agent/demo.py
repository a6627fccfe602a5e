"""`postseal demo`: the whole product in one process, on embedded defaults.

It starts the agent (temporary POSTSEAL_HOME), an SMTP server standing in for the relay and
the internet (aiosmtpd with STARTTLS under a demo CA), the embedded portal, and recipients
with keys of their own; sends every `assets/samples/*.eml`; then checks what arrived with
tools that are not the agent's: `gpg` as the recipient for PGP copies, the portal link (as a
browser would open it) for portal copies, and a scan for every PHI value of the original.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.cli.output import END_TO_END, proof_text, table
from agent.demo_world import Received, Recipient, SmtpSink, TestCA, free_port
from agent.intake import parse
from agent.keys import gpg_tool
from agent.policy.inspect import inspect
from agent.protect.portal import b64url_decode, unseal
from agent.runtime import AgentThread

ORG = "valleyclinic.example"
PARTNER = "referrals@lakesidecardiology.example"  # has an OpenPGP key
PATIENT = "maria.gonzalez@mailbox.example"  # her key expired: she gets the portal
TLS_DOMAIN = "harborbilling.example"  # reached over enforced, verified TLS


def samples_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "assets" / "samples"
    return here


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
            values.add(text[finding.start:finding.end])
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
    result = subprocess.run(["gpg", "--homedir", str(recipient.home), "--batch", "--quiet", "--status-fd", "2",
                             "--decrypt"], input=armored, capture_output=True, check=False)
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
        request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
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


def run_demo(as_json: bool = False, serve_after: bool = False, keep: bool = False) -> int:
    """The demo's data directory holds sample patient mail and private keys: it is removed
    when the demo ends (after Ctrl-C with --serve) unless `keep` asks to look at it."""
    say = (lambda *a: None) if as_json else (lambda *a: print(*a, flush=True))
    gpg_tool.require()  # the recipients' keyrings and the agent both need GnuPG
    # In the system's temporary folder, unless that is deep (macOS's is ~49 characters): the
    # demo's gpg homes keep their sockets inside, and a socket path has at most 103 bytes.
    base = tempfile.gettempdir()
    home = Path(tempfile.mkdtemp(prefix="postseal-demo-",
                                 dir="/tmp" if len(base) > 24 and os.path.isdir("/tmp") else None))
    try:
        return _run(home, as_json, serve_after, keep, say)
    finally:
        _clean_up(home, keep, as_json)


def _clean_up(home: Path, keep: bool, as_json: bool) -> None:
    tell = sys.stderr if as_json else sys.stdout
    if keep:
        print(f"Demo data kept in {home} (sample patient mail and keys): remove it when done.", file=tell)
        return
    problems: list[str] = []
    if sys.version_info >= (3, 12):
        shutil.rmtree(home, onexc=lambda _f, path, exc: problems.append(f"{path}: {exc}"))
    else:  # onerror: the same hook before 3.12, given sys.exc_info()
        shutil.rmtree(home, onerror=lambda _f, path, info: problems.append(f"{path}: {info[1]}"))
    if problems:
        print(f"postseal: demo data in {home} could not all be removed ({problems[0]}); remove it by hand",
              file=sys.stderr)


def _run(home: Path, as_json: bool, serve_after: bool, keep: bool, say) -> int:
    say(f"Postseal demo — data directory {home}" + ("" if keep else " (removed at the end; --keep keeps it)"))
    ca = TestCA(home / "world" / "ca")
    people = home / "world" / "people"
    partner = Recipient(people, PARTNER)
    # A key that was valid for one day in 2024: routing must notice and choose the portal.
    patient = Recipient(people, PATIENT, faked_time="20240101T000000", expire="1d")
    sink = SmtpSink(ca)
    config = config_mod.from_dict({
        "organization": {"name": "Valley Family Clinic", "internal_domains": [ORG]},
        "relay": {"host": "127.0.0.1", "port": sink.port, "starttls": "opportunistic", "ca_file": str(ca.ca_file)},
        "tls": {"required_domains": [TLS_DOMAIN]},
        # The demo's portal runs on this computer: a trial, said so (readiness.py), not held.
        "portal": {"url": f"http://127.0.0.1:{free_port()}", "allow_test_url": True},
        "ingress": {"smtp_port": 0, "addin_port": 0},
        # A throwaway data directory: its keys go to files in it, never into the OS keyring.
        "secrets": {"backend": "file"},
    })
    (home / "config.toml").write_text(config_mod.to_toml(config))
    agent = AgentThread(home, config)
    with sink:
        try:
            running = agent.start()
            say(f"agent API {running.api_url} · portal {running.portal_url} · relay/internet 127.0.0.1:{sink.port} (STARTTLS)")
            store = running.agent.pgp
            own = store.generate("dr.chen@valleyclinic.example", "Dr. Emily Chen")
            partner.gpg.import_keys(store.export_public(own))  # the partner has the clinic's key, as in life
            store.import_keys(partner.public_key())
            store.import_keys(patient.public_key())
            client = AgentClient(running.api_url, running.token)
            results = _send_all(client, say)
            checks = _verify(results, sink, partner, running)
            report = {"home": str(home), "kept": keep, "messages": results, "checks": [c.to_json() for c in checks]}
            if as_json:
                print(json.dumps(report, indent=2), flush=True)
            else:
                _print_report(results, checks)
            if serve_after:
                _serve(home, running, client, results, sink, as_json)
        finally:
            agent.stop()
            partner.close()
            patient.close()
    return 0 if all(c.ok for c in checks) else 1


def _serve(home: Path, running, client: AgentClient, results: list[dict[str, Any]], sink: SmtpSink,
           as_json: bool) -> None:
    """Keep the agent and portal up, print each portal link whole and every one-time code the
    demo mailbox (the sink) receives, so the portal can be tried in a browser at once."""
    tell = (lambda text: print(text, file=sys.stderr, flush=True)) if as_json else \
        (lambda text: print(text, flush=True))
    tell(f"\nServing: agent API {running.api_url} (token in {home / 'api-token'}), portal {running.portal_url}.")
    # The checks above opened every portal copy with a code, and the portal sends no second
    # code for a message within a minute (its guard against code flooding): fresh copies for
    # the person at the browser, so the first "send me a code" works at once.
    links = portal_links(_send_fresh_portal_copies(client, results), sink)
    if links:
        tell("Open a portal link in a browser, ask for a code, and it appears here:")
        for address, url in links:
            tell(f"  {address}: {url}")
    tell("Press Ctrl-C to stop.")
    seen = len(sink.received)
    try:
        while True:
            if not sink.wait_for(seen + 1, timeout=3600):
                continue
            for mail in sink.received[seen:]:
                code = _code_in(mail)
                if code:
                    tell(f"one-time code for {', '.join(mail.recipients)}: {code}")
            seen = len(sink.received)
    except KeyboardInterrupt:
        tell("stopping")


def _send_fresh_portal_copies(client: AgentClient, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each sample that went to someone via the portal, again, to those recipients only, under
    a new Message-ID (the same one would be recognised and not sent again)."""
    from email import policy
    from email.parser import BytesParser
    from email.utils import make_msgid

    fresh = []
    for result in results:
        portal = [r["address"] for r in result["recipients"] if r["method"] == "portal" and r["state"] == "delivered"]
        if not portal:
            continue
        message = BytesParser(policy=policy.default).parsebytes((samples_dir() / result["file"]).read_bytes())
        for header in ("To", "Cc", "Bcc", "Message-ID"):
            del message[header]
        message["To"] = ", ".join(portal)
        message["Message-ID"] = make_msgid(domain=ORG)
        ident = client.submit(message.as_bytes()).id
        fresh.append(client.wait(ident, timeout=60))
    return fresh


def portal_links(results: list[dict[str, Any]], sink: SmtpSink) -> list[tuple[str, str]]:
    """The link in each delivered portal notice, key fragment and all."""
    links = []
    for result in results:
        for rcpt in result["recipients"]:
            copy = sink.by_reply(rcpt["proof"].get("reply", "")) if rcpt["method"] == "portal" else None
            body = copy.message.get_body(("plain",)) if copy is not None else None
            found = re.search(r"https?://\S+/m/[A-Za-z0-9_-]+#[A-Za-z0-9_-]+", body.get_content()) if body else None
            if found:
                links.append((rcpt["address"], found.group(0)))
    return links


def _code_in(mail: Received) -> str:
    body = mail.message.get_body(("plain",))
    found = re.search(r"Your code is (\d{6})", body.get_content()) if body is not None else None
    return found.group(1) if found else ""


def _send_all(client: AgentClient, say) -> list[dict[str, Any]]:
    results = []
    files = sorted(samples_dir().glob("*.eml"))
    say(f"sending {len(files)} sample messages through the agent…")
    for path in files:
        raw = path.read_bytes()
        submission = client.submit(raw)
        results.append({"file": path.name, "id": submission.id, "raw": raw})
    for result in results:
        record = client.wait(result["id"], timeout=60)
        result.update(state=record["state"], reason=record["reason"], recipients=record["recipients"],
                      plan=record["plan"])
    return results


def _verify(results: list[dict[str, Any]], sink: SmtpSink, partner: Recipient, running) -> list[Check]:
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
                    detail = (f"gpg --decrypt as the recipient gives back the original text ({len(lines)} lines compared), "
                              f"{'good signature from the clinic' if signed else 'SIGNATURE NOT GOOD'}; "
                              f"{len(values)} PHI values, {len(leaked)} in clear on the wire")
                    checks.append(Check(name, same and signed and not leaked, detail))
                except RuntimeError as exc:
                    checks.append(Check(name, False, str(exc)))
            elif method == "portal":
                leaked = [v for v in values if v.encode() in copy.data]
                body_leak = [line for line in lines if line.encode() in copy.data]
                try:
                    document = open_portal_link(copy, sink)
                    same = all(line in document["text"] for line in lines)
                    detail = (f"notice holds {len(body_leak)} body lines and {len(leaked)} PHI values; "
                              f"the link's key decrypts the portal copy to the original text")
                    checks.append(Check(name, same and not leaked and not body_leak, detail))
                except (RuntimeError, OSError, ValueError) as exc:
                    checks.append(Check(name, False, f"portal link did not open: {exc}"))
            elif method == "tls":
                proof = rcpt["proof"]
                ok = copy.tls and bool(proof.get("tls_peer"))
                checks.append(Check(name, ok, f"sent over {proof.get('tls_version')} {proof.get('tls_cipher')}, "
                                              f"certificate verified for {proof.get('tls_peer') or 'nobody'}"))
            elif method == "internal":
                checks.append(Check(name, True, "internal recipient: handed to the organization's relay"))
    held = [r for r in results if r["state"] == "held"]
    checks.append(Check("policy holds the message with an SSN", bool(held),
                        "; ".join(f"{r['file']}: {r['reason']}" for r in held) or "nothing was held"))
    verify = running.agent.audit.verify()
    checks.append(Check("audit log", verify.ok, f"{verify.records} records, hash chain and signed head verified"
                        if verify.ok else verify.problem))
    return checks


def _print_report(results: list[dict[str, Any]], checks: list[Check]) -> None:
    rows = []
    for result in results:
        for rcpt in result["recipients"]:
            detail = rcpt["reason"] if rcpt["state"] != "delivered" else proof_text(rcpt["proof"], rcpt["method"])
            rows.append([result["file"], rcpt["address"], rcpt["method"], rcpt["state"], detail])
    print()
    print(table(rows, ["message", "recipient", "method", "state", "proof / reason"]))
    if any(rcpt["method"] in END_TO_END and rcpt["proof"].get("tls_version") and not rcpt["proof"].get("tls_peer")
           for result in results for rcpt in result["recipients"]):
        print("\n\"unverified\" on a pgp or portal row is the hop to the relay, whose certificate is not checked "
              "for such copies: their content is end-to-end encrypted (or only a link), so that hop's TLS is an "
              "extra layer, not the protection. Only a tls row relies on verified TLS.")
    notes = [(r["address"], s) for res in results for r in res["plan"]["recipients"] for s in r["skipped"]
             if not s.endswith("no key for this address") and "not known to enforce" not in s]
    if notes:
        print("\nWhy a stronger method was not used:")
        for address, note in notes:
            print(f"  {address}: {note}")
    print("\nWhat arrived, checked with tools that are not the agent's:")
    for check in checks:
        print(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed.", file=sys.stdout)
