"""The current link state of resources, for listings (``tracker resources``).

Does not own the state: the link-health tables and policy do.
"""

from __future__ import annotations

from tracker.db import Session

from tracker.db import repo_links


def link_states(session: Session, resource_ids: list[int]) -> dict[int, str]:
    """resource id → state; resources never observed are absent (``unchecked``)."""
    return {rid: status.state for rid, status in repo_links.status_rows(session, resource_ids).items()}
