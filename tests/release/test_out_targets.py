"""``--out`` names where the text goes, whatever is there: a named pipe, a device such as
``/dev/stdout``, or a symbolic link to the real file. The atomic write (a temporary file
renamed over the target) first read the old target back in case it had to restore it:
a pipe with no writer blocked forever, ``/dev/zero`` or ``/dev/full`` filled memory
until the process was killed, and the rename then put a regular file in the place of
the pipe, the device (as root: ``/dev/null`` itself) or the link."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import CLI, NEWEST_HANDBOOK
from tests.release.conftest import ENV


def test_out_writes_into_a_named_pipe_and_leaves_it_a_pipe(run: CLI, db_url: str, tmp_path: Path) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | ENV
    try:
        done = subprocess.run([sys.executable, "-m", "tracker", "--db", db_url, "export", "--format", "json",
                               "--out", str(pipe)], env=env, capture_output=True, text=True, timeout=60)
    finally:
        if reader.is_alive():  # nothing was written: let the reader go
            with open(pipe, "wb"):
                pass
        reader.join()
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(pipe.lstat().st_mode)  # still the pipe, no file put in its place
    assert json.loads(got[0])["version"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_out_through_a_symbolic_link_writes_the_file_it_points_to(run: CLI, tmp_path: Path) -> None:
    assert run("import", str(NEWEST_HANDBOOK), env=ENV).exit_code == 0
    (tmp_path / "lists").mkdir()
    real = tmp_path / "lists" / "resources.md"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "current.md"
    link.symlink_to(real)
    result = run("export", "--format", "md", "--out", str(link), env=ENV)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").startswith("# handbook: resource list\n")
