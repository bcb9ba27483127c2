"""YouTube channel and playlist feeds: targets, request URLs, parsing (pure).

Owns: accepting a channel id (``UC…``), a playlist id (``PL…``, ``UU…``, ``OL…``…)
or a channel/playlist/feed URL as a source target; the ``feeds/videos.xml`` URL;
and reading entries by ``yt:videoId`` (so ``/shorts/ID`` and ``/watch?v=ID`` are one
video) with the entry-level ``yt:channelId`` (the feed-level one lacks ``UC``).
Does not own: resolving ``@handles`` (that needs the network; give the id).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tracker.errors import InputError
from tracker.sources.dedupe import safe_identity
from tracker.sources.model import Item, ParsedFeed
from tracker.sources.rss import EntryReader, parse_with
from tracker.sources.text import clean_text

__all__ = ["normalize_target", "feed_url", "parse_youtube"]

_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_PLAYLIST = re.compile(r"^(?:PL|UU|OL|FL|LL|RD|UL|PU)[A-Za-z0-9_-]{10,60}$")
_VIDEO = re.compile(r"^[A-Za-z0-9_-]{11}$")


def normalize_target(target: str) -> str:
    """``UC…`` / ``PL…`` / a channel, playlist or feed URL → the bare channel or playlist id."""
    text = target.strip()
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        segments = [s for s in parts.path.split("/") if s]
        if query.get("channel_id"):
            text = query["channel_id"][0]
        elif query.get("playlist_id"):
            text = query["playlist_id"][0]
        elif query.get("list"):
            text = query["list"][0]
        elif len(segments) >= 2 and segments[0] == "channel":
            text = segments[1]
        elif segments and segments[0].startswith("@"):
            text = segments[0]
    if text.startswith("@"):
        raise InputError(
            f"YouTube handle {text!r} cannot be resolved without the network; give the channel id "
            "(UC…, shown under the channel's About → Share → Copy channel ID) or a playlist id (PL…)"
        )
    if _CHANNEL.match(text) or _PLAYLIST.match(text):
        return text
    raise InputError(
        f"not a YouTube channel or playlist id: {target!r}; use a channel id (UC + 22 characters) "
        "or a playlist id (PL…)"
    )


def feed_url(base: str, target: str) -> str:
    """The Atom feed of a channel (``channel_id=``) or a playlist (``playlist_id=``)."""
    param = "channel_id" if _CHANNEL.match(target) else "playlist_id"
    return f"{base}?{param}={quote(target)}"


def _video(entry: Any, reader: EntryReader) -> Item | None:
    generic = reader.generic(entry)
    video = str(entry.get("yt_videoid") or "").strip()
    if not _VIDEO.match(video):
        if generic is not None and generic.canonical_id.startswith("youtube:"):
            video = generic.canonical_id.split(":", 1)[1]
        else:
            return None
    title = reader.text_of(entry, "title")
    if not title:
        return None
    published, updated = reader.dates(entry)
    watch = f"https://www.youtube.com/watch?v={video}"
    link = reader.link(entry)
    found = safe_identity(link) if link else None
    if found is None or found.canonical_id != f"youtube:{video}":
        link = watch  # a javascript:/data: link, another video or another site is not this video
    channel = clean_text(str(entry.get("yt_channelid") or ""), 40)
    return Item(
        canonical_id=f"youtube:{video}", canonical_url=watch,
        url=link, title=title, kind="video", guid=reader.guid(entry),
        authors=reader.authors(entry), summary=reader.summary(entry),
        published_at=published, updated_at=updated, categories=reader.categories(entry),
        channel_id=channel, authority=1,
    )


def parse_youtube(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """A ``feeds/videos.xml`` response: one item per video."""
    return parse_with(body, url, _video, EntryReader(url, ("video",)), content_type)
