"""Core schema: documents, their versions, topics, resources and placements.

A *resource* is one real thing (keyed by canonical URL). A *placement* says
which resource the document cites where (topic, version, anchor text, sentence,
file and line). Topics are stable by slug within a document; what a topic looked
like in each version is a ``TopicSnapshot``.
Does not hold link observations, feed items or candidates (their own modules do).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db.base import Base, UTCDateTime


class Document(Base):
    """A living document (e.g. the Generative AI Handbook)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    location: Mapped[str] = mapped_column(Text, default="")
    layout: Mapped[str] = mapped_column(String(20), default="markdown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.seq"
    )


class DocumentVersion(Base):
    """One state of a document, identified by its content (and, from git, by commit and path).

    ``seq`` is the version's position in date order (1 = oldest), renumbered when an
    older version is imported later; the latest version is the one with the highest
    ``seq``. ``document_date`` is the version's own date and ``dated_by`` says where it
    came from (``commit``, ``name`` — a date in the label or folder name — or ``import``).
    ``document_date`` and ``dated_by`` are nullable only so the migration could add them
    to SQLite without rebuilding the table; every version has both.
    """

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "seq"),
        Index("uq_document_versions_label", "document_id", "label", unique=True),
        Index("uq_document_versions_commit_path", "document_id", "commit", "git_path", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    commit: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_path: Mapped[str] = mapped_column(Text, default="")
    document_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dated_by: Mapped[str | None] = mapped_column(String(10))
    # the document's folder (or file) inside its git repository, "" for the top; None when not from git
    git_path: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="versions")

    @property
    def date(self) -> datetime:
        """The version's own date (see ``dated_by``)."""
        return self.document_date or self.committed_at or self.imported_at


class Topic(Base):
    """A section or chapter, stable by slug; columns hold its latest state."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("document_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)


class TopicSnapshot(Base):
    """What a topic looked like in one document version (for diffs and renames)."""

    __tablename__ = "topic_snapshots"
    __table_args__ = (UniqueConstraint("version_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    parent_slug: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    text_hash: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer, default=0)


class Resource(Base):
    """One real thing (paper, video, post…), keyed by the canonical form of its URL."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(255), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20), default="document")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResourceVersion(Base):
    """A version of a resource: an arXiv ``v2``, or a changed page (new content hash)."""

    __tablename__ = "resource_versions"
    __table_args__ = (UniqueConstraint("resource_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text, default="")
    old_title: Mapped[str] = mapped_column(Text, default="")
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Placement(Base):
    """A resource cited in one topic of one document version."""

    __tablename__ = "placements"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        Index("ix_placements_resource_version", "resource_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    fragment: Mapped[str] = mapped_column(Text, default="")
    url_version: Mapped[str] = mapped_column(String(40), default="")
    anchor_text: Mapped[str] = mapped_column(Text, default="")
    sentence: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer, default=0)


class InternalLink(Base):
    """A link in the document that is not a tracked resource, and why (anchor, relative, mailto…)."""

    __tablename__ = "internal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(20))
    anchor_text: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer, default=0)
