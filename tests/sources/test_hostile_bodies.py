"""Bodies written to exhaust the parser: too many entries, entity expansion past
feedparser's DOCTYPE stripping. Every feed text here is our own minimal XML/JSON."""

from __future__ import annotations

import json

import pytest

from tracker.sources import parse_body, rss


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
    monkeypatch.setattr(rss, "MAX_ENTRIES", 3)
    whole = parse_body("feed", make(3), "https://b.example/feed")
    assert [i.title for i in whole.items] == ["t0", "t1", "t2"] and not whole.bozo
    parsed = parse_body("feed", make(8), "https://b.example/feed")
    assert [i.title for i in parsed.items] == ["t0", "t1", "t2"] and parsed.usable
    assert parsed.bozo and "only the first 3 were read" in parsed.bozo_reason
    assert "SAX" not in parsed.bozo_reason  # the cut left a well-formed document
    assert parsed.title == "B"
