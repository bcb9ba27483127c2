"""What one fetched link looks like to the checker: its verdict, content hash and title.

Owns the pure step between a ``FetchResult`` (body included) and what a run records:
``look`` judges an answer on its own and says which sibling probe could unmask it
(``probe_key``); ``look_again`` judges it beside a 2xx answer to that probe. Pure:
the run calls them on its event loop, one page per turn. Does not own: fetching the
page or its probe,
judgement rules (``tracker.links.judge``), storage.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.fetch.core import FetchResult
from tracker.links import judge
from tracker.links.model import Exchange, Outcome, Verdict
from tracker.links.text import content_hash, decode_body, extract_title

__all__ = ["Look", "exchange_of", "look", "look_again"]


@dataclass(frozen=True)
class Look:
    """A judged answer: ``probe_key`` is set when a sibling probe may still change the verdict."""

    verdict: Verdict
    content_hash: str | None
    title: str
    probe_key: tuple[str, str, str] | None = None


def exchange_of(res: FetchResult) -> Exchange:
    """The judge's view of a fetch result (the body decoded to text)."""
    ctype = res.headers.get("content-type", "")
    return Exchange(
        url=res.url, status=res.status, final_url=res.final_url,
        redirects=tuple((h.url, h.status) for h in res.redirects),
        error_class=str(res.error_class) if res.error_class is not None else None,
        error=res.error, content_type=ctype, headers=tuple(sorted(res.headers.items())),
        html=decode_body(res.body, ctype) if res.body else "", method=res.method)


def _seen_as(ex: Exchange, verdict: Verdict, probe_key: tuple[str, str, str] | None = None) -> Look:
    chash = content_hash(ex.html) if ex.html and verdict.outcome is Outcome.OK else None
    return Look(verdict, chash, extract_title(ex.html) if ex.html else "", probe_key)


def look(res: FetchResult) -> Look:
    """The answer judged on its own; an OK page below a site's root names its probe."""
    ex = exchange_of(res)
    verdict = judge.classify(ex)
    probe = judge.probe_key(ex.final_url) if verdict.outcome is Outcome.OK and judge.needs_probe(ex) else None
    return _seen_as(ex, verdict, probe)


def look_again(res: FetchResult, sibling: FetchResult) -> Look:
    """The answer judged beside its sibling probe's 2xx answer (a catch-all site answers both)."""
    ex = exchange_of(res)
    return _seen_as(ex, judge.classify(ex, exchange_of(sibling)))
