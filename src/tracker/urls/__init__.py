"""URLs: the address as written (``normalize``) and the identity that groups (``canonicalize``).

``normalize``/``request_url`` (``tracker.urls.normalize``): the URL the author
wrote, normalised only as RFC 3986 allows — what the checker requests, the
archive is asked about, and the report and export show. ``canonicalize``
(``tracker.urls.identity``): which URLs are one resource (arXiv paper, YouTube
video, tracking parameters per host) — used for grouping and dedupe, never
fetched. ``classify_target`` and ``KINDS`` (``tracker.urls.kinds``): link
targets and resource kinds. See docs/urls.md.
"""

from __future__ import annotations

from tracker.urls.identity import (ARXIV_NEW_ID, ARXIV_OLD_ID, CanonicalURL, arxiv_id_from_url,
                                   canonicalize, is_tracking_param)
from tracker.urls.kinds import KINDS, classify_target
from tracker.urls.normalize import MAX_URL_CHARS, InvalidURL, normalize, request_url

__all__ = ["CanonicalURL", "InvalidURL", "canonicalize", "classify_target", "KINDS", "arxiv_id_from_url",
           "normalize", "request_url", "is_tracking_param", "MAX_URL_CHARS", "ARXIV_NEW_ID",
           "ARXIV_OLD_ID"]
