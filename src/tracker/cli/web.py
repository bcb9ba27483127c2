"""``tracker serve``: the web page for the weekly review, the link report and the document.

Thin: checks the database, builds the server (``tracker.web.server``) and serves
until interrupted. Does not own any page or rule.
"""

from __future__ import annotations

import os

import click

from tracker.cli.common import Runtime, info, pass_runtime


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs TRACKER_SERVE_TOKEN.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port; the address is printed).")
@click.option("--by", "by", metavar="NAME", default=None,
              help="Who decides by default (default: $USER); each browser can sign with its own name.")
@pass_runtime
def serve_cmd(rt: Runtime, host: str, port: int, by: str | None) -> None:
    """Serve the review queue, the link report, the document and the sources as web pages.

    Binds to 127.0.0.1 by default. Another --host needs TRACKER_SERVE_TOKEN: open
    http://HOST:PORT/?token=... once and the browser keeps it in a cookie.

    \b
    Example:
      tracker serve --port 8787
    """
    from tracker.web.server import build_server

    db = rt.db
    server = build_server(db, rt.settings, host, port, os.environ.get("TRACKER_SERVE_TOKEN"), by=by)
    shown = f"[{host}]" if ":" in host else host
    info(f"serving on http://{shown}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        info("stopped")
    finally:
        server.server_close()


def register(group: click.Group) -> None:
    """Add this area's commands to ``group``."""
    group.add_command(serve_cmd)
