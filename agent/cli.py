"""The `postseal` command: a thin front end over the agent and its local API.

Over 400 lines because it still holds every command group's argparse wiring and handlers in
one file; DESIGN.md's `cli/` package, one module per command group, is issue 21's split (the
newer groups already live beside it: cli_admin.py, cli_keys.py, cli_audit.py, config_check.py).

Exit codes (DESIGN.md): 0 ok · 2 bad input · 3 held or blocked by policy · 4 agent not
reachable · 1 anything else. With --json, stdout carries exactly one JSON document.
Errors are one line on stderr: what, where, and what to do — never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import sys
import time
from pathlib import Path

from agent import cli_admin, cli_audit, cli_keys, config_check, first_run
from agent import config as config_mod
from agent.api.client import AgentClient, AgentUnreachable, ApiError
from agent.audit import AuditLog
from agent.cli_errors import BAD_INPUT, FAILED, HELD, OK, UNREACHABLE, CliError, read_file
from agent.cli_output import emit, message_table, outbox_table, shorten, table
from agent.intake import BadMessage
from agent.keys.gpg_tool import GpgMissing
from agent.keys.pgp_store import PgpError, PgpStore
from agent.policy.rules import RulesError, load_rules
from agent.secret_store import SecretsUnavailable
from agent.store_migrations import DataVersionError


def exit_for_state(state: str) -> int:
    return {"delivered": OK, "held": HELD, "failed": FAILED}.get(state, OK)


# --- commands ----------------------------------------------------------------------------
def cmd_agent(args: argparse.Namespace) -> int:
    from agent.runtime import serve

    home = config_mod.home_dir()
    cfg = config_mod.load(home)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(home, cfg, handle_signals=True))
    return OK


def cmd_demo(args: argparse.Namespace) -> int:
    from agent.demo import run_demo

    return run_demo(as_json=args.json, serve_after=args.serve, keep=args.keep)


def cmd_send(args: argparse.Namespace) -> int:
    raw = read_file(args.file)
    client = AgentClient.discover()
    submission = client.submit(raw)
    record = client.wait(submission.id, args.timeout) if args.wait else client.message(submission.id)
    if submission.duplicate:  # the agent keeps one copy per Message-ID (agent/service/agent.py): nothing new went out
        record = {**record, "duplicate": True}
        print(f"already submitted as {submission.id}: not sent again", file=sys.stderr)
    emit(record, args.json, message_table(record, full=args.verbose))
    if record["state"] == "held":
        print(f"held: {record['reason']}", file=sys.stderr)
        return HELD
    if args.wait and record["state"] not in ("delivered", "failed"):
        print(f"not delivered yet ({record['state']}: {record['reason']}); it stays in the outbox", file=sys.stderr)
        return FAILED
    return exit_for_state(record["state"]) if args.wait else OK


def cmd_bounce(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read() if args.file == "-" else read_file(args.file)
    result = AgentClient.discover().bounce(raw)
    rows = [[r["address"], r["action"], r["status"], r["state"], shorten(r["diagnostic"], 60)] for r in result["recipients"]]
    text = f"{result['id']}:\n" + table(rows, ["recipient", "action", "status", "state now", "diagnostic"])
    if result["unmatched"]:
        text += f"\nnot recipients of this message: {', '.join(result['unmatched'])}"
    emit(result, args.json, text)
    return OK


def cmd_tray(args: argparse.Namespace) -> int:
    from agent import desktop_session

    why = desktop_session.missing()
    if why:  # before Qt, which would abort the process (exit 134) with advice to reinstall
        raise CliError(f"the tray app needs a desktop session: {why}. Run it from the desktop, or use the "
                       "command line (postseal outbox, postseal status ID)", FAILED)
    try:
        from gui.tray import main as tray_main
    except ImportError as exc:
        raise CliError(f"the tray app needs PySide6 ({exc}); install postseal with its dependencies", FAILED) from None
    forwarded = [*(["--home", str(args.home)] if args.home else []), *(["--show"] if args.show else []),
                 *(["--no-start-agent"] if args.no_start_agent else [])]
    return tray_main(forwarded)


def cmd_status(args: argparse.Namespace) -> int:
    record = AgentClient.discover().message(args.id)
    emit(record, args.json, message_table(record, full=args.verbose))
    return exit_for_state(record["state"])  # the same state, the same code as `send --wait`


def cmd_outbox(args: argparse.Namespace) -> int:
    messages = AgentClient.discover().outbox()
    emit({"messages": messages}, args.json, outbox_table(messages, full=args.verbose))
    return OK


def cmd_policy(args: argparse.Namespace) -> int:
    if args.policy_cmd == "test":
        return _policy_test(args)
    from agent.service.planning import make_plan

    home = config_mod.home_dir()
    cfg = config_mod.load(home)
    rules = load_rules(cfg.policy.rules_file)
    locked = "policy.rules_file" in cfg.locked
    from agent.keys.discovery import Discovery
    from agent.keys.smime_store import SmimeStore
    from agent.net import Network
    from agent.tls_policy import TlsPolicies

    pgp = PgpStore(home)
    _, plan = make_plan(read_file(args.file), cfg, rules, pgp, None, SmimeStore(home, cfg.smime.trusted_ca_files),
                        Discovery(pgp, cfg.pgp, Network(cfg.network), home, cfg.network.ca_file),
                        TlsPolicies(cfg.tls, Network(cfg.network), home, cfg.network.ca_file))
    data = {**plan.to_json(), "rules": {"source": rules.source, "managed": locked}}
    verdict = data["verdict"]
    lines = [f"rules: {rules.source}{' (managed by your organization)' if locked else ''}",
             f"verdict: {verdict['action']} (rule {verdict['rule']}): {verdict['reason']}"]
    lines += [f"  warning: {w}" for w in verdict["warnings"]]
    lines += [f"  rule {m['rule']} applied: {m['action']}" for m in verdict["matched"]]
    for f in verdict["findings"]:
        where = f" at {f['start']}-{f['end']}" if f["end"] else ""
        detail = f": {f['detail']}" if f["detail"] else ""
        lines.append(f"  finding {f['type']} in {f['location']}{where} (confidence {f['confidence']:.2f}){detail}")
    rows = [[r["address"], r["method"], r["reason"] + (f" (not used: {'; '.join(r['skipped'])})" if r["skipped"] else "")]
            for r in data["recipients"]]
    emit(data, args.json, "\n".join(lines) + "\n" + table(rows, ["recipient", "method", "why"]))
    return HELD if verdict["action"] in ("hold", "block") else OK


def _policy_test(args: argparse.Namespace) -> int:
    from collections import Counter
    from email import policy as email_policy
    from email.parser import BytesParser

    from agent.policy import evaluate
    from agent.policy.inspect import inspect_message
    from agent.policy.rules import Facts

    rules = load_rules("" if args.rules == "default" else args.rules)  # refused with its place if bad
    folder = Path(args.corpus)
    try:
        samples = evaluate.load_corpus(folder)
    except evaluate.CorpusError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    report = evaluate.score(samples, evaluate.ours())
    # What these rules decide for each message, as the agent would with this machine's config.
    cfg = config_mod.load(config_mod.home_dir())
    files = {p.name: p for p in folder.rglob("*.eml")}
    decisions: Counter[str] = Counter()
    for sample in samples:
        message = BytesParser(policy=email_policy.default).parsebytes(files[sample.name].read_bytes())
        inspection = inspect_message(message)
        recipients = [a.addr_spec for h in ("To", "Cc") for a in getattr(message[h], "addresses", ())]
        senders = getattr(message["From"], "addresses", ())
        facts = Facts(senders[0].addr_spec if senders else "", tuple(a for a in recipients if not cfg.is_internal(a)),
                      tuple(a for a in recipients if cfg.is_internal(a)),
                      frozenset(kind for _, kind in inspection.attachments))
        decisions[str(rules.evaluate(list(inspection.findings), facts).action)] += 1
    data = {"rules": rules.source, "messages": report.messages, "mb_per_second": round(report.mb_per_second, 1),
            "decisions": dict(decisions), "detectors": {k: s.to_json() for k, s in sorted(report.scores.items())}}
    text = (f"{report.messages} messages, {report.characters / 1e6:.2f} MB of text, scanned at "
            f"{report.mb_per_second:.1f} MB/s\n"
            f"rules ({rules.source}) decide: " + ", ".join(f"{k} {v}" for k, v in sorted(decisions.items())) + "\n\n"
            + table(list(evaluate.table(report)), ["detector", "expected", "found", "correct", "precision", "recall", "f1"]))
    emit(data, args.json, text)
    return OK


def cmd_audit(args: argparse.Namespace) -> int:
    if args.audit_cmd == "verify" and args.file:  # an export, away from any agent (agent/cli_audit.py)
        return cli_audit.verify_file(args.file, args.key_id, args.json)
    home = config_mod.home_dir()
    cli_admin.require_audit_log(home, args.audit_cmd)
    log = AuditLog(home)
    if args.audit_cmd == "verify":
        result = log.verify()
        if getattr(args, "json", False):
            print(json.dumps({"ok": result.ok, "records": result.records, "unsigned": result.unsigned,
                              "problem": result.problem}))
        elif result.ok:
            tail = f"; the last {result.unsigned} written after the last signed checkpoint" if result.unsigned else ""
            print(f"audit log intact: {result.records} records, chain and signed head verified{tail}")
        else:
            print(f"audit log NOT intact: {result.problem}", file=sys.stderr)
        return OK if result.ok else FAILED
    return cli_audit.export(log, args.format)


def _portal_database(args: argparse.Namespace) -> str | None:
    """--database, else $POSTSEAL_PORTAL_DATABASE (a URL kept off the command line, where any
    local user's `ps` would read a password; libpq's PGPASSWORD and ~/.pgpass work too)."""
    return args.database or os.environ.get("POSTSEAL_PORTAL_DATABASE") or None


def _portal_pg():
    try:
        from agent.portal import store_pg
    except ImportError:
        raise CliError("the portal's PostgreSQL store needs psycopg: pip install 'postseal[portal-server]'",
                       FAILED) from None
    return store_pg


def cmd_portal_migrate(args: argparse.Namespace) -> int:
    url = _portal_database(args)
    if not url:
        raise CliError("portal migrate: give the database with --database URL or $POSTSEAL_PORTAL_DATABASE",
                       BAD_INPUT)
    store_pg = _portal_pg()
    import psycopg

    try:
        found, now = store_pg.migrate(url)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CliError(f"portal migrate: {store_pg.where(url)}: {first}", FAILED) from None
    where = store_pg.where(url)
    emit({"database": where, "from": found, "to": now}, args.json,
         f"portal database {where}: already at version {now}" if found == now
         else f"portal database {where}: carried from version {found} to {now}")
    return OK


def cmd_portal_enrolment(args: argparse.Namespace) -> int:
    """`portal enrolment-code` and `portal agents list|revoke` (agent/portal/enrolment.py)."""
    from agent.portal import enrolment

    url = args.database
    if not url and args.config:  # the database of portal.toml (its password from libpq's environment)
        from agent.portal.settings import SettingsError, load

        try:
            url = load(Path(args.config)).database
        except SettingsError as exc:
            raise CliError(str(exc), BAD_INPUT) from None
    url = url or _portal_database(args)
    if url:
        _portal_pg()
    try:
        store = enrolment.admin_store(args, config_mod.home_dir(), url)
    except Exception as exc:  # noqa: BLE001 - psycopg's or a version error: one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CliError(f"portal {args.portal_cmd}: {first}", FAILED) from None
    try:
        return (enrolment.cmd_code if args.portal_cmd == "enrolment-code" else enrolment.cmd_agents)(store, args)
    except enrolment.EnrolmentError as exc:
        raise CliError(f"portal {args.portal_cmd}: {exc}", BAD_INPUT) from None
    finally:
        store.close()


def cmd_portal_enroll(args: argparse.Namespace) -> int:
    from agent import portal_enrol

    home = config_mod.home_dir()
    portal = config_mod.load(home).portal
    url = args.url or portal.url
    try:
        record = portal_enrol.enrol(home, url, args.code, args.name)
    except portal_enrol.EnrolFailed as exc:
        raise CliError(f"portal enroll: {exc}", FAILED) from None
    then = ("Restart the agent to use it." if not portal.embedded and portal.url.rstrip("/") == record["url"]
            else f"The agent uses it once portal.url is {record['url']} and portal.embedded is false; then restart it.")
    emit(record, args.json, f"enrolled with {record['url']} as agent {record['agent']}; the credential is in this "
                            f"computer's secret store. {then}")
    return OK


def cmd_portal(args: argparse.Namespace) -> int:
    if args.portal_cmd == "migrate":
        return cmd_portal_migrate(args)
    if args.portal_cmd in ("enrolment-code", "agents"):
        return cmd_portal_enrolment(args)
    if args.portal_cmd == "enroll":
        return cmd_portal_enroll(args)
    from agent.portal import serve
    from agent.portal.settings import PortalSettings, SettingsError, load

    try:
        settings = serve.from_flags(load(Path(args.config)) if args.config else PortalSettings(),
                                    args.host, args.port, args.database, args.blobs)
        serve.run(settings, config_mod.home_dir())
    except SettingsError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    except serve.ServeError as exc:
        raise CliError(str(exc), FAILED) from None
    return OK


def cmd_ingress(args: argparse.Namespace) -> int:
    creds = AgentClient.discover().ingress_credentials()
    emit(creds, args.json, "\n".join([
        "Outgoing mail server (SMTP) for Thunderbird, Apple Mail or Outlook with an IMAP account:",
        f"  server    {creds['host']}", f"  port      {creds['port']}",
        f"  security  {creds['security']} (the certificate is from {creds['ca_file']})",
        f"  user name {creds['username']}", f"  password  {creds['password']}"]))
    return OK


def cmd_native_host(args: argparse.Namespace) -> int:
    from agent.ingress import native

    return native.main(args.caller)


def cmd_extension(args: argparse.Namespace) -> int:
    from agent.ingress import native_manifest as nm

    try:
        if args.extension_cmd == "manifest":
            executable = Path(args.host_path) if args.host_path else nm.host_executable()
            print(json.dumps(nm.host_manifest(executable, tuple(args.extension_id)), indent=2))
            return OK
        done = nm.register(tuple(args.browser or nm.BROWSERS), args.system,
                           Path(args.host_path) if args.host_path else None, tuple(args.extension_id),
                           root=Path(args.root) if args.root else None)
    except nm.RegistrationError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    emit([{"browser": r.browser, "manifest": str(r.manifest), "registry_key": r.registry_key} for r in done],
         args.json, "\n".join(f"{r.browser:9} {r.registry_key or r.manifest}" for r in done)
         + "\nRestart the browser; the Postseal for Gmail extension can now reach the agent.")
    return OK


def cmd_outlook(args: argparse.Namespace) -> int:
    from agent.ingress import outlook_manifest as om

    try:
        if args.origin:
            origin = om.parse_origin(args.origin)
        else:  # this install's port: config.toml, or managed policy where IT set it
            origin = om.origin_for(args.port if args.port is not None else config_mod.load().ingress.addin_port)
        data = om.render(args.format, origin)
    except om.ManifestError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    if args.output in (None, "-"):
        if args.format == "zip":
            raise CliError("a zip is not written to the terminal: give --output FILE.zip", BAD_INPUT)
        sys.stdout.write(data.decode())
        return OK
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise CliError(f"{args.output}: cannot write: {exc.strerror}", BAD_INPUT) from None
    print(f"{args.output}: Outlook add-in manifest ({args.format}) for {origin}", file=sys.stderr)
    return OK


def cmd_accounts(args: argparse.Namespace) -> int:
    client = AgentClient.discover()
    if args.accounts_cmd == "list":
        data = client.accounts()
        rows = [[a["address"], a["provider"], a["state"] + (f" ({a['reason']})" if a.get("reason") else "")]
                for a in data["accounts"]]
        emit(data, args.json, table(rows, ["account", "provider", "state"]) if rows else
             "No account signed in: mail leaves through the organization's relay. "
             "Sign in with `postseal accounts add microsoft|google`.")
        return OK
    if args.accounts_cmd == "remove":
        client.remove_account(args.address)
        print(f"Signed out {args.address}: its mail leaves through the organization's relay again.")
        return OK
    return _sign_in(client, args)


def _sign_in(client: AgentClient, args: argparse.Namespace) -> int:
    import webbrowser

    try:
        attempt = client.start_sign_in(args.provider, args.device_code)
    except ApiError as exc:
        raise CliError(str(exc), BAD_INPUT if exc.status == 400 else FAILED) from None
    if attempt.get("user_code"):
        print(attempt.get("message") or f"Open {attempt['verification_uri']} and enter {attempt['user_code']}.",
              file=sys.stderr)
    else:
        print(f"Sign in to {args.provider.title()} in your browser. If it does not open, go to:\n"
              f"  {attempt['auth_url']}", file=sys.stderr)
        if not args.no_browser:
            webbrowser.open(attempt["auth_url"])
    try:
        while attempt["state"] == "waiting":
            time.sleep(0.5)
            attempt = client.sign_in_status(attempt["id"])
    except KeyboardInterrupt:
        client.cancel_sign_in(attempt["id"])
        raise
    if attempt["state"] != "signed_in":
        raise CliError(attempt.get("error", "the sign-in did not complete"), FAILED)
    emit(attempt, args.json, f"Signed in as {attempt['address']}: mail from it now leaves from your own mailbox "
                             "(and appears in Sent).")
    return OK


def cmd_revoke(args: argparse.Namespace) -> int:
    """The portal copies of a message can no longer be opened (their ciphertext is deleted)."""
    count = AgentClient.discover().revoke(args.id)  # unknown id or no portal copy: 2, as everywhere (failure)
    emit({"id": args.id, "revoked": count}, args.json,
         f"revoked {count} portal cop{'y' if count == 1 else 'ies'} of {args.id}: the links no longer open anything")
    return OK


def cmd_stamp(args: argparse.Namespace) -> int:
    raw = read_file(args.file) if args.file != "-" else sys.stdin.buffer.read()
    recipients = [r.strip() for r in args.recipients.split(",") if r.strip()] if args.recipients else None
    result = AgentClient.discover().verify_stamp(raw, recipients)
    text = (f"valid: verdict {result['verdict']}, seen {result['seen_before']} time(s) before" if result["valid"]
            else f"not valid: {result['reason']}")
    emit(result, args.json, text)
    return OK if result["valid"] else HELD


def installed_version() -> str:
    """The version pip (or the bundle, which carries the same metadata) installed."""
    from importlib import metadata

    try:
        return metadata.version("postseal")
    except metadata.PackageNotFoundError:  # a bare checkout on PYTHONPATH, never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="postseal", description="Postseal: every outgoing message protected, by default.")
    parser.add_argument("--version", action="version", version=f"postseal {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    first_run.add_parser(sub)
    config_check.add_parser(sub)
    sub.add_parser("agent", help="run the local agent (API, outbox worker, embedded portal)").set_defaults(func=cmd_agent)

    p = sub.add_parser("demo", help="run the end-to-end demo on embedded defaults and exit")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--serve", action="store_true", help="keep the agent and portal running afterwards, printing "
                   "each portal link and the one-time codes the demo mailbox receives")
    p.add_argument("--keep", action="store_true", help="keep the demo's data directory (sample patient mail, keys) "
                   "instead of removing it at the end")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("send", help="submit FILE.eml to the running agent")
    p.add_argument("file")
    p.add_argument("--wait", action="store_true", help="wait for the final state")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait with --wait")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("tray", help="the tray app: status, outbox, keys and audit history (starts the agent if needed)")
    # The tray's own options, declared here (argparse.REMAINDER in a subcommand refuses options).
    p.add_argument("--show", action="store_true", help="open the window at start")
    p.add_argument("--no-start-agent", action="store_true", help="do not start the agent when it is not running")
    p.add_argument("--home", type=Path, help="data directory (default: $POSTSEAL_HOME or the platform's)")
    p.set_defaults(func=cmd_tray)

    p = sub.add_parser("bounce", help="hand the agent a bounce (RFC 3464 DSN) received for a sent message")
    p.add_argument("file", metavar="FILE.eml", help="the bounce as received; - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_bounce)

    p = sub.add_parser("status", help="state and delivery proof of one message")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("outbox", help="list the outbox")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="reasons in full, not shortened to the terminal")
    p.set_defaults(func=cmd_outbox)

    cli_admin.add_parsers(sub)  # release, retry, send-via-portal: one message, as in the tray

    cli_keys.add_parser(sub)

    p = sub.add_parser("policy", help="explain what policy decides for a message")
    pol = p.add_subparsers(dest="policy_cmd", required=True, metavar="ACTION")
    k = pol.add_parser("check", help="verdict, findings and plan for FILE.eml (sends nothing)")
    k.add_argument("file")
    k.add_argument("--json", action="store_true")
    k = pol.add_parser("test", help="precision and recall of the detectors on a labelled corpus folder")
    k.add_argument("rules", metavar="RULES.toml", help="the rules file to check (use 'default' for the built-in rules)")
    k.add_argument("corpus", metavar="CORPUS/", help="a folder of .eml files and labels.json")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("audit", help="verify or export the audit log")
    aud = p.add_subparsers(dest="audit_cmd", required=True, metavar="ACTION")
    k = aud.add_parser("verify", help="check the hash chain and the signed head (of this computer's log, or of an export)")
    k.add_argument("--json", action="store_true")
    k.add_argument("--file", metavar="EXPORT", help="verify an export (audit export --format json), offline")
    k.add_argument("--key-id", metavar="ID", help="with --file: refuse an export signed by any other key")
    k = aud.add_parser("export", help="print the log as CSV, or as JSON signed for verification elsewhere")
    k.add_argument("--format", choices=("csv", "json"), default="json")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("ingress", help="the local SMTP submission for desktop mail programs")
    ing = p.add_subparsers(dest="ingress_cmd", required=True, metavar="ACTION")
    k = ing.add_parser("credentials", help="server, port, user name and password to put in a mail program")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingress)

    p = sub.add_parser("native-host", help="the browser extension's native messaging host (started by Chrome/Edge)")
    p.add_argument("caller", nargs="*", help=argparse.SUPPRESS)  # chrome-extension://ID/, --parent-window=…
    p.set_defaults(func=cmd_native_host)

    p = sub.add_parser("extension", help="register the native messaging host the Gmail extension talks to")
    ext = p.add_subparsers(dest="extension_cmd", required=True, metavar="ACTION")
    for name, text in (("register", "write the host manifest for Chrome, Chromium and Edge"),
                       ("manifest", "print the host manifest (for IT to deploy)")):
        k = ext.add_parser(name, help=text)
        k.add_argument("--extension-id", action="append", default=[], metavar="ID",
                       help="another extension ID allowed to start the host (a store-published copy)")
        k.add_argument("--host-path", help="the host executable (default: postseal-native-host beside postseal)")
        if name == "register":
            k.add_argument("--browser", action="append", choices=("chrome", "chromium", "edge"),
                           help="only this browser (repeatable; default: all three)")
            k.add_argument("--system", action="store_true", help="for every user of this computer (needs admin)")
            k.add_argument("--root", metavar="DIR", help="write the manifests under DIR instead of / "
                           "(a package's staging tree; no registry keys)")
            k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_extension)

    p = sub.add_parser("outlook", help="the Outlook add-in's manifest, for the add-in origin this install serves")
    out = p.add_subparsers(dest="outlook_cmd", required=True, metavar="ACTION")
    k = out.add_parser("manifest", help="write manifest.xml, the unified manifest.json, or its upload zip")
    k.add_argument("--format", choices=("xml", "json", "zip"), default="xml",
                   help="xml: add-in only manifest (Outlook on Mac needs it); json: unified manifest; "
                        "zip: manifest.json with its icons for the Microsoft 365 admin center")
    where = k.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, help="the add-in port (default: ingress.addin_port from config and policy)")
    where.add_argument("--origin", help="the add-in origin, https://localhost:PORT")
    k.add_argument("--output", "-o", help="the file to write (default: standard output)")
    p.set_defaults(func=cmd_outlook)

    p = sub.add_parser("revoke", help="withdraw a message's secure portal copies (the links stop working)")
    p.add_argument("id", help="the outbox id (postseal outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_revoke)

    p = sub.add_parser("accounts", help="sign in to your Microsoft 365 or Google Workspace mailbox")
    acc = p.add_subparsers(dest="accounts_cmd", required=True, metavar="ACTION")
    k = acc.add_parser("add", help="sign in (system browser; --device-code where there is none)")
    k.add_argument("provider", choices=("microsoft", "google"))
    k.add_argument("--device-code", action="store_true", help="sign in on another device with a code (Microsoft)")
    k.add_argument("--no-browser", action="store_true", help="print the sign-in address instead of opening it")
    k.add_argument("--json", action="store_true")
    k = acc.add_parser("list", help="the accounts and whether they need a new sign-in")
    k.add_argument("--json", action="store_true")
    k = acc.add_parser("remove", help="sign out: forget the account and its tokens")
    k.add_argument("address")
    p.set_defaults(func=cmd_accounts)

    p = sub.add_parser("stamp", help="verdict stamps on messages mail programs sent themselves")
    st = p.add_subparsers(dest="stamp_cmd", required=True, metavar="ACTION")
    k = st.add_parser("verify", help="check FILE.eml's X-Postseal-Verdict (exit 0 valid, 3 not valid)")
    k.add_argument("file", help="the message as received, or - for standard input")
    k.add_argument("--recipients", help="envelope recipients, comma-separated (default: To, Cc, Bcc)")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stamp)

    p = sub.add_parser("portal", help="run the recipient portal on its own")
    por = p.add_subparsers(dest="portal_cmd", required=True, metavar="ACTION")
    k = por.add_parser("serve", help="serve the portal")
    k.add_argument("--config", metavar="PORTAL.TOML", help="the portal's settings (docs/deploy.md); flags override it")
    k.add_argument("--host", help="listen address (default 127.0.0.1)")
    k.add_argument("--port", type=int, help="listen port (default 8025)")
    k.add_argument("--database", metavar="URL",
                   help="PostgreSQL (postgresql://…) instead of the embedded SQLite store; "
                        "default $POSTSEAL_PORTAL_DATABASE")
    k.add_argument("--blobs", metavar="DIR", help="folder of the sealed bytes with --database (default: the home's portal/)")
    k = por.add_parser("migrate", help="bring the portal's PostgreSQL database to this release's layout")
    k.add_argument("--database", metavar="URL", help="postgresql://… (default $POSTSEAL_PORTAL_DATABASE)")
    k.add_argument("--json", action="store_true")
    # Enrolment (agent/portal/enrolment.py, agent/portal_enrol.py): admin commands on the
    # portal's store (--database as `migrate`, else the home's SQLite), and the agent's enrol.
    k = por.add_parser("enrolment-code", help="make a code agents enrol with (shown once)")
    k.add_argument("--uses", type=int, default=1, help="how many agents may enrol with it (default 1)")
    k.add_argument("--expires", default="7d", help="how long it is good for: 30m, 12h, 7d (default 7d, at most 90d)")
    k.add_argument("--database", metavar="URL", help="postgresql://… (default $POSTSEAL_PORTAL_DATABASE, else SQLite)")
    k.add_argument("--config", metavar="FILE", help="portal.toml: its database")
    k.add_argument("--json", action="store_true")
    k = por.add_parser("agents", help="list or revoke the agents enrolled with this portal")
    ag = k.add_subparsers(dest="agents_cmd", required=True, metavar="ACTION")
    for name, what in (("list", "list the enrolled agents"), ("revoke", "refuse an agent's credential from now on")):
        a = ag.add_parser(name, help=what)
        if name == "revoke":
            a.add_argument("id", help="the agent's id, as `portal agents list` shows it")
        a.add_argument("--database", metavar="URL",
                       help="postgresql://… (default $POSTSEAL_PORTAL_DATABASE, else SQLite)")
        a.add_argument("--config", metavar="FILE", help="portal.toml: its database")
        a.add_argument("--json", action="store_true")
    k = por.add_parser("enroll", help="enrol this agent with an organization's portal")
    k.add_argument("--url", help="the portal's address (default: portal.url of the config)")
    k.add_argument("--code", required=True, help="the enrolment code from the portal's administrator")
    k.add_argument("--name", default="", help="how the portal lists this agent (default: the computer's name)")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_portal)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["native-host"] and "-h" not in argv and "--help" not in argv:
        # Chrome adds arguments of its own (the caller's origin, --parent-window= on Windows).
        from agent.ingress import native

        return native.main(argv[1:])
    if argv[:1] and argv[0].startswith("chrome-extension://"):
        # A browser started this program as the native host: the bundle has one executable,
        # so its host manifest names `postseal` itself (native_manifest.host_executable).
        from agent.ingress import native

        return native.main(argv)
    parser = build_parser()
    if not argv:  # `postseal` alone: what it can do, not an error
        parser.print_help()
        return OK
    args = _parse(parser, argv)
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - a user sees one line (and JSON under --json), never a traceback
        said, code, kind = failure(exc)
        print(f"postseal: {said}", file=sys.stderr)
        if getattr(args, "json", False):  # the one JSON document on stdout is the error itself
            print(json.dumps({"error": {"code": kind, "message": said, "exit": code}}, indent=2))
        return code
    except KeyboardInterrupt:
        return FAILED


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """argparse's own parsing; a usage error under --json is also the JSON document on stdout."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 2 and "--json" in argv:
            last = (said.getvalue().strip().splitlines() or ["usage error"])[-1]
            print(json.dumps({"error": {"code": "usage", "message": last, "exit": BAD_INPUT}}, indent=2))
        raise
    finally:
        sys.stderr.write(said.getvalue())


