"""The changelog as an Atom feed (RFC 4287), one entry per version (pure).

Owns: feed and entry ids (stable ``urn:uuid`` values derived from the document
name and version label, so re-rendering never duplicates entries), dates, and
the entry content as escaped HTML. Written with ``xml.etree`` so every title is
XML-escaped; feed-supplied titles are additionally HTML-escaped inside content.
Does not own: deciding what changed (``diff``) or the wording (``render.describe``).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from tracker.changelog.model import Changelog, Release
from tracker.changelog.render import Piece, describe, grouped, wording_summary
from tracker.escape import html_link, html_text, one_line, safe_url, xml_text

__all__ = ["render_atom", "ATOM_NS"]

ATOM_NS = "http://www.w3.org/2005/Atom"


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _uuid(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, xml_text("tracker:" + ":".join(parts))).urn


def _html(pieces: Sequence[Piece]) -> str:
    out: list[str] = []
    for p in pieces:
        if isinstance(p, str):
            out.append(html.escape(p, quote=True))  # our own words, spaces kept
        elif p[0] == "l":
            out.append(html_link(p[1] or "", p[2] if len(p) > 2 else None))
        elif p[0] == "e":
            out.append(f"<em>{html_text(p[1])}</em>" if p[1] else "")
        else:
            out.append(html_text(p[1]))
    return "".join(out)


def _content(release: Release) -> str:
    if not release.changes:
        return "<p>No changes to resources or chapters.</p>"
    parts: list[str] = []
    for name, groups, wording in grouped(release.changes):
        parts.append(f"<h3>{html_text(name)}</h3><ul>")
        for (section, chapter), items in groups:
            inner = "".join(f"<li>{_html(describe(c))}</li>" for c in items)
            head = " › ".join(html_text(x) for x in (section, chapter) if x)
            parts.append(f"<li><strong>{head}</strong><ul>{inner}</ul></li>" if head else inner)
        if wording:
            parts.append(f"<li>{_html(wording_summary(wording))}</li>")
        parts.append("</ul>")
    return "".join(parts)


def _summary(release: Release) -> str:
    counts: dict[str, int] = {}
    for c in release.changes:
        counts[c.type] = counts.get(c.type, 0) + 1
    if not counts:
        return "No changes to resources or chapters."
    return ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in counts.items()) + "."


def render_atom(log: Changelog, site_url: str | None = None, feed_url: str | None = None) -> str:
    """The whole feed as UTF-8 XML text."""
    feed = Element("feed", {"xmlns": ATOM_NS})
    SubElement(feed, "title", {"type": "text"}).text = f"{one_line(log.document)}: changelog"
    SubElement(feed, "id").text = _uuid(log.document)
    dates = [r.date for r in log.releases if r.date is not None]
    SubElement(feed, "updated").text = _iso(max(dates) if dates and not log.pending else log.generated_at)
    author = SubElement(feed, "author")
    SubElement(author, "name").text = one_line(log.document)
    SubElement(feed, "generator").text = "tracker"
    if safe_url(site_url):
        SubElement(feed, "link", {"rel": "alternate", "href": safe_url(site_url) or ""})
    if safe_url(feed_url):
        SubElement(feed, "link", {"rel": "self", "href": safe_url(feed_url) or ""})
    for release in log.releases:
        entry = SubElement(feed, "entry")
        name = "Unreleased changes" if release.label == "Unreleased" else f"Version {release.label}"
        SubElement(entry, "title", {"type": "text"}).text = one_line(name)
        SubElement(entry, "id").text = _uuid(log.document, release.label, release.commit or "")
        SubElement(entry, "updated").text = _iso(release.date or log.generated_at)
        if site_url and safe_url(site_url):
            SubElement(entry, "link", {"rel": "alternate", "href": safe_url(site_url) or ""})
        SubElement(entry, "summary", {"type": "text"}).text = _summary(release)
        SubElement(entry, "content", {"type": "html"}).text = _content(release)
    for element in feed.iter():  # characters XML cannot hold (U+FFFE in a heading…) removed
        element.text = xml_text(element.text) if element.text is not None else None
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="unicode") + "\n"
