"""`postseal demo`: the whole product in one process, on embedded defaults, one idea per module:

- run.py     the demo from start to end: the agent, a relay, the portal, the recipients, every
             sample sent, the report;
- cast.py    who and what it sends: the clinic, the recipients, the sample messages;
- checks.py  what arrived, checked with tools that are not the agent's;
- serve.py   `--serve`: the agent and the portal kept up for a person at a browser.

The stand-ins for the world (relay, CA, recipients with keys) are agent/demo_world.py, which
the tests use too.
"""

from agent.demo.run import run_demo

__all__ = ["run_demo"]