_KINDS = {BAD_INPUT: "bad_input", HELD: "held", UNREACHABLE: "agent_unreachable", FAILED: "failed"}


def failure(exc: Exception) -> tuple[str, int, str]:
    """What the user reads, the exit code (DESIGN.md's contract: the same state gives the same
    code in every command) and a machine-readable kind for --json."""
    # Classes of modules only some commands load: if the module is not loaded, nothing raised
    # its error, and importing it here (the whole agent, for StartError) would cost the user a
    # second on every error.
    smime_error = _loaded("agent.keys.smime_store", "SmimeError")
    start_error = _loaded("agent.runtime", "StartError")
    if isinstance(exc, CliError):
        return str(exc), exc.code, _KINDS.get(exc.code, "failed")
    if isinstance(exc, ApiError):
        # 404 an unknown id, 409 nothing to do in this state: the user named the wrong thing.
        # 403 the organization forbids it, 422 policy blocks it: as "held".
        code = (BAD_INPUT if exc.status in (400, 404, 409, 413, 415) else
                HELD if exc.status in (403, 422) else FAILED)
        return str(exc), code, exc.code
    if isinstance(exc, (config_mod.ConfigError, RulesError, BadMessage, PgpError, *smime_error)):
        return str(exc), BAD_INPUT, _KINDS[BAD_INPUT]
    if isinstance(exc, AgentUnreachable):
        return str(exc), UNREACHABLE, _KINDS[UNREACHABLE]
    # GnuPG missing (the installation, not the input); a key missing or changed (said, nothing
    # re-keyed); data of a newer Postseal (said, nothing changed); an agent that cannot start.
    if isinstance(exc, (GpgMissing, SecretsUnavailable, DataVersionError, *start_error)):
        return str(exc), FAILED, _KINDS[FAILED]
    if os.environ.get("POSTSEAL_DEBUG"):
        raise exc
    return f"unexpected {type(exc).__name__}: {exc} (set POSTSEAL_DEBUG=1 for details)", FAILED, "unexpected"



def _loaded(module: str, name: str) -> tuple[type, ...]:
    found = getattr(sys.modules.get(module), name, None)
    return (found,) if isinstance(found, type) else ()


if __name__ == "__main__":
    sys.exit(main())
