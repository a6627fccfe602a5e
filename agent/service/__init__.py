"""The agent's service (DESIGN.md "service"): one `Agent` with a typed surface that every
front end calls (agent.py), and behind it planning, the worker, offline detection, outcomes
and a person's actions, one module each. agent/runtime.py runs it behind its doors (the local
API, SMTP submission, the add-in origin, the embedded portal): the doors call the service, the
service never calls a door. docs/architecture.md draws the flow of a message through them."""

from agent.service.agent import Agent
from agent.service.errors import (
    Accepted,
    Blocked,
    BounceOutcome,
    MessageIdReused,
    NotAllowed,
    NothingToDo,
    UnknownMessage,
)

__all__ = [
    "Accepted",
    "Agent",
    "Blocked",
    "BounceOutcome",
    "MessageIdReused",
    "NotAllowed",
    "NothingToDo",
    "UnknownMessage",
]
