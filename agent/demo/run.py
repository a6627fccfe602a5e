"""`postseal demo` from start to end: the whole product in one process, on embedded defaults.

It starts the agent (temporary POSTSEAL_HOME), an SMTP server standing in for the relay and
the internet (aiosmtpd with STARTTLS under a demo CA), the embedded portal, and recipients
with keys of their own; sends every `assets/samples/*.eml`; then checks what arrived with
tools that are not the agent's (checks.py) and prints the table and those checks.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.api.client import AgentClient
from agent.cli.output import END_TO_END, proof_text, table
from agent.demo.cast import ORG, PARTNER, PATIENT, TLS_DOMAIN, samples_dir
from agent.demo.checks import Check, verify
from agent.demo.serve import serve
from agent.demo_world import Recipient, SmtpSink, TestCA, free_port
from agent.keys import gpg_tool
from agent.runtime import AgentThread


def run_demo(as_json: bool = False, serve_after: bool = False, keep: bool = False) -> int:
    """The demo's data directory holds sample patient mail and private keys: it is removed
    when the demo ends (after Ctrl-C with --serve) unless `keep` asks to look at it."""
    say = (lambda *a: None) if as_json else (lambda *a: print(*a, flush=True))
    gpg_tool.require()  # the recipients' keyrings and the agent both need GnuPG
    # In the system's temporary folder, unless that is deep (macOS's is ~49 characters): the
    # demo's gpg homes keep their sockets inside, and a socket path has at most 103 bytes.
    base = tempfile.gettempdir()
    home = Path(
        tempfile.mkdtemp(prefix="postseal-demo-", dir="/tmp" if len(base) > 24 and os.path.isdir("/tmp") else None)
    )
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
        print(
            f"postseal: demo data in {home} could not all be removed ({problems[0]}); remove it by hand",
            file=sys.stderr,
        )


def _run(home: Path, as_json: bool, serve_after: bool, keep: bool, say) -> int:
    say(f"Postseal demo — data directory {home}" + ("" if keep else " (removed at the end; --keep keeps it)"))
    ca = TestCA(home / "world" / "ca")
    people = home / "world" / "people"
    partner = Recipient(people, PARTNER)
    # A key that was valid for one day in 2024: routing must notice and choose the portal.
    patient = Recipient(people, PATIENT, faked_time="20240101T000000", expire="1d")
    sink = SmtpSink(ca)
    config = config_mod.from_dict(
        {
            "organization": {"name": "Valley Family Clinic", "internal_domains": [ORG]},
            "relay": {"host": "127.0.0.1", "port": sink.port, "starttls": "opportunistic", "ca_file": str(ca.ca_file)},
            "tls": {"required_domains": [TLS_DOMAIN]},
            # The demo's portal runs on this computer: a trial, said so (readiness.py), not held.
            "portal": {"url": f"http://127.0.0.1:{free_port()}", "allow_test_url": True},
            "ingress": {"smtp_port": 0, "addin_port": 0},
            # A throwaway data directory: its keys go to files in it, never into the OS keyring.
            "secrets": {"backend": "file"},
        }
    )
    (home / "config.toml").write_text(config_mod.to_toml(config))
    agent = AgentThread(home, config)
    with sink:
        try:
            running = agent.start()
            say(
                f"agent API {running.api_url} · portal {running.portal_url} · relay/internet 127.0.0.1:{sink.port} (STARTTLS)"
            )
            store = running.agent.pgp
            own = store.generate("dr.chen@valleyclinic.example", "Dr. Emily Chen")
            partner.gpg.import_keys(store.export_public(own))  # the partner has the clinic's key, as in life
            store.import_keys(partner.public_key())
            store.import_keys(patient.public_key())
            client = AgentClient(running.api_url, running.token)
            results = _send_all(client, say)
            checks = verify(results, sink, partner, running)
            report = {"home": str(home), "kept": keep, "messages": results, "checks": [c.to_json() for c in checks]}
            if as_json:
                print(json.dumps(report, indent=2), flush=True)
            else:
                _print_report(results, checks)
            if serve_after:
                serve(home, running, client, results, sink, as_json)
        finally:
            agent.stop()
            partner.close()
            patient.close()
    return 0 if all(c.ok for c in checks) else 1


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
        result.update(
            state=record["state"], reason=record["reason"], recipients=record["recipients"], plan=record["plan"]
        )
    return results


def _print_report(results: list[dict[str, Any]], checks: list[Check]) -> None:
    rows = []
    for result in results:
        for rcpt in result["recipients"]:
            detail = rcpt["reason"] if rcpt["state"] != "delivered" else proof_text(rcpt["proof"], rcpt["method"])
            rows.append([result["file"], rcpt["address"], rcpt["method"], rcpt["state"], detail])
    print()
    print(table(rows, ["message", "recipient", "method", "state", "proof / reason"]))
    if any(
        rcpt["method"] in END_TO_END and rcpt["proof"].get("tls_version") and not rcpt["proof"].get("tls_peer")
        for result in results
        for rcpt in result["recipients"]
    ):
        print(
            '\n"unverified" on a pgp or portal row is the hop to the relay, whose certificate is not checked '
            "for such copies: their content is end-to-end encrypted (or only a link), so that hop's TLS is an "
            "extra layer, not the protection. Only a tls row relies on verified TLS."
        )
    notes = [
        (r["address"], s)
        for res in results
        for r in res["plan"]["recipients"]
        for s in r["skipped"]
        if not s.endswith("no key for this address") and "not known to enforce" not in s
    ]
    if notes:
        print("\nWhy a stronger method was not used:")
        for address, note in notes:
            print(f"  {address}: {note}")
    print("\nWhat arrived, checked with tools that are not the agent's:")
    for check in checks:
        print(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed.", file=sys.stdout)
