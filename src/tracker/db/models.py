"""All models, imported in one place so ``Base.metadata`` is complete (Alembic, ``db check``).

Does not define any model itself.
"""

from __future__ import annotations

from tracker.db import models_candidates, models_feeds, models_jobs, models_links  # noqa: F401
from tracker.db.base import Base
from tracker.db.models_core import (
    Document,
    DocumentVersion,
    InternalLink,
    Placement,
    Resource,
    ResourceVersion,
    Topic,
    TopicSnapshot,
)

__all__ = [
    "Base",
    "Document",
    "DocumentVersion",
    "InternalLink",
    "Placement",
    "Resource",
    "ResourceVersion",
    "Topic",
    "TopicSnapshot",
]
