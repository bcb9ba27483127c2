"""Use case: ``tracker sources discover`` — propose feeds from the sites the document already cites.

For every host the latest document version cites pages of (not papers, videos
or the big shared hosts where a home page says nothing about the author), the
host's home page is read and its feeds found by RSS/Atom autodiscovery
(``<link rel="alternate" type="application/rss+xml|atom+xml" href=…>``). For
every cited YouTube video, its watch page (``[youtube] watch_url``) names the
channel (the channel feed link, ``itemprop="channelId"`` or ``"channelId":"UC…"``).
Each find is proposed as a source — *disabled*, so nothing is crawled until a
maintainer enables it — with the topics its cited pages sit in. Sources
already tracked are skipped; a site that cannot be read is reported, not fatal.

Owns: choosing hosts, parsing home and watch pages, naming the proposals. HTTP
goes through one function (``_page``) over the fetch module's ``FeedClient``;
storing goes through ``services.sources.add_source``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from tracker.fetch import runner
from tracker.config import Settings
from tracker.db import repo_documents
from tracker.db import repo_feeds
from tracker.db.session import Database
from tracker.errors import ConflictError, InputError
from tracker.services.catalog import resolve_document
from tracker.sources import normalize_target
from tracker.sources.dedupe import local_host
from tracker.sources.model import FEED

__all__ = ["Proposal", "DiscoverResult", "discover", "feed_links", "channel_id"]

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# hosts whose home page is a platform's, not the cited author's
SHARED_HOSTS = frozenset({"github.com", "gist.github.com", "arxiv.org", "x.com", "twitter.com", "youtube.com",
                          "youtu.be", "en.wikipedia.org", "wikipedia.org", "medium.com", "huggingface.co",
                          "docs.google.com", "drive.google.com", "openreview.net", "aclanthology.org",
                          "papers.nips.cc", "proceedings.mlr.press", "reddit.com", "news.ycombinator.com",
                          "linkedin.com", "amazon.com", "colab.research.google.com"})
_CHANNEL = (re.compile(r"feeds/videos\.xml\?channel_id=(UC[\w-]{22})"),
            re.compile(r"itemprop=[\"']channelId[\"']\s+content=[\"'](UC[\w-]{22})"),
            re.compile(r"\"channelId\"\s*:\s*\"(UC[\w-]{22})\""))
_NAME = re.compile(r"[^a-z0-9.-]+")

Get = Callable[[str], str | None]


@dataclass
class Proposal:
    name: str
    kind: str  # feed or youtube
    target: str
    topics: list[str]
    found_on: str
    added: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "enabled": False}


@dataclass
class DiscoverResult:
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already tracked
    unreadable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"proposals": [p.as_dict() for p in self.proposals], "skipped": self.skipped,
                "unreadable": self.unreadable}


class _LinkTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.found.append({k.lower(): (v or "") for k, v in attrs})


def feed_links(html: str, base_url: str) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type=…>``, in page order: only
    ones a feed source accepts, and none inside a private network unless the page is too."""
    parser = _LinkTags()
    try:
        parser.feed(html)
    except (AssertionError, ValueError):  # hopeless markup: whatever was found so far
        pass
    public = not local_host(urlsplit(base_url).hostname or "")
    out: list[str] = []
    for tag in parser.found:
        rels = tag.get("rel", "").lower().split()
        if "alternate" in rels and tag.get("type", "").lower().split(";")[0].strip() in FEED_TYPES \
                and tag.get("href"):
            try:
                url = normalize_target(FEED, urljoin(base_url, tag["href"].strip()))
                host = urlsplit(url).hostname or ""
            except (InputError, ValueError):  # other people's markup: an impossible URL is no feed
                continue
            if url not in out and not (public and local_host(host)):
                out.append(url)
    return out


def channel_id(html: str) -> str | None:
    """The YouTube channel id a watch page names, if any."""
    for pattern in _CHANNEL:
        match = pattern.search(html)
        if match:
            return match.group(1)
    return None


