"""Network change events, so a waiting outbox flushes the moment the network is back.

Linux: an rtnetlink socket subscribed to link, address and route changes (what
NetworkManager and systemd-networkd produce when Wi-Fi reconnects or a cable is plugged
in). We do not parse the messages: any change is only a reason to probe the relay now.
Elsewhere, or where the socket cannot be opened, the outbox relies on its periodic probe
alone (DESIGN: "network change event where the OS gives one, else a cheap probe").
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

# linux/rtnetlink.h multicast groups
_RTMGRP_LINK, _RTMGRP_IPV4_IFADDR, _RTMGRP_IPV4_ROUTE = 0x1, 0x10, 0x40
_RTMGRP_IPV6_IFADDR, _RTMGRP_IPV6_ROUTE = 0x100, 0x400
_GROUPS = _RTMGRP_LINK | _RTMGRP_IPV4_IFADDR | _RTMGRP_IPV4_ROUTE | _RTMGRP_IPV6_IFADDR | _RTMGRP_IPV6_ROUTE


class NetworkChanges:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> bool:
        """Listen on the running loop; False when this platform gives no events."""
        if not sys.platform.startswith("linux"):
            return False
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            sock.bind((0, _GROUPS))
            sock.setblocking(False)
        except OSError as exc:
            log.info("no network change events (%s); the offline probe alone finds the network", exc)
            return False
        self._sock, self._loop = sock, asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        return True

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            while self._sock.recv(65536):  # drain the burst one change produces
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:  # ENOBUFS after a flood: still "something changed"
            log.debug("netlink: %s", exc)
        self.on_change()

    def close(self) -> None:
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
