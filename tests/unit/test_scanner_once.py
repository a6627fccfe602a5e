"""The detectors' scanner is built once per process, even when the first messages are planned
on several threads at once (each build compiles a Hyperscan database: seconds of CPU wasted
and clinicians kept waiting when every thread built its own)."""

from __future__ import annotations

import threading

from agent.policy import scanner as scanner_mod


def test_concurrent_first_callers_share_one_scanner(monkeypatch):
    monkeypatch.setattr(scanner_mod, "_default", None)  # as in a freshly started agent
    built: list[object] = []
    real_init = scanner_mod.Scanner.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(scanner_mod.Scanner, "__init__", counting_init)
    start = threading.Barrier(4)
    got: list[object] = []

    def first_message():
        start.wait()
        got.append(scanner_mod.scanner())

    threads = [threading.Thread(target=first_message) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert len(got) == 4 and all(s is got[0] for s in got)
    assert got[0].scan("SSN 123-45-6789", "body")  # and it is a working scanner
