"""What kind of thing a URL points to, and what kind of link target an href is (pure).

Owns: the host and path hints behind ``paper``/``book``/``course``/``blog``…
and ``classify_target`` (external, anchor, relative, mailto, javascript,
other-scheme, malformed). Does not own: identity (``tracker.urls.identity``).
"""

from __future__ import annotations

import re

from tracker.urls.normalize import InvalidURL, normalize

__all__ = ["KINDS", "infer_kind", "classify_target"]

KINDS = ("paper", "video", "playlist", "channel", "repository", "book", "course", "blog", "other")

_PAPER_HOSTS = ("openreview.net", "aclanthology.org", "aclweb.org", "proceedings.neurips.cc",
                "papers.nips.cc", "proceedings.mlr.press", "dl.acm.org", "semanticscholar.org",
                "paperswithcode.com", "jmlr.org", "ieeexplore.ieee.org", "biorxiv.org",
                "openaccess.thecvf.com", "papers.ssrn.com", "nature.com", "science.org")
_BOOK_HOSTS = ("d2l.ai", "deeplearningbook.org", "probml.github.io", "udlbook.github.io",
               "otexts.com", "mml-book.github.io", "neuralnetworksanddeeplearning.com",
               "web.stanford.edu/~jurafsky/slp3", "huyenchip.com/ml-interviews-book")
_COURSE_HOSTS = ("coursera.org", "edx.org", "udemy.com", "udacity.com", "course.fast.ai",
                 "fast.ai", "deeplearning.ai", "huggingface.co/learn", "ocw.mit.edu",
                 "classcentral.com", "kaggle.com/learn")
_REPO_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gist.github.com")
_VIDEO_HOSTS = ("vimeo.com", "twitch.tv", "videolectures.net", "slideslive.com")
_BLOG_HINTS = ("blog", "medium.com", "substack.com", "github.io", "distill.pub", "lilianweng",
               "/posts/", "/post/", "/p/", "magazine", "notion.site", "wordpress", "ghost.io",
               "huggingface.co/blog", "news", "article", "thegradient", "towardsdatascience")


class _Hosts:
    """``matches(bare, where)`` for a tuple of host (or host/path) names: ``bare`` is one of
    them or a subdomain of one, or ``where`` (host and lower-cased path) starts with one,
    or contains one that has a path. One set lookup per label of the host and two
    precompiled patterns instead of four string tests per name (``infer_kind`` runs once
    per new URL of an import; ``tests/document/test_urls.py`` compares it with the plain
    loop)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = frozenset(names)
        plain = [n for n in names if "/" not in n]
        paths = [n for n in names if "/" in n]
        self.prefix = re.compile("|".join(map(re.escape, plain))) if plain else None
        self.inside = re.compile("|".join(map(re.escape, paths))) if paths else None

    def matches(self, bare: str, where: str) -> bool:
        if bare in self.names:
            return True
        dot = bare.find(".")
        while dot >= 0:  # bare.endswith("." + name): the name is what follows one of its dots
            if bare[dot + 1:] in self.names:
                return True
            dot = bare.find(".", dot + 1)
        return bool(self.prefix and self.prefix.match(where) or self.inside and self.inside.search(where))


_PAPERS, _BOOKS, _COURSES, _VIDEOS = (_Hosts(_PAPER_HOSTS), _Hosts(_BOOK_HOSTS), _Hosts(_COURSE_HOSTS),
                                      _Hosts(_VIDEO_HOSTS))
_BOOK_WORD = re.compile(r"(^|[./-])book(s)?([./-]|$)")
_COURSE_WORD = re.compile(r"(^|[./-])(course|courses|class|lectures?)([./-]|$)")
_STANFORD_COURSE = re.compile(r"^cs\d+[a-z]?\.stanford\.edu$")
_BLOG_WORD = re.compile("|".join(map(re.escape, _BLOG_HINTS)))


def infer_kind(host: str, path: str) -> str:
    """The kind of a non-arXiv, non-YouTube resource from its host and path."""
    lowered = path.lower()
    where = host + lowered
    bare = host[4:] if host.startswith("www.") else host
    if bare == "arxiv.org":
        return "other"
    if lowered.endswith(".pdf") or _PAPERS.matches(bare, where):
        return "paper"
    if _BOOKS.matches(bare, where) or _BOOK_WORD.search(where):
        return "book"
    if _COURSES.matches(bare, where) or _COURSE_WORD.search(where) or _STANFORD_COURSE.match(bare):
        return "course"
    if bare in _REPO_HOSTS and len([s for s in path.split("/") if s]) >= 2:
        return "repository"
    if _VIDEOS.matches(bare, where):
        return "video"
    if _BLOG_WORD.search(where):
        return "blog"
    if path.strip("/"):
        return "blog"
    return "other"


def classify_target(href: str) -> str:
    """What kind of link target ``href`` is: ``external``, ``anchor``, ``relative``,
    ``mailto``, ``javascript``, ``other-scheme`` or ``malformed``."""
    text = href.strip()
    if not text:
        return "malformed"
    if text.startswith("#"):
        return "anchor"
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", text)
    if not match:
        if text.startswith("//"):
            return _external_or_malformed("https:" + text)
        if re.match(r"^[^/?#]*[:!]", text):
            return "malformed"
        return "relative"
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return _external_or_malformed(text)
    if scheme == "mailto":
        return "mailto"
    if scheme in ("javascript", "vbscript", "data"):
        return "javascript"
    return "other-scheme"


def _external_or_malformed(text: str) -> str:
    try:
        normalize(text)
    except InvalidURL:
        return "malformed"
    return "external"
