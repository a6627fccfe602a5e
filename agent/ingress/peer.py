"""Who is on the other end of a loopback connection?

Every local user can open a TCP connection to 127.0.0.1. On a shared computer (a terminal
server in a clinic) that would let another user's program ask *this* user's agent for a
verdict stamp or submit mail in this user's name. On Linux the kernel tells us the owner of
each socket (/proc/net/tcp and tcp6, the `uid` column), so the add-in origin and the SMTP
submission refuse connections from other users. Where that table does not exist (macOS,
Windows) the answer is "unknown" and the other checks (pairing token, SMTP password) stand
alone; README "Local doors" says so.
"""

from __future__ import annotations

import os
from pathlib import Path

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


UNKNOWN, NOT_FOUND = -1, -2


def owner(peer_port: int, our_port: int) -> int:
    """The uid owning the socket whose local port is `peer_port` and remote port `our_port`;
    UNKNOWN when the system keeps no such table, NOT_FOUND when it does and the socket is
    not in it (gone already, or not on this machine)."""
    found_table = False
    for table in TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            fields = line.split()
            if len(fields) < 8:
                continue
            local, remote = fields[1], fields[2]
            if int(local.rsplit(":", 1)[1], 16) == peer_port and int(remote.rsplit(":", 1)[1], 16) == our_port:
                return int(fields[7])
    return NOT_FOUND if found_table else UNKNOWN


def same_user(peer: tuple | None, ours: tuple | None) -> bool:
    """False when the system says the peer belongs to another user, or keeps a socket table
    without the peer in it (fail closed); True when it matches or the system cannot say."""
    if not peer or not ours or not hasattr(os, "getuid"):
        return True
    uid = owner(int(peer[1]), int(ours[1]))
    return uid == UNKNOWN or uid == os.getuid()
