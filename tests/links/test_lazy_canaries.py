"""The stored canaries of a run (``services.network.network_canaries``) are the ones the
database knew before the run recorded anything: asked of the recorder only when a batch
first looks offline, they must not be this run's own links, just recorded, crowding out
the hosts that answered on earlier runs (issue 11's lazy canaries)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.links.seed import T0, make_settings, seed
from tracker.db.models_links import LinkStatus
from tracker.db.session import Database
from tracker.services import linkcheck_recorder, linkcheck_run
from tracker.services.linkcheck import check_links
from tracker.services.linkcheck_seen import BatchOutcome, Seen


@pytest.mark.parametrize("record_in", ["thread", "process"])
def test_hosts_going_down_mid_run_are_not_the_canaries_that_say_we_are_offline(
        db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, record_in: str) -> None:
    first = [f"https://{h}.example/a" for h in "xyz"]
    then = [f"https://{h}.example/b" for h in "xyz"]
    ids = seed(db, ["https://c.example/old", *first, *then])
    with db.transaction() as s:  # c.example answered on an earlier run: the stored canary
        s.add(LinkStatus(resource_id=ids["https://c.example/old"], state="alive", state_since=T0 - timedelta(days=3),
                         reason="", soft404=False, consecutive_failures=0, elapsed_ms=5, content_type="text/plain",
                         title="", http_status=200, last_checked_at=T0 - timedelta(days=3),
                         next_check_at=T0 + timedelta(days=4)))
    monkeypatch.setattr(linkcheck_run, "BATCH", 3)
    monkeypatch.setattr(linkcheck_run, "TAIL_BATCH", 3)
    recorded = asyncio.Event()
    kind = linkcheck_recorder.ThreadRecorder if record_in == "thread" else linkcheck_recorder.ProcessRecorder
    record = kind.record

    async def record_and_tell(self: Any, batch: list[Seen], counted: bool) -> BatchOutcome:
        outcome = await record(self, batch, counted)
        recorded.set()
        return outcome

    monkeypatch.setattr(kind, "record", record_and_tell)

    async def site(request: httpx.Request) -> httpx.Response:
        if str(request.url) in then:  # x, y and z go down once their first links are recorded
            await recorded.wait()
        if recorded.is_set() and request.url.host != "c.example":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, text=f"hello {request.url}", headers={"content-type": "text/plain"})

    report = check_links(db, make_settings(db_url, check={"retries": 0}), transport=httpx.MockTransport(site),
                         record_in=record_in)  # type: ignore[arg-type]
    # c.example, the canary known before the run, answers: the hosts are down, not us
    assert not report.inconclusive
    with db.transaction() as s:
        states = {s.get(LinkStatus, ids[u]).state for u in then}  # type: ignore[union-attr]
    assert states == {"failing"}
