"""The Chrome/Edge native messaging host: the Gmail extension's door to the agent.

Chrome starts this process (`postseal native-host`) when the extension calls
`chrome.runtime.connectNative("org.postseal.agent")` and talks to it over stdin/stdout:
each message is a 32-bit length in native byte order, then that many bytes of UTF-8 JSON
(developer.chrome.com/docs/extensions/develop/concepts/native-messaging, "Native messaging
protocol"). The host forwards `compose` requests to the running agent's local API
(`POST /v1/compose`, addins/PROTOCOL.md) and answers with the agent's decision.

Limits come from Chrome: a message from the host may be at most 1 MB, one to the host at
most 64 MiB. We keep both directions in chunks of at most 512 KB (PROTOCOL.md) and refuse
anything larger than 64 MB without holding it in memory.

stdout carries frames and nothing else: a stray print would desynchronise Chrome's reader,
so `sys.stdout` is pointed at stderr while the host runs. Logs go to
`$POSTSEAL_HOME/logs/native-host.log` and never contain draft content.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from agent import client_json
from agent.ingress import envelope

log = logging.getLogger(__name__)

HOST_NAME = "org.postseal.agent"
MAX_REQUEST = 64 * 1024 * 1024  # Chrome's own limit for a message to the host
MAX_FRAME_OUT = 1024 * 1024  # Chrome drops a host whose message is larger
CHUNK_LIMIT = 512 * 1024  # PROTOCOL.md: every chunk frame, both directions
# The extension gives up after 60 s; answer before it does. The variable exists so a test
# can stand in a silent agent without waiting a minute.
COMPOSE_TIMEOUT = float(os.environ.get("POSTSEAL_NATIVE_HOST_TIMEOUT", "55"))
NOT_RUNNING = "Postseal is not running: start it from the tray or the Start menu, then press Send again."
SLOW = "Postseal did not answer in time, so this message was not sent. Press Send again."
_HEADER = struct.Struct("=I")  # "32-bit message length in native byte order"


class StreamEnded(Exception):
    """stdin closed (Chrome disconnected the port): the host exits."""


class RequestError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- framing ---------------------------------------------------------------------------


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        data = stream.read(size)
        if not data:
            raise StreamEnded
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def drain(stream: BinaryIO, size: int) -> None:
    """Skip `size` bytes in bounded pieces, so an oversized frame never sits in memory and
    the next frame header is read where the writer put it."""
    while size:
        data = stream.read(min(size, 1024 * 1024))
        if not data:
            raise StreamEnded
        size -= len(data)


def write_frame(stream: BinaryIO, message: dict[str, Any]) -> None:
    data = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    if len(data) > MAX_FRAME_OUT:  # a bug, never sent: Chrome would close the port
        raise ValueError(f"frame of {len(data)} bytes is over Chrome's 1 MB limit")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def response_frames(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The frames that carry one response: itself, or chunks of its JSON text.

    The text is ASCII (ensure_ascii), and JSON-escaping it again inside `data` at most
    doubles it (each `"` or `\\` gains one backslash), so pieces of CHUNK_LIMIT // 2 - 1 KB
    characters stay under the 512 KB frame limit whatever they contain."""
    text = json.dumps(message, ensure_ascii=True, separators=(",", ":"))
    if len(text) <= CHUNK_LIMIT:
        return [message]
    step = CHUNK_LIMIT // 2 - 1024
    pieces = [text[i : i + step] for i in range(0, len(text), step)]
    return [
        {"id": message.get("id"), "op": "chunk", "seq": seq, "total": len(pieces), "data": piece}
        for seq, piece in enumerate(pieces)
    ]


