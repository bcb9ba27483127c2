"""Canonical URLs: one resource per real thing, whatever URL form the document uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.urls import InvalidURL, canonicalize, classify_target, normalize, request_url
from tracker.urls.normalize import _normalized


@pytest.mark.parametrize("url", [
    "https://arxiv.org/abs/2305.14314",
    "http://arxiv.org/abs/2305.14314v2",
    "https://arxiv.org/pdf/2305.14314v1.pdf",
    "https://arxiv.org/pdf/2305.14314",
    "https://export.arxiv.org/abs/2305.14314v3",
    "https://arxiv.org/html/2305.14314v2",
])
def test_arxiv_forms_are_one_paper(url: str) -> None:
    c = canonicalize(url)
    assert c.canonical == "https://arxiv.org/abs/2305.14314"
    assert c.kind == "paper"
    assert c.external_id == "arxiv:2305.14314"


def test_arxiv_version_is_recorded_not_part_of_identity() -> None:
    assert canonicalize("https://arxiv.org/abs/2305.14314v2").version == "v2"
    assert canonicalize("https://arxiv.org/abs/2305.14314").version == ""
    old = canonicalize("https://arxiv.org/abs/astro-ph/0601001v1")
    assert old.external_id == "arxiv:astro-ph/0601001" and old.version == "v1"


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=zduSFxRajkE",
    "https://youtube.com/watch?v=zduSFxRajkE&t=120s",
    "https://m.youtube.com/watch?v=zduSFxRajkE&si=abc&pp=iAQB",
    "https://youtu.be/zduSFxRajkE?si=TpJkPfYxngQQ0iGj",
    "https://www.youtube.com/embed/zduSFxRajkE",
    "https://www.youtube.com/shorts/zduSFxRajkE",
    "https://www.youtube.com/watch?v=zduSFxRajkE&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&index=3",
])
def test_youtube_forms_are_one_video(url: str) -> None:
    c = canonicalize(url)
    assert c.canonical == "https://www.youtube.com/watch?v=zduSFxRajkE"
    assert c.kind == "video" and c.external_id == "youtube:zduSFxRajkE"


def test_youtube_timestamp_kept_as_fragment() -> None:
    assert canonicalize("https://youtube.com/watch?v=zduSFxRajkE&t=120s").fragment == "t=120s"


def test_playlist_and_channel_are_their_own_resources() -> None:
    playlist = canonicalize("https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&si=x")
    assert playlist.kind == "playlist"
    assert playlist.canonical == "https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ"
    assert canonicalize("https://www.youtube.com/@statquest").kind == "channel"
    assert canonicalize("https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw").kind == "channel"


def test_tracking_parameters_dropped_host_lowered_fragment_separate() -> None:
    c = canonicalize("https://Example.COM:443/Post?utm_source=x&utm_medium=y&b=2&a=1&fbclid=z#part-2")
    assert c.canonical == "https://example.com/Post?a=1&b=2"
    assert c.fragment == "part-2"
    assert c.host == "example.com"


@pytest.mark.parametrize(("url", "kind"), [
    ("https://openreview.net/forum?id=abc", "paper"),
    ("https://aclanthology.org/2023.acl-long.1/", "paper"),
    ("https://example.org/files/report.pdf", "paper"),
    ("https://github.com/karpathy/nanoGPT", "repository"),
    ("https://gitlab.com/group/project", "repository"),
    ("https://www.deeplearningbook.org/", "book"),
    ("https://d2l.ai/chapter_optimization/lr-scheduler.html", "book"),
    ("https://www.coursera.org/learn/machine-learning", "course"),
    ("https://lilianweng.github.io/posts/2021-07-11-diffusion-models/", "blog"),
    ("https://huggingface.co/blog/moe", "blog"),
    ("https://vimeo.com/12345", "video"),
    ("https://openai.com/", "other"),
])
def test_kind_inferred_from_url(url: str, kind: str) -> None:
    assert canonicalize(url).kind == kind


@pytest.mark.parametrize(("href", "target"), [
    ("#s7", "anchor"),
    ("../other.md", "relative"),
    ("mailto:someone@example.org", "mailto"),
    ("javascript:alert(1)", "javascript"),
    ("http://[::1", "malformed"),
    ("ht!tp://x", "malformed"),
    ("[https://lilianweng.github.io/posts/2018-08-12-vae/]", "malformed"),
    ("https://example.org/a b", "malformed"),
    ("ftp://example.org/file", "other-scheme"),
    ("https://example.org/", "external"),
])
def test_classify_targets(href: str, target: str) -> None:
    assert classify_target(href) == target


@pytest.mark.parametrize("bad", ["http://[::1", "ht!tp://x", "https://", "javascript:alert(1)", "https://exa mple.org"])
def test_invalid_urls_raise(bad: str) -> None:
    with pytest.raises(InvalidURL):
        canonicalize(bad)


def test_overlong_urls_and_hosts_are_invalid_not_database_errors() -> None:
    assert classify_target("https://example.org/" + "a" * 2100) == "malformed"
    assert classify_target("https://" + "a" * 300 + ".org/") == "malformed"
    assert classify_target("https://example.org/" + "a" * 1900) == "external"


# --------------------------------------------------------------------------- the written URL (RFC 3986)

@pytest.mark.parametrize(("written", "normal"), [
    # reserved escapes are kept (only their hex is upper-cased)
    ("http://host/100%25-sure", "http://host/100%25-sure"),
    ("http://host/a%2Fb", "http://host/a%2Fb"),
    ("http://host/wiki/C%2B%2B", "http://host/wiki/C%2B%2B"),
    ("http://host/a%2fb%3a%40?x=%26%3d%2b#%2f", "http://host/a%2Fb%3A%40?x=%26%3D%2B#%2F"),
    ("https://en.wikipedia.org/wiki/Goodhart%27s_law", "https://en.wikipedia.org/wiki/Goodhart%27s_law"),
    # unreserved escapes are decoded, everywhere
    ("http://host/%7Euser/%41%62%2D%5F%2e%30", "http://host/~user/Ab-_.0"),
    ("http://host/p?q=%7e#%7E", "http://host/p?q=~#~"),
    # dot segments removed (also those spelled with escapes of '.')
    ("http://host/a/./b/../c", "http://host/a/c"),
    ("http://host/a/b/..", "http://host/a/"),
    ("http://host/../../x", "http://host/x"),
    ("http://host/a/%2E%2e/b", "http://host/b"),
    # scheme and host case, default port, empty port, empty path
    ("HTTPS://Example.COM:443/Path/To", "https://example.com/Path/To"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:/x", "http://example.com/x"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("https://example.com:80/x", "https://example.com:80/x"),
    # IDNA: the A-label, whatever the case or width of the U-label
    ("http://bücher.de/x", "http://xn--bcher-kva.de/x"),
    ("http://BÜCHER.de/x", "http://xn--bcher-kva.de/x"),
    ("https://例え.テスト/パス", "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"),
    ("http://ｅｘａｍｐｌｅ.com/", "http://example.com/"),
    # what a URI cannot hold is encoded; the rest is left as written
    ("http://host/café", "http://host/caf%C3%A9"),
    ("http://host/50%", "http://host/50%25"),
    ("http://host/a%zz%2F", "http://host/a%25zz%2F"),
    ("http://host/p|q{r}[s]", "http://host/p%7Cq%7Br%7D%5Bs%5D"),
    ("http://host/x?b=2&a=1&utm_source=feed&si=abc", "http://host/x?b=2&a=1&utm_source=feed&si=abc"),
    ("http://host/x?q=a+b&y=/&z='", "http://host/x?q=a+b&y=/&z='"),
    ("http://host/x?", "http://host/x?"),
    ("http://[::1]:80/x", "http://[::1]/x"),
    ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
])
def test_normalize_changes_only_what_rfc3986_allows(written: str, normal: str) -> None:
    assert normalize(written) == normal
    assert normalize(normal) == normal  # idempotent


def test_request_url_drops_only_the_fragment() -> None:
    assert request_url("http://Host/a%2Fb?x=1#Part%2F") == "http://host/a%2Fb?x=1"


@pytest.mark.parametrize("bad", ["http://[::1", "http://host:99999/", "http://host:0/", "http://exa mple.org/",
                                 "ftp://host/x", "http://", "http://a..b/", "http://ex\u00e4mple\u2488.com/",
                                 "http://host/\x07"])
def test_normalize_rejects_what_cannot_be_requested(bad: str) -> None:
    with pytest.raises(InvalidURL):
        normalize(bad)


def test_idn_hosts_are_external_links_not_malformed() -> None:
    assert classify_target("https://bücher.de/katalog") == "external"
    c = canonicalize("https://Bücher.de/katalog")
    assert c.host == "xn--bcher-kva.de" and c.canonical == "https://xn--bcher-kva.de/katalog"


# --------------------------------------------------------------------------- identity (grouping only)

def test_identity_keeps_reserved_escapes_apart() -> None:
    """/a%2Fb and /a/b are different resources on a server that answers only one of them."""
    assert canonicalize("http://host/a%2Fb").canonical == "http://host/a%2Fb"
    assert canonicalize("http://host/a/b").canonical == "http://host/a/b"
    assert canonicalize("http://host/100%25-sure").canonical == "http://host/100%25-sure"
    assert canonicalize("http://host/wiki/C%2B%2B").canonical == "http://host/wiki/C%2B%2B"
    assert canonicalize("http://host/x?q=%2B").canonical != canonicalize("http://host/x?q=+").canonical


def test_identity_groups_what_rfc3986_calls_equal() -> None:
    same = {canonicalize(u).canonical for u in (
        "http://Example.com:80/a/./b/../c/%7Euser", "http://example.com/a/c/~user",
        "http://example.com/a/c/%7euser#frag")}
    assert same == {"http://example.com/a/c/~user"}


@pytest.mark.parametrize("host", ["example.com", "www.youtube.com", "arxiv.org", "blog.spotify.com"])
def test_utm_parameters_are_dropped_on_every_host(host: str) -> None:
    c = canonicalize(f"https://{host}/page?utm_source=x&UTM_Medium=y&utm_campaign=z&keep=1")
    assert "utm" not in c.canonical.lower() and "keep=1" in c.canonical


def test_si_pp_feature_are_youtube_tracking_only() -> None:
    yt = canonicalize("https://www.youtube.com/@statquest/videos?si=abc&feature=shared&pp=x&view=0")
    assert yt.canonical == "https://www.youtube.com/@statquest"
    assert canonicalize("https://youtu.be/zduSFxRajkE?si=TpJkPfYxngQQ0iGj").external_id == "youtube:zduSFxRajkE"
    # elsewhere the same names are ordinary parameters: a different si is a different page
    for name in ("si", "pp", "feature", "spm"):
        a = canonicalize(f"https://example.com/x?{name}=1").canonical
        b = canonicalize(f"https://example.com/x?{name}=2").canonical
        assert a == f"https://example.com/x?{name}=1" and a != b
    assert canonicalize("https://www.aliexpress.com/item/1.html?spm=a2g0o").canonical == \
        "https://www.aliexpress.com/item/1.html"
    assert canonicalize("https://open.spotify.com/episode/abc?si=123").canonical == \
        "https://open.spotify.com/episode/abc"


def test_global_click_ids_are_dropped_everywhere() -> None:
    c = canonicalize("https://example.com/p?fbclid=1&gclid=2&msclkid=3&mc_eid=4&id=7")
    assert c.canonical == "https://example.com/p?id=7"


def test_query_pairs_sorted_with_their_bytes_kept() -> None:
    c = canonicalize("https://example.com/s?q=C%2B%2B&a=1&b=a/b")
    assert c.canonical == "https://example.com/s?a=1&b=a/b&q=C%2B%2B"


@pytest.mark.parametrize("url", [
    "https://arxiv.org/abs/2305.14314", "https://arxiv.org/abs/2305.14314v2",
    "https://arxiv.org/pdf/2305.14314v1", "https://arxiv.org/pdf/2305.14314.pdf",
    "https://www.arxiv.org/pdf/2305.14314v3.pdf?utm_source=x", "http://ARXIV.org/abs/2305.14314/",
    "https://arxiv.org/abs/%32305.14314",  # an unreserved escape is the same character
])
def test_arxiv_abs_pdf_and_versions_group_together(url: str) -> None:
    c = canonicalize(url)
    assert (c.canonical, c.external_id) == ("https://arxiv.org/abs/2305.14314", "arxiv:2305.14314")


def test_identity_is_not_what_is_fetched() -> None:
    written = "https://arxiv.org/pdf/2305.14314v2.pdf"
    assert canonicalize(written).canonical == "https://arxiv.org/abs/2305.14314"
    assert request_url(written) == written


def test_already_normal_shortcut_agrees_with_the_full_normaliser(fixtures_dir: Path) -> None:
    """``normalize`` returns a URL already in normal form untouched; the full rfc3986 path
    must agree on every link of the Handbook fixtures and on the tricky forms above."""
    texts = [p.read_text(encoding="utf-8") for p in (fixtures_dir / "genai-handbook").rglob("*.md")]
    urls = {u for t in texts for u in re.findall(r"https?://[^\s)\]\"'<>]+", t)}
    urls |= {"http://h/.well-known/x", "http://h:80/x", "https://h:443/", "http://h:443/", "http://h:65535/",
             "http://h/a/./b", "http://h/a/..", "http://h./", "http://h_h/", "http://h/?a#b?c"}
    assert len(urls) > 250
    for url in sorted(urls):
        try:
            full = _normalized(url, url.strip())
        except InvalidURL:
            with pytest.raises(InvalidURL):
                normalize(url)
            continue
        assert normalize(url) == full, url
