"""Resource kinds spelled for people, and a short "source" for a link (pure)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["kind_label", "source_of", "KIND_LABELS"]

#: ``tracker.urls.KINDS`` → how a reading list names them
KIND_LABELS = {
    "blog": "Blog post",
    "video": "Video",
    "playlist": "Video series",
    "channel": "Video channel",
    "paper": "Paper",
    "book": "Textbook",
    "course": "Course notes",
    "repository": "Repository",
    "other": "Web page",
}

_SOURCES = {
    "arxiv.org": "arXiv", "youtube.com": "YouTube", "youtu.be": "YouTube", "github.com": "GitHub",
    "huggingface.co": "Hugging Face", "medium.com": "Medium", "openreview.net": "OpenReview",
    "aclanthology.org": "ACL Anthology", "web.archive.org": "Internet Archive",
    "x.com": "X", "twitter.com": "X", "wikipedia.org": "Wikipedia",
}


def kind_label(kind: str) -> str:
    """``"blog"`` → ``"Blog post"``; unknown kinds are capitalised."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize() or "Web page")


#: an http(s) URL whose host ``urlsplit`` would read as the plain ASCII name before any
#: port, path, query or fragment (no user info, brackets, tabs or line breaks)
_PLAIN_HOST = re.compile(r"(?i:https?)://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)")


def source_of(url: str) -> str:
    """A short name for where a link lives: ``arXiv``, ``YouTube``, else the host without ``www.``."""
    plain = _PLAIN_HOST.match(url)  # fast path: the host without ``urlsplit`` (same answer)
    return _source_of_host(plain.group(1).lower() if plain else _host(url))


def _host(url: str) -> str:
    """The lower-case host of ``url`` as ``urlsplit`` reads it (``""`` when it cannot)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


@lru_cache(maxsize=4096)
def _source_of_host(host: str) -> str:
    host = host.removeprefix("www.").removeprefix("m.")
    for known, name in _SOURCES.items():
        if host == known or host.endswith("." + known):
            return name
    return host
