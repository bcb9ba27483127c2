"""Parser behaviour beyond the golden files: ids, URLs, encodings, hostile and odd bodies.

Every feed text written here is our own minimal XML, not copied from the fixtures.
"""

from __future__ import annotations

import codecs
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.sources.util import fixture
from tracker.errors import InputError
from tracker.sources import arxiv, default_name, normalize_target, parse_body, request_url, youtube
from tracker.sources.rss import parse_feed
from tracker.sources.text import html_to_text, normalize_encoding
from tracker.config import load_settings


def rss(items: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            f"<link>https://blog.example/</link>{extra}{items}</channel></rss>").encode()


# ---------------------------------------------------------------- arXiv

@pytest.mark.parametrize(("text", "expected"), [
    ("2401.01234v3", ("2401.01234", 3)),
    ("2401.01234", ("2401.01234", None)),
    ("arXiv:2401.01234v12", ("2401.01234", 12)),
    ("oai:arXiv.org:2009.13987v3", ("2009.13987", 3)),
    ("http://arxiv.org/abs/2607.28628v1", ("2607.28628", 1)),
    ("https://arxiv.org/pdf/2401.01234v2.pdf", ("2401.01234", 2)),
    ("astro-ph/0601001v1", ("astro-ph/0601001", 1)),
    ("http://arxiv.org/abs/math.AG/0601001", ("math.AG/0601001", None)),
    ("not an id", None),
])
def test_split_arxiv_id(text: str, expected: tuple[str, int | None] | None) -> None:
    assert arxiv.split_arxiv_id(text) == expected


def test_api_url_sorts_by_submission_date_and_quotes_the_query() -> None:
    url = arxiv.api_url("http://127.0.0.2:1/api/query", 'cat:cs.CL AND abs:"speculative decoding"', 50)
    assert url.startswith("http://127.0.0.2:1/api/query?search_query=cat%3Acs.CL%20AND%20abs%3A%22speculative")
    assert "sortBy=submittedDate" in url and "sortOrder=descending" in url and "max_results=50" in url


def test_request_urls_use_the_configured_endpoints() -> None:
    settings = load_settings(env={}, overrides={
        "arxiv": {"api_url": "http://127.0.0.2:8/q", "listing_url": "http://127.0.0.3:8/rss/"},
        "youtube": {"feed_url": "http://127.0.0.4:8/feeds/videos.xml"}})
    assert request_url("arxiv-listing", "cs.CL+cs.LG", settings) == "http://127.0.0.3:8/rss/cs.CL+cs.LG"
    assert request_url("arxiv", "ti:x", settings).startswith("http://127.0.0.2:8/q?search_query=ti%3Ax")
    assert request_url("youtube", "UCXUPKJO5MZQN11PqgIvyuvQ", settings) == \
        "http://127.0.0.4:8/feeds/videos.xml?channel_id=UCXUPKJO5MZQN11PqgIvyuvQ"
    assert request_url("youtube", "PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ", settings).endswith(
        "?playlist_id=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ")
    assert request_url("feed", "https://b.example/feed", settings) == "https://b.example/feed"


