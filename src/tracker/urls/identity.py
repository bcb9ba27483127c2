"""Canonical identity of a link target (pure): which URLs are one resource.

Identity is for grouping only — one resource per real thing, one candidate per
paper or video — and never the address tracker requests (that is
``tracker.urls.normalize``, the URL as written). On top of the RFC 3986 normal
form it applies tracker's own rules:

* arXiv ``abs``/``pdf``/``html``/``format`` links and their versions are one
  paper (``https://arxiv.org/abs/ID``; the version is kept separately);
* ``youtube.com/watch?v=ID``, ``youtu.be/ID``, ``m.``/``music.`` hosts, embeds,
  shorts and live are one video (a playlist and a channel are their own);
* tracking parameters are dropped: ``utm_*`` and the click ids in
  ``GLOBAL_TRACKING`` on every host, others only on the hosts that use them
  (``si`` on YouTube and Spotify, ``pp``/``feature`` on YouTube, ``spm`` on
  Alibaba's sites, ``trk`` on LinkedIn, ``s``/``t``/``ref_src`` on X/Twitter);
* the remaining query pairs are sorted (their bytes are kept: a reserved escape
  is never decoded), the user info and a trailing dot of the host dropped, and
  the fragment returned separately unless it is a hash route (``#!``, ``#/``).

Does not own: the RFC normal form, kinds of non-arXiv/YouTube pages
(``tracker.urls.kinds``), storage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from tracker.urls.kinds import infer_kind
from tracker.urls.normalize import InvalidURL, normalize

__all__ = ["CanonicalURL", "canonicalize", "arxiv_id_from_url", "is_tracking_param",
           "ARXIV_NEW_ID", "ARXIV_OLD_ID", "GLOBAL_TRACKING", "HOST_TRACKING"]

#: dropped on every host (besides every ``utm_*``): click ids no page reads
GLOBAL_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "mkt_tok", "s_cid", "_ga", "_gl", "oly_enc_id", "oly_anon_id", "vero_id",
    "wt.mc_id", "__s",
})
_YOUTUBE_TRACKING = frozenset({"si", "pp", "feature"})
#: dropped only on these hosts and their subdomains: elsewhere the same name may mean something
HOST_TRACKING: Mapping[str, frozenset[str]] = {
    "youtube.com": _YOUTUBE_TRACKING, "youtu.be": _YOUTUBE_TRACKING,
    "youtube-nocookie.com": _YOUTUBE_TRACKING,
    "spotify.com": frozenset({"si"}),
    "aliexpress.com": frozenset({"spm"}), "alibaba.com": frozenset({"spm"}),
    "taobao.com": frozenset({"spm"}), "tmall.com": frozenset({"spm"}),
    "linkedin.com": frozenset({"trk", "trackingid"}),
    "twitter.com": frozenset({"s", "t", "ref_src", "ref_url"}),
    "x.com": frozenset({"s", "t", "ref_src", "ref_url"}),
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


@dataclass(frozen=True)
class CanonicalURL:
    """The identity of a link target: canonical URL, kind, external id, version, fragment."""

    canonical: str
    kind: str
    host: str
    external_id: str | None = None
    version: str = ""
    fragment: str = ""


def is_tracking_param(host: str, key: str) -> bool:
    """Whether query key ``key`` (decoded) only tracks the click on ``host``."""
    name = key.lower()
    if name.startswith("utm_") or name in GLOBAL_TRACKING:
        return True
    labels = host.split(".")
    return any(name in HOST_TRACKING.get(".".join(labels[i:]), ()) for i in range(len(labels) - 1))


def _kept_query(host: str, query: str) -> str:
    """The query without tracking pairs, pairs sorted, each pair's bytes as written."""
    pairs = [p for p in query.split("&") if p]
    kept = [p for p in pairs if not is_tracking_param(host, unquote_plus(p.split("=", 1)[0]))]
    return "&".join(sorted(kept))


def _split(url: str) -> tuple[str, str, int | None, str, str, str]:
    parts = urlsplit(normalize(url))
    host = (parts.hostname or "").rstrip(".")
    return parts.scheme, host, parts.port, parts.path, parts.query, parts.fragment


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


def _youtube(host: str, path: str, query: str, fragment: str) -> CanonicalURL | None:
    params = dict(parse_qsl(query, keep_blank_values=True))
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


@lru_cache(maxsize=65536)
def canonicalize(url: str) -> CanonicalURL:
    """The canonical identity of an absolute http(s) URL; raises ``InvalidURL`` otherwise."""
    scheme, host, port, path, query, fragment = _split(url)
    if host in _ARXIV_HOSTS:
        m = _ARXIV_PATH.match(path)
        if m:
            aid = m.group("id")
            return CanonicalURL(f"https://arxiv.org/abs/{aid}", "paper", "arxiv.org",
                                f"arxiv:{aid}", m.group("v") or "", fragment)
        host = "arxiv.org"  # listings and search pages: one host, not papers
    kept = _kept_query(host, query)
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        yt = _youtube(host, path, kept, fragment)
        if yt is not None:
            return yt
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    keep_fragment = fragment.startswith(("!", "/"))  # hash-routed pages: part of the identity
    canonical = f"{scheme}://{netloc}{path}" + (f"?{kept}" if kept else "") + \
        (f"#{fragment}" if keep_fragment else "")
    return CanonicalURL(canonical, infer_kind(host, path), host, None, "",
                        "" if keep_fragment else fragment)