def _page(settings: Settings) -> tuple[Get, Callable[[], None]]:
    """The one HTTP function of discovery: GET a page as text (``None`` when unusable)."""
    from tracker.fetch.feeds import FeedClient, FeedFetch

    async def one(url: str) -> FeedFetch:
        # a client per page: discovery reads a few pages, and the per-host gates are shared anyway
        async with FeedClient(settings) as client:
            return await client.fetch(url)

    def get(url: str) -> str | None:
        fetched = runner.run(one(url))
        if fetched.outcome != "fetched" or not fetched.body:
            return None
        return fetched.body.decode("utf-8", "replace")

    return get, lambda: None


def _name(text: str) -> str:
    return _NAME.sub("-", text.lower()).strip("-")[:90] or "discovered"


def discover(db: Database, settings: Settings, *, document: str | None = None, dry_run: bool = False,
             get: Get | None = None) -> DiscoverResult:
    """Find feeds of the cited sites and YouTube channels; add them disabled unless ``dry_run``."""
    from tracker.db import repo_candidates
    from tracker.services.sources import add_source

    with db.transaction() as session:
        doc = resolve_document(session, settings, document)
        version = repo_documents.latest_version(session, doc.id)
        if version is None:
            raise InputError(f"document {doc.name!r} has no imported version; run `tracker import` first")
        _topics, links, _vid = repo_candidates.profile_rows(session, doc.id)
        cited = repo_candidates.citation_rows(session, version.id)
    hosts: dict[str, tuple[str, set[str]]] = {}
    videos: dict[str, set[str]] = defaultdict(set)
    topic_of: dict[str, set[str]] = defaultdict(set)
    for slug, url, _anchor, _sentence, _title in links:
        topic_of[url].add(slug)
    for url, _canonical, external, kind, _title, _anchor in cited:
        if external.startswith("youtube:"):
            videos[external.removeprefix("youtube:")] |= topic_of[url]
            continue
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        if kind in ("paper", "video") or not host or host in SHARED_HOSTS or parts.scheme not in ("http", "https"):
            continue
        home = f"{parts.scheme}://{parts.netloc}/"
        hosts.setdefault(host, (home, set()))[1].update(topic_of[url])
    close: Callable[[], None] = lambda: None  # noqa: E731
    if get is None:
        get, close = _page(settings)
    result = DiscoverResult()
    found: list[Proposal] = []
    try:
        for host, (home, topics) in sorted(hosts.items()):
            page = get(home)
            if page is None:
                result.unreadable.append(home)
                continue
            for n, feed in enumerate(feed_links(page, home)[:1]):
                found.append(Proposal(_name(host) + (f"-{n}" if n else ""), "feed", feed, sorted(topics), home))
        channels: dict[str, tuple[str, set[str]]] = {}
        for video, topics in sorted(videos.items()):
            watch = f"{settings.youtube.watch_url}?v={video}"
            page = get(watch)
            channel = channel_id(page) if page is not None else None
            if channel is None:
                result.unreadable.append(watch)
                continue
            channels.setdefault(channel, (watch, set()))[1].update(topics)
        for channel, (watch, topics) in sorted(channels.items()):
            found.append(Proposal(f"youtube-{_name(channel)}", "youtube", channel, sorted(topics), watch))
    finally:
        close()
    for proposal in found:
        with db.transaction() as session:
            twin = repo_feeds.source_by_target(session, proposal.kind, proposal.target)
        if twin is not None:
            result.skipped.append(proposal.target)
            continue
        if not dry_run:
            try:
                add_source(db, settings, proposal.kind, proposal.target, name=proposal.name,
                           topics=tuple(proposal.topics), enabled=False)
            except ConflictError:  # a source by that name exists: keep the proposal unadded
                result.skipped.append(proposal.target)
                continue
            proposal.added = True
        result.proposals.append(proposal)
    return result
