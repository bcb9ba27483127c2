"""Start real ``tracker`` processes at once on one database (the concurrent-writer tests).

``run_twins(db_url, args, env)`` starts ``python -m tracker --db URL ARGS`` twice
without waiting in between, then waits for both; no sleeping, no ordering: the
tests' assertions hold for every interleaving of the two. ``run_together(db_url,
commands, env)`` starts one process per command and releases them all at one moment,
once each has loaded its modules (for races that happen on first use).
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


# A child that imports the command line (and what a first use loads: SQLAlchemy, Alembic),
# says "ready" on stderr's first line, waits for a line on stdin, then runs the real CLI.
_STARTER = """
import sys
import alembic.command, alembic.script, sqlalchemy, tracker.db.session, tracker.cli
sys.stderr.write("ready\\n"); sys.stderr.flush()
sys.stdin.readline()
sys.argv[0] = "tracker"
tracker.cli.main()
"""


def run_together(db_url: str, commands: list[list[str]], env: dict[str, str],
                 timeout: float = 180) -> list[Finished]:
    """One real ``tracker --db URL ARGS`` process per entry of ``commands``, released at the
    same moment: each is started and loads its modules, and only when all of them are ready
    does any begin (a line on each one's stdin), so their first database use overlaps — no
    sleeping, no ordering."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    base.update(env)
    procs = [subprocess.Popen([sys.executable, "-c", _STARTER, "--db", db_url, *args], env=base,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for args in commands]
    for proc in procs:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "ready\n"
    for proc in procs:  # the start line for all, before anyone's output is read
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        done.append(Finished(proc.returncode, out, err))
    return done
