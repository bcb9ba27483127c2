"""Topic profiles (pure): the text each chapter is recognised by.

A profile is built from what the document itself says about a chapter: its
title (weighted up: a handful of words that name the topic), the title and
"Goal:" line of its section, its own prose (which already holds the anchor texts
and sentences of its links), the words in the URLs it cites, and the real titles
of its resources once a check or a feed found them. Accepted candidates add
their titles too, so the profile learns from the maintainers' decisions.

Owns: choosing the scoring targets (chapters; a section or front topic without
chapters stands for itself), building profile texts, and leaving one paragraph
out (for evaluation). Does not vectorise or score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tracker.candidates.corpus import LinkDoc, Paragraph, TopicDoc
from tracker.candidates.text import clean_text, url_words

__all__ = ["TopicProfile", "ProfileWeights", "scoring_targets", "build_profiles", "DEFAULT_WEIGHTS"]


@dataclass(frozen=True)
class ProfileWeights:
    """How many times each part of a profile is repeated (TF-IDF counts are linear in it)."""

    title: int = 3
    section_title: int = 1
    section_goal: int = 1
    prose: int = 1
    url_words: int = 1
    resource_title: int = 1
    example: int = 1


DEFAULT_WEIGHTS = ProfileWeights()


@dataclass(frozen=True)
class TopicProfile:
    """One scoring target: a chapter (or a section with no chapters) and its profile text."""

    slug: str
    title: str
    section_slug: str | None
    section_title: str
    text: str


def scoring_targets(topics: Sequence[TopicDoc]) -> list[TopicDoc]:
    """Chapters, plus any section with no chapters of its own (front matter never)."""
    parents = {t.parent_slug for t in topics if t.kind == "chapter"}
    return [t for t in topics
            if t.kind == "chapter" or (t.kind == "section" and t.slug not in parents)]


def _prose_without(topic: TopicDoc, skip: Paragraph | None) -> list[str]:
    parts = list(topic.text_parts) or ([topic.text] if topic.text else [])
    if skip is not None and skip.topic_slug == topic.slug and skip.text in parts:
        parts.remove(skip.text)
    return parts


def build_profiles(
    topics: Sequence[TopicDoc],
    links: Iterable[LinkDoc],
    *,
    examples: Mapping[str, Sequence[str]] | None = None,
    skip: Paragraph | None = None,
    weights: ProfileWeights = DEFAULT_WEIGHTS,
) -> list[TopicProfile]:
    """Profiles of the scoring targets, in document order.

    ``examples`` maps a slug to extra texts known to belong there (accepted
    candidates). ``skip`` is a held-out paragraph: its prose and its links are
    left out of its topic's profile.
    """
    by_slug = {t.slug: t for t in topics}
    skipped = {id(link) for link in skip.links} if skip is not None else set()
    per_topic: dict[str, list[str]] = {}
    for link in links:
        if id(link) in skipped:
            continue
        bucket = per_topic.setdefault(link.topic_slug, [])
        bucket.extend([url_words(link.url)] * weights.url_words)
        if link.title:
            bucket.extend([clean_text(link.title, 500)] * weights.resource_title)
    profiles = []
    for topic in scoring_targets(topics):
        section = by_slug.get(topic.parent_slug) if topic.parent_slug else None
        parts = [topic.title] * weights.title
        if section is not None:
            parts += [section.title] * weights.section_title
            parts += [section.description] * weights.section_goal
        elif topic.description:
            parts += [topic.description] * weights.section_goal
        parts += _prose_without(topic, skip) * weights.prose
        parts += per_topic.get(topic.slug, [])
        for text in (examples or {}).get(topic.slug, ()):
            parts += [clean_text(text)] * weights.example
        profiles.append(TopicProfile(topic.slug, topic.title, section.slug if section else None,
                                     section.title if section else "",
                                     "\n".join(p for p in parts if p)))
    return profiles
