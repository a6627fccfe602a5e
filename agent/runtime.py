"""The running agent: the service's worker, local API, embedded portal, and the discovery files.

Start-up handshake (as Proton Mail Bridge does it): a fresh random token and the API's port
are written atomically (temp file + rename) to `api-token` (0600) and `agent.json`; clients
read both. `agent.json` is removed on a clean exit, so a stale one means a crashed agent.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import secrets
import signal
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from agent import audit, data_dir, outbox, secret_store
from agent.config import Config
from agent.ingress import addin, api, local_tls
from agent.ingress import smtp as smtp_ingress
from agent.keys import gpg_tool
from agent.portal import store as portal_store_mod
from agent.portal.branding import Branding
from agent.portal.server import MailerError
from agent.portal.server import create_app as portal_app
from agent.portal.store import SqlitePortalStore
from agent.private_file import write_private
from agent.secret_store import SecretsUnavailable
from agent.service.agent import Agent
from agent.settings import with_relay_password
from agent.store_migrations import DataVersionError

log = logging.getLogger(__name__)


class StartError(Exception):
    """The agent cannot start; the text says why and what to change."""


@dataclass
class RunningAgent:
    agent: Agent
    api_url: str
    token: str
    portal_url: str
    addin_url: str = ""  # https://localhost:PORT when the Outlook add-in origin is on
    smtp_port: int = 0  # the local SMTP submission's port when it is on

    @property
    def pipeline(self) -> Agent:
        """The service, by the name it had before it was split (tests and scripts of before)."""
        return self.agent


async def _site(
    app: web.Application, host: str, port: int, what: str, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise StartError(f"{what}: cannot listen on {host}:{port}: {reason}") from None
    bound = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked for
    return runner, bound


def refuse_newer_data(home: Path) -> None:
    """Every store of the data directory checked before any is opened: data a newer Postseal
    wrote stops the start (NewerData, one line) before a key is adopted, an own key protected or
    a table created in it. Each store checks itself again when it opens."""
    secret_store.check_version(home)
    outbox.check_version(home)
    audit.check_version(home)
    portal_store_mod.check_version(home / "portal")


async def serve(
    home: Path,
    config: Config,
    ready: Callable[[RunningAgent], None] | None = None,
    stop: asyncio.Event | None = None,
    handle_signals: bool = False,
) -> None:
    """Run the agent until `stop` is set (or SIGTERM/SIGINT when run as the main program)."""
    try:
        gpg_tool.require()  # no GnuPG, no agent: why, in agent/keys/gpg_tool.py
    except gpg_tool.GpgMissing as exc:
        raise StartError(str(exc)) from None
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not os.access(home, os.W_OK):  # EROFS is reported even to root
        raise StartError(
            f"data directory {home} is read-only: the agent cannot keep mail safe there and does not "
            "start. What it holds is untouched; make the folder writable and start again."
        )
    try:
        data_dir.secure(home)
    except data_dir.UnsafeDataDir as exc:
        raise StartError(str(exc)) from None
    try:
        refuse_newer_data(home)  # before even the lock file is written
    except (DataVersionError, SecretsUnavailable) as exc:
        raise StartError(str(exc)) from None
    lock = _lock_home(home)  # held until the process exits; two agents must never share an outbox
    stop = stop or asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    token = secrets.token_urlsafe(32)
    try:
        config = with_relay_password(home, config)
        agent = Agent(home, config)
    except BaseException as exc:
        lock.close()  # an agent started again in this process must not find the directory taken
        if isinstance(exc, SecretsUnavailable | DataVersionError):
            raise StartError(str(exc)) from None
        raise
    runners: list[web.AppRunner] = []
    servers: list[asyncio.AbstractServer] = []
    discovery = home / "agent.json"
    worker: asyncio.Task | None = None
    portal_store: SqlitePortalStore | None = None
    try:
        portal_url = config.portal.url
        if config.portal.embedded:
            parts = urlsplit(portal_url)
            if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
                raise StartError(
                    f"portal.url {portal_url} is not on this machine; set portal.embedded = false to use an external portal"
                )
            portal_store = SqlitePortalStore(home / "portal")
            # The embedded portal answers only to its own URL's (loopback) host name: a web
            # page on another site cannot reach it through DNS rebinding, and the Origin check
            # compares with that URL. It wears the organization's name (a standalone portal
            # takes its full branding, logo and support contact included, from portal.toml).
            branding = Branding(name=config.organization.name)
            runner, _ = await _site(
                portal_app(
                    portal_store,
                    agent.portal_credential,
                    code_mailer(agent, config.organization.name, branding),
                    public_url=portal_url,
                    allowed_hosts=(parts.hostname,),
                    branding=branding,
                ),
                parts.hostname,
                parts.port or 80,
                "embedded portal",
            )
            runners.append(runner)
        app = api.create_app(agent, token, set(config.ingress.allowed_origins))
        runner, port = await _site(app, "127.0.0.1", config.ingress.api_port, "local API")
        runners.append(runner)
        api.allow_port(app, port)
        api_url = f"http://127.0.0.1:{port}"
        addin_url, smtp_port = "", 0
        if config.ingress.addin_port or config.ingress.smtp_port:
            tls = local_tls.ensure(home, config.organization.name)
        if config.ingress.smtp_port:
            try:
                submission = await smtp_ingress.start(agent, home, config.ingress.smtp_port, tls.server_context())
            except OSError as exc:
                reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
                raise StartError(
                    f"local SMTP submission: cannot listen on 127.0.0.1:{config.ingress.smtp_port}: "
                    f"{reason} (set ingress.smtp_port to a free port, or 0 to switch it off)"
                ) from None
            servers.append(submission)
            smtp_port = submission.sockets[0].getsockname()[1]
            app[api.SMTP_PORT][0] = smtp_port
        if config.ingress.addin_port:
            origin = addin.create_app(agent, home, 0)
            runner, bound = await _site(
                origin, "127.0.0.1", config.ingress.addin_port, "Outlook add-in origin", tls.server_context()
            )
            runners.append(runner)
            addin.set_port(origin, bound)
            addin_url = f"https://localhost:{bound}"
        write_private(home / "api-token", token)
        write_private(
            discovery,
            json.dumps(
                {"pid": os.getpid(), "api_url": api_url, "smtp_port": smtp_port or None, "addin_url": addin_url or None}
            ),
        )
        worker = asyncio.create_task(agent.run())
        log.info("agent ready: API %s, portal %s, add-in origin %s", api_url, portal_url, addin_url or "off")
        if ready:
            ready(RunningAgent(agent, api_url, token, portal_url, addin_url, smtp_port))
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if worker in done:
            worker.result()  # re-raise what killed the worker
        waiter.cancel()
    finally:
        if worker is not None:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        for server in servers:
            server.close()
            await server.wait_closed()
        for runner in reversed(runners):
            await runner.cleanup()
        discovery.unlink(missing_ok=True)
        agent.close()
        if portal_store is not None:
            portal_store.close()
        lock.close()


def _lock_home(home: Path):
    """An exclusive lock on the data directory, released by the OS even on kill -9."""
    handle = open(home / "agent.lock", "a+")  # noqa: SIM115 - kept open for the agent's life
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # Windows: msvcrt locks the first byte instead
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.close()
            raise StartError(f"another agent is already running on {home}") from None
    except OSError:
        handle.close()
        raise StartError(f"another agent is already running on {home}") from None
    return handle


def code_mailer(agent: Agent, org: str, branding: Branding | None = None):
    """The embedded portal's way to mail a one-time code: at once, through the sender's transport."""
    from agent import system_mail
    from agent.delivery.smtp import DeliveryError

    def mail(sealed, code: str) -> None:
        try:
            system_mail.send_now(
                agent.stamper,
                agent.transport_for(sealed.sender),
                sealed.sender,
                sealed.recipient,
                system_mail.code_mail(sealed.sender, sealed.recipient, code, org, branding),
            )
        except DeliveryError as exc:
            raise MailerError(str(exc)) from None

    return mail


class AgentThread:
    """The agent on its own event loop in a background thread (demo, tests, benchmarks)."""

    def __init__(self, home: Path, config: Config) -> None:
        self.home = home
        self.config = config
        self._ready = threading.Event()
        self._running: RunningAgent | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="postseal-agent", daemon=True)

    def _main(self) -> None:
        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(running: RunningAgent) -> None:
                self._running = running
                self._ready.set()

            await serve(self.home, self.config, ready, self._stop)

        try:
            asyncio.run(body())
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 30.0) -> RunningAgent:
        self._thread.start()
        self._ready.wait(timeout)
        if self._error:
            raise self._error
        if self._running is None:
            raise StartError("agent did not start in time")
        return self._running

    def stop(self) -> None:
        if self._loop and self._stop and self._thread.is_alive():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # the loop closed after the check: the agent has stopped by itself
                pass
        self._thread.join(30)

    def __enter__(self) -> RunningAgent:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