def error(ident: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": ident, "ok": False, **envelope.body(code, message)}


# --- the agent -------------------------------------------------------------------------


def _client(timeout: float = COMPOSE_TIMEOUT) -> Any:
    from agent.api.client import AgentClient, AgentUnreachable

    try:
        return AgentClient.discover(timeout=timeout)
    except AgentUnreachable:
        raise RequestError("agent_unreachable", NOT_RUNNING) from None


def agent_running() -> bool:
    from agent.api.client import AgentUnreachable, ApiError

    try:
        _client(timeout=3).health()
        return True
    except (RequestError, AgentUnreachable, ApiError, ValueError):
        return False


def ask_agent(draft: Any) -> dict[str, Any]:
    """The agent's answer to a draft (the API client's compose), or RequestError in words for
    the banner: a 4xx/5xx that still carries a decision is an answer, not an error."""
    from agent.api.client import AgentSlow, AgentUnreachable, ApiError

    try:
        answer = _client().compose(draft)
    except AgentSlow:
        raise RequestError("timeout", SLOW) from None
    except AgentUnreachable:
        raise RequestError("agent_unreachable", NOT_RUNNING) from None
    except ApiError as exc:
        # The status and the agent's technical words go to the host's log for IT; the banner
        # gets one plain sentence (agent/plain_words.py).
        log.warning("the agent answered HTTP %s (%s)", exc.status, exc.code[:40] or "no code")
        raise RequestError(
            "agent_error",
            "Postseal could not check this message, so it was not sent. Press "
            "Send again; if it keeps happening, tell your IT team.",
        ) from None
    except ValueError:
        raise RequestError(
            "agent_error", "Postseal's answer could not be read. Do not send this message; press Send again."
        ) from None
    if not isinstance(answer, dict) or answer.get("decision") not in ("allow", "sent", "held", "blocked"):
        raise RequestError("agent_error", "Postseal's answer could not be read. Press Send again.")
    return answer


# --- requests --------------------------------------------------------------------------


@dataclass
class Reassembly:
    total: int
    parts: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class Host:
    """Reads frames, reassembles chunks, answers each request. One request at a time:
    Gmail has one Send in flight per compose window and the agent answers in seconds."""

    stdin: BinaryIO
    stdout: BinaryIO
    pending: dict[int, Reassembly] = field(default_factory=dict)
    refused: set[int] = field(default_factory=set)  # chunked ids already answered too_large

    def send(self, message: dict[str, Any]) -> None:
        for frame in response_frames(message):
            write_frame(self.stdout, frame)

    def run(self) -> None:
        while True:
            try:
                self.step()
            except StreamEnded:
                return
            except (BrokenPipeError, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - one bad frame must not end the port
                # The frames may hold a draft: the type only, never the text or a traceback.
                log.error("request failed: %s", type(exc).__name__)
                self.send(
                    error(
                        None,
                        "internal_error",
                        "Postseal's connector could not handle this request, so nothing was sent. Press Send again.",
                    )
                )

    def step(self) -> None:
        size = _HEADER.unpack(read_exactly(self.stdin, _HEADER.size))[0]
        if size > MAX_REQUEST:
            # Answer first: a writer that waits for an answer must not deadlock on our drain.
            log.warning("frame of %d bytes refused (over 64 MB)", size)
            self.send(error(None, "bad_request", f"A message of {size} bytes is over the 64 MB limit."))
            drain(self.stdin, size)
            return
        raw = read_exactly(self.stdin, size)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            self.send(error(None, "bad_request", "The message is not UTF-8."))
            return
        try:
            request = client_json.loads(raw, "the message")
        except client_json.BadJson as exc:
            self.send(
                error(None, "bad_request", f"{str(exc).capitalize()}." if exc.too_deep else "The message is not JSON.")
            )
            return
        del raw
        if isinstance(request, dict) and request.get("op") == "chunk":
            request = self.chunk(request)
            if request is None:
                return
        self.answer(request)

    def chunk(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """Keeps one chunk; returns the whole request once its last chunk is in."""
        ident, seq, total, data = (frame.get(k) for k in ("id", "seq", "total", "data"))
        if not (_is_id(ident) and _is_int(seq) and _is_int(total) and isinstance(data, str)) or total < 1:
            self.send(
                error(
                    ident if _is_id(ident) else None,
                    "bad_request",
                    "A chunk needs an integer id, seq and total and a text data field.",
                )
            )
            return None
        if ident in self.refused:  # the rest of a request already answered too_large
            if seq == total - 1:
                self.refused.discard(ident)
            return None
        part = self.pending.get(ident)
        if part is None and seq == 0:
            part = self.pending[ident] = Reassembly(total)
        if part is None or seq != len(part.parts) or total != part.total:
            self.pending.pop(ident, None)
            self.send(error(ident, "bad_request", f"Chunk {seq} of {total} arrived out of order."))
            return None
        part.parts.append(data)
        part.size += len(data)
        if sum(p.size for p in self.pending.values()) > MAX_REQUEST:
            del self.pending[ident]
            self.refused.add(ident)
            self.send(
                error(
                    ident,
                    "too_large",
                    "This message is over the 64 MB Postseal can check. "
                    "Send large files through your organization's file sharing.",
                )
            )
            return None
        if len(part.parts) < total:
            return None
        del self.pending[ident]
        text = "".join(part.parts)
        try:
            request = client_json.loads(text, "the chunked message")
        except client_json.BadJson as exc:
            self.send(
                error(
                    ident,
                    "bad_request",
                    f"{str(exc).capitalize()}." if exc.too_deep else "The chunked message is not JSON.",
                )
            )
            return None
        if isinstance(request, dict) and "id" not in request:
            request["id"] = ident
        return request

    def answer(self, request: Any) -> None:
        if not isinstance(request, dict) or not _is_id(request.get("id")):
            ident = request.get("id") if isinstance(request, dict) and _is_id(request.get("id")) else None
            self.send(error(ident, "bad_request", "A request needs a JSON object with an integer id."))
            return
        ident, op = request["id"], request.get("op")
        try:
            if op == "hello":
                self.send(
                    {
                        "id": ident,
                        "ok": True,
                        "version": _version(),
                        "agent": "running" if agent_running() else "not running",
                    }
                )
            elif op == "compose":
                if not isinstance(request.get("draft"), dict):
                    raise RequestError("bad_request", "compose needs a draft object.")
                answer = ask_agent(request["draft"])
                log.info("compose %s: %s", ident, answer.get("decision"))
                self.send({"id": ident, "ok": True, "answer": answer})
            else:
                raise RequestError("bad_request", f"Unknown op {str(op)[:40]!r}.")
        except RequestError as exc:
            # The op is named only when it is one of ours: anything else may be text a page sent.
            log.info(
                "request %s (%s): %s", ident, op if op in ("hello", "compose", "chunk") else "unknown op", exc.code
            )
            self.send(error(ident, exc.code, str(exc)))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_id(value: Any) -> bool:
    return _is_int(value)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("postseal")
    except PackageNotFoundError:
        return "0+unknown"


def _log_to_file() -> None:
    from agent.api.client import default_home

    handler: logging.Handler
    try:
        logs = default_home() / "logs"
        logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.FileHandler(Path(logs) / "native-host.log", encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def main(argv: list[str] | None = None) -> int:
    """Chrome passes the caller's origin (and `--parent-window=` on Windows): not needed,
    since the host manifest's allowed_origins already limits who may start us."""
    argv = sys.argv[1:] if argv is None else argv
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the real stdout
    if sys.platform == "win32":  # no CRLF translation of the binary frames
        import msvcrt

        msvcrt.setmode(stdin.fileno(), os.O_BINARY)
        msvcrt.setmode(stdout.fileno(), os.O_BINARY)
    _log_to_file()
    log.info("native host started for %s", argv[0] if argv else "an unnamed caller")
    try:
        Host(stdin, stdout).run()
    except BrokenPipeError:  # Chrome closed the port while we answered
        pass
    log.info("native host stopped")
    return 0


def entry() -> None:
    """The `postseal-native-host` console script the host manifest names: Chrome starts it
    with the caller's origin as the first argument (native_manifest.py)."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
