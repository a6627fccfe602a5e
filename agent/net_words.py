"""Network failures in words a clinician can read.

Python names a failed connection by the C library's text ("[Errno -2] Name or service not
known", "[Errno 111] Connection refused"). Those texts end up in outbox reasons, the tray,
`postseal status` and the audit log, so they are worded once, here, where the delivery and
portal code turns an exception into a reason — never re-worded later by each screen.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl

# getaddrinfo's EAI_* codes (glibc, macOS and Windows spell them the same in `socket`).
_LOOKUP = {
    getattr(socket, "EAI_NONAME", None): "no such domain",
    getattr(socket, "EAI_NODATA", None): "the domain has no address",
    getattr(socket, "EAI_AGAIN", None): "the domain name could not be looked up (DNS not answering)",
    getattr(socket, "EAI_FAIL", None): "the domain name could not be looked up (DNS failure)",
}
_ERRNO = {
    errno.ECONNREFUSED: "connection refused (nothing listens on that port)",
    errno.ECONNRESET: "connection reset by the other side",
    errno.ETIMEDOUT: "no answer (timed out)",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable (is this computer offline?)",
    errno.EPIPE: "connection closed by the other side",
    errno.ECONNABORTED: "connection aborted",
}
# The same texts when only the string survived (urllib3 and urllib fold the exception into text).
_TEXT = [
    (
        re.compile(
            r"\[Errno -2\] Name or service not known|\[Errno 8\] nodename nor servname provided, or not known"
            r"|\[Errno 11001\] getaddrinfo failed|Name or service not known"
        ),
        "no such domain",
    ),
    (re.compile(r"\[Errno -5\] No address associated with hostname"), "the domain has no address"),
    (
        re.compile(r"\[Errno -3\] Temporary failure in name resolution|Temporary failure in name resolution"),
        "the domain name could not be looked up (DNS not answering)",
    ),
    (
        re.compile(r"\[Errno (?:111|61|10061)\] Connection refused|\[WinError 10061\][^)]*"),
        "connection refused (nothing listens on that port)",
    ),
    (re.compile(r"\[Errno (?:113|65)\] No route to host"), "host unreachable"),
    (re.compile(r"\[Errno (?:101|51)\] Network is unreachable"), "network unreachable (is this computer offline?)"),
    (re.compile(r"\[Errno (?:104|54)\] Connection reset by peer"), "connection reset by the other side"),
]


def said(exc: BaseException | str) -> str:
    """What went wrong, in words: `no such domain`, `connection refused (…)`, `no answer (timed out)`."""
    if isinstance(exc, str):
        return plain(exc)
    if isinstance(exc, socket.gaierror) and exc.errno in _LOOKUP:
        return _LOOKUP[exc.errno]
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "no answer (timed out)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not verified ({exc.verify_message})"
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    inner = getattr(exc, "reason", None)  # urllib's URLError, urllib3's wrappers
    if isinstance(inner, BaseException) and inner is not exc:
        return said(inner)
    return plain(str(exc)) or type(exc).__name__


def plain(text: str) -> str:
    """`text` with the C library's phrases replaced by words (already worded text is unchanged)."""
    for pattern, words in _TEXT:
        text = pattern.sub(words, text)
    return text
