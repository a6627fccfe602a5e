"""Where an unforeseen failure happened, said without its text.

A server that turns surprises into a JSON 500 logs one line: the exception's type and the
file and line it came from. Never its message or a traceback: either may quote what the
request carried (a message, a code, a file name).
"""

from __future__ import annotations

import traceback
from pathlib import Path


def site(exc: BaseException) -> str:
    """`TypeError at compose:118`, or just the type when there is no traceback."""
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {Path(frame[0].filename).stem}:{frame[0].lineno}" if frame else ""
    return f"{type(exc).__name__}{where}"
