"""Canonical URLs: one resource per real thing, whatever URL form the document uses."""

from __future__ import annotations

import pytest

from tracker.urls import InvalidURL, canonicalize, classify_target


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
