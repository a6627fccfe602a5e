"""The running agent, if one runs for this data directory: the commands that read or change
the agent's state (its keyrings, its secret store, what it decides) go through its local API
then, and open the stores in-process only when no agent runs — so no two processes write the
same store, and what a command answers is what the agent itself would do."""

from __future__ import annotations

from pathlib import Path

from agent.api.client import AgentClient, AgentSlow, AgentUnreachable, ApiError


def running_agent(home: Path) -> AgentClient | None:
    """The client of the agent running in `home`, or None: no agent.json, a crashed agent's stale
    one, or one whose port another program holds now (its token is not ours: 401). An agent that
    runs but does not answer in time raises AgentSlow (exit 4): a command never opens the stores
    beside a running agent."""
    try:
        client = AgentClient.discover(home)
        client.outbox_summary()  # one authenticated call: the token in agent.json is this agent's
    except AgentSlow:
        raise
    except AgentUnreachable:
        return None
    except ApiError as exc:
        if exc.status != 401:
            raise
        return None
    return client
