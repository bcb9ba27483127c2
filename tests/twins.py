"""Start two real ``tracker`` processes at once on one database (the concurrent-writer tests).

``run_twins(db_url, args, env)`` starts ``python -m tracker --db URL ARGS`` twice
without waiting in between, then waits for both; no sleeping, no ordering: the
tests' assertions hold for every interleaving of the two.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str


def run_twins(db_url: str, args: list[str], env: dict[str, str], timeout: float = 180) -> list[Finished]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    base.update(env)
    procs = [subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, *args], env=base,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        done.append(Finished(proc.returncode, out, err))
    return done
