"""The loopback redirect of an OAuth sign-in in the system browser (RFC 8252 §7.3).

The agent listens on 127.0.0.1 on a free port for exactly one redirect carrying the
authorization code (or the provider's error) and the `state` it handed out; anything else is
answered 400 and ignored, so a web page cannot end someone's sign-in by guessing the port.
The browser is shown a short page saying the sign-in is done and the window can be closed.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Postseal</title>
<style>body{{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;padding:0 1em;color:#1b1b1f}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>"""


@dataclass(frozen=True)
class Redirect:
    params: dict[str, str]  # code/state, or error/error_description


class LoopbackReceiver:
    def __init__(self, state: str, path: str = "/") -> None:
        self.state = state
        self.path = path
        self._done = threading.Event()
        self.result: Redirect | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != receiver.path or params.get("state") != receiver.state or receiver._done.is_set():
                    self._answer(400, "This is not a Postseal sign-in", "Close this window.")
                    return
                receiver.result = Redirect(params)
                receiver._done.set()
                if "error" in params:
                    self._answer(
                        200,
                        "Sign-in not completed",
                        html.escape(params.get("error_description") or params["error"])
                        + " You can close this window; Postseal says what to do next.",
                    )
                else:
                    self._answer(200, "Signed in", "Postseal is finishing the sign-in. You can close this window.")

            def _answer(self, status: int, title: str, text: str) -> None:
                body = PAGE.format(title=html.escape(title), text=text).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # the query holds the code: never logged
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="postseal-signin", daemon=True)
        self._thread.start()

    def redirect_uri(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{self.path}"

    def wait(self, timeout: float) -> Redirect | None:
        """The redirect, or None if none came in time (the user closed the browser)."""
        self._done.wait(timeout)
        return self.result

    def cancel(self) -> None:
        self._done.set()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
