"""Network failures reach the user in words, whichever library wrapped them."""

import smtplib
import socket
import urllib.error
import urllib.request

import pytest

from agent.demo_world import free_port
from agent.net_words import plain, said


def test_a_refused_connection_is_said_in_words():
    with pytest.raises(OSError) as refused:
        smtplib.SMTP("127.0.0.1", free_port(), timeout=5)
    assert said(refused.value) == "connection refused (nothing listens on that port)"
    with pytest.raises(urllib.error.URLError) as wrapped:  # urllib keeps the socket error as .reason
        urllib.request.urlopen(f"http://127.0.0.1:{free_port()}/", timeout=5)
    assert said(wrapped.value) == "connection refused (nothing listens on that port)"


def test_an_unknown_domain_is_no_such_domain():
    assert said(socket.gaierror(socket.EAI_NONAME, "Name or service not known")) == "no such domain"
    assert "could not be looked up" in said(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    # Only the text survived (urllib3 folds the exception into its message).
    assert (
        plain("Failed to resolve 'x.example' ([Errno -2] Name or service not known)")
        == "Failed to resolve 'x.example' (no such domain)"
    )


def test_words_already_written_and_unknown_errors_pass_through():
    assert (
        plain("relay 127.0.0.1:25 not reachable: no such domain") == "relay 127.0.0.1:25 not reachable: no such domain"
    )
    assert said(TimeoutError()) == "no answer (timed out)"
    assert said(ValueError("odd")) == "odd" and said(ValueError()) == "ValueError"
