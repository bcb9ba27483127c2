"""``tracker check`` and ``tracker report links`` through the CLI, against local servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from tracker.db.session import Database
from tests.conftest import CLI
from tests.links import server as srv
from tests.links.seed import seed

ENV = {"TRACKER_NOW": "2026-11-23T09:00:00Z", "TRACKER_CHECK__HOST_INTERVAL": "0",
       "TRACKER_CHECK__BACKOFF_BASE": "0.01", "TRACKER_CHECK__TIMEOUT": "2"}


def later(days: float) -> dict[str, str]:
    from datetime import datetime, timedelta
    when = datetime(2026, 11, 23, 9) + timedelta(days=days)
    return {**ENV, "TRACKER_NOW": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


@pytest.fixture
def site(db: Database) -> Iterator[srv.FaultServer]:
    words = "<p>" + " ".join(f"w{i}" for i in range(100)) + "</p>"
    with srv.FaultServer("127.0.0.1", routes={
        "/ok": srv.html_page("Good | post", words), "/old": srv.redirect("/ok", 308),
        "/gone": srv.status_page(404, "Not Found"), "/wall": srv.status_page(403, "Forbidden"),
    }) as s:
        seed(db, [s.url(p) for p in ("/ok", "/old", "/gone", "/wall")],
             chapters=(("Foundations", "Basics"), ("Foundations", "Maths"), ("LLMs", "Transformers")))
        yield s


def test_check_json_goes_to_stdout_and_progress_to_stderr(run: CLI, site: srv.FaultServer) -> None:
    result = run("check", "--all", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["checked"] == 4 and data["inconclusive"] is False and data["requests"] >= 4
    assert data["summary"] == {"alive": 1, "redirected": 1, "failing": 1, "dead": 0, "blocked": 1,
                               "unchecked": 0}
    assert "links due" in result.stderr


def test_a_first_check_lists_the_trouble_and_counts_the_alive(run: CLI, db: Database) -> None:
    """The first ``tracker check`` of the handbook printed one "unchecked → alive" line per link
    (some 180 of its 274 lines said nothing was wrong); they are one counted line now, and
    every other change keeps its own line."""
    pages = {f"/ok{i}": srv.html_page(f"Post {i}", "<p>" + " ".join(f"w{i}x{j}" for j in range(100)) + "</p>")
             for i in range(5)}
    with srv.FaultServer("127.0.0.1", routes={
        **pages, "/old": srv.redirect("/ok0", 308), "/gone": srv.status_page(404, "Not Found"),
        "/wall": srv.status_page(403, "Forbidden")}) as s:
        seed(db, [s.url(p) for p in (*pages, "/old", "/gone", "/wall")])
        result = run("check", "--all", env=ENV)
        assert result.exit_code == 0, result.stderr
        lines = result.stderr.splitlines()
        assert not any(line.startswith("unchecked → alive: http") for line in lines), result.stderr
        assert "unchecked → alive: 5 links (checked for the first time; `tracker resources` lists them)" in lines
        for path, state in (("/old", "redirected"), ("/gone", "failing"), ("/wall", "blocked")):
            assert any(line.startswith(f"unchecked → {state}: {s.url(path)} (") for line in lines), path
        again = run("check", "--all", env=later(8))  # alive → alive is no change: nothing said
        assert again.exit_code == 0 and "→ alive" not in again.stderr, again.stderr


def test_second_check_within_the_window_sends_nothing(run: CLI, site: srv.FaultServer) -> None:
    assert run("check", env=ENV).exit_code == 0
    hits = len(site.hits())
    result = run("check", "--format", "json", env=later(1))  # its speed: benchmarks/linkcheck
    data = json.loads(result.stdout)
    assert (data["checked"], data["requests"], len(site.hits())) == (0, 0, hits)
    result = run("check", "--format", "json", env=later(1.6))  # the failing link's re-check is due
    assert json.loads(result.stdout)["checked"] == 1 and len(site.hits()) == hits + 1


def test_report_links_json_contract(run: CLI, site: srv.FaultServer) -> None:
    run("check", "--all", env=ENV)
    result = run("report", "links", "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["summary"]) == {"unchecked", "alive", "redirected", "failing", "dead", "blocked"}
    fields = {"url", "state", "reason", "http_status", "final_url", "suggested_url", "archive_url",
              "consecutive_failures", "first_failure_at", "last_ok_at", "topics"}
    links = {item["url"]: item for item in data["links"]}
    assert all(fields <= set(item) for item in links.values())
    old = links[site.url("/old")]
    assert old["state"] == "redirected" and old["suggested_url"] == site.url("/ok")
    assert old["topics"] == ["maths"]
    gone = links[site.url("/gone")]
    assert (gone["state"], gone["http_status"], gone["consecutive_failures"]) == ("failing", 404, 1)
    assert gone["first_failure_at"] == "2026-11-23T09:00:00Z"
    assert {h["host"] for h in data["hosts"]} == {"127.0.0.1"}


def test_report_links_json_is_exactly_what_json_dumps_writes(run: CLI, site: srv.FaultServer, db: Database,
                                                              db_url: str) -> None:
    """The fast JSON writer (``escape.to_json``) gives the report byte for byte as
    ``json.dumps(indent=2)`` would: strings, None, ints, booleans, UTC timestamps, topic lists."""
    from tracker.config import load_settings
    from tracker.escape import json_value
    from tracker.links.report import report_json
    from tracker.services.report import link_report

    for days in (0, 1.5, 3):
        run("check", env=later(days))
    result = run("report", "links", "--format", "json", env=later(3))
    assert result.exit_code == 0, result.stderr
    settings = load_settings(env={}, overrides={"database_url": db_url, "now": later(3)["TRACKER_NOW"]})
    expected = json.dumps(json_value(report_json(link_report(db, settings))), indent=2, ensure_ascii=False)
    assert result.stdout == expected + "\n"
    assert '"first_failure_at": "2026-11-2' in result.stdout and '"topics": [\n' in result.stdout


def test_report_markdown_and_html(run: CLI, site: srv.FaultServer) -> None:
    for days in (0, 1.5, 3):
        run("check", env=later(days))
    md = run("report", "links", env=later(3)).stdout
    assert md.startswith("# Link report, 2026-11-26")
    assert "## Newly dead" in md and "### Foundations" in md and "#### Maths" in md and "### LLMs" in md
    assert f"use [{site.url('/ok')}]({site.url('/ok')})" in md
    assert "<details><summary>Per-host figures</summary>" in md
    page = run("report", "links", "--format", "html", env=later(3)).stdout
    HTMLParser().feed(page)
    assert page.startswith("<!doctype html>") and "<h3>Foundations</h3>" in page and "dead" in page


def test_fail_on_exits_2_when_found_and_0_otherwise(run: CLI, site: srv.FaultServer) -> None:
    run("check", "--all", env=ENV)
    assert run("report", "links", "--format", "json", "--fail-on", "dead", env=ENV).exit_code == 0
    found = run("report", "links", "--format", "json", "--fail-on", "dead,failing", env=ENV)
    assert found.exit_code == 2 and json.loads(found.stdout)["summary"]["failing"] == 1
    assert run("check", "--fail-on", "blocked", env=later(8)).exit_code == 2


@pytest.mark.parametrize("args, message", [
    (("report", "links", "--fail-on", "dead,bogus"), "--fail-on"),
    (("report", "links", "--since", "soon"), "--since"),
    (("check", "--fail-on", "nope"), "--fail-on"),
])
def test_bad_input_is_one_error_line(run: CLI, args: tuple[str, ...], message: str) -> None:
    result = run(*args, env=ENV)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_bad_config_value_is_an_error(run: CLI) -> None:
    result = run("check", env={**ENV, "TRACKER_CHECK__HOST_INTERVAL": "fast"})
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")


def test_empty_database_reports_cleanly(run: CLI) -> None:
    assert run("db", "upgrade").exit_code == 0  # a tracker database with nothing in it
    assert json.loads(run("check", "--format", "json", env=ENV).stdout)["checked"] == 0
    data = json.loads(run("report", "links", "--format", "json", env=ENV).stdout)
    assert data["links"] == [] and data["last_run"]["links"] == 0


def test_help_has_examples(run: CLI) -> None:
    for args in (("check",), ("report",), ("report", "links")):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout


def test_a_moved_link_keeps_its_fragment(run: CLI, db: Database) -> None:
    """A redirect's Location without a fragment inherits the request's (RFC 9110 §10.2.2): the
    handbook's '…/edit#gid=0' (a spreadsheet's tab) moved to '…/edit/moved' was suggested, and
    patched by ``export --apply``, without its '#gid=0' — the reader lost the tab."""
    words = "<p>" + " ".join(f"w{i}" for i in range(100)) + "</p>"
    with srv.FaultServer("127.0.0.1", routes={
        "/new": srv.html_page("Sheet", words), "/edit": srv.redirect("/new", 301),
        "/keep": srv.redirect("/new#other", 301),
    }) as s:
        seed(db, [s.url("/edit#gid=0"), s.url("/keep#gid=0")])
        assert run("check", "--all", env=ENV).exit_code == 0
        result = run("report", "links", "--format", "json", env=ENV)
    links = {item["url"]: item for item in json.loads(result.stdout)["links"]}
    assert links[s.url("/edit#gid=0")]["suggested_url"] == s.url("/new#gid=0")
    assert links[s.url("/keep#gid=0")]["suggested_url"] == s.url("/new#other")  # its own fragment wins
