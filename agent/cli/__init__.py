"""The `postseal` command: a thin front end over the agent and its local API.

One module per command group, each adding its commands to the parser and holding their
handlers: messages (send, bounce, status, outbox, stamp), actions (release, retry,
send-via-portal, revoke), keys, policy, audit, connect (ingress, extension, outlook),
accounts, portal, programs (agent, demo, tray, native-host), first_run (init) and
config_check (config check). app.py builds the parser from them and runs a command; errors.py
holds the exit codes and what each failure means; output.py the tables.

Exit codes (DESIGN.md): 0 ok · 2 bad input · 3 held or blocked by policy · 4 agent not
reachable · 1 anything else. With --json, stdout carries exactly one JSON document.
Errors are one line on stderr: what, where, and what to do — never a traceback.
"""

from agent.cli.app import build_parser, installed_version, main
from agent.cli.errors import BAD_INPUT, FAILED, HELD, OK, UNREACHABLE, CliError, failure

__all__ = [
    "BAD_INPUT",
    "FAILED",
    "HELD",
    "OK",
    "UNREACHABLE",
    "CliError",
    "build_parser",
    "failure",
    "installed_version",
    "main",
]
