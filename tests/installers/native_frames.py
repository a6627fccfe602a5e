"""Talking to a native messaging host as a browser does: one length-prefixed JSON frame."""

import json
import struct
import subprocess


def hello(command: list[str], env: dict, cwd: str | None = None) -> dict:
    """Start `command` as Chrome starts a host, say hello, and return its first answer."""
    request = json.dumps({"id": 1, "op": "hello"}).encode()
    result = subprocess.run(
        command,
        input=struct.pack("=I", len(request)) + request,
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    size = struct.unpack("=I", result.stdout[:4])[0]
    return json.loads(result.stdout[4 : 4 + size])
