"""Bounces (agent/bounces.py, agent/bounce_wording.py) and MTA-STS (agent/mta_sts.py), in
process: any bytes handed to `postseal bounce` are a Report or one NotADsn of one line —
never another exception — and a Report's fields are single bounded lines; any TXT records
give an id the grammar allows or NoPolicy; any policy text gives a Policy within the RFC's
bounds or NoPolicy; MX matching never raises and never matches a host a pattern does not
cover (checked against a model of RFC 8461 §4.1). Together half a budget (timebox.py)."""

from __future__ import annotations

import base64
import quopri
import re

from hypothesis import given
from hypothesis import strategies as st

from agent import bounces, mta_sts
from tests.fuzz.timebox import timeboxed

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded", "Failed", "exploded", "")
ADDRESS_TYPES = ("rfc822", "utf-8", "RFC822", "x-unknown", "")
line = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
addresses = st.one_of(st.emails().map(str), st.sampled_from(("jörg@bücher.test", "j\\x{F6}rg@b.test", "<a@b.c>")), line)


@st.composite
def recipient_group(draw) -> str:
    fields = [
        f"Final-Recipient: {draw(st.sampled_from(ADDRESS_TYPES))}; {draw(addresses)}",
        f"Action: {draw(st.sampled_from(ACTIONS))}",
        f"Status: {draw(st.sampled_from(('5.1.1', '5.0.0 (permanent failure)', '4.4.1', '9.9', '')))}",
        f"Diagnostic-Code: smtp; {draw(line)}",
    ]
    if draw(st.booleans()):
        fields.append(f"Original-Recipient: rfc822; {draw(addresses)}")
    return "\r\n".join(draw(st.permutations(fields))[: draw(st.integers(0, len(fields)))])


@st.composite
def reports(draw) -> bytes:
    groups = draw(st.lists(recipient_group(), max_size=4))
    separator = draw(st.sampled_from(("\r\n\r\n", "\n\n", "\r\n", "\r\n\r\n\r\n")))
    status = (
        "Reporting-MTA: dns; relay.test"
        + separator
        + separator.join(groups)
        + draw(st.sampled_from(("", "\r\n", "\r\n\r\n")))
    ).encode()
    kind = draw(st.sampled_from(("message/delivery-status", "message/global-delivery-status", "text/plain")))
    encoding = draw(st.sampled_from(("", "base64", "quoted-printable", "8bit", "x-bogus")))
    body = {"base64": base64.encodebytes(status), "quoted-printable": quopri.encodestring(status)}.get(encoding, status)
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    report_type = draw(st.sampled_from(("delivery-status", "DELIVERY-STATUS", "feedback-report", "")))
    returned = draw(
        st.sampled_from(
            (
                b"",
                b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <x@y>\r\n",
                b"--b\r\nContent-Type: message/global-headers\r\n\r\nMessage-ID: <\xc3\xa9@y>\r\n",
                b"--b\r\nContent-Type: message/rfc822\r\n\r\n",
            )
        )
    )
    return (
        (
            f'Content-Type: multipart/report; report-type={report_type}; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain\r\n\r\n{draw(line)}\r\n"
            f"--b\r\nContent-Type: {kind}\r\n"
            + (f"Content-Transfer-Encoding: {encoding}\r\n" if encoding else "")
            + "\r\n"
        ).encode()
        + body
        + b"\r\n"
        + returned
        + draw(st.sampled_from((b"--b--\r\n", b"")))
    )


text_bounces = st.builds(
    lambda who, what, tail: (
        b"From: MAILER-DAEMON@relay.test\r\nSubject: failure notice\r\n\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"This is a permanent error; I've given up.\r\n\r\n<"
        + who.encode("utf-8", "replace")
        + b">:\r\n"
        + what.encode("utf-8", "replace")
        + b"\r\n"
        + tail
    ),
    addresses,
    line,
    st.binary(max_size=200),
)


