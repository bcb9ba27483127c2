"""What a link-check run hands its recorder: one checked link (``Seen``) and what a batch
changed (``BatchOutcome``). Plain data, without SQLAlchemy: the fetching side of a big run
never loads it (``db.plain_links``), and both cross to the recording process pickled.

Does not own: judging (``services.linkcheck_looks``) or recording (``services.linkcheck_store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.links.model import Verdict

if TYPE_CHECKING:  # only the annotation
    from tracker.fetch.model import FetchResult

__all__ = ["Seen", "BatchOutcome"]


@dataclass(frozen=True)
class Seen:
    """One checked link, without its body (reduced to a hash and a title when judged)."""

    resource_id: int
    url: str           # the resource's URL as the document writes it (for reports)
    fetched_url: str   # the URL the request went to (stored on the observation)
    result: FetchResult
    verdict: Verdict
    content_hash: str | None
    title: str
    #: what ``link_status.probed_hash`` becomes (``linkcheck_looks``: the hash of a page judged
    #: OK beside an answered sibling probe, kept or cleared); None when unsure: the next check probes
    probed_hash: str | None = None


@dataclass
class BatchOutcome:
    changes: list[dict[str, object]]
    new_versions: int = 0
