"""Bodies written to exhaust the parser: too many entries, entity expansion past
feedparser's DOCTYPE stripping. Every feed text here is our own minimal XML/JSON."""

from __future__ import annotations

import json

import pytest

from tracker.sources import parse_body, prolog, rss
from tracker.sources.rss import run_feedparser


def _rss(n: int) -> bytes:
    items = "".join(f"<item><title>t{i}</title><link>https://b.example/{i}</link></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{items}</channel></rss>'.encode()


def _atom(n: int) -> bytes:
    entries = "".join(f'<a:entry><a:id>urn:{i}</a:id><a:title>t{i}</a:title><a:link href="https://b.example/{i}"/>'
                      "</a:entry>" for i in range(n))
    return (f'<?xml version="1.0"?><a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>B</a:title>{entries}'
            "</a:feed>").encode()


def _rdf(n: int) -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="https://b.example/{i}"/>' for i in range(n))
    items = "".join(f'<item rdf:about="https://b.example/{i}"><title>t{i}</title><link>https://b.example/{i}</link>'
                    "</item>" for i in range(n))
    return ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://b.example/"><title>B</title>'
            f"<link>https://b.example/</link><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{items}"
            "</rdf:RDF>").encode()


def _json(n: int) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "B", "items": [
        {"id": str(i), "url": f"https://b.example/{i}", "title": f"t{i}"} for i in range(n)]}).encode()


@pytest.mark.parametrize("make", [_rss, _atom, _rdf, _json])
def test_only_the_first_entries_of_a_huge_feed_are_read(make: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10 MB feed of 150,000 tiny entries took minutes and ~0.75 GB to parse and store;
    past ``MAX_ENTRIES`` the rest is cut out before feedparser runs (measured in
    benchmarks/feeds/bench_huge.py). Shown here with a limit of 3."""
    assert callable(make)
    monkeypatch.setattr(prolog, "MAX_ENTRIES", 3)
    whole = parse_body("feed", make(3), "https://b.example/feed")
    assert [i.title for i in whole.items] == ["t0", "t1", "t2"] and not whole.bozo
    parsed = parse_body("feed", make(8), "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["t0", "t1", "t2"] and parsed.usable
    assert parsed.bozo and "only the first 3 were read" in parsed.bozo_reason
    assert "SAX" not in parsed.bozo_reason  # the cut left a well-formed document
    assert parsed.title == "B"


# ---------------------------------------------------------------- entity expansion

def _laughs(layout: str, levels: int = 5) -> bytes:
    """A DOCTYPE that declares nested entities (each level 10× the one below: 30 × 10⁵
    characters at level 5), laid out so feedparser's line-based DOCTYPE stripping misses it."""
    decls = ['<!ENTITY lol "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, levels + 1)]
    if layout == "same line":  # the DOCTYPE right after the XML declaration
        head = '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(decls) + "]>\n"
    elif layout == "comment":  # a comment holding '<a' before it
        head = '<?xml version="1.0"?>\n<!-- <a -->\n<!DOCTYPE rss [\n' + "\n".join(decls) + "\n]>\n"
    else:  # an entity value holding '<b' first
        head = '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY trick "<b">\n' + "\n".join(decls) + "\n]>\n"
    return (head + f'<rss version="2.0"><channel><title>t</title><item><title>a&lol{levels};b</title>'
            f"<link>https://x.example/a</link><description>&lol{levels};</description></item>"
            "</channel></rss>").encode()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("layout", ["same line", "comment", "quoted markup"])
def test_nested_entities_are_never_expanded_whatever_the_layout(layout: str, encoding: str) -> None:
    """feedparser strips ENTITY declarations only at the start of a line and only before the
    first '<' + letter; these three layouts kept every declaration and expat expanded 3 MB
    per reference (a 5 MB feed with 15 references peaked at 1.2 GB RSS)."""
    body = _laughs(layout).decode().replace('version="1.0"?>', f'version="1.0" encoding="{encoding}"?>', 1)
    parsed = parse_body("feed", body.encode(encoding), "https://x.example/feed")
    text = "".join(i.title + i.summary for i in parsed.items)
    assert "lollol" not in text and len(text) < 200


def test_a_long_literal_entity_is_not_repeated_into_megabytes() -> None:
    """A literal entity is 'safe' to feedparser however long: 100 KB referenced 300 times
    was 30 MB of text from a 100 KB feed. Literal entities longer than a character
    reference are dropped; expat's amplification limit did not help, since feedparser's
    lenient fallback parser then expanded the entity itself, without any limit."""
    body = ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + "x" * 100_000 + '">\n'
            ']>\n<rss version="2.0"><channel><title>t</title><item><title>ab</title>'
            '<link>https://x.example/a</link><description>' + "&big;" * 300 + "</description></item>"
            "</channel></rss>").encode()
    parsed = parse_body("feed", body, "https://x.example/feed")
    assert [i.title for i in parsed.items] == ["ab"]
    assert "xxxxxxxxxx" not in parsed.items[0].summary


def test_declared_character_entities_and_the_netscape_doctype_still_work() -> None:
    nbsp = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY brand \'Acme\'>]>'
            '<rss version="2.0"><channel><title>t</title><item><title>a&nbsp;&brand;</title>'
            "<link>https://x.example/a</link></item></channel></rss>").encode()
    parsed = parse_body("feed", nbsp, "https://x.example/feed")
    assert [i.title for i in parsed.items] == ["a Acme"] and not parsed.bozo
    netscape = ('<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><title>t</title>'
                "<item><title>old</title><link>https://x.example/o</link></item></channel></rss>").encode()
    result, _note = run_feedparser(netscape, "https://x.example/feed")
    assert result.version == "rss091n" and [e.title for e in result.entries] == ["old"]


