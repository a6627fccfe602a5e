"""The `postseal` command, in process, reading everything a user can get wrong at once —
config.toml, a rules file it names, and the message — through `policy check`, which needs no
running agent: exit 0 (send), 2 (bad input, one line saying what and where) or 3 (held or
blocked), never a traceback or an "unexpected" error."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from agent import cli
from tests.fuzz.messages import INTERNAL, SENDER, mutated, well_formed
from tests.fuzz.policy_files import config_texts, rule_files
from tests.fuzz.timebox import timeboxed

_runs = itertools.count()
# Internal recipients only: routing them needs no DNS, MTA-STS or key lookups (offline, fast).
INTERNAL_NOTE = f"From: {SENDER}\r\nTo: {INTERNAL[0]}\r\nSubject: rota\r\n\r\nSSN 512-44-8721\r\n".encode()


@st.composite
def setups(draw) -> tuple[bytes, bytes | None, bytes]:
    # Each input is often sound, so that the others are read too (a bad config.toml stops
    # the command before the rules or the message are looked at).
    config = draw(
        st.one_of(
            st.just(b""), st.just(b'[organization]\ninternal_domains = ["valleyclinic.example"]\n'), config_texts()
        )
    )
    rules = draw(st.one_of(st.none(), st.none(), rule_files()))
    internal = well_formed(recipients=INTERNAL, max_depth=3, sound=False).map(lambda built: built.raw)
    message = draw(st.one_of(st.just(INTERNAL_NOTE), internal, internal.flatmap(mutated)))
    return config, rules, message


@timeboxed(share=0.6)
@given(setup=setups())
def test_policy_check_exits_0_2_or_3_with_one_line_on_stderr(tmp_path, monkeypatch, capsys, setup):
    config, rules, message = setup
    home = Path(tmp_path) / f"home-{next(_runs)}"
    home.mkdir()
    if rules is not None:
        (home / "rules.toml").write_bytes(rules)
        config = (
            config.replace(b"[policy]", b"[policy]\nrules_file = " + str(home / "rules.toml").encode() + b"\n")
            if b"[policy]" in config
            else config + b'\n[policy]\nrules_file = "' + str(home / "rules.toml").encode() + b'"\n'
        )
    (home / "config.toml").write_bytes(config)
    (home / "message.eml").write_bytes(message)
    monkeypatch.setenv("POSTSEAL_HOME", str(home))
    capsys.readouterr()
    code = cli.main(["policy", "check", str(home / "message.eml")])
    out, err = capsys.readouterr()
    event(f"exit {code}")
    assert code in (cli.OK, cli.BAD_INPUT, cli.HELD), (code, err)
    if code == cli.BAD_INPUT:
        assert err.startswith("postseal: ") and err.count("\n") == 1 and "unexpected" not in err, err
    else:
        assert err == "" and out.startswith("rules: "), (err, out[:200])