@timeboxed(share=0.25)
@given(raw=st.one_of(reports(), text_bounces, st.binary(max_size=2000)))
def test_any_bounce_is_a_report_of_single_bounded_lines_or_one_refusal(raw):
    try:
        report = bounces.parse(raw)
    except bounces.NotADsn as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert report.recipients
    for status in report.recipients:
        assert status.action in bounces.ACTIONS
        assert status.status == "" or re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", status.status)
        for value in (status.address, status.final_address, status.diagnostic, status.remote_mta):
            assert len(value) <= 300 and not re.search(r"[\x00-\x1f\x7f]", value)
    assert len(report.message_id) <= 300 and not re.search(r"[\x00-\x1f\x7f]", report.message_id)


record_fields = st.sampled_from(
    (
        "id=20260101",
        "id=a",
        "id=",
        "id=" + "x" * 33,
        "id=a-b",
        "ext=1",
        "ext=",
        "x y=1",
        "",
        " ",
        "v=STSv1",
        "id=first",
        "=",
        ";",
    )
)
records = st.builds(
    lambda head, fields, sep: head + sep.join(fields),
    st.sampled_from(("v=STSv1;", "v=STSv1 ;", "v=STSv1", "v=STSv10;", "V=STSv1;", "", "v=spf1 ")),
    st.lists(record_fields, max_size=4),
    st.sampled_from((";", "; ", " ;\t", ";;")),
)


@timeboxed(share=0.1)
@given(txt=st.lists(st.one_of(records, line), max_size=3))
def test_any_txt_records_give_a_grammatical_id_or_no_policy(txt):
    try:
        ident = mta_sts.record_id(txt)
    except mta_sts.NoPolicy as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert re.fullmatch(r"[A-Za-z0-9]{1,32}", ident)
    assert sum(1 for r in txt if re.match(r"v=STSv1[ \t]*;", r)) == 1


policy_lines = st.one_of(
    st.sampled_from(
        (
            "version: STSv1",
            "version:STSv1",
            "version: STSv2",
            "Version: STSv1",
            "mode: enforce",
            "mode: testing",
            "mode: none",
            "mode: Enforce",
            "max_age: 86400",
            "max_age: +5",
            "max_age: 31557601",
            "max_age: 01234567890",
            "mx: mail.example.com",
            "mx: *.example.com",
            "mx: *.*.example.com",
            "mx: -x.example",
            "mx:",
            "ext: value",
            "_ext: v",
            "",
            " ",
            "garbage",
        )
    ),
    st.builds("{}: {}".format, st.sampled_from(("mx", "mode", "max_age", "version", "x")), line),
)


@timeboxed(share=0.1)
@given(lines=st.lists(policy_lines, max_size=8), newline=st.sampled_from(("\n", "\r\n", "\r")))
def test_any_policy_text_gives_a_policy_within_the_rfc_or_no_policy(lines, newline):
    try:
        policy = mta_sts.parse("example.com", "id", newline.join(lines))
    except mta_sts.NoPolicy as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert policy.mode in ("enforce", "testing", "none") and 0 <= policy.max_age <= mta_sts.MAX_AGE_LIMIT
    assert policy.mx or policy.mode == "none"
    label = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
    assert all(re.fullmatch(rf"(\*\.)?{label}(\.{label})*", m) for m in policy.mx)


hosts = st.one_of(st.from_regex(r"[a-zA-Z0-9.*-]{0,30}", fullmatch=True), line)


@timeboxed(share=0.05)
@given(
    patterns=st.lists(
        st.sampled_from(("mail.example.com", "*.example.com", "*.b.example.com", "example.com")), max_size=3
    ),
    host=hosts,
)
def test_an_mx_pattern_covers_exactly_the_hosts_of_rfc_8461_section_4_1(patterns, host):
    policy = mta_sts.Policy("example.com", "id", "enforce", tuple(patterns), 60)
    labels = host.lower().rstrip(".").split(".")
    ldh = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"

    def covers(pattern: str) -> bool:  # by labels: "*" stands for one whole LDH label
        want = pattern.split(".")
        return len(want) == len(labels) and all(
            w == h or (i == 0 and w == "*" and re.fullmatch(ldh, h))
            for i, (w, h) in enumerate(zip(want, labels, strict=True))
        )

    assert policy.allows(host) is any(covers(p) for p in patterns)
