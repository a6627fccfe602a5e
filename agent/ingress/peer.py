"""Who is on the other end of a loopback connection?

Every local user can open a TCP connection to 127.0.0.1. On a shared computer (a terminal
server in a clinic) that would let another user's program ask *this* user's agent for a
verdict stamp or submit mail in this user's name. On Linux the kernel tells us the owner of
each socket (/proc/net/tcp and tcp6, the `uid` column), so the add-in origin and the SMTP
submission refuse connections from other users. Where that table does not exist (macOS,
Windows) the answer is "unknown" and the other checks (pairing token, SMTP password) stand
alone; README "Local doors" says so.

On Linux the same table names the socket's inode, and /proc/<pid>/fd names the process
holding it: `process()` identifies the program on the other end, so a pairing token can be
bound to the browser that fetched it (addin.py). macOS and Windows give an unprivileged
process no such view of another process's TCP sockets through a stable interface we use
here, so there a token is bound to nothing narrower than the agent's run.
"""

from __future__ import annotations

import os
from pathlib import Path

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
PROC = Path("/proc")


UNKNOWN, NOT_FOUND = -1, -2


def _socket(peer_port: int, our_port: int) -> tuple[bool, tuple[int, int] | None]:
    """(whether the system keeps a socket table, (uid, inode) of the socket whose local port
    is `peer_port` and remote port `our_port`, or None)."""
    found_table = False
    for table in TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, remote = fields[1], fields[2]
            if int(local.rsplit(":", 1)[1], 16) == peer_port and int(remote.rsplit(":", 1)[1], 16) == our_port:
                return True, (int(fields[7]), int(fields[9]))
    return found_table, None


def owner(peer_port: int, our_port: int) -> int:
    """The uid owning the socket whose local port is `peer_port` and remote port `our_port`;
    UNKNOWN when the system keeps no such table, NOT_FOUND when it does and the socket is
    not in it (gone already, or not on this machine)."""
    found_table, row = _socket(peer_port, our_port)
    if row is not None:
        return row[0]
    return NOT_FOUND if found_table else UNKNOWN


def same_user(peer: tuple | None, ours: tuple | None) -> bool:
    """False when the system says the peer belongs to another user, or keeps a socket table
    without the peer in it (fail closed); True when it matches or the system cannot say."""
    if not peer or not ours or not hasattr(os, "getuid"):
        return True
    uid = owner(int(peer[1]), int(ours[1]))
    return uid == UNKNOWN or uid == os.getuid()


def process(peer: tuple | None, ours: tuple | None) -> str | None:
    """ "pid:start-time" of the process holding the peer's end of the connection (the start
    time tells a reused pid apart), or None where the system cannot say."""
    if not peer or not ours:
        return None
    _, row = _socket(int(peer[1]), int(ours[1]))
    if row is None or not row[1]:
        return None
    uid, target = row[0], f"socket:[{row[1]}]"
    try:
        entries = list(os.scandir(PROC))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            fds = os.scandir(f"{entry.path}/fd")
        except OSError:  # gone, or not ours to look into
            continue
        with fds:
            if any(_link(fd.path) == target for fd in fds):
                return f"{entry.name}:{_start_time(entry.path)}"
    return None


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _start_time(proc_dir: str) -> str:
    try:
        stat = Path(proc_dir, "stat").read_text()
    except OSError:
        return "?"
    fields = stat.rsplit(")", 1)[-1].split()  # the name in (…) may hold spaces
    return fields[19] if len(fields) > 19 else "?"
