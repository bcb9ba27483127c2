"""Pure decisions: next-poll times from server hints, health and parking, identity and merging."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from tracker.sources.dedupe import identity, merge, precedence
from tracker.sources.model import Item
from tracker.sources.schedule import (
    Health, cache_lifetime, is_due, on_deferred, on_error, on_success, poll_delay, retry_after,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
H6, H24 = timedelta(hours=6), timedelta(hours=24)


def test_retry_after_seconds_date_and_garbage() -> None:
    assert retry_after("120", NOW) == timedelta(seconds=120)
    assert retry_after("Mon, 23 Nov 2026 12:30:00 GMT", NOW) == timedelta(minutes=30)
    assert retry_after("Mon, 23 Nov 2026 11:00:00 GMT", NOW) == timedelta(0)
    assert retry_after("soon", NOW) is None and retry_after(None, NOW) is None


def test_cache_lifetime() -> None:
    assert cache_lifetime({"cache-control": "public, max-age=43200"}, NOW) == timedelta(hours=12)
    assert cache_lifetime({"cache-control": "no-cache, max-age=600"}, NOW) is None
    expires = {"expires": "Mon, 23 Nov 2026 20:00:00 GMT", "date": "Mon, 23 Nov 2026 10:00:00 GMT"}
    assert cache_lifetime(expires, NOW) == timedelta(hours=10)  # measured against the server's Date
    assert cache_lifetime({"expires": "0"}, NOW) is None


@pytest.mark.parametrize(("headers", "ttl", "expected"), [
    ({}, None, H6),
    ({"cache-control": "max-age=60"}, None, H6),  # hints only ever push later
    ({"cache-control": "max-age=43200"}, None, timedelta(hours=12)),
    ({"retry-after": "36000"}, None, timedelta(hours=10)),
    ({"expires": "Tue, 24 Nov 2026 02:00:00 GMT"}, None, timedelta(hours=14)),
    ({}, 60 * 8, timedelta(hours=8)),
    ({"cache-control": "max-age=999999"}, None, H24),  # capped
    ({}, 60 * 24 * 7, H24),
])
def test_poll_delay(headers: dict[str, str], ttl: int | None, expected: timedelta) -> None:
    assert poll_delay(interval=H6, cap=H24, headers=headers, ttl_minutes=ttl, now=NOW) == expected


def test_errors_back_off_park_after_three_and_success_resumes() -> None:
    health = Health()
    delays = []
    for n in range(1, 4):
        health = on_error(health, now=NOW, message=f"HTTP 500 #{n}", interval=H6, cap=H24, park_after=3)
        assert health.next_poll_at is not None
        delays.append(health.next_poll_at - NOW)
        assert (health.parked_at is not None) == (n == 3)
    assert delays == [H6, timedelta(hours=12), H24]
    assert health.consecutive_errors == 3 and health.last_error == "HTTP 500 #3"
    assert not is_due(health, NOW + timedelta(days=30))  # parked: never due by itself
    health = on_success(health, now=NOW, delay=H6)
    assert health.consecutive_errors == 0 and health.parked_at is None and is_due(health, NOW + H6)


def test_retry_after_on_error_and_deferral() -> None:
    health = on_error(Health(), now=NOW, message="HTTP 429", interval=timedelta(minutes=1), cap=H24,
                      park_after=3, wait=timedelta(seconds=120))
    assert health.retry_until == NOW + timedelta(seconds=120)
    assert health.next_poll_at == NOW + timedelta(seconds=120)
    later = on_deferred(health, now=NOW + timedelta(seconds=60))
    assert later.consecutive_errors == 1 and later.next_poll_at == NOW + timedelta(seconds=120)


# ---------------------------------------------------------------- identity

@pytest.mark.parametrize(("url", "key"), [
    ("https://arxiv.org/abs/2401.01234v3", "arxiv:2401.01234"),
    ("http://arxiv.org/pdf/2401.01234v1.pdf", "arxiv:2401.01234"),
    ("https://www.youtube.com/shorts/myZ9kn9MIWQ", "youtube:myZ9kn9MIWQ"),
    ("https://youtu.be/myZ9kn9MIWQ?si=abc", "youtube:myZ9kn9MIWQ"),
    ("https://Blog.Example/post/?utm_source=rss", "https://blog.example/post/"),
])
def test_identity(url: str, key: str) -> None:
    assert identity(url).canonical_id == key


def _paper(version: int | None, title: str, authority: int = 1, day: int = 1, **extra: object) -> Item:
    return Item(canonical_id="arxiv:2401.01234", canonical_url="https://arxiv.org/abs/2401.01234",
                url="https://arxiv.org/abs/2401.01234", title=title, kind="paper", version=version,
                authority=authority, published_at=datetime(2026, 1, day, tzinfo=timezone.utc), **extra)  # type: ignore[arg-type]


def test_merge_prefers_authority_then_version_and_never_downgrades() -> None:
    blog = _paper(None, "A blog post about it", authority=0, day=9)
    v1 = _paper(1, "Original title", announce_type="new", categories=("cs.CL",))
    v3 = _paper(3, "Revised title", announce_type="replace", day=5, categories=("cs.LG",))
    first = merge(blog, v1)
    assert first.item.title == "Original title" and first.updated
    bumped = merge(first.item, v3)
    assert bumped.version_bumped and bumped.item.version == 3 and bumped.item.title == "Revised title"
    assert bumped.item.categories == ("cs.CL", "cs.LG") and bumped.old_title == "Original title"
    assert bumped.item.published_at == datetime(2026, 1, 5, tzinfo=timezone.utc)  # the winner's own
    stale = merge(bumped.item, v1)
    assert not stale.updated and stale.item.version == 3 and stale.item.title == "Revised title"
    assert precedence(v3) > precedence(v1) > precedence(blog)


def test_merge_is_order_independent() -> None:
    entries = [_paper(None, "Blog", authority=0, day=9, summary="blog words"), _paper(1, "v1", doi="10.1/x"),
               _paper(2, "v2", day=3, announce_type="replace", categories=("cs.LG",)),
               _paper(2, "v2", day=2, summary="api abstract", primary_category="cs.CL", categories=("cs.CL",)),
               _paper(2, "v2 retitled", day=3)]
    results = set()
    for order in itertools.permutations(entries):
        state = order[0]
        for entry in order[1:]:
            state = merge(state, entry).item
        results.add(state)
    assert len(results) == 1
    final = results.pop()
    assert (final.title, final.version, final.doi, final.categories) == ("v2 retitled", 2, "10.1/x", ("cs.CL", "cs.LG"))
