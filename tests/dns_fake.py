"""A small authoritative-and-validating DNS server on 127.0.0.1 (UDP and TCP, dnspython's
message code), standing in for the recipients' DNS: TXT, MX, A and TLSA records from a dict,
the AD bit set on answers for names the test marks as DNSSEC-signed (as a validating
resolver would), NXDOMAIN otherwise. `delay` makes every answer slow (timeout tests)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class FakeDns:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}  # (name, type) → rdata texts
        self.signed: set[str] = set()  # names answered with AD=1
        self.delay = 0.0
        self.queries: list[tuple[str, str]] = []
        server = self

        def answer(wire: bytes) -> bytes:
            query = dns.message.from_wire(wire)
            question = query.question[0]
            name, kind = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
            server.queries.append((name, kind))
            if server.delay:
                time.sleep(server.delay)
            response = dns.message.make_response(query)
            texts = server.records.get((name, kind))
            if texts:
                response.answer.append(dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, kind, texts))
            elif not any(n == name for n, _ in server.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            if name in server.signed and (query.flags & dns.flags.AD or query.ednsflags & dns.flags.DO):
                response.flags |= dns.flags.AD
            return response.to_wire()

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(answer(data), self.client_address)

        self._udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
        self.port = self._udp.server_address[1]
        threading.Thread(target=self._udp.serve_forever, daemon=True).start()

    def add(self, name: str, kind: str, *texts: str, signed: bool = False) -> None:
        key = (name.lower().rstrip(".") + ".", kind)
        self.records.setdefault(key, []).extend(texts)
        if signed:
            self.signed.add(key[0])

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._udp.shutdown()
        self._udp.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
