"""A page whose body is cut short (the connection lost mid-body) is still an answer — its
status came, so the link is alive — but the prefix is not the page: its hash is no new
version of the resource, and the stored hash stays the whole page's."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.db.models_core import ResourceVersion
from tracker.db.models_links import LinkStatus
from tracker.db.session import Database
from tracker.services.linkcheck import check_links
from tracker.services.report import link_report
from tests.links import server as srv
from tests.links.seed import T0, at, days, make_settings, seed

DOC = ("<!doctype html><html><head><title>Long read</title></head><body>"
       + "".join(f"<p>paragraph {i} of a long read about attention</p>" for i in range(800))
       + "</body></html>").encode()


def cut_after(n: int) -> srv.Handler:
    """Headers promising the whole page, ``n`` bytes of it, then the connection drops."""
    def handle(h: srv._RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(DOC)))
        h.end_headers()
        h.wfile.write(DOC[:n])
        h.wfile.flush()
        h.close_connection = True
    return handle


def test_a_body_cut_short_is_alive_but_no_new_version(db: Database, db_url: str) -> None:
    answers = iter([srv.raw_page(DOC), cut_after(3000), srv.raw_page(DOC)])
    with srv.FaultServer("127.0.0.1", routes={"/long/read": lambda h: next(answers)(h)},
                         default=srv.status_page(404, "Not found")) as site:
        url = site.url("/long/read")
        rid = seed(db, [url])[url]
        settings = make_settings(db_url, check={"retries": 0})

        def stored() -> tuple[str | None, int]:
            with db.transaction() as s:
                st = s.get(LinkStatus, rid)
                assert st is not None
                versions = s.scalar(select(func.count()).select_from(ResourceVersion)
                                    .where(ResourceVersion.resource_id == rid))
                return st.content_hash, int(versions or 0)

        check_links(db, settings, all_links=True)
        whole, versions = stored()
        assert whole is not None
        for n in (1, 2):  # the cut answer, then the whole page again
            now = T0 + days(n)
            check_links(db, at(settings, now), all_links=True)
            assert link_report(db, at(settings, now)).rows[0].state == "alive"
            assert stored() == (whole, versions), n  # no version came and went
