"""`postseal accounts add|list|remove`: sign in to a Microsoft 365 or Google Workspace
mailbox, through the running agent (which keeps the tokens and runs the sign-in)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from agent.api.client import AgentClient, ApiError
from agent.cli.errors import BAD_INPUT, FAILED, OK, CliError
from agent.cli.output import emit, table


def add_parser(sub: Any) -> None:
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


def cmd_accounts(args: argparse.Namespace) -> int:
    client = AgentClient.discover()
    if args.accounts_cmd == "list":
        data = client.accounts()
        rows = [
            [a["address"], a["provider"], a["state"] + (f" ({a['reason']})" if a.get("reason") else "")]
            for a in data["accounts"]
        ]
        emit(
            data,
            args.json,
            table(rows, ["account", "provider", "state"])
            if rows
            else "No account signed in: mail leaves through the organization's relay. "
            "Sign in with `postseal accounts add microsoft|google`.",
        )
        return OK
    if args.accounts_cmd == "remove":
        client.remove_account(args.address)
        print(f"Signed out {args.address}: its mail leaves through the organization's relay again.")
        return OK
    return sign_in(client, args)


def sign_in(client: AgentClient, args: argparse.Namespace) -> int:
    import webbrowser

    try:
        attempt = client.start_sign_in(args.provider, args.device_code)
    except ApiError as exc:
        raise CliError(str(exc), BAD_INPUT if exc.status == 400 else FAILED) from None
    if attempt.get("user_code"):
        print(
            attempt.get("message") or f"Open {attempt['verification_uri']} and enter {attempt['user_code']}.",
            file=sys.stderr,
        )
    else:
        print(
            f"Sign in to {args.provider.title()} in your browser. If it does not open, go to:\n  {attempt['auth_url']}",
            file=sys.stderr,
        )
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
    emit(
        attempt,
        args.json,
        f"Signed in as {attempt['address']}: mail from it now leaves from your own mailbox (and appears in Sent).",
    )
    return OK
