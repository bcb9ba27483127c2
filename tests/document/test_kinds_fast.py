"""``infer_kind`` looks hosts up in sets and precompiled patterns: it must give what the
plain loop over every name gave, for any host and path (issue 15: it led the profile of a
100,000-link import)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracker.urls import kinds
from tracker.urls.kinds import infer_kind


def _plain(host: str, path: str) -> str:
    """The loop ``infer_kind`` was before (four string tests per name)."""
    where = host + path.lower()
    bare = host[4:] if host.startswith("www.") else host

    def has(names: tuple[str, ...]) -> bool:
        return any(bare == n or bare.endswith("." + n) or where.startswith(n) or
                   (("/" in n) and n in where) for n in names)
    if bare == "arxiv.org":
        return "other"
    if path.lower().endswith(".pdf") or has(kinds._PAPER_HOSTS):
        return "paper"
    if has(kinds._BOOK_HOSTS) or re.search(r"(^|[./-])book(s)?([./-]|$)", where):
        return "book"
    if has(kinds._COURSE_HOSTS) or re.search(r"(^|[./-])(course|courses|class|lectures?)([./-]|$)", where) \
            or re.match(r"^cs\d+[a-z]?\.stanford\.edu$", bare):
        return "course"
    if bare in kinds._REPO_HOSTS and len([s for s in path.split("/") if s]) >= 2:
        return "repository"
    if has(kinds._VIDEO_HOSTS):
        return "video"
    if any(h in where for h in kinds._BLOG_HINTS):
        return "blog"
    if len([s for s in path.split("/") if s]) >= 1:
        return "blog"
    return "other"


_NAMES = (kinds._PAPER_HOSTS + kinds._BOOK_HOSTS + kinds._COURSE_HOSTS + kinds._REPO_HOSTS
          + kinds._VIDEO_HOSTS + kinds._BLOG_HINTS + ("arxiv.org", "cs229.stanford.edu", "book", "course"))
_PIECES = st.sampled_from(_NAMES + ("www.", "x.", ".", "/", "a", "-", ".pdf", ".PDF", "/Book/", "lecture",
                                    "classes", "sub.", "/~jurafsky/slp3", "huggingface.co"))
_TEXT = st.lists(st.one_of(_PIECES, st.text(alphabet="abcw./-~A", max_size=4)), max_size=6).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_TEXT, _TEXT)
@example("www.nature.com", "/articles/x")
@example("deep.d2l.ai", "")
@example("web.stanford.edu", "/~jurafsky/slp3/ed3book.pdf")
@example("x.web.stanford.edu/~jurafsky/slp3", "")
@example("github.com", "/a/b")
@example("www.github.com", "/a")
@example("cs231n.stanford.edu", "/")
@example("example.org", "/")
@example("example.org", "//")
def test_infer_kind_equals_the_plain_loop(host: str, path: str) -> None:
    assert infer_kind(host, path) == _plain(host, path)


def test_every_name_and_its_subdomains() -> None:
    for name in _NAMES:
        for host, path in ((name, ""), ("www." + name, "/x"), ("a." + name, "/y/z"), ("x" + name, ""),
                           ("host.test", "/" + name), ("host.test", "/" + name.upper() + "/q")):
            assert infer_kind(host, path) == _plain(host, path), (host, path)
