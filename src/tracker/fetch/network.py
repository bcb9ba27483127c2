"""Is our own side offline? One notion for the link checker and the feed poller.

Owns: ``looks_down`` (a pure rule over one batch's error classes per host: at
least ``ratio`` of its hosts failed every request at the network level — no
minimum host count, so a run over one or two hosts is judged too) and
``canaries_answer`` (ask a few URLs that answered before, or configured
``[check] canary_urls``; any HTTP status at all means the network is up).
A batch that looks down and whose canaries do not answer is *offline*: the
caller changes no link state and parks no source. Without any canary an
offline-looking batch is treated as offline (the safe side: nothing changes).

Does not own: choosing the canaries (the services know what answered last)
or what to store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from tracker.config import Settings
from tracker.fetch.core import HttpCore
from tracker.fetch.errors import NETWORK_ERRORS
from tracker.fetch.gate import HostRule
from tracker.fetch.model import FetchRequest, Policy

__all__ = ["looks_down", "canaries_answer", "canary_policy", "NETWORK_ERRORS"]

CANARY_TIMEOUT = 10.0


def looks_down(errors_by_host: Mapping[str, Sequence[str | None]], ratio: float) -> bool:
    """True when at least ``ratio`` of the hosts (and at least one) failed every request
    at the network level (refused, unreachable, DNS, connect timeout)."""
    hosts = len(errors_by_host)
    if hosts == 0:
        return False
    down = sum(1 for errs in errors_by_host.values() if errs and all(e in NETWORK_ERRORS for e in errs))
    return down >= 1 and down / hosts >= ratio


def canary_policy(settings: Settings) -> Policy:
    cfg = settings.check
    rule = HostRule(cfg.host_concurrency, cfg.host_interval)
    return Policy(rule_for=lambda _host: rule, timeout_for=lambda _host: min(cfg.timeout, CANARY_TIMEOUT),
                  headers={"User-Agent": cfg.user_agent}, max_redirects=0, retries=0,
                  max_wait=cfg.max_retry_after)


async def canaries_answer(core: HttpCore, settings: Settings, urls: Iterable[str]) -> bool:
    """Does any of ``urls`` give an HTTP answer (any status)? False when there are none."""
    policy = canary_policy(settings)
    results = await asyncio.gather(*(core.fetch(policy, FetchRequest(url, "HEAD")) for url in urls))
    return any(r.status is not None for r in results)
