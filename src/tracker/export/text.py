"""Making untrusted text safe in Markdown, HTML and CSV: kept as the export area's name
for ``tracker.escape``, the one escaping layer (which owns every function here).
Does not own anything itself.
"""

from __future__ import annotations

from tracker.escape import (csv_cell, csv_value, html_link, html_text, md_link, md_text, one_line,
                            safe_url, shorten)

__all__ = ["one_line", "md_text", "md_link", "safe_url", "html_text", "html_link", "csv_cell",
           "csv_value", "shorten"]
