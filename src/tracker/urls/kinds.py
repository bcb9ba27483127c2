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


def infer_kind(host: str, path: str) -> str:
    """The kind of a non-arXiv, non-YouTube resource from its host and path."""
    where = host + path.lower()
    bare = host[4:] if host.startswith("www.") else host

    def has(names: tuple[str, ...]) -> bool:
        return any(bare == n or bare.endswith("." + n) or where.startswith(n) or
                   (("/" in n) and n in where) for n in names)
    if bare == "arxiv.org":
        return "other"
    if path.lower().endswith(".pdf") or has(_PAPER_HOSTS):
        return "paper"
    if has(_BOOK_HOSTS) or re.search(r"(^|[./-])book(s)?([./-]|$)", where):
        return "book"
    if has(_COURSE_HOSTS) or re.search(r"(^|[./-])(course|courses|class|lectures?)([./-]|$)", where) \
            or re.match(r"^cs\d+[a-z]?\.stanford\.edu$", bare):
        return "course"
    if bare in _REPO_HOSTS and len([s for s in path.split("/") if s]) >= 2:
        return "repository"
    if has(_VIDEO_HOSTS):
        return "video"
    if any(h in where for h in _BLOG_HINTS):
        return "blog"
    if len([s for s in path.split("/") if s]) >= 1:
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
