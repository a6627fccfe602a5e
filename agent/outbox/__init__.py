"""The durable outbox, one idea per module:

- store.py          the Outbox: SQLite in WAL mode, acceptance and the per-recipient
                    state moves under the transition table (its docstring says who owns
                    each move);
- reading.py        the OutboxReader the Outbox is: the queries, which change nothing;
- acceptance.py     new messages, many per durable commit, on a connection of its own;
- group_commit.py   gathers the submissions that arrive while a commit runs into the next;
- transaction.py    the write transaction every move runs in;
- layout.py         the tables and the migrations that carry an older outbox forward;
- sealing.py        AES-256-GCM of content, subjects, plans, copies and callback secrets;
- webhook_queue.py  callbacks and the webhook events queued with each outcome;
- rows.py           the typed rows readers get back, and the errors a write raises.

Callers import from `agent.outbox` only; these names are its public surface.
"""

from agent.outbox.acceptance import Submission
from agent.outbox.group_commit import GroupCommit
from agent.outbox.layout import MIGRATIONS, check_version
from agent.outbox.rows import (
    PAUSED,
    Duplicate,
    IllegalTransition,
    MessageRow,
    RecipientRow,
    StorageUnavailable,
    WebhookEvent,
    message_state,
)
from agent.outbox.store import Outbox

__all__ = [
    "MIGRATIONS",
    "PAUSED",
    "Duplicate",
    "GroupCommit",
    "IllegalTransition",
    "MessageRow",
    "Outbox",
    "RecipientRow",
    "StorageUnavailable",
    "Submission",
    "WebhookEvent",
    "check_version",
    "message_state",
]
