"""The local API's client side: `client.py` (the one door to a running agent, standard library
only) and the typed views of what it answers (`messages.py`, `keyring.py`). The tray, the CLI,
the native messaging host and the demo all talk to the agent through it; nothing here imports
the rest of `agent`, so the tray depends on the API, not on the agent's insides."""
