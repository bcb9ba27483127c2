"""``tracker serve``: the weekly review, the link-rot report and the document's health in a browser.

A small server-rendered Flask application (Jinja2 templates, autoescaped) over the
same service functions the command line calls — every decision goes through
``services.review``, every report through its service; this package only parses
requests and renders pages. Pages work without JavaScript: every action is a plain
form POST that redirects back; ``static/app.js`` only adds keyboard shortcuts.
Does not own any use case, query or escaping rule (link targets pass
``tracker.export.text.safe_url``, the filter the Markdown renderers use).
"""

from __future__ import annotations

from tracker.web.app import create_app

__all__ = ["create_app"]
