"""Use case: ``tracker demo`` — the whole product on a new machine, with no internet.

Creates a fresh database in the output folder, starts the stand-in internet
(``tracker.demo.site``), writes the sample document, adds a blog feed, an arXiv
query and a YouTube channel as sources, and simulates two weeks of the schedule
with the clock moved forward: the weekly cycle, the daily check mid-week, an edit
to the document, and the weekly cycle again, so links get confirmed dead, moved
pages get their new URL, candidates get queued and changelogs get written.
Does not own any behaviour of its own: every step is the real service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tracker.config import Settings, load_settings
from tracker.db.session import open_database
from tracker.escape import to_json
from tracker.demo.sample import write_sample
from tracker.demo.site import BLOG, SERVICES, DemoInternet
from tracker.index_page import index_html
from tracker.services import release
from tracker.services.linkcheck import check_links
from tracker.services.sources import add_source
from tracker.services.weekly import WeeklyResult, weekly

__all__ = ["DemoResult", "run_demo", "DEMO_START"]

DEMO_START = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)  # a Monday
Progress = Callable[[str], None]


@dataclass
class DemoResult:
    out_dir: str
    database_url: str
    weeks: list[WeeklyResult] = field(default_factory=list)
    changelog: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "database_url": self.database_url, "changelog": self.changelog,
                "weeks": [w.as_dict() for w in self.weeks]}


def _settings(db_url: str, net: DemoInternet, document: Path) -> Settings:
    return load_settings(env={}, overrides={
        "database_url": db_url,
        "now": DEMO_START,
        "document": {"name": "field-guide", "location": str(document)},
        "check": {"host_concurrency": 4, "host_interval": 0.01, "timeout": 3, "retries": 1,
                  "backoff_base": 0.05},
        "wayback": {"api_url": net.url(SERVICES, "/wayback/available")},
        "arxiv": {"api_url": net.url(SERVICES, "/arxiv/api/query"), "min_interval": 0.1},
        "youtube": {"feed_url": net.url(SERVICES, "/youtube/feeds/videos.xml")},
        "crawl": {"timeout": 5},
    })


def _edit_document(folder: Path, net: DemoInternet) -> None:
    """The maintainer's edit between the two weeks: one new link, one typo fixed."""
    chapter = folder / "_includes" / "section2.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace("Serving is about memory.", "Serving is mostly about memory.")
    text = text.rstrip("\n") + ("\nRetrieval moves knowledge out of the weights: see "
                                 f"[RAG patterns]({net.url(BLOG, '/posts/rag-patterns')}).\n")
    chapter.write_text(text, encoding="utf-8")


def run_demo(out_dir: Path, *, progress: Progress | None = None,
             check_tick: Callable[[int, int], None] | None = None,
             crawl_tick: Callable[[int, int], None] | None = None) -> DemoResult:
    """Run the demo into ``out_dir`` (its database and reports are replaced)."""
    say = progress or (lambda message: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = out_dir / "demo.db"
    for stale in (db_file, out_dir / "demo.db-wal", out_dir / "demo.db-shm"):
        stale.unlink(missing_ok=True)
    db_url = f"sqlite:///{db_file}"
    with DemoInternet(start=DEMO_START) as net:
        document = write_sample(out_dir / "document", net)
        settings = _settings(db_url, net, document)
        db = open_database(db_url)
        try:
            say(f"stand-in internet on 127.0.0.1-4 port {net.port}; sample document in {document}")
            add_source(db, settings, "feed", net.url(SERVICES, "/feeds/blog.xml"), name="demo-blog")
            add_source(db, settings, "arxiv", 'cat:cs.CL AND abs:"language model"', name="arxiv-llm")
            add_source(db, settings, "youtube", "UCdemoChannel000000000aa", name="demo-channel")
            result = DemoResult(str(out_dir), db_url)

            say(f"== week 1: {DEMO_START:%Y-%m-%d} ==")
            check_options: dict[str, Any] = {"tick": check_tick}
            crawl_options: dict[str, Any] = {"tick": crawl_tick}
            result.weeks.append(weekly(db, settings, out_dir=out_dir / "week-1", progress=say,
                                       check_options=check_options, crawl_options=crawl_options))

            net.phase = 2
            midweek = replace(settings, now_override=DEMO_START + timedelta(days=3))
            say(f"== daily check: {midweek.now():%Y-%m-%d} ==")
            check_links(db, midweek, progress=say)

            _edit_document(document, net)
            net.phase = 3
            week2 = replace(settings, now_override=DEMO_START + timedelta(days=7))
            say(f"== week 2: {week2.now():%Y-%m-%d} ==")
            result.weeks.append(weekly(db, week2, out_dir=out_dir / "week-2", progress=say,
                                       check_options=check_options, crawl_options=crawl_options))
            log = release.changelog(db, week2)
            changelog = out_dir / "week-2" / "changelog.md"
            release.write_text(changelog, release.render_changelog(log, "md"))
            release.write_text(changelog.with_suffix(".json"), release.render_changelog(log, "json"))
            result.changelog = str(changelog)
            last = result.weeks[-1]  # the week's index lists the version changelog too
            last.files.update({"changelog.md": str(changelog), "changelog.json": str(changelog.with_suffix(".json"))})
            release.write_text(out_dir / "week-2" / "index.html",
                               index_html(last.week, last.files, last.attention, week2.now(), last.inconclusive))
            release.write_text(out_dir / "summary.json", to_json(result.as_dict()) + "\n")
            return result
        finally:
            db.dispose()
