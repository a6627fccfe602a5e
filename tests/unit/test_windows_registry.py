r"""Managed policy from HKLM/HKCU\SOFTWARE\Policies\Postseal, read through a fake winreg."""

from __future__ import annotations

import pytest

from agent.platform.windows_registry import REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, read_policy
from agent.policy_schema import PolicyError, validate
from tests.fake_registry import FakeRegistry

HKLM = r"HKLM\SOFTWARE\Policies\Postseal"
HKCU = r"HKCU\SOFTWARE\Policies\Postseal"


def test_hklm_and_hkcu_values_round_trip_to_the_policy_with_hklm_winning_per_key():
    registry = (
        FakeRegistry()
        .set_text(HKLM + r"\relay", "host", "smtp.clinic.example")
        .set_dword(HKLM + r"\relay", "port", 587)
        .set_text(HKLM + r"\relay", "starttls", "required")
        .set_dword(HKLM + r"\tls", "dane", 0)
        .set_dword(HKLM + r"\policy", "allow_release", 0)
        .set_list(HKLM + r"\tls\required_domains", ["lab.example", "imaging.example"])
        .set_dword(HKLM + r"\outbox", "give_up_after_hours", 72)
        # the user's own hive: loses where HKLM set the key, counts where it did not
        .set_dword(HKCU + r"\relay", "port", 25)
        .set_text(HKCU + r"\relay", "starttls", "off")
        .set_list(HKCU + r"\tls\required_domains", ["other.example"])
        .set_dword(HKCU + r"\tls", "mta_sts", 1)
        .set_list(HKCU + r"\organization\internal_domains", ["clinic.example"])
    )
    policy = read_policy(registry)
    assert policy == {
        "relay": {"host": "smtp.clinic.example", "port": 587, "starttls": "required"},
        "tls": {"dane": False, "required_domains": ["lab.example", "imaging.example"], "mta_sts": True},
        "policy": {"allow_release": False},
        "outbox": {"give_up_after_hours": 72},
        "organization": {"internal_domains": ["clinic.example"]},
    }
    assert policy["tls"]["dane"] is False and policy["tls"]["mta_sts"] is True
    validate(policy, "registry")
    assert registry.open_handles == 0


def test_no_postseal_key_in_either_hive_is_no_policy():
    registry = FakeRegistry().set_text(r"HKLM\SOFTWARE\Policies\Google\Chrome", "HomepageLocation", "x")
    assert read_policy(registry) == {}
    assert registry.open_handles == 0


def test_names_match_without_regard_to_case_as_windows_does():
    registry = (
        FakeRegistry()
        .set_dword(HKLM + r"\Relay", "Port", 587)
        .set_list(HKLM + r"\TLS\Required_Domains", ["lab.example"])
    )
    assert read_policy(registry) == {"relay": {"port": 587}, "tls": {"required_domains": ["lab.example"]}}


def test_list_entries_come_in_the_order_of_their_numbers():
    registry = FakeRegistry()
    for name, entry in (("10", "j.example"), ("2", "b.example"), ("1", "a.example")):
        registry.set_text(HKLM + r"\tls\required_domains", name, entry)
    assert read_policy(registry)["tls"]["required_domains"] == ["a.example", "b.example", "j.example"]


def test_a_multi_string_value_is_a_list_too():
    registry = FakeRegistry().set(HKLM + r"\tls", "required_domains", ["a.example", "b.example"], REG_MULTI_SZ)
    assert read_policy(registry) == {"tls": {"required_domains": ["a.example", "b.example"]}}


def test_expandable_text_is_read_as_the_text_it_holds():
    registry = FakeRegistry().set(HKLM + r"\relay", "ca_file", r"%ProgramData%\Postseal\ca.pem", REG_EXPAND_SZ)
    assert read_policy(registry) == {"relay": {"ca_file": r"%ProgramData%\Postseal\ca.pem"}}


def refused(registry: FakeRegistry) -> str:
    with pytest.raises(PolicyError) as error:
        read_policy(registry)
    assert registry.open_handles == 0
    text = str(error.value)
    assert "\n" not in text
    return text


def test_a_binary_value_is_refused_naming_the_key_path_and_value():
    text = refused(FakeRegistry().set(HKLM + r"\relay", "port", b"\x4b\x02\x00\x00", REG_BINARY))
    assert text == (
        rf"{HKLM} relay.port: REG_BINARY (value port under {HKLM}\relay) is not a type Postseal "
        "reads; use REG_DWORD for numbers and on/off, REG_SZ for text"
    )


def test_text_for_a_number_is_refused_not_converted():
    text = refused(FakeRegistry().set_text(HKLM + r"\relay", "port", "587"))
    assert text == rf"{HKLM} relay.port: must be a number as REG_DWORD, not text (REG_SZ '587')"


def test_a_number_other_than_0_or_1_for_an_on_off_key_is_refused():
    assert refused(FakeRegistry().set_dword(HKCU + r"\tls", "dane", 2)) == (
        rf"{HKCU} tls.dane: must be 0 (off) or 1 (on) as REG_DWORD, not 2"
    )


def test_a_list_entry_that_is_not_text_or_not_numbered_is_refused():
    text = refused(FakeRegistry().set_dword(HKLM + r"\tls\required_domains", "1", 7))
    assert text == (
        rf"{HKLM} tls.required_domains: value 1 under {HKLM}\tls\required_domains is REG_DWORD; "
        "each list entry is REG_SZ text"
    )
    text = refused(FakeRegistry().set_text(HKLM + r"\tls\required_domains", "first", "lab.example"))
    assert text.startswith(
        rf"{HKLM} tls.required_domains: value 'first' under {HKLM}\tls\required_domains "
        "is not a list entry"
    )


def test_a_key_set_both_as_value_and_as_list_subkey_is_refused():
    registry = (
        FakeRegistry()
        .set_text(HKLM + r"\tls", "required_domains", "a.example")
        .set_list(HKLM + r"\tls\required_domains", ["b.example"])
    )
    assert "tls.required_domains: set twice" in refused(registry)


def test_an_invalid_value_in_the_users_hive_is_named_there_and_not_skipped():
    registry = FakeRegistry().set_dword(HKLM + r"\relay", "port", 587).set_dword(HKCU + r"\relay", "port", 70000)
    assert refused(registry) == rf"{HKCU} relay.port: must be from 1 to 65535, not 70000"


def test_an_unknown_value_name_is_refused():
    registry = FakeRegistry().set_text(HKLM + r"\relay", "hots", "smtp.clinic.example")
    assert refused(registry).startswith(rf"{HKLM} relay.hots: unknown key, known: ca_file, host,")


def test_a_secret_pushed_into_the_registry_is_refused():
    registry = FakeRegistry().set_text(HKLM + r"\relay", "password", "hunter2")
    assert refused(registry).startswith(rf"{HKLM} relay.password: not accepted in managed policy")


def test_a_key_that_cannot_be_opened_stops_the_read():
    registry = FakeRegistry().set_dword(HKLM + r"\relay", "port", 587).deny(HKLM + r"\relay")
    assert refused(registry).startswith(rf"{HKLM} relay: {HKLM}\relay cannot be read: [Errno 5] Access is denied")
    registry = FakeRegistry().set_dword(HKLM + r"\relay", "port", 587).deny(HKLM)
    assert refused(registry) == rf"{HKLM}: cannot be read: [Errno 5] Access is denied"


def test_a_value_beside_the_sections_is_named():
    registry = FakeRegistry().set(HKLM, "relay", 1, REG_DWORD)
    assert refused(registry) == rf"{HKLM} relay: must be a dictionary, not an integer"
