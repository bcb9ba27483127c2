"""Pure judgement: status table, soft 404s, blocks, permanent redirects, page text."""

from __future__ import annotations

import pytest

from tracker.links.judge import classify, is_soft404_path, needs_probe, probe_key, probe_url
from tracker.links.model import Exchange, Outcome
from tracker.links.text import content_hash, decode_body, extract_title, similarity, visible_text

ARTICLE = "<html><head><title>Attention is all you need, explained</title></head><body>" + \
    "<p>" + " ".join(f"word{i}" for i in range(400)) + "</p></body></html>"


def ex(status: int | None = 200, html: str = ARTICLE, url: str = "https://a.example/post/1",
       final: str | None = None, redirects: tuple[tuple[str, int], ...] = (), error: str | None = None,
       headers: tuple[tuple[str, str], ...] = ()) -> Exchange:
    return Exchange(url, status, final or url, redirects, error, "", "text/html", headers, html)


@pytest.mark.parametrize("status, outcome", [
    (200, Outcome.OK), (304, Outcome.OK), (404, Outcome.HARD), (410, Outcome.HARD), (400, Outcome.HARD),
    (401, Outcome.BLOCKED), (403, Outcome.BLOCKED), (429, Outcome.BLOCKED), (999, Outcome.BLOCKED),
    (451, Outcome.BLOCKED), (408, Outcome.TRANSIENT), (500, Outcome.TRANSIENT), (503, Outcome.TRANSIENT),
])
def test_status_table(status: int, outcome: Outcome) -> None:
    assert classify(ex(status)).outcome is outcome


@pytest.mark.parametrize("error, outcome", [
    ("dns", Outcome.HARD), ("tls", Outcome.HARD), ("refused", Outcome.HARD), ("redirect_loop", Outcome.HARD),
    ("too_many_redirects", Outcome.HARD), ("bad_redirect", Outcome.HARD), ("timeout", Outcome.TRANSIENT),
    ("reset", Outcome.TRANSIENT), ("dns_temporary", Outcome.TRANSIENT), ("deferred", Outcome.TRANSIENT),
    ("something new", Outcome.TRANSIENT),
])
def test_error_table(error: str, outcome: Outcome) -> None:
    assert classify(ex(None, "", error=error)).outcome is outcome


def test_permanent_redirect_suggests_the_target_temporary_does_not() -> None:
    moved = classify(ex(final="https://b.example/new", redirects=(("https://a.example/post/1", 301),)))
    assert moved.outcome is Outcome.OK and moved.suggested_url == "https://b.example/new"
    temp = classify(ex(final="https://b.example/new", redirects=(("https://a.example/post/1", 302),)))
    assert temp.outcome is Outcome.OK and temp.suggested_url is None
    mixed = classify(ex(final="https://c.example/z", redirects=(("https://a.example/post/1", 308),
                                                                ("https://b.example/y", 302))))
    assert mixed.suggested_url == "https://b.example/y"


def test_soft404_redirects_to_root_or_error_page() -> None:
    home = classify(ex(final="https://a.example/", redirects=(("https://a.example/post/1", 301),)))
    assert home.outcome is Outcome.HARD and home.soft404
    err = classify(ex(final="https://a.example/404.html", redirects=(("https://a.example/post/1", 302),)))
    assert err.soft404
    assert is_soft404_path("https://a.example/errors/404") and is_soft404_path("https://a.example/x?error=404")
    assert not is_soft404_path("https://a.example/blog/404-pages-done-right")


def test_not_found_title_on_thin_page_is_soft404_but_long_article_is_not() -> None:
    thin = classify(ex(html="<title>Page Not Found | Blog</title><p>Sorry.</p>"))
    assert thin.soft404 and thin.outcome is Outcome.HARD
    essay = "<title>Designing a good 404 page</title><p>" + "text " * 900 + "</p>"
    assert classify(ex(html=essay)).outcome is Outcome.OK


def test_sibling_identical_is_soft404_unless_it_is_a_js_shell() -> None:
    page = "<title>Acme</title><p>" + " ".join(f"promo{i}" for i in range(80)) + "</p>"
    sibling = ex(html=page, url="https://a.example/post/tracker-probe-x")
    assert classify(ex(html=page), sibling).soft404
    assert classify(ex(), sibling).outcome is Outcome.OK
    shell = "<title>App</title><div id=root></div><script>boot()</script>"
    assert classify(ex(html=shell), ex(html=shell)).outcome is Outcome.OK
    assert classify(ex(html=page), ex(404, "<title>404</title>")).outcome is Outcome.OK


@pytest.mark.parametrize("status, page, headers", [
    (403, "<title>Just a moment...</title>", ()),
    (503, "<title>Attention Required! | Cloudflare</title>", ()),
    (200, "<title>Security check</title><form class=g-recaptcha></form>", ()),
    (503, "<p>To discuss automated access to Amazon data please contact us</p>", ()),
    (200, "<title>x</title>", (("cf-mitigated", "challenge"),)),
])
def test_challenge_pages_are_blocked(status: int, page: str, headers: tuple[tuple[str, str], ...]) -> None:
    assert classify(ex(status, page, headers=headers)).outcome is Outcome.BLOCKED


def test_probe_urls() -> None:
    assert probe_key("https://a.example/blog/post-1") == ("https", "a.example", "/blog/")
    assert probe_url("https://a.example/blog/post-1.html", "ab12") == "https://a.example/blog/tracker-probe-ab12.html"
    assert probe_url("https://a.example/blog/post/", "z") == "https://a.example/blog/tracker-probe-z"
    assert not needs_probe(ex(url="https://a.example/"))
    assert needs_probe(ex())


def test_text_helpers() -> None:
    page = "<html><head><title> Hello &amp; welcome </title><script>var x=1</script></head>" \
           "<body><!-- c --><h1>Hi</h1><style>p{}</style><p>Body   text</p></body></html>"
    assert extract_title(page) == "Hello & welcome"
    assert visible_text(page) == "Hi Body text"
    assert extract_title("<h1>Only <b>heading</b></h1>") == "Only heading"
    assert content_hash(page) == content_hash(page.replace("Body   text", "body text"))
    assert content_hash(page) != content_hash(page.replace("Body", "Other"))
    assert content_hash(page.replace("text", "text 10:42:07")) == content_hash(page)
    assert content_hash("<p></p>") is None
    assert decode_body("café".encode("latin-1"), "text/html; charset=latin-1") == "café"
    assert decode_body('<meta charset="latin-1">café'.encode("latin-1")).endswith("café")
    assert decode_body(b"\xff\xfe ok", "text/html; charset=bogus").endswith("ok")
    assert similarity("a b c d e", "a b c d e") == 1.0 and similarity("a b c d", "w x y z") == 0.0


def test_word_count_matches_the_word_regex_on_any_text() -> None:
    """The fast word count (whitespace tokens, ``isalnum`` in C) counts exactly the ``\\w+`` runs."""
    import re

    from tracker.links.text import word_count

    samples = ["", "   ", "!!", "one", "a_b c-d, e!! ,, 123 héllo wörld _ __ x", "x.y.z 3.14 — ¿qué? 中文 字",
               "tab\tsep\nnew line  double  space", "ab" * 50 + " " + "-" * 30 + " end"]
    samples.append(" ".join(f"w{i}" if i % 7 else f"({i})" for i in range(2000)))
    for text in samples:
        exact = len(re.findall(r"\w+", text))
        assert word_count(text) == exact, text[:40]
        for limit in (1, 3, 600):
            assert word_count(text, limit) == min(limit, exact), (text[:40], limit)
