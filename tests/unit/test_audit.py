import json

import pytest

from agent.audit import AuditLog


@pytest.fixture
def log(home):
    audit = AuditLog(home)
    for i in range(5):
        audit.append("delivered", message=f"m{i}", recipients=[f"r{i}@x.example"], method="pgp")
    audit.checkpoint()
    return audit


def rewrite(log, mutate):
    lines = log.path.read_text().splitlines()
    lines = mutate(lines)
    log.path.write_text("".join(line + "\n" for line in lines))


def test_an_untouched_log_verifies(log):
    result = log.verify()
    assert result.ok and result.records == 5


def test_a_changed_record_is_named(log):
    def change(lines):
        record = json.loads(lines[2])
        record["method"] = "tls"
        lines[2] = json.dumps(record, sort_keys=True)
        return lines

    rewrite(log, change)
    result = log.verify()
    assert not result.ok
    assert "record 3" in result.problem and "changed" in result.problem


def test_a_removed_record_is_detected(log):
    rewrite(log, lambda lines: lines[:1] + lines[2:])
    result = log.verify()
    assert not result.ok and "line 2" in result.problem


def test_reordered_records_are_detected(log):
    rewrite(log, lambda lines: [lines[0], lines[2], lines[1], *lines[3:]])
    assert not log.verify().ok


def test_records_cut_from_the_end_are_detected(log):
    rewrite(log, lambda lines: lines[:-2])
    result = log.verify()
    assert not result.ok and "removed from the end" in result.problem


def test_a_rebuilt_chain_fails_on_the_signed_head(log, home):
    # An attacker who rewrites the whole file and head, but has no keyring key.
    forged = AuditLog(home.parent / "other")
    for i in range(2):
        forged.append("delivered", message=f"m{i}")
    forged.checkpoint()
    log.path.write_text(forged.path.read_text())
    head = json.loads(forged.head_path.read_text())
    log.head_path.write_text(json.dumps(head))
    result = log.verify()
    assert not result.ok and "not signed" in result.problem


def test_content_fields_are_refused(log):
    with pytest.raises(ValueError, match="not allowed"):
        log.append("accepted", subject="Lab results for Jane Doe")
    with pytest.raises(ValueError):
        log.append("accepted", body="...")


def test_export_csv_has_a_row_per_record(log):
    text = log.export("csv")
    assert text.splitlines()[0].startswith("seq,time,event")
    assert len(text.splitlines()) == 6


def test_records_after_the_last_checkpoint_are_chained_and_reported_unsigned(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 3600  # no automatic checkpoint in this test
    audit.append("accepted", message="m1")
    audit.checkpoint()
    audit.append("delivered", message="m1")
    audit.append("delivered", message="m2")
    result = audit.verify()
    assert result.ok and result.records == 3 and result.unsigned == 2
    audit.close()
    assert audit.verify().unsigned == 0


def test_a_torn_last_record_is_cut_on_restart_and_the_cut_recorded(home):
    audit = AuditLog(home)
    audit.append("accepted", message="m1")
    audit.close()
    with audit.path.open("ab") as handle:
        handle.write(b'{"seq": 2, "event": "deliv')  # power lost mid-write
    reopened = AuditLog(home)
    reopened.close()
    records = reopened.records()
    assert [r["event"] for r in records] == ["accepted", "log_repaired"]
    assert reopened.verify().ok


def test_restart_continues_the_chain_from_the_last_record_even_if_unsigned(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 3600
    audit.append("accepted", message="m1")
    audit.checkpoint()
    audit.append("delivered", message="m1")  # then the agent is killed: no close()
    again = AuditLog(home)
    again.append("delivered", message="m2")
    again.close()
    result = again.verify()
    assert result.ok and result.records == 3 and result.unsigned == 0


def until(condition, seconds=20.0):
    """Wait for the signer thread (a bound, not a timing: it fails only if it never happens)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the signer thread never did it"
        time.sleep(0.01)


def test_checkpoint_soon_signs_on_the_logs_own_thread_and_returns_at_once(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 3600
    audit.append("accepted", message="m0")
    audit.checkpoint()
    audit.append("accepted", message="m1")
    audit.append("delivered", message="m1")
    assert audit.verify().unsigned == 2
    assert audit.checkpoint_soon() == ""
    until(lambda: audit.verify().unsigned == 0)
    audit.append("delivered", message="m2")  # appends go on after the signer ran
    audit.close()
    result = audit.verify()
    assert result.ok and result.records == 4 and result.unsigned == 0


def test_requests_within_an_interval_are_served_by_one_more_checkpoint(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 3600  # the signer waits out the interval after its first checkpoint
    audit.append("accepted", message="m0")
    audit.checkpoint()
    audit.append("accepted", message="m1")
    audit.checkpoint_soon()
    until(lambda: audit.verify().unsigned == 0)  # the first background request: signed at once
    audit.append("delivered", message="m1")
    audit.checkpoint_soon()  # within the interval: left for its end, not signed now
    assert audit.verify().unsigned == 1
    audit.close()  # shutdown does not wait out the interval, and signs everything
    assert audit.verify().unsigned == 0


def test_appends_past_the_interval_ask_the_signer_thread(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 0  # every append asks for a checkpoint; none is made on the caller's thread
    for number in range(20):
        audit.append("accepted", message=f"m{number}")
    until(lambda: audit.verify().unsigned == 0)
    audit.close()


def test_a_background_checkpoint_that_fails_is_reported_and_the_next_one_recovers(home):
    audit = AuditLog(home)
    audit.CHECKPOINT_INTERVAL = 0  # the signer tries again at the next request
    audit.append("accepted", message="m0")
    audit.checkpoint()
    blocker = audit.head_path.with_suffix(".tmp")
    blocker.mkdir()  # the head cannot be written: os.open on a directory fails
    audit.append("accepted", message="m1")
    audit.checkpoint_soon()
    until(lambda: audit.checkpoint_soon() != "")
    assert audit.verify().unsigned == 1
    blocker.rmdir()
    until(lambda: audit.checkpoint_soon() == "" and audit.verify().unsigned == 0)
    audit.close()