@pytest.mark.parametrize(("kind", "target", "message"), [
    ("arxiv", "   ", "empty"),
    ("arxiv", 'abs:"open', "double quote"),
    ("arxiv", "(cat:cs.CL", "parentheses"),
    ("arxiv-listing", "cs.CL+<script>", "not an arXiv category"),
    ("arxiv-listing", "", "no arXiv categories"),
    ("feed", "ftp://x.example/feed", r"http\(s\) feed URL"),
    ("feed", "/etc/passwd", r"http\(s\) feed URL"),
    ("youtube", "@karpathy", "cannot be resolved"),
    ("youtube", "UCshort", "not a YouTube"),
])
def test_bad_targets_are_input_errors(kind: str, target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        normalize_target(kind, target)


def test_good_targets_are_normalized() -> None:
    assert normalize_target("arxiv-listing", "cs.CL, cs.LG cs.CL") == "cs.CL+cs.LG"
    assert normalize_target("youtube", "https://www.youtube.com/channel/UCXUPKJO5MZQN11PqgIvyuvQ") == \
        "UCXUPKJO5MZQN11PqgIvyuvQ"
    assert normalize_target("youtube", "https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ") \
        == "PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ"
    assert default_name("feed", "https://lilianweng.github.io/index.xml") == "lilianweng.github.io"
    assert default_name("arxiv-listing", "cs.CL+cs.LG") == "arxiv-cs.CL-cs.LG"


def test_api_error_feed_is_never_an_item() -> None:
    parsed = parse_body("arxiv", fixture("arxiv_api_error_400_incorrect_id_format.xml"), "")
    assert parsed.items == () and not parsed.usable
    assert parsed.error == "arXiv API error: incorrect id format for abc"


def test_api_versions_and_old_style_ids() -> None:
    testing = parse_body("arxiv", fixture("arxiv_api_search_all-testing_max10.xml"), "")
    versions = {i.canonical_id: i.version for i in testing.items}
    assert versions["arxiv:2005.14124"] == 2 and sum(v >= 2 for v in versions.values() if v) == 5
    item = next(i for i in testing.items if i.canonical_id == "arxiv:2005.14124")
    assert item.published_at and item.updated_at and item.published_at < item.updated_at
    assert any("Ramírez" in a for i in testing.items for a in i.authors)
    old = parse_body("arxiv", fixture("arxiv_api_id_list_old_style_astro-ph_0601001.xml"), "")
    assert [(i.canonical_id, i.version) for i in old.items] == [("arxiv:astro-ph/0601001", 1)]
    assert old.items[0].summary.startswith("We derive") and "&amp;" not in old.items[0].summary


def test_listing_announce_types_prefix_and_authors() -> None:
    multi = parse_body("arxiv-listing", fixture("arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_new_cross_replace.xml"), "")
    assert {i.announce_type for i in multi.items} == {"new", "cross", "replace"}
    assert all(not i.summary.startswith("arXiv:") and "Announce Type" not in i.summary[:40] for i in multi.items)
    replaced = next(i for i in multi.items if i.announce_type == "replace")
    assert replaced.version and replaced.version >= 2 and replaced.url == f"https://arxiv.org/abs/{replaced.canonical_id[6:]}"
    cl = parse_body("arxiv-listing", fixture("arxiv_rss_cs.CL_3items_new.xml"), "")
    authors = cl.items[0].authors
    assert "Deepti" in authors and all(a == a.strip() and "  " not in a and a for a in authors)


def test_empty_weekend_listing_is_success_with_no_items() -> None:
    body = (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            b"<title>cs.CL updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CL</link>"
            b"<description>cs.CL updates</description><skipDays><day>Saturday</day><day>Sunday</day></skipDays>"
            b"</channel></rss>")
    parsed = parse_body("arxiv-listing", body, "")
    assert parsed.usable and parsed.items == () and not parsed.error
    empty_api = parse_body("arxiv", fixture("arxiv_api_empty_result_id_0000.0000.xml"), "")
    assert empty_api.usable and empty_api.items == ()


# ---------------------------------------------------------------- YouTube

def test_youtube_videos_shorts_and_channel_ids() -> None:
    parsed = parse_body("youtube", fixture("youtube_channel_videos_nasa_15entries.xml"), "")
    assert len(parsed.items) == 15 and all(i.kind == "video" for i in parsed.items)
    shorts = [i for i in parsed.items if "/shorts/" in i.url]
    assert len(shorts) == 3
    assert all(i.canonical_url == f"https://www.youtube.com/watch?v={i.canonical_id[8:]}" for i in shorts)
    assert all(i.channel_id.startswith("UC") for i in parsed.items)
    assert youtube.feed_url("https://www.youtube.com/feeds/videos.xml", "UCLA_DiR1FfKNvjuUpBHmylQ").endswith(
        "channel_id=UCLA_DiR1FfKNvjuUpBHmylQ")


# ---------------------------------------------------------------- blogs and odd bodies

def test_ttl_entries_without_title_or_link_and_guid_only_ghost() -> None:
    gradient = parse_feed(fixture("blog_thegradient_ghost_ttl60_3items.xml"))
    assert gradient.ttl_minutes == 60 and len(gradient.items) == 3
    assert all(i.guid and not i.guid.startswith("http") for i in gradient.items)
    body = rss("<item><title>ok</title><link>https://blog.example/a</link></item>"
               "<item><title>no link</title></item>"
               "<item><link>https://blog.example/no-title</link></item>"
               "<item><title>   </title><link>https://blog.example/blank</link></item>"
               "<item><title>js</title><link>javascript:alert(1)</link></item>"
               "<item><title>relative</title><link>/posts/rel</link></item>")
    parsed = parse_feed(body, "https://blog.example/feed.xml")
    assert [i.url for i in parsed.items] == ["https://blog.example/a", "https://blog.example/posts/rel"]
    assert parsed.rejected == 4 and parsed.usable


def test_summaries_are_plain_text_and_bounded() -> None:
    bair = parse_feed(fixture("blog_bair_jekyll_fullhtml_3items.xml"))
    assert all(len(i.summary) <= 4001 and "<" not in i.summary[:200] for i in bair.items)
    substack = parse_feed(fixture("blog_substack_interconnects_20items.xml"))
    assert all("<svg" not in i.summary and "<button" not in i.summary for i in substack.items)
    hf = parse_feed(fixture("blog_huggingface_3items.xml"))
    assert all(i.summary == "" and i.title for i in hf.items)  # summary-less items are kept
    assert html_to_text("<p>a<svg><text>x</text></svg> b<!-- c --><script>d</script></p><button>e</button>") == "a b"


def test_html_login_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>...</form></body></html>"
    assert parse_feed(page).error.startswith("not a feed: the server returned an HTML page")
    assert parse_feed(b"<html><body>Login</body></html>", content_type="text/html").items == ()
    assert not parse_feed(b"   ").usable


def test_a_body_that_looks_like_a_path_is_never_opened(tmp_path: Path) -> None:
    existing = Path(__file__).resolve().parents[2].parent / "shared/fixtures/feeds/blog_huggingface_3items.xml"
    for body in (str(existing).encode(), b"/etc/passwd", b"file:///etc/passwd", b"http://127.0.0.1:9/x"):
        parsed = parse_feed(body)
        assert parsed.items == () and not parsed.usable


def test_json_feed() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
            b'{"id": "1", "url": "https://j.example/1", "title": "One", "content_html": "<p>Hi <b>there</b></p>",'
            b' "date_published": "2026-01-02T03:04:05Z", "authors": [{"name": "A"}]},'
            b'{"id": "2", "title": "no url"}, 7]}')
    parsed = parse_feed(body)
    assert [(i.title, i.summary, i.authors) for i in parsed.items] == [("One", "Hi there", ("A",))]
    assert parsed.items[0].published_at is not None and parsed.items[0].published_at.year == 2026
    assert parsed.rejected == 2
    assert not parse_feed(b'{"not": "a feed"}').usable


