"""Reading the Wayback Machine availability API (pure).

Owns: the ``timestamp`` to ask for (just before the link was last seen alive),
reading an answer into found / none / retry, when a lookup is due, and when an
answer says the archive itself is down (``archive_down``: a run then stops asking
and leaves the other dead links for the next run). An empty ``archived_snapshots``
means "no archive"; a 429, a 5xx, a transport failure or an unreadable answer means
"ask again later", never "no archive".
Does not own: the HTTP request (``tracker.fetch.wayback``) or storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["ArchiveAnswer", "wayback_timestamp", "snapshot_time_for", "read_availability",
           "archive_due", "archive_down"]


@dataclass(frozen=True)
class ArchiveAnswer:
    """``outcome`` is ``found``, ``none`` or ``retry``."""

    outcome: str
    archive_url: str | None = None
    archived_at: datetime | None = None
    detail: str = ""


def wayback_timestamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def snapshot_time_for(last_ok_at: datetime | None, first_failure_at: datetime | None,
                      now: datetime) -> datetime:
    """Ask for the snapshot closest to just before the link was last seen working."""
    if last_ok_at is not None:
        return last_ok_at
    if first_failure_at is not None:
        return first_failure_at - timedelta(days=1)
    return now


def _parse_ts(text: str) -> datetime | None:
    try:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def read_availability(status: int | None, body: bytes, error_class: str | None = None) -> ArchiveAnswer:
    """Turn one availability answer into found / none / retry."""
    if error_class is not None or status is None:
        return ArchiveAnswer("retry", detail=f"archive unreachable ({error_class or 'no answer'})")
    if status == 429 or status >= 500 or status != 200:
        return ArchiveAnswer("retry", detail=f"archive answered {status}")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        # its size tells an empty answer from a page (the answer itself is other people's text)
        start = "<" if body.lstrip()[:1] == b"<" else "text"
        shape = f"{len(body)} bytes, starting with {start}" if body.strip() else "empty"
        return ArchiveAnswer("retry", detail=f"archive answer is not JSON ({shape})")
    if not isinstance(data, dict):
        return ArchiveAnswer("retry", detail="archive answer is not a JSON object")
    snaps = data.get("archived_snapshots")
    closest = snaps.get("closest") if isinstance(snaps, dict) else None
    if not isinstance(closest, dict) or not closest:
        return ArchiveAnswer("none", detail="no snapshot")
    url = closest.get("url")
    snap_status = str(closest.get("status", "200"))
    if closest.get("available") is False or not isinstance(url, str) or not url:
        return ArchiveAnswer("none", detail="no usable snapshot")
    if not snap_status[:1] in ("2", "3"):
        return ArchiveAnswer("none", detail=f"closest snapshot is an error page ({snap_status})")
    if url.startswith("http://web.archive.org/"):
        url = "https://" + url[len("http://"):]
    return ArchiveAnswer("found", url, _parse_ts(str(closest.get("timestamp", ""))))


def archive_due(state: str, last_outcome: str | None, retry_at: datetime | None, now: datetime) -> bool:
    """Look up an archive for a dead link never looked up, or whose last try should be retried."""
    if state != "dead":
        return False
    if last_outcome is None:
        return True
    if last_outcome == "retry":
        return retry_at is None or retry_at <= now
    return False


def archive_down(status: int | None, error_class: str | None) -> bool:
    """Does this answer (after the HTTP core's own retries) say the archive is not answering
    at all — no answer, a network or redirect failure, 429, a 5xx — rather than something
    about the one URL asked (an ``invalid_url`` we could not even ask about, a 200 we could
    not read)? Asking about every other dead link would then only wait out every deadline."""
    if error_class is not None:
        return error_class != "invalid_url"
    return status is None or status == 429 or status >= 500
