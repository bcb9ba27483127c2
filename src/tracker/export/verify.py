"""Has the document on disk changed since it was imported? Which file? (pure)

The stored version keeps a content hash of the whole document, the topics
(with text hashes, files and lines) and the links (with files and lines), not
the file texts; so after the hash disagrees, the files are compared by what
was parsed out of them to name the first one that differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from tracker.changelog.model import Citation, TopicView
from tracker.document.model import ParsedDocument

__all__ = ["changed_files"]


def changed_files(parsed: ParsedDocument, topics: Sequence[TopicView],
                  citations: Sequence[Citation]) -> list[str]:
    """Files (in document order) whose topics or links differ from the stored version;
    ``missing`` files come first. Empty when the difference is invisible to the parser."""
    stored_files = list(dict.fromkeys([t.file for t in sorted(topics, key=lambda t: t.position)]
                                      + [c.file for c in citations]))
    on_disk = set(parsed.files)
    out = [f for f in stored_files if f and f not in on_disk]
    for name in list(dict.fromkeys(stored_files + parsed.files)):
        if not name or name in out:
            continue
        disk_links = [(l.href.strip(), l.line, l.text) for l in parsed.links
                      if l.file == name and l.target == "external"]
        kept_links = [(c.url, c.line, c.anchor_text) for c in sorted(citations, key=lambda c: c.position)
                      if c.file == name]
        disk_topics = [(t.slug, t.title, hashlib.sha256(t.text.encode()).hexdigest(), t.line)
                       for t in parsed.topics if t.file == name]
        kept_topics = [(t.slug, t.title, t.text_hash, t.line) for t in sorted(topics, key=lambda t: t.position)
                       if t.file == name]
        if disk_links != kept_links or disk_topics != kept_topics:
            out.append(name)
    return out
