"""A wall-clock budget for Hypothesis tests, which only know how to count examples.

`@timeboxed(share)` goes above `@given`. It runs the Hypothesis test again and again, each
run a batch of examples with its own seed, until `share` x POSTSEAL_FUZZ_SECONDS (10 s; `make
fuzz` sets 300) have passed: a run never starts after the deadline, so a test overruns by at
most one batch. Each batch's seed is BASE + n, BASE from POSTSEAL_FUZZ_SEED (else random);
a failure names its seed, and `POSTSEAL_FUZZ_SEED=<that seed>` starts again from that batch.
Failing examples are also kept in .hypothesis/ (not in CI) and replayed first next time.
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase

SECONDS = float(os.environ.get("POSTSEAL_FUZZ_SECONDS", "10"))
BASE_SEED = int(os.environ.get("POSTSEAL_FUZZ_SEED") or random.SystemRandom().getrandbits(32))
BATCH = int(os.environ.get("POSTSEAL_FUZZ_BATCH", "20"))
_ROOT = Path(__file__).resolve().parents[2]
DATABASE = None if os.environ.get("CI") else DirectoryBasedExampleDatabase(_ROOT / ".hypothesis" / "fuzz")


def fuzz_settings(batch: int = BATCH) -> settings:
    # No per-example deadline and no health checks: fuzz inputs are slow and large on purpose,
    # and the agents the tests share are module fixtures (function_scoped_fixture).
    return settings(
        max_examples=batch, deadline=None, suppress_health_check=list(HealthCheck), database=DATABASE, print_blob=True
    )


def timeboxed(share: float = 1.0, batch: int = BATCH) -> Callable:
    """Run the decorated @given test in batches until share x SECONDS have passed."""

    def decorate(test: Callable) -> Callable:
        test = fuzz_settings(batch)(test)

        @functools.wraps(test)
        def run(*args, **kwargs) -> None:
            deadline = time.monotonic() + share * SECONDS
            batch_number = 0
            while True:
                batch_seed = BASE_SEED + batch_number
                hypothesis_seed(batch_seed)(test)
                try:
                    test(*args, **kwargs)
                except BaseException as exc:
                    exc.add_note(f"fuzz batch {batch_number}: reproduce with POSTSEAL_FUZZ_SEED={batch_seed}")
                    raise
                batch_number += 1
                if time.monotonic() >= deadline:
                    return

        run.__signature__ = inspect.signature(test)  # the fixtures only, as Hypothesis left them
        # pytest-timeout's 120 s would cut a longer budget, or Hypothesis shrinking a failure
        # found late in it: time enough for both, and still a bound on a hang.
        return pytest.mark.timeout(2 * share * SECONDS + 600)(run)

    return decorate
