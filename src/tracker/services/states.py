"""The current link state of resources, for listings (``tracker resources``).

Until link observations exist every resource is ``unchecked``; the link-health
work replaces the body of ``link_states`` with a query over its state table.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def link_states(session: Session, resource_ids: list[int]) -> dict[int, str]:
    """resource id → state (``unchecked`` when never observed)."""
    return {}
