"""Which URLs tell us whether our own side is online (the canaries of a run).

Owns: ``network_canaries`` — the configured ``[check] canary_urls`` first, then
a few hosts that answered last time (links whose latest check got an HTTP
answer, feeds whose latest poll succeeded), at most one URL per host. The link
checker and the crawler both ask these when a batch looks offline
(``fetch.network``), so "network down" means the same thing to both.
Does not own: the probing (``fetch.network``) or what an offline run stores.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tracker.config import Settings
from tracker.db import repo_feeds, repo_links
from tracker.db.repo_links import Session

__all__ = ["network_canaries", "MAX_CANARIES"]

MAX_CANARIES = 3


def network_canaries(session: Session, settings: Settings) -> list[str]:
    urls = list(settings.check.canary_urls)
    learned = repo_links.answered_urls(session)
    for source in repo_feeds.list_sources(session):
        if source.enabled and source.last_success_at is not None:
            from tracker.sources import request_url  # the feed parsers (~60 ms): only when needed

            try:
                learned.append(request_url(source.kind, source.target, settings))
            except Exception:  # a source we cannot build a URL for is simply no canary
                continue
    hosts = {urlsplit(u).hostname for u in urls}
    for url in learned:
        host = urlsplit(url).hostname
        if len(urls) >= len(settings.check.canary_urls) + MAX_CANARIES:
            break
        if host and host not in hosts and urlsplit(url).scheme in ("http", "https"):
            hosts.add(host)
            urls.append(url)
    return urls
