"""`postseal init`: the first run on a computer, so that nothing is left at a default that
cannot protect mail — the organization's domains, how mail leaves (the clinic's relay, or
sign in with Microsoft 365 / Google), and the portal address patients open.

Each answer comes from a flag or, at a terminal, a prompt; with --no-input a missing answer
is an error naming the flag. What managed policy sets is shown as set by the organization
and never asked. Answers are checked before anything is written (a portal address must be
https and not on this computer; domains must be domain names), then written to config.toml
by settings.py, the one writer of the user's file. At the end the set-up checks
(readiness.py) say what, if anything, still holds mail or needs IT.

The tray's first-run page asks the same questions through PATCH /v1/config. This command
stays in-process, on purpose, while every other command that touches the agent's state goes
through a running agent's API: `init` is the first run, making the home (the folder and its
config.toml) before an agent is started there, and it writes more than the API lets a user
change (portal.allow_test_url: settings.INIT_EDITABLE beside settings.EDITABLE). Run
again beside a running agent, it writes config.toml through the same one writer (settings.py,
an atomic replace) and the agent reads the file at its next start."""

from __future__ import annotations

import argparse
import getpass
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent import config as config_mod
from agent import platform, readiness, settings
from agent.config import Config, ConfigError

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SEND_WITH = ("relay", "microsoft", "google")
_DEFAULTS = Config()


def domains(text: str) -> list[str]:
    found = [d.strip().lower().rstrip(".") for d in re.split(r"[,\s]+", text) if d.strip()]
    if not found:
        raise ValueError("give at least one domain, e.g. valleyclinic.example")
    for domain in found:
        try:
            ascii_name = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{domain!r} is not a domain name") from None
        if "@" in domain or not _DOMAIN.match(ascii_name):
            raise ValueError(f"{domain!r} is not a domain name (give the part after @, e.g. valleyclinic.example)")
    return found


def portal_url(text: str, allow_test: bool = False) -> str:
    url = text.strip()
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url!r} is not a web address (e.g. https://secure.valleyclinic.example)")
    if not allow_test and (parts.scheme != "https" or readiness.is_loopback(parts.hostname)):
        raise ValueError(
            f"{url} is not an https address patients can open from their own computer "
            "(--allow-test-url for a trial on this computer)"
        )
    return url.rstrip("/")


def relay(text: str) -> tuple[str, int]:
    value = text.strip()
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, ""
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"{text!r} is not a host name (e.g. smtp.valleyclinic.example:587)")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"{port!r} is not a port number (1-65535)")
    return host, int(port) if port else 587


@dataclass(frozen=True)
class Question:
    key: str  # section.key this answer sets
    flag: str
    prompt: str
    parse: Callable[[str], Any]


def _questions(args: argparse.Namespace) -> list[Question]:
    return [
        Question("organization.name", "--name", "Your organization's name, as patients know it", str.strip),
        Question(
            "organization.internal_domains",
            "--domain",
            "Your organization's mail domains (comma-separated; mail to them stays inside)",
            domains,
        ),
        Question(
            "portal.url",
            "--portal-url",
            "The secure portal's address patients open (https://…)",
            lambda text: portal_url(text, args.allow_test_url),
        ),
    ]


class Asker:
    """Answers from flags, else from prompts (a terminal, or lines on a pipe); never a prompt
    with --no-input."""

    def __init__(self, interactive: bool, out: Any = sys.stdout) -> None:
        self.interactive, self.out = interactive, out

    def __call__(self, question: Question, given: str | None, current: Any) -> Any:
        if given is not None:
            try:
                return question.parse(given)
            except ValueError as exc:
                raise ConfigError(f"{question.flag}: {exc}") from None
        if not self.interactive:
            raise ConfigError(
                f"{question.flag} is needed: {question.prompt.lower()}. "
                "Give it, or run postseal init at a terminal to be asked"
            )
        shown = ", ".join(current) if isinstance(current, list) else str(current or "")
        try:  # offered as the answer to keep only when it would be accepted
            question.parse(shown)
        except ValueError:
            shown = ""
        while True:
            try:
                answer = input(f"{question.prompt}{f' [{shown}]' if shown else ''}: ").strip() or shown
            except EOFError:
                raise ConfigError(f"no answer for {question.flag}: {question.prompt.lower()}") from None
            try:
                return question.parse(answer)
            except ValueError as exc:
                print(f"  {exc}", file=self.out)


def plan_changes(args: argparse.Namespace, config: Config, ask: Asker, out: Any) -> dict[str, dict[str, Any]]:
    """The settings to write: each answer not fixed by managed policy."""
    changes: dict[str, dict[str, Any]] = {}

    def put(key: str, value: Any) -> None:
        section, name = key.split(".")
        changes.setdefault(section, {})[name] = value

    def current(key: str) -> Any:
        """What this computer has now; '' while it is still the built-in default."""
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        return "" if value == getattr(getattr(_DEFAULTS, section), name) else value

    given = {
        "organization.name": args.name,
        "organization.internal_domains": ",".join(args.domain) if args.domain else None,
        "portal.url": args.portal_url,
    }
    for question in _questions(args):
        if question.key in config.locked:
            section, name = question.key.split(".")
            print(f"{question.key} is set by your organization: {getattr(getattr(config, section), name)}", file=out)
            continue
        put(question.key, ask(question, given[question.key], current(question.key)))
    if "portal.url" not in config.locked:
        put("portal.allow_test_url", bool(args.allow_test_url))
    send_with = args.send_with or ("relay" if args.relay else None)
    relay_locked = {"relay.host", "relay.port"} <= config.locked
    if relay_locked:
        print(f"The relay is set by your organization: {config.relay.host}:{config.relay.port}", file=out)
        return changes
    if send_with is None:
        send_with = ask(
            Question("send_with", "--send-with", "How mail leaves: relay, microsoft or google", _send_with),
            None,
            "relay",
        )
    if send_with == "relay":
        host, port = ask(
            Question("relay.host", "--relay", "The clinic's mail relay (host:port)", relay),
            args.relay,
            "" if readiness.is_loopback(config.relay.host) else f"{config.relay.host}:{config.relay.port}",
        )
        put("relay.host", host)
        put("relay.port", port)
        put("relay.starttls", args.starttls)
        if args.relay_user is not None:
            put("relay.username", args.relay_user)
            put("relay.password", _password(args, ask))
    else:
        client_id = getattr(config.accounts, f"{send_with}_client_id")
        if not client_id:
            raise ConfigError(
                f"--send-with {send_with}: your IT team has not set up sign-in with "
                f"{_PROVIDER[send_with]} (accounts.{send_with}_client_id)"
            )
        print(
            f"Next: start Postseal and sign in with {_PROVIDER[send_with]} "
            f"(the tray's Settings, or: postseal accounts add {send_with})",
            file=out,
        )
    return changes


