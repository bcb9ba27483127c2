"""What one fetched link looks like to the checker: its verdict, content hash and title.

Owns the pure step between a ``FetchResult`` (body included) and what a run records:
``look`` judges an answer on its own and says which sibling probe could unmask it
(``probe_key``); ``look_beside`` finishes the judgement once that probe has answered
(judged again beside a 2xx answer: a catch-all site answers both). Each ``Look`` also
says what the link's ``probed_hash`` becomes. Pure: the run calls them on its event
loop, one page per turn. Does not own: fetching the page or its probe, judgement rules
(``tracker.links.judge``), storage.

``probed_hash`` (a ``link_status`` column) is the content hash of the page at the last
check that judged it OK beside an *answered* sibling probe (``judge.probe_answered``:
an HTTP status that says something of the folder, e.g. 404 or a 2xx compared with the
page; not a network failure, nor 408/429/5xx). A page fetched again with exactly that
hash is the page that was shown to differ from its folder's catch-all answer, so
``look`` names no probe for it; every other page that ``judge.needs_probe`` is probed.
Weekly runs over unchanged pages so send no probes. The value after a check:

- **set** to the page's hash when the verdict is OK beside an answered probe;
- **kept** when the probe was skipped for that very reason (same hash), and when the
  answer carried no fresh content that could differ (a 304 Not Modified);
- **cleared** in every other case: the verdict is not OK (a soft 404, a failure), the
  probe went unanswered (a reset, a timeout, a 503: so a page first judged alive while
  its probe failed is probed again next time, never trusted for good), or the page's
  hash changed without an answered probe (one that needs no probe, e.g. now behind a
  redirect to a site's root). Never set from an unanswered probe.

So a stored ``probed_hash`` is either NULL or the link's ``content_hash``. An offline
batch changes no status row, ``probed_hash`` included (``linkcheck_store``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tracker.fetch.model import FetchResult
from tracker.links import judge
from tracker.links.model import Exchange, Outcome, Verdict
from tracker.links.text import content_hash, decode_body, extract_title

__all__ = ["Look", "exchange_of", "look", "look_again", "look_beside", "probe_is_2xx"]


@dataclass(frozen=True)
class Look:
    """A judged answer: ``probe_key`` is set when a sibling probe may still change the verdict;
    ``probed_hash`` is what the link's ``probed_hash`` becomes (see the module docstring)."""

    verdict: Verdict
    content_hash: str | None
    title: str
    probe_key: tuple[str, str, str] | None = None
    probed_hash: str | None = None


def exchange_of(res: FetchResult) -> Exchange:
    """The judge's view of a fetch result (the body decoded to text)."""
    ctype = res.headers.get("content-type", "")
    return Exchange(
        url=res.url, status=res.status, final_url=res.final_url,
        redirects=tuple((h.url, h.status) for h in res.redirects),
        error_class=str(res.error_class) if res.error_class is not None else None,
        error=res.error, content_type=ctype, headers=tuple(sorted(res.headers.items())),
        html=decode_body(res.body, ctype) if res.body else "", method=res.method)


def _seen_as(ex: Exchange, verdict: Verdict, probe_key: tuple[str, str, str] | None = None,
             whole: bool = True) -> Look:
    """``whole``: the body is the page (or the reader's capped prefix of it, the same on every
    check); a body cut short mid-way has no hash: a prefix is no new version of the page."""
    chash = content_hash(ex.html) if ex.html and whole and verdict.outcome is Outcome.OK else None
    return Look(verdict, chash, extract_title(ex.html) if ex.html else "", probe_key)


def look(res: FetchResult, probed_hash: str | None = None) -> Look:
    """The answer judged on its own; an OK page below a site's root names its probe, unless
    its content hash is ``probed_hash`` (the link's stored one: judged OK beside an answered
    probe before). Without a probe, ``probed_hash`` says what the link keeps."""
    ex = exchange_of(res)
    verdict = judge.classify(ex)
    ok = verdict.outcome is Outcome.OK
    seen = _seen_as(ex, verdict, whole=not res.cut_short)
    if ok and judge.needs_probe(ex):
        if probed_hash is not None and seen.content_hash == probed_hash:
            return dataclasses.replace(seen, probed_hash=probed_hash)  # this very page was probed: no probe
        return dataclasses.replace(seen, probe_key=judge.probe_key(ex.final_url))  # ``look_beside`` decides
    unchanged = seen.content_hash == probed_hash or (seen.content_hash is None and res.status == 304)
    return dataclasses.replace(seen, probed_hash=probed_hash if ok and unchanged else None)


def probe_is_2xx(probe: FetchResult) -> bool:
    """Can this probe answer change a page's verdict? (only a 2xx can: ``look_beside``)"""
    return probe.error_class is None and probe.status is not None and 200 <= probe.status < 300


def look_again(res: FetchResult, sibling: FetchResult) -> Look:
    """The answer judged beside its sibling probe's 2xx answer (a catch-all site answers both)."""
    ex = exchange_of(res)
    return _seen_as(ex, judge.classify(ex, exchange_of(sibling)), whole=not res.cut_short)


def look_beside(first: Look, res: FetchResult, probe: FetchResult) -> Look:
    """The judgement of ``res`` (``first``: its ``look``, which named a probe) once its
    sibling probe has answered: judged again beside a 2xx answer; ``probed_hash`` is the
    page's hash when the verdict is OK and the probe was answered, else None."""
    seen = look_again(res, probe) if probe_is_2xx(probe) else dataclasses.replace(first, probe_key=None)
    answered = judge.probe_answered(probe.status, None if probe.error_class is None else str(probe.error_class))
    return dataclasses.replace(
        seen, probed_hash=seen.content_hash if answered and seen.verdict.outcome is Outcome.OK else None)
