"""`python -m agent.cli`: the `postseal` command (what the console script runs)."""

import sys

from agent.cli.app import main

sys.exit(main())
