"""``tracker serve`` imports the queue page's scoring libraries before it says it is serving:
the first queue page a maintainer opens is not the one that waits for scikit-learn."""

from __future__ import annotations

import subprocess
import sys

from tests.web.conftest import _env

PROBE = """
import sys
from tracker.config import load_settings
from tracker.db.session import open_database
from tracker.web.server import build_server
settings = load_settings(overrides={"database_url": sys.argv[1]})
assert "sklearn" not in sys.modules, "imported before build_server: the probe proves nothing"
server = build_server(open_database(settings.database_url), settings, "127.0.0.1", 0, None, by="alice")
server.server_close()
print("sklearn" in sys.modules, "tracker.services.propose" in sys.modules)
"""


def test_the_server_is_ready_for_the_queue_page_when_it_says_it_is_serving(demo: tuple[object, object]) -> None:
    _db, settings = demo
    done = subprocess.run([sys.executable, "-c", PROBE, settings.database_url],  # type: ignore[attr-defined]
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
