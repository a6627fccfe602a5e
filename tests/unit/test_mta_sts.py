"""MTA-STS records, policies and MX patterns read by RFC 8461's grammar (§3.1, §3.2, §4.1)."""

import pytest

from agent import mta_sts

GOOD = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.backup.example.com\nmax_age: 86400\n"


@pytest.mark.parametrize(
    "records, ident",
    [
        (["v=STSv1; id=20160831085700Z;"], "20160831085700Z"),
        (["v=STSv1;id=abc"], "abc"),
        (["v=STSv1 ;  id=abc  "], "abc"),
        (["v=STSv1; id=abc;;;"], "abc"),
        (["v=STSv1; id=first; id=second"], "first"),
        (["v=STSv1; ext_1.x=some-value; id=abc"], "abc"),
        # Look-alikes published beside the real record are not STS records (§3.1).
        (["v=STSv10; id=zzz", "v=STSv1; id=real"], "real"),
        (["v=STSv1.1; id=zzz", "v=STSv1; id=real"], "real"),
        (["v=STSv1", "v=STSv1; id=real"], "real"),
        (["v=spf1 -all", "v=STSv1; id=real"], "real"),
    ],
)
def test_the_one_sts_record_gives_its_id(records, ident):
    assert mta_sts.record_id(records) == ident


@pytest.mark.parametrize(
    "records, why",
    [
        ([], "0 v=STSv1 TXT records"),
        (["v=STSv1"], "0 v=STSv1 TXT records"),
        (["v=STSv10; id=abc"], "0 v=STSv1 TXT records"),
        (["id=abc; v=STSv1;"], "0 v=STSv1 TXT records"),
        (["V=STSV1; id=abc"], "0 v=STSv1 TXT records"),
        (["v=STSv1; id=a", "v=STSv1; id=b"], "2 v=STSv1 TXT records"),
        (["v=STSv1; "], "id is missing"),
        (["v=STSv1; id=2018-09-07"], "malformed"),
        (["v=STSv1; id=" + "a" * 33], "malformed"),
        (["v=STSv1; id"], "malformed"),
        (["v=STSv1; ext=has space"], "malformed"),
    ],
)
def test_what_is_not_one_valid_sts_record_is_no_policy(records, why):
    with pytest.raises(mta_sts.NoPolicy, match=why):
        mta_sts.record_id(records)


@pytest.mark.parametrize(
    "content_type, ok",
    [
        ("text/plain", True),
        ("TEXT/PLAIN", True),
        ("TeXt/PlAiN", True),
        ("text/plain; charset=UTF-8", True),
        ("text/plain ; charset=utf-8", True),
        ("text/plain+", False),
        ("text/html", False),
        ("", False),
        ("application/json+text/plain", False),
    ],
)
def test_the_policy_is_text_plain_in_any_case(content_type, ok):
    assert mta_sts.is_policy_type(content_type) is ok


def test_a_policy_by_the_grammar():
    policy = mta_sts.parse("example.com", "id1", GOOD.replace("\n", "\r\n"))
    assert (policy.mode, policy.mx, policy.max_age) == ("enforce", ("mail.example.com", "*.backup.example.com"), 86400)


def test_a_repeated_field_counts_by_its_first_instance():
    text = GOOD + "mode: none\nmax_age: 5\n"
    policy = mta_sts.parse("example.com", "id1", text)
    assert (policy.mode, policy.max_age) == ("enforce", 86400)


def test_unknown_fields_and_blank_lines_are_ignored():
    policy = mta_sts.parse("example.com", "id1", "\n" + GOOD + "\nx-note: hello world\n\n")
    assert policy.mode == "enforce"


@pytest.mark.parametrize(
    "change, why",
    [
        (("max_age: 86400", "max_age: +5"), "max_age"),
        (("max_age: 86400", "max_age: -1"), "max_age"),
        (("max_age: 86400", "max_age: 86400.5"), "max_age"),
        (("max_age: 86400", "max_age: 12345678901"), "max_age"),
        (("max_age: 86400", "max_age: 31557601"), "over"),
        (("max_age: 86400\n", ""), "max_age"),
        (("mx: mail.example.com", "mx: *example.com"), "mx"),
        (("mx: mail.example.com", "mx: mail.*.com"), "mx"),
        (("mx: mail.example.com", "mx: *.*.example.com"), "mx"),
        (("mx: mail.example.com", "mx: mail..example.com"), "mx"),
        (("mx: mail.example.com", "mx: -mail.example.com"), "mx"),
        (("mx: mail.example.com", "mx: mail.example.com."), "mx"),
        (("mx: mail.example.com", "mx:"), "not a field"),
        (("version: STSv1", "version: stsv1"), "version"),
        (("version: STSv1", "Version: STSv1"), "version"),
        (("mode: enforce", "mode: Enforce"), "mode"),
        (("mode: enforce", "mode: doubt"), "mode"),
        (("mode: enforce\n", "garbage\n"), "not a field"),
        (("mode: enforce\n", " mode: enforce\n"), "not a field"),
    ],
)
def test_what_the_grammar_rejects_is_no_policy(change, why):
    with pytest.raises(mta_sts.NoPolicy, match=why):
        mta_sts.parse("example.com", "id1", GOOD.replace(*change))


def test_enforce_and_testing_need_an_mx_but_none_does_not():
    bare = "version: STSv1\nmode: {}\nmax_age: 60\n"
    assert mta_sts.parse("example.com", "i", bare.format("none")).mx == ()
    with pytest.raises(mta_sts.NoPolicy, match="no mx"):
        mta_sts.parse("example.com", "i", bare.format("testing"))


@pytest.mark.parametrize(
    "host, ok",
    [
        ("mail.example.com", True),
        ("MAIL.Example.COM.", True),
        ("a.backup.example.com", True),
        ("backup.example.com", False),
        (".backup.example.com", False),
        ("a.b.backup.example.com", False),
        ("*.backup.example.com", False),
        ("xbackup.example.com", False),
        ("mail.example.com.evil.test", False),
    ],
)
def test_a_wildcard_matches_exactly_one_whole_label(host, ok):
    assert mta_sts.parse("example.com", "id1", GOOD).allows(host) is ok
