"""`postseal portal serve|migrate|enrolment-code|agents|enroll`: the recipient portal run on
its own (agent/portal/serve.py), its PostgreSQL layout, and enrolment — the admin commands on
the portal's store (agent/portal/enrolment.py) and this agent's own enrolment
(agent/portal_enrol.py).

The database URL comes from --database, else $POSTSEAL_PORTAL_DATABASE: a URL kept off the
command line, where any local user's `ps` would read a password (libpq's PGPASSWORD and
~/.pgpass work too).

`enrolment-code` and `agents` open the portal's store in-process — with no --database, the
home's SQLite store, which a running agent's embedded portal also has open (SQLite's locking
keeps them apart). They are an administrator's commands on a portal server's own store, not
state of this computer's agent, so they never go through the agent's API (it has no routes for
them on purpose: a portal is administered where it runs).

`enroll` is this agent's own enrolment: its credential goes into the agent's secret store. While
the agent runs, the agent stores it (POST /v1/portal/enrolment), so only one process writes the
store; with none running, it is stored here. The output is the same either way.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from agent import config as config_mod
from agent.cli.errors import BAD_INPUT, FAILED, OK, CliError
from agent.cli.output import emit


def add_parser(sub: Any) -> None:
    p = sub.add_parser("portal", help="run the recipient portal on its own")
    por = p.add_subparsers(dest="portal_cmd", required=True, metavar="ACTION")
    k = por.add_parser("serve", help="serve the portal")
    k.add_argument("--config", metavar="PORTAL.TOML", help="the portal's settings (docs/deploy.md); flags override it")
    k.add_argument("--host", help="listen address (default 127.0.0.1)")
    k.add_argument("--port", type=int, help="listen port (default 8025)")
    k.add_argument(
        "--database",
        metavar="URL",
        help="PostgreSQL (postgresql://…) instead of the embedded SQLite store; default $POSTSEAL_PORTAL_DATABASE",
    )
    k.add_argument(
        "--blobs", metavar="DIR", help="folder of the sealed bytes with --database (default: the home's portal/)"
    )
    k = por.add_parser("migrate", help="bring the portal's PostgreSQL database to this release's layout")
    k.add_argument("--database", metavar="URL", help="postgresql://… (default $POSTSEAL_PORTAL_DATABASE)")
    k.add_argument("--json", action="store_true")
    # Enrolment: admin commands on the portal's store (--database as `migrate`, else the
    # home's SQLite), and the agent's enrol.
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
        a.add_argument(
            "--database", metavar="URL", help="postgresql://… (default $POSTSEAL_PORTAL_DATABASE, else SQLite)"
        )
        a.add_argument("--config", metavar="FILE", help="portal.toml: its database")
        a.add_argument("--json", action="store_true")
    k = por.add_parser("enroll", help="enrol this agent with an organization's portal")
    k.add_argument("--url", help="the portal's address (default: portal.url of the config)")
    k.add_argument("--code", required=True, help="the enrolment code from the portal's administrator")
    k.add_argument("--name", default="", help="how the portal lists this agent (default: the computer's name)")
    k.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_portal)


def cmd_portal(args: argparse.Namespace) -> int:
    if args.portal_cmd == "migrate":
        return cmd_migrate(args)
    if args.portal_cmd in ("enrolment-code", "agents"):
        return cmd_enrolment(args)
    if args.portal_cmd == "enroll":
        return cmd_enroll(args)
    return cmd_serve(args)


def database_url(args: argparse.Namespace) -> str | None:
    """--database, else $POSTSEAL_PORTAL_DATABASE."""
    return args.database or os.environ.get("POSTSEAL_PORTAL_DATABASE") or None


def postgres_store():
    """agent.portal.store_pg, or one line naming the extra to install (psycopg)."""
    try:
        from agent.portal import store_pg
    except ImportError:
        raise CliError(
            "the portal's PostgreSQL store needs psycopg: pip install 'postseal[portal-server]'", FAILED
        ) from None
    return store_pg


def cmd_serve(args: argparse.Namespace) -> int:
    from agent.portal import serve
    from agent.portal.settings import PortalSettings, SettingsError, load

    try:
        settings = serve.from_flags(
            load(Path(args.config)) if args.config else PortalSettings(),
            args.host,
            args.port,
            args.database,
            args.blobs,
        )
        serve.run(settings, config_mod.home_dir())
    except SettingsError as exc:
        raise CliError(str(exc), BAD_INPUT) from None
    except serve.ServeError as exc:
        raise CliError(str(exc), FAILED) from None
    return OK


def cmd_migrate(args: argparse.Namespace) -> int:
    url = database_url(args)
    if not url:
        raise CliError("portal migrate: give the database with --database URL or $POSTSEAL_PORTAL_DATABASE", BAD_INPUT)
    store_pg = postgres_store()
    import psycopg

    try:
        found, now = store_pg.migrate(url)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CliError(f"portal migrate: {store_pg.where(url)}: {first}", FAILED) from None
    where = store_pg.where(url)
    emit(
        {"database": where, "from": found, "to": now},
        args.json,
        f"portal database {where}: already at version {now}"
        if found == now
        else f"portal database {where}: carried from version {found} to {now}",
    )
    return OK


def cmd_enrolment(args: argparse.Namespace) -> int:
    """`portal enrolment-code` and `portal agents list|revoke` (agent/portal/enrolment.py)."""
    from agent.portal import enrolment

    url = args.database
    if not url and args.config:  # the database of portal.toml (its password from libpq's environment)
        from agent.portal.settings import SettingsError, load

        try:
            url = load(Path(args.config)).database
        except SettingsError as exc:
            raise CliError(str(exc), BAD_INPUT) from None
    url = url or database_url(args)
    if url:
        postgres_store()
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


def cmd_enroll(args: argparse.Namespace) -> int:
    from agent import portal_enrol
    from agent.api.client import ApiError
    from agent.cli.running import running_agent

    home = config_mod.home_dir()
    portal = config_mod.load(home).portal
    url = args.url or portal.url
    client = running_agent(home)
    try:
        if client is None:
            record = portal_enrol.enrol(home, url, args.code, args.name)
        else:
            record = client.enrol_portal(url, args.code, args.name)
    except portal_enrol.EnrolFailed as exc:
        raise CliError(f"portal enroll: {exc}", FAILED) from None
    except ApiError as exc:
        if exc.code != "enrol_failed":
            raise
        raise CliError(f"portal enroll: {exc}", FAILED) from None
    then = (
        "Restart the agent to use it."
        if not portal.embedded and portal.url.rstrip("/") == record["url"]
        else f"The agent uses it once portal.url is {record['url']} and portal.embedded is false; then restart it."
    )
    emit(
        record,
        args.json,
        f"enrolled with {record['url']} as agent {record['agent']}; the credential is in this "
        f"computer's secret store. {then}",
    )
    return OK
