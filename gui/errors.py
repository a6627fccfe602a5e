"""What went wrong, in one line a clinician can act on: what happened and what to do."""

from __future__ import annotations

from agent.api.client import AgentUnreachable, ApiError

# Outlook and Gmail fail closed while the agent is down (they stop the send and say so), so
# nothing leaves unprotected: what the user loses is sending, and that is what we say.
NOT_RUNNING = (
    "The Postseal agent is not running: mail cannot be sent until it runs. "
    "Choose “Start the agent” in the Postseal menu, or run `postseal agent`."
)
WRONG_TOKEN = (
    "The agent refused this app's access token. Restart the agent, then quit and reopen "
    "Postseal (the token in api-token changes each time the agent starts)."
)

_CONFLICTS = {
    "nothing_to_retry": "Nothing to retry: no recipient of this message is waiting for another try.",
    "not_held": "This message is no longer held; the list now shows its current state.",
    "nothing_to_reroute": "No recipient of this message is waiting: the secure portal is not needed.",
    "not_portal": "This message has no secure portal copies to revoke.",
}


class LaunchFailed(Exception):
    """The agent could not be started; the text says why and what to do."""


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def explain(exc: BaseException) -> str:
    """One line for the user, never a traceback."""
    if isinstance(exc, AgentUnreachable):
        return NOT_RUNNING
    if isinstance(exc, ApiError):
        message = str(exc)
        if exc.status == 401:
            return WRONG_TOKEN
        if exc.code in _CONFLICTS:
            return _CONFLICTS[exc.code]
        if exc.code == "managed":
            return _sentence(message)
        if exc.code == "bad_key":
            return (
                f"That file is not an OpenPGP key the agent can use ({message.rstrip('.')}). "
                "Ask for the public key as an .asc file and import that."
            )
        if exc.status >= 500:
            return (
                f"The agent could not do that: {message.rstrip('.')}. Try again; "
                "if it keeps failing, restart the agent."
            )
        return _sentence(message) or f"The agent answered HTTP {exc.status}; try again."
    if isinstance(exc, LaunchFailed):
        return _sentence(str(exc))
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"Could not read or write{where}: {exc.strerror or exc}. Check the file and try again."
    return (
        f"Something unexpected went wrong ({type(exc).__name__}: {exc}). "
        "Try again; if it keeps happening, restart Postseal."
    )