_PROVIDER = {"microsoft": "Microsoft 365", "google": "Google Workspace"}


def _send_with(text: str) -> str:
    value = text.strip().lower()
    if value not in SEND_WITH:
        raise ValueError(f"{text!r}: answer relay, microsoft or google")
    return value


def _password(args: argparse.Namespace, ask: Asker) -> str:
    if args.relay_password_file:
        try:
            return Path(args.relay_password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"--relay-password-file: {args.relay_password_file}: {exc.strerror}") from None
    if not ask.interactive:
        raise ConfigError("--relay-password-file is needed with --relay-user (the relay password, read from a file)")
    return getpass.getpass("The relay password (kept in the OS keyring): ")


def cmd_init(args: argparse.Namespace) -> int:
    home = config_mod.home_dir()
    config = config_mod.load(home)
    out = sys.stdout
    if args.check:
        return _report(config, out)
    if config.managed_error:
        print(
            f"postseal: managed policy is invalid: {config.managed_error}; ask your IT team to fix it "
            "before setting up this computer",
            file=sys.stderr,
        )
        return 1
    ask = Asker(interactive=not args.no_input, out=out)  # answers from a terminal or a pipe
    changes = plan_changes(args, config, ask, out)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as the agent keeps it (data_dir.py)
    try:
        settings.update_user_config(home, changes, config.locked, settings.INIT_EDITABLE)
    except PermissionError as exc:
        raise ConfigError(str(exc)) from None
    config = config_mod.load(home)
    print(f"Saved {home / 'config.toml'}.", file=out)
    if args.trust_ca:
        _trust_local_ca(home, config)
    return _report(config, out)


def _report(config: Config, out: Any) -> int:
    """What the set-up checks find: exit 1 when something holds mail (IT's detection scripts
    and `postseal init --check` read the same)."""
    problems = readiness.problems(config)
    for problem in problems:
        label = {"holds": "HOLDS MAIL"}.get(problem.severity, problem.severity)
        print(f"  {label}: {problem.message}", file=out)
    if not any(p.warn for p in problems):
        print("Ready: nothing in this set-up holds mail. Start Postseal (postseal tray).", file=out)
    return 1 if any(p.severity == "holds" for p in problems) else 0


def _trust_local_ca(home: Path, config: Config) -> None:
    """Trust this install's localhost CA (the Outlook add-in's webview needs it) for this user."""
    from agent.ingress import local_tls

    tls = local_tls.ensure(home, config.organization.name)
    for step in platform.current().ca_trust_steps(tls.ca_file):
        print(f"  running: {step}")
        done = subprocess.run(step, shell=True, capture_output=True, text=True)  # noqa: S602 - our own, quoted
        if done.returncode != 0:
            raise ConfigError(
                f"trusting {tls.ca_file} failed: {(done.stderr or done.stdout).strip()[:300]}; "
                "run the step yourself, or ask IT to push the certificate"
            )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "init",
        help="set up this computer: your domains, how mail leaves, the portal address",
        description="Set up Postseal on this computer. Asks at a terminal for what no flag "
        "gives; what your organization's managed policy sets is shown, not asked. "
        "Exit 0 ready, 1 when something still holds mail, 2 bad input.",
    )
    p.add_argument("--name", help="your organization's name, as patients know it")
    p.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="a mail domain of your organization (repeat, or comma-separated)",
    )
    p.add_argument(
        "--send-with",
        choices=SEND_WITH,
        help="how mail leaves: the clinic's relay, or your Microsoft 365 / Google mailbox (sign in afterwards)",
    )
    p.add_argument("--relay", metavar="HOST[:PORT]", help="the clinic's mail relay (port 587 if not given)")
    p.add_argument(
        "--starttls",
        choices=("required", "opportunistic", "off"),
        default="required",
        help="TLS to the relay (default: required)",
    )
    p.add_argument("--relay-user", help="the relay login, when it asks for one")
    p.add_argument("--relay-password-file", metavar="FILE", help="a file holding the relay password")
    p.add_argument("--portal-url", metavar="URL", help="the secure portal's https address")
    p.add_argument(
        "--allow-test-url", action="store_true", help="accept a portal on this computer or over http: a trial only"
    )
    p.add_argument(
        "--trust-ca",
        action="store_true",
        help="trust this install's localhost certificate for the Outlook add-in (this user)",
    )
    p.add_argument("--no-input", action="store_true", help="never prompt: a missing answer is an error")
    p.add_argument(
        "--check",
        action="store_true",
        help="change nothing: say what in this computer's set-up holds mail or needs IT "
        "(exit 0 ready, 1 something holds mail)",
    )
    p.set_defaults(func=cmd_init)
