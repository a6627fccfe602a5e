"""`postseal portal serve`: an organization's portal process, built from portal.toml (or the
older --database/--blobs flags) — store, blob store, code mailer, proxy settings, health
checks, logs and the expiry sweeper. agent/cli/portal.py keeps only the argparse wiring.

Failures are `ServeError` (one line, exit 1: a database or bucket that does not answer) or
settings.SettingsError (one line, exit 2: the file is wrong).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from agent.portal import logs
from agent.portal.blobs import BlobError, BlobStore, FileBlobStore, S3BlobStore
from agent.portal.settings import FilesBlobs, PortalSettings, S3Blobs
from agent.portal.sweep import sweep

log = logging.getLogger("agent.portal.serve")


class ServeError(Exception):
    """The portal cannot start: one line naming what and where."""


def from_flags(
    base: PortalSettings, host: str | None, port: int | None, database: str | None, blobs: str | None
) -> PortalSettings:
    """The older flags, over portal.toml's values when both are given."""
    changes: dict = {}
    if host is not None:
        changes["host"] = host
    if port is not None:
        changes["port"] = port
    if database:  # as before this release: a password here works, though `ps` shows it (docs/deploy.md)
        changes["database"] = database
    elif base.database is None and os.environ.get("POSTSEAL_PORTAL_DATABASE"):
        changes["database"] = os.environ["POSTSEAL_PORTAL_DATABASE"]
    if blobs:
        changes["blobs"] = FilesBlobs(Path(blobs))
    return replace(base, **changes)


def blob_store(settings: PortalSettings, home: Path) -> BlobStore:
    spec = settings.blobs or FilesBlobs(home / "portal")
    if isinstance(spec, S3Blobs):
        try:
            return S3BlobStore(
                spec.bucket,
                spec.prefix,
                endpoint_url=spec.endpoint_url,
                region=spec.region,
                conditional=spec.conditional,
            )
        except BlobError as exc:
            raise ServeError(f"portal serve: {exc}") from None
    return FileBlobStore(spec.path)


def portal_store(settings: PortalSettings, home: Path, blobs: BlobStore):
    if not settings.database:
        from agent.portal.store import SqlitePortalStore

        return SqlitePortalStore(home / "portal", blobs)
    try:
        import psycopg

        from agent.portal import store_pg
    except ImportError:
        raise ServeError("the portal's PostgreSQL store needs psycopg: pip install 'postseal[portal-server]'") from None
    try:
        return store_pg.PostgresPortalStore(settings.database, blobs)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ServeError(f"portal serve: {store_pg.where(settings.database)}: {first}") from None


def upload_token(settings: PortalSettings, home: Path) -> str:
    """The shared upload token of an earlier release, adopted as the agent "local" until the
    administrator revokes it (agent/portal/enrolment.py); "" when there is none. Agents now
    enrol, so no token is made: upload_token_file names an existing one, else the home's
    portal-token is used when it is there."""
    path = settings.upload_token_file or home / "portal-token"
    if settings.upload_token_file is None and not path.exists():
        return ""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise ServeError(f"portal serve: upload token {path}: cannot read: {exc.strerror or exc}") from None
    if len(token) < 16:
        raise ServeError(f"portal serve: upload token {path}: shorter than 16 characters")
    return token


def code_mailer(settings: PortalSettings, home: Path):
    """Codes go out through portal.toml's [mail] relay, else the relay of the home's config.toml."""
    from agent import config as config_mod
    from agent import system_mail
    from agent.delivery.smtp import DeliveryError, RelayConnections
    from agent.portal.server import MailerError

    if settings.mail is not None:
        m = settings.mail
        relay = config_mod.RelayConfig(
            host=m.host,
            port=m.port,
            starttls=m.starttls,
            ca_file=m.ca_file,
            username=m.username,
            timeout=m.timeout,
            password=os.environ.get("POSTSEAL_PORTAL_RELAY_PASSWORD", ""),
        )
        organization = m.organization or "Your care provider"
    else:
        config = config_mod.load(home)
        relay, organization = config.relay, config.organization.name
    connections = RelayConnections(relay)

    def mail(sealed, code: str) -> None:
        # Signed with the clinic's branding: its name and support contact (branding.py).
        raw = system_mail.code_mail(sealed.sender, sealed.recipient, code, organization, settings.branding)
        try:
            result = connections.send(sealed.sender, [sealed.recipient], raw, False)
        except DeliveryError as exc:
            raise MailerError(str(exc)) from None
        if not result.recipients[sealed.recipient].ok:
            raise MailerError(result.recipients[sealed.recipient].reply)

    return mail


def sweeper(store, blobs: BlobStore, settings: PortalSettings):
    """An aiohttp cleanup context: sweep() every interval, counts only in the log."""

    async def run() -> None:
        while True:
            try:
                result = await asyncio.to_thread(sweep, store, blobs, time.time(), settings.sweep_grace_seconds)
                if result.swept or result.failed:
                    log.info(
                        "sweep: ciphertext of %d expired messages deleted, %d left for the next sweep",
                        len(result.swept),
                        len(result.failed),
                    )
            except Exception as exc:  # noqa: BLE001 - one failed sweep must not end the sweeper
                log.warning(
                    "sweep failed (%s); trying again in %g s", type(exc).__name__, settings.sweep_interval_seconds
                )
            await asyncio.sleep(settings.sweep_interval_seconds)

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def build(settings: PortalSettings, home: Path) -> web.Application:
    from agent.portal.server import create_app

    blobs = blob_store(settings, home)
    store = portal_store(settings, home, blobs)
    app = create_app(
        store,
        upload_token(settings, home),
        code_mailer(settings, home),
        public_url=settings.public_url,
        allowed_hosts=settings.allowed_hosts or None,
        trusted_proxies=settings.trusted_proxies,
        branding=settings.branding,
        metrics_allow=settings.metrics_allow,
        purge_on_sync=False,
    )  # the sweeper deletes, after its grace
    app.cleanup_ctx.append(sweeper(store, blobs, settings))

    async def close(app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close)
    return app


def run(settings: PortalSettings, home: Path) -> None:
    logs.setup(settings.log_format, settings.log_level)
    app = build(settings, home)
    where = f"http://{settings.host}:{settings.port}"
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log_class=logs.AccessLogger,
        access_log=logging.getLogger("agent.portal.access"),
        handler_cancellation=True,
        print=lambda *_: log.info("portal on %s (public URL %s)", where, settings.public_url or "not set"),
    )
    log.info("portal on %s stopped", where)
