"""Canonical URLs and resource kinds (pure).

One resource per real thing: arXiv abs/pdf/html links and their versions are one
paper; ``youtube.com/watch?v=ID``, ``youtu.be/ID``, ``m.youtube.com``, embeds and
shorts are one video (a playlist is its own resource); tracking parameters are
dropped, the host lower-cased, default ports removed, query keys sorted, and the
fragment returned separately. The original URL is never altered: callers keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["CanonicalURL", "InvalidURL", "canonicalize", "classify_target", "KINDS", "arxiv_id_from_url"]

KINDS = ("paper", "video", "playlist", "channel", "repository", "book", "course", "blog", "other")

_TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "si", "pp", "feature", "trk", "s_cid",
    "spm", "_ga", "_gl", "oly_enc_id", "oly_anon_id", "vero_id", "wt.mc_id", "__s",
}
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"}
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
                  "youtube-nocookie.com", "www.youtube-nocookie.com"}
ARXIV_NEW_ID = r"\d{4}\.\d{4,5}"
ARXIV_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_PATH = re.compile(
    rf"^/(?:abs|pdf|html|format|ps)/(?P<id>{ARXIV_NEW_ID}|{ARXIV_OLD_ID})(?P<v>v\d+)?(?:\.pdf)?/?$"
)
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"

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


class InvalidURL(ValueError):
    """The text is not an absolute http(s) URL that tracker can follow."""


@dataclass(frozen=True)
class CanonicalURL:
    """The identity of a link target: canonical URL, kind, external id, version, fragment."""

    canonical: str
    kind: str
    host: str
    external_id: str | None = None
    version: str = ""
    fragment: str = ""


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
        canonicalize(text)
    except InvalidURL:
        return "malformed"
    return "external"


MAX_URL_CHARS = 2000  # canonical URLs are indexed String(2048) columns


def _split(url: str) -> tuple[str, str, int | None, str, str, str]:
    text = url.strip()
    if len(text) > MAX_URL_CHARS:
        raise InvalidURL(f"URL is {len(text)} characters long, over the {MAX_URL_CHARS}-character limit")
    if any(c in text for c in "\x00\r\n\t ") :
        raise InvalidURL(f"URL {url!r} contains whitespace or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURL(f"URL {url!r} is not http(s)")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or len(host) > 253 or not re.match(r"^[a-z0-9\-._~%\[\]:]+$", host) or ".." in host:
        raise InvalidURL(f"URL {url!r} has no valid host name")
    return scheme, host, port, parts.path, parts.query, parts.fragment


def _norm_path(path: str) -> str:
    if not path:
        return "/"
    return quote(unquote(path), safe=_SAFE_PATH)


def _clean_query(query: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs
            if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS]
    return sorted(kept)


def arxiv_id_from_url(url: str) -> tuple[str, str] | None:
    """``(id, version)`` for an arXiv abs/pdf/html URL, else ``None``."""
    try:
        _scheme, host, _port, path, _q, _f = _split(url)
    except InvalidURL:
        return None
    if host not in _ARXIV_HOSTS:
        return None
    m = _ARXIV_PATH.match(path)
    return (m.group("id"), m.group("v") or "") if m else None


def _youtube(host: str, path: str, query: list[tuple[str, str]], fragment: str) -> CanonicalURL | None:
    params = dict(query)
    start = params.get("t") or params.get("start") or ""
    frag = f"t={start}" if start else fragment
    video = None
    if host == "youtu.be":
        video = path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        segments = [s for s in path.split("/") if s]
        if path.rstrip("/") == "/watch":
            video = params.get("v")
        elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v", "e"):
            video = segments[1]
        elif path.rstrip("/") == "/playlist" and params.get("list"):
            pid = params["list"]
            return CanonicalURL(f"https://www.youtube.com/playlist?list={pid}", "playlist",
                                "www.youtube.com", f"youtube-playlist:{pid}", "", fragment)
        elif segments and (segments[0].startswith("@") or segments[0] in ("channel", "c", "user")):
            handle = segments[0] if segments[0].startswith("@") else "/".join(segments[:2])
            ext = segments[1] if segments[0] == "channel" and len(segments) > 1 else handle
            return CanonicalURL(f"https://www.youtube.com/{handle}", "channel",
                                "www.youtube.com", f"youtube-channel:{ext}", "", fragment)
    if video and _YT_ID.match(video):
        return CanonicalURL(f"https://www.youtube.com/watch?v={video}", "video",
                            "www.youtube.com", f"youtube:{video}", "", frag)
    return None


def _infer_kind(host: str, path: str) -> str:
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


@lru_cache(maxsize=65536)
def canonicalize(url: str) -> CanonicalURL:
    """The canonical identity of an absolute http(s) URL; raises ``InvalidURL`` otherwise."""
    scheme, host, port, path, query, fragment = _split(url)
    pairs = _clean_query(query)
    if host in _ARXIV_HOSTS:
        m = _ARXIV_PATH.match(path)
        if m:
            aid = m.group("id")
            return CanonicalURL(f"https://arxiv.org/abs/{aid}", "paper", "arxiv.org",
                                f"arxiv:{aid}", m.group("v") or "", fragment)
        host = "arxiv.org"  # listings and search pages: one host, not papers
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        yt = _youtube(host, path, pairs, fragment)
        if yt is not None:
            return yt
    default_port = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port in (None, default_port) else f"[{host}]:{port}"
    norm_path = _norm_path(path)
    keep_fragment = fragment.startswith(("!", "/"))  # hash-routed pages: part of the identity
    canonical = urlunsplit((scheme, netloc, norm_path, urlencode(pairs, quote_via=quote),
                            fragment if keep_fragment else ""))
    return CanonicalURL(canonical, _infer_kind(host, norm_path), host, None, "",
                        "" if keep_fragment else fragment)
