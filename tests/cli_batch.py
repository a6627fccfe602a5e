"""Many `postseal` command lines, each in a process of its own, without paying Python's and
the agent's import time for each (a second apiece on a busy machine).

One child process imports agent.cli once, then forks one grandchild per command line: that
grandchild takes the line's environment, folder and a closed stdin, points its stdout and
stderr at files and runs `agent.cli.main(argv)` — what the `postseal` entry point runs —
exiting with its code. A crash or an exit in one line cannot touch the next. POSIX only (fork).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_CHILD = r"""
import json, os, sys, traceback
from agent.cli import build_parser, main

jobs = json.load(sys.stdin)
codes = []
for job in jobs:
    pid = os.fork()
    if pid == 0:
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, job["out"], os.O_WRONLY | os.O_CREAT),
                                (2, job["err"], os.O_WRONLY | os.O_CREAT)):
            os.dup2(os.open(path, flags, 0o600), fd)
        code = 70
        try:
            if job["parse_only"]:
                build_parser().parse_args(job["argv"])
                code = 0
            else:
                code = main(job["argv"])
        except SystemExit as exc:  # argparse: --help, --version, usage errors (2)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()  # what the console script would print
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    codes.append(os.waitstatus_to_exitcode(status))
print(json.dumps(codes))
"""


@dataclass(frozen=True)
class Outcome:
    argv: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes


def run_many(
    jobs: list[tuple[list[str], dict[str, str], Path, bool]], folder: Path, timeout: float = 300
) -> list[Outcome]:
    """Each job: (argv, environment, working folder, parse only). Outputs go to files in `folder`."""
    if not hasattr(os, "fork"):
        import pytest

        pytest.skip("the batch runner forks (POSIX only)")
    folder.mkdir(parents=True, exist_ok=True)
    specs = [
        {
            "argv": argv,
            "env": env,
            "cwd": str(cwd),
            "parse_only": parse_only,
            "out": str(folder / f"{i}.out"),
            "err": str(folder / f"{i}.err"),
        }
        for i, (argv, env, cwd, parse_only) in enumerate(jobs)
    ]
    env = specs[0]["env"] if specs else {}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(specs).encode(),
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"the batch runner failed: {done.stderr.decode(errors='replace')[-2000:]}")
    codes = json.loads(done.stdout)
    return [
        Outcome(s["argv"], code, Path(s["out"]).read_bytes(), Path(s["err"]).read_bytes())
        for s, code in zip(specs, codes, strict=True)
    ]
