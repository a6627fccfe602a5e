"""Stamps on the copies the agent sends itself: stored once, renewed before they lapse."""

from __future__ import annotations

import time

from agent import stamp

COPY = (
    b"From: Dr Chen <dr.chen@valleyclinic.example>\r\nTo: a@partner.example\r\n"
    b"Subject: Encrypted message\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n"
)


def test_a_stamped_copy_names_its_verdict_and_stays_as_stored_while_fresh(home):
    stamper = stamp.Stamper(home)
    verdict, data = stamper.stamp_copy(COPY, ["a@partner.example"])
    assert stamp.stamp_of(data)[0] == verdict and stamp.stamp_of(COPY) is None
    assert stamper.fresh(data, ["a@partner.example"]) == (verdict, data)  # resend = same bytes


def test_a_stamp_about_to_lapse_is_renewed_and_the_old_one_removed(home):
    stamper = stamp.Stamper(home)
    old, data = stamper.stamp_copy(COPY, ["a@partner.example"])
    later = time.time() + stamp.RENEW_AFTER + 60
    verdict, renewed = stamper.fresh(data, ["a@partner.example"], now=later)
    assert verdict != old and renewed != data  # a new stamp, not the stored one again
    assert renewed.count(b"X-Postseal-Verdict:") == 1 and stamp.stamp_of(renewed)[0] == verdict
    value = renewed.split(b"\r\n", 1)[0].split(b": ", 1)[1].decode()
    stamper.verify(value, "dr.chen@valleyclinic.example", ["a@partner.example"], "Encrypted message")


def test_a_folded_stamp_is_read_back_and_verifies(home):
    stamper = stamp.Stamper(home)
    crowd = [f"r{i}@partner.example" for i in range(60)]
    verdict, data = stamper.stamp_copy(COPY, crowd)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998 and b"\r\n " in head
    assert stamp.stamp_of(data)[0] == verdict
    value = head.split(b"X-Postseal-Verdict: ", 1)[1].split(b"\r\nFrom:", 1)[0].decode()
    stamper.verify(value, "dr.chen@valleyclinic.example", crowd, "Encrypted message")
