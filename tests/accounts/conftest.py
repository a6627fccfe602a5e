"""Fixtures for sign-in and the provider transports: an OS keyring stand-in (the one system
boundary that cannot exist here), the fake Microsoft and Google services over HTTPS under the
test CA, a "browser" that follows the sign-in URL, and an agent configured for them."""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest

from agent.api.client import AgentClient
from tests.accounts.fake_google import FakeGoogle
from tests.accounts.fake_microsoft import FakeMicrosoft


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Stands in for Keychain / Credential Locker / Secret Service: same API, in memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError(username)
        del self.entries[(service, username)]


@pytest.fixture
def os_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(before)


@pytest.fixture
def microsoft(ca) -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(ca) as fake:
        yield fake


@pytest.fixture
def google(ca) -> Iterator[FakeGoogle]:
    with FakeGoogle(ca) as fake:
        yield fake


def browse(url: str, ca) -> str:
    """What the system browser does with the sign-in URL: GET it, follow the provider's
    redirect to the agent's loopback address, and show the page it ends on."""
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    with opener.open(url, timeout=30) as response:
        return response.read().decode()


def eventually(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)


def wait_sign_in(client: AgentClient, ident: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.sign_in_status(ident)
        if status["state"] != "waiting" or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


@pytest.fixture
def account_agent(start_agent, sink, ca, os_keyring):
    """start(fake, **accounts settings) → (running agent, client)."""

    def start(fake, **settings):
        accounts = {**fake.settings(), "ca_file": str(ca.ca_file), "sign_in_timeout": 20, **settings}
        running = start_agent(sink.port, accounts=accounts, outbox={"retry_first_seconds": 1})
        return running, AgentClient(running.api_url, running.token, timeout=60)

    return start


def sign_in(client: AgentClient, provider: str, ca) -> dict:
    attempt = client.start_sign_in(provider)
    assert attempt["state"] == "waiting" and attempt["auth_url"].startswith("https://127.0.0.1:")
    page = browse(attempt["auth_url"], ca)
    assert "Signed in" in page, page
    return wait_sign_in(client, attempt["id"])