# ---------------------------------------------------------------- encodings

def test_encoding_repairs() -> None:
    prolog = parse_feed(fixture("encoding_miniflux_windows1252_body_utf8_prolog.xml"))
    assert prolog.title == "Euro €" and prolog.bozo
    mixed = parse_feed(fixture("malformed_feedparser_invalid_utf8_with_bom.xml"))
    assert "España" in mixed.title and "Ѩ" in mixed.title
    latin = "<rss version='2.0'><channel><title>Caf\xe9</title><item><title>Jürgen</title>" \
            "<link>https://l.example/1</link></item></channel></rss>"
    declared = parse_feed(b'<?xml version="1.0" encoding="iso-8859-1"?>' + latin.encode("latin-1"))
    assert declared.title == "Café" and declared.items[0].title == "Jürgen"
    utf16 = codecs.BOM_UTF16_LE + ('<?xml version="1.0" encoding="utf-16"?>' + latin).encode("utf-16-le")
    assert parse_feed(utf16).items[0].title == "Jürgen"
    double = rss("<item><title>CafÃ© â€œquotedâ€\x9d</title><link>https://d.example/1</link></item>")
    assert parse_feed(double).items[0].title == "Café “quoted”"


def test_normalize_encoding_rewrites_the_prolog() -> None:
    data, note = normalize_encoding(b'<?xml version="1.0" encoding="windows-1252"?><a>\xe2\x82\xac</a>')
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>') and "UTF-8" in note
    assert normalize_encoding(b"<a>ok</a>") == (b"<a>ok</a>", "")