@pytest.mark.parametrize("make", [_rss, _atom])
def test_the_entry_limit_holds_for_utf16_bodies(make: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """UTF-16 bodies go to feedparser undecoded; the cut must still happen."""
    assert callable(make)
    monkeypatch.setattr(prolog, "MAX_ENTRIES", 3)
    text = make(8).decode().replace('version="1.0"?>', 'version="1.0" encoding="utf-16"?>', 1)
    parsed = parse_body("feed", text.encode("utf-16"), "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["t0", "t1", "t2"]
    assert "only the first 3 were read" in parsed.bozo_reason


@pytest.mark.parametrize("closed", [True, False])
def test_markup_past_the_tag_limit_is_not_read(closed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """10 MB of '<x>' in a description (3.3 million unclosed tags) cost 142 s CPU and 1.6 GB
    in feedparser's lenient parser, closed ones 32 s and 0.3-0.5 GB; past ``MAX_TAGS`` the
    body is cut (measured in benchmarks/feeds/bench_huge.py). Entries before the cut stay.
    Shown here with a limit of 80 tags."""
    monkeypatch.setattr(prolog, "MAX_TAGS", 80)
    flood = ("<x></x>" if closed else "<x>") * 100
    head = "".join(f"<item><title>t{i}</title><link>https://b.example/{i}</link></item>" for i in range(3))
    tail = "".join(f"<item><title>u{i}</title><link>https://b.example/u{i}</link></item>" for i in range(3))
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{head}<item><title>flood</title>'
            f"<link>https://b.example/f</link><description>{{}}</description></item>{tail}</channel></rss>")
    parsed = parse_body("feed", body.format(flood).encode(), "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["t0", "t1", "t2", "flood"]  # nothing after the cut
    assert "more than 80 tags" in parsed.bozo_reason
    calm = parse_body("feed", body.format("calm").encode(), "https://b.example/feed")  # 52 tags: read whole
    assert len(calm.items) == 7 and not calm.bozo


@pytest.mark.parametrize("odd", [{"authors": 5}, {"tags": 5}, {"authors": "Ann"}, {"tags": {"a": 1}},
                                 {"author": "Ann"}, {"authors": [None, {"name": 7}]}])
def test_a_json_feed_item_with_odd_fields_never_raises(odd: dict[str, object]) -> None:
    """parse_body promises never to raise on bad input: an item whose authors or tags were a
    number raised TypeError, and the crawl reported the whole feed as 'parser failed'
    (``tracker eval queue``, which calls the parser directly, stopped with a traceback)."""
    item: dict[str, object] = {"id": "1", "url": "https://b.example/1", "title": "odd", **odd}
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "B", "items": [
        {"id": "0", "url": "https://b.example/0", "title": "fine"}, item]}).encode()
    parsed = parse_body("feed", body, "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["fine", "odd"]


@pytest.mark.parametrize("ref", ["&#xD800;", "&#55296;", "&#x110000;", "&#99999999999;", "&#x" + "f" * 5000 + ";",
                                 "&#" + "9" * 5000 + ";"])
@pytest.mark.parametrize("well_formed", [True, False])
def test_a_reference_to_an_impossible_character_loses_nothing(ref: str, well_formed: bool) -> None:
    """feedparser's lenient parser (which takes over from expat at the first error, and a
    reference to a surrogate or past U+10FFFF is one) raised UnicodeEncodeError or
    ValueError on it: one such reference anywhere lost the whole feed ('parser failed')."""
    close = "</channel></rss>" if well_formed else ""
    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>'
            "<item><title>fine</title><link>https://b.example/0</link></item>"
            f"<item><title>odd {ref} one</title><link>https://b.example/1</link></item>{close}").encode()
    parsed = parse_body("feed", body, "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["fine", "odd \ufffd one"]


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
                                  "Fri, 31 Dec 9999 23:59:59 -1200"])
