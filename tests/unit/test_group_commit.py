"""Group commit: submissions that arrive while a durable commit runs share the next one, each
answered only after its own commit, each refused alone when its message cannot be stored; and
the outbox's `accept_many` stores a whole group in one transaction, durably."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agent.model import Action, Method, Plan, RecipientPlan, Verdict
from agent.outbox import Duplicate, GroupCommit, Outbox, StorageUnavailable, Submission


class GatedCommit:
    """A commit that records each group and, for the first one, waits until the test lets it go,
    so the submissions made meanwhile are known to arrive while a commit runs."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[str]) -> list[str | Exception]:
        self.groups.append(list(items))
        if len(self.groups) == 1:
            self.entered.set()
            assert self.release.wait(30)
        return [ValueError(f"{item} refused") if item.startswith("bad") else f"stored {item}" for item in items]


async def _first_then_many(commit: GatedCommit, group: GroupCommit, later: list[str]):
    first = asyncio.create_task(group.submit("m0"))
    await asyncio.to_thread(commit.entered.wait, 30)  # m0's commit is running now
    rest = [asyncio.create_task(group.submit(item)) for item in later]
    await asyncio.sleep(0)  # let them queue behind the running commit
    commit.release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_submissions_made_while_a_commit_runs_share_the_next_commit():
    commit = GatedCommit()
    group: GroupCommit[str, str] = GroupCommit(commit)
    try:
        answers = asyncio.run(_first_then_many(commit, group, ["m1", "m2", "bad3", "m4"]))
    finally:
        group.close()
    assert commit.groups == [["m0"], ["m1", "m2", "bad3", "m4"]]  # two commits for five messages
    assert answers[:3] == ["stored m0", "stored m1", "stored m2"] and answers[4] == "stored m4"
    assert isinstance(answers[3], ValueError) and "bad3 refused" in str(answers[3])  # that one alone


def test_a_submitter_that_goes_away_does_not_take_its_group_with_it():
    commit = GatedCommit()
    group: GroupCommit[str, str] = GroupCommit(commit)

    async def scenario():
        first = asyncio.create_task(group.submit("m0"))
        await asyncio.to_thread(commit.entered.wait, 30)
        gone = asyncio.create_task(group.submit("m1"))
        kept = asyncio.create_task(group.submit("m2"))
        await asyncio.sleep(0)
        gone.cancel()
        commit.release.set()
        return await first, await kept, await asyncio.gather(gone, return_exceptions=True)

    try:
        first, kept, (gone,) = asyncio.run(scenario())
    finally:
        group.close()
    assert (first, kept) == ("stored m0", "stored m2")
    assert isinstance(gone, asyncio.CancelledError)
    assert commit.groups == [["m0"], ["m1", "m2"]]  # its message was still committed with the others


def test_a_commit_that_raises_answers_every_member_of_its_group():
    def broken(items):
        raise OSError("disk gone")

    group: GroupCommit[str, str] = GroupCommit(broken)

    async def scenario():
        return await asyncio.gather(group.submit("a"), group.submit("b"), return_exceptions=True)

    try:
        answers = asyncio.run(scenario())
    finally:
        group.close()
    assert all(isinstance(a, OSError) for a in answers)


def plan(sender: str = "dr@clinic.test") -> Plan:
    return Plan(sender, Verdict(Action.SEND, "test", "test"), (RecipientPlan("b@partner.test", Method.TLS, "test"),))


def test_accept_many_stores_a_group_in_one_commit_and_refuses_a_duplicate_alone(home):
    outbox = Outbox(home)
    items = [
        Submission(b"Subject: one\r\n\r\nfirst\r\n", "one@clinic.test", plan(), digest="d1"),
        Submission(b"Subject: one\r\n\r\nfirst\r\n", "one@clinic.test", plan(), digest="d1"),  # sent twice
        Submission(b"Subject: two\r\n\r\nsecond\r\n", "two@clinic.test", plan(), "SSN found", subject="two"),
    ]
    first, again, second = outbox.accept_many(items)
    outbox.close()
    assert isinstance(again, Duplicate) and again.ident == first and again.same is True
    reopened = Outbox(home)  # what was committed is on disk, read through another connection
    try:
        assert reopened.raw(first) == b"Subject: one\r\n\r\nfirst\r\n"
        assert reopened.get(second).state == "held" and reopened.get(second).reason == "SSN found"
        assert len(reopened.list()) == 2
        with pytest.raises(Duplicate):  # and the one-message form still refuses it
            reopened.accept(b"x", "two@clinic.test", plan())
    finally:
        reopened.close()


def test_accept_many_on_a_read_only_outbox_refuses_the_whole_group(home):
    outbox = Outbox(home)
    outbox.acceptance.db.execute("PRAGMA query_only=ON")  # every write fails, as on a read-only disk
    try:
        answers = outbox.accept_many([Submission(b"x", f"m{n}@clinic.test", plan()) for n in range(3)])
        assert all(isinstance(a, StorageUnavailable) and "nothing was accepted" in str(a) for a in answers)
        assert outbox.list() == []
    finally:
        outbox.close()