# ---------------------------------------------------------------- entity attacks

class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED-OVER-HTTP">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def dtd_server() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    _Counter.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _laughs(one_line: bool) -> bytes:
    decls = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)]
    sep = "" if one_line else "\n "
    head = '<?xml version="1.0"?>\n<!DOCTYPE rss [' + sep + sep.join(decls) + "\n]>\n"
    return (head + '<rss version="2.0"><channel><title>t&lol9;</title><item><title>a&lol9;b</title>'
            "<link>https://x.example/a</link><description>&lol9;</description></item></channel></rss>").encode()


@pytest.mark.parametrize("one_line", [False, True])
def test_billion_laughs_is_not_expanded(one_line: bool) -> None:
    tracemalloc.start()
    parsed = parse_feed(_laughs(one_line))
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # expanded, the entities would need gigabytes
    text = parsed.title + "".join(i.title + i.summary for i in parsed.items)
    assert "lollol" not in text and len(text) < 200


def test_external_entities_are_never_read(tmp_path: Path, dtd_server: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    bodies = [
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x&xxe;</title>'
        "<link>https://x.example/a</link><description>&xxe;</description></item></channel></rss>",
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{dtd_server}/entity">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x&xxe;</title>'
        "<link>https://x.example/a</link></item></channel></rss>",
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{dtd_server}/doctype.dtd">\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x&leak;</title>'
        "<link>https://x.example/a</link></item></channel></rss>",
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "{dtd_server}/param.dtd">\n%p;\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x&leak;</title>'
        "<link>https://x.example/a</link></item></channel></rss>",
    ]
    for body in bodies:
        parsed = parse_feed(body.encode())
        text = parsed.title + "".join(i.title + i.summary for i in parsed.items)
        assert "TOP-SECRET" not in text and "LEAKED" not in text
    assert _Counter.hits == []


def test_stored_strings_respect_their_column_limits() -> None:
    from tracker.sources.text import clean_text

    for limit in (1, 2, 20, 40, 200):
        assert len(clean_text("word " * 100, limit)) <= limit
        assert len(clean_text("x" * 500, limit)) <= limit
    long_link = "https://b.example/" + "a" * 3000
    body = rss(f"<item><title>long</title><link>{long_link}</link></item>"
               f"<item><title>ok</title><link>https://b.example/ok</link></item>")
    parsed = parse_feed(body)
    assert [i.url for i in parsed.items] == ["https://b.example/ok"] and parsed.rejected == 1
    announce = parse_body("arxiv-listing", (
        '<?xml version="1.0"?><rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"><channel><title>t'
        '</title><item><title>P</title><link>https://arxiv.org/abs/2611.00001</link><guid>oai:arXiv.org:2611.00001v1'
        f'</guid><arxiv:announce_type>{"replace " * 20}</arxiv:announce_type></item></channel></rss>').encode(), "")
    assert len(announce.items[0].announce_type) <= 20