def test_a_json_feed_date_past_the_calendar_is_no_date(date: str) -> None:
    """Converting a date at the calendar's end to UTC overflowed: OverflowError out of
    parse_body, and the whole feed was 'parser failed'."""
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "B", "items": [
        {"id": "1", "url": "https://b.example/1", "title": "edge", "date_published": date, "date_modified": date},
        {"id": "2", "url": "https://b.example/2", "title": "fine", "date_published": "2026-11-20T00:00:00Z"}]}).encode()
    parsed = parse_body("feed", body, "https://b.example/feed")
    assert [(i.title, i.published_at is None) for i in parsed.items] == [("edge", True), ("fine", False)]


def test_a_body_of_empty_comments_is_read_in_linear_time() -> None:
    """``looks_like_html`` skipped leading comments with ``(?:<!--.*?-->\\s*)*``, which can
    split n comments in 2^(n-1) ways: 24 '<!---->' took 3 s, 30 several minutes, and the
    2,048 bytes it reads hold 292 (the crawl hung for good). The regex engine holds the
    GIL, so the check runs in a child process, with a timeout that only a hang reaches."""
    import subprocess
    import sys

    code = ("from tracker.sources.rss import looks_like_html as f; "
            "print(f(b'<!---->' * 292 + b'<rss/>'), f(b'<!---->' * 290 + b'<html>'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert rss.looks_like_html(b"<!-- a --> <!-- b -->\n<!DOCTYPE html><html>") is True


_QUADRATIC = ["<a", "<a b", "<a\n", '<a b="', "<!--", "<![", "</", "<?", "</a", "<!"]


def test_markup_that_never_closes_is_read_in_linear_time() -> None:
    """html.parser rescans the rest of the text at every '<' that does not close: 20,000
    '<a b' (80 KB of a summary, written '&lt;a b' in the feed, so the tag limit never sees
    them) took 41 s, and the 10 MB cap allows hours. Each pattern here, 60,000 times over,
    runs in a child process (the parser holds the GIL) with a timeout only a hang reaches."""
    import subprocess
    import sys

    code = ("from tracker.sources.text import html_to_text as f; import sys; "
            f"[print(f(p * 60000, 10**6) is not None) for p in {_QUADRATIC!r}]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    assert out.stdout.split() == ["True"] * len(_QUADRATIC)


@pytest.mark.parametrize(("html", "text"), [
    ("<p>a &lt; b</p><p>and a<b>c</b></p>", "a < b and ac"),
    ("x <!-- a <b> comment --> y", "x y"),
    ("if a<b and c>d", "if ad"),  # as a browser reads it
    ("<script>if (a<b) {}</script>shown<style>p{}</style>", "shown"),
    ("1 < 2", "1 < 2"),
    ("tail <a", "tail <a"),
    ("<![CDATA[x]]> <!DOCTYPE html><?php ?>kept", "kept"),
])
def test_html_to_text_keeps_its_reading(html: str, text: str) -> None:
    from tracker.sources.text import html_to_text

    assert html_to_text(html) == text


def test_an_author_name_of_open_tags_is_read_in_linear_time() -> None:
    """Author names are looked at for markup with a pattern whose '[^>]*' ran to the end of
    the name from every '<': 40,000 '&lt;a' in a <dc:creator> took 13 s, quadratically more
    for longer ones. In a child process with a timeout only a hang reaches."""
    import subprocess
    import sys

    code = ("from tracker.sources import parse_body; "
            "b = ('<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
            "<channel><title>B</title><item><title>t</title><link>https://b.example/1</link><dc:creator>'"
            " + '&lt;a' * 300000 + '</dc:creator></item></channel></rss>').encode(); "
            "print(len(parse_body('feed', b, 'https://b.example/f').items))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    assert out.stdout.split() == ["1"]
