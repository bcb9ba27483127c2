"""Start-up cost of the command line: what each cheap command imports.

``tracker --help``, ``--version`` and the help of a group must not import the
database, HTTP, feed, web, rendering or scoring stacks; ``tracker check`` with
nothing due opens the database through the plain DB-API driver, without SQLAlchemy,
and imports no migration tool, HTTP stack, feed parser or scorer.
Each case runs in a fresh interpreter and reads ``sys.modules`` after the CLI
has finished. Timings live in benchmarks/startup, never here.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
import sys

import click
import pytest

from tests.conftest import TEST_NOW
from tracker.cli import COMMAND_MODULES, SHORT_HELP, cli, load_commands

#: top-level packages a help or version screen must never import
HEAVY = {"sqlalchemy", "alembic", "httpx", "httpcore", "httptools", "uvloop", "feedparser", "flask",
         "werkzeug", "rich", "markdown_it", "sklearn", "scipy", "numpy", "apscheduler", "psycopg"}

_PROBE = """
import json, sys
sys.argv = ["tracker", *json.loads(sys.argv[1])]
from tracker.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""


def _imports_after(args: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run ``tracker ARGS`` in a fresh interpreter: its exit code and every top-level
    package imported by the time it finished."""
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                          env={**os.environ, "TRACKER_NOW": TEST_NOW, **(env or {})}, check=False)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize("args", [["--help"], [], ["--version"], ["db", "--help"], ["sources", "--help"],
                                  ["report", "--help"], ["candidates", "--help"], ["eval", "--help"],
                                  ["check", "--help"], ["crawl", "--help"], ["import", "--help"],
                                  ["export", "--help"], ["serve", "--help"]], ids=" ".join)
def test_help_and_version_import_no_heavy_package(args: list[str]) -> None:
    code, modules = _imports_after(args)
    assert code == 0
    assert "click" in modules and "tracker" in modules  # the probe saw the CLI run
    assert not modules & HEAVY, f"tracker {' '.join(args)} imported {sorted(modules & HEAVY)}"


def test_check_with_nothing_due_imports_no_sqlalchemy_migration_tool_http_stack_feed_parser_or_scorer(
        db_url: str) -> None:
    """Nothing due is answered through the plain DB-API driver (``db.glance``): SQLAlchemy,
    its ORM and the models cost more than issue 11's 0.5 s on their own."""
    from tracker.db.session import open_database

    open_database(db_url).dispose()  # a current schema, no links: nothing is due
    for args in (["check"], ["check", "--format", "json", "--fail-on", "dead"]):
        code, modules = _imports_after(["--db", db_url, *args])
        assert code == 0
        assert "sqlite3" in modules or "psycopg" in modules  # it did open the database
        unwanted = {"sqlalchemy", "rich", "alembic", "feedparser", "flask", "werkzeug", "markdown_it", "sklearn", "scipy",
                    "numpy", "apscheduler", "httpx", "httpcore", "httptools", "uvloop", "rfc3986"}
        assert not modules & unwanted, sorted(modules & unwanted)
        if db_url.startswith("sqlite"):
            assert "psycopg" not in modules


def test_check_all_of_no_links_needs_no_sqlalchemy(db_url: str) -> None:
    """A run's own row, pages and claims are plain SQL (``db.plain_links``): ``--all`` on an
    empty database (a run with nothing to fetch, which the glance leaves to the normal path)
    loads neither SQLAlchemy nor the HTTP stack; a run that records does
    (``test_a_check_that_fetches_plain_http_imports_neither_httpx_nor_feed_parsers``)."""
    from tracker.db.session import open_database

    open_database(db_url).dispose()
    code, modules = _imports_after(["--db", db_url, "check", "--all"])
    assert code == 0 and ("sqlite3" in modules or "psycopg" in modules)
    assert not modules & {"sqlalchemy", "alembic", "httptools", "uvloop"}, sorted(modules)


def test_short_help_table_lists_every_command() -> None:
    assert set(SHORT_HELP) == set(COMMAND_MODULES)


@pytest.mark.parametrize("module", sorted(set(COMMAND_MODULES.values())))
def test_short_help_table_shortens_like_the_real_commands(module: str) -> None:
    for name, command in load_commands(module).items():
        stub = click.Command(name, help=SHORT_HELP[name])
        for limit in range(0, 240):
            assert stub.get_short_help_str(limit) == command.get_short_help_str(limit), (name, limit)


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_help_command_list_is_what_click_prints_from_the_real_commands(width: int) -> None:
    ctx = click.Context(cli, terminal_width=width, max_content_width=width)
    ours, clicks = ctx.make_formatter(), ctx.make_formatter()
    cli.format_commands(ctx, ours)
    click.Group.format_commands(cli, ctx, clicks)  # loads every area module, as click would
    assert ours.getvalue() == clicks.getvalue()
    assert "check" in ours.getvalue()


def test_item_kinds_of_the_cli_are_the_sources_item_kinds() -> None:
    from tracker.cli.feeds import ITEM_KINDS
    from tracker.sources.model import ITEM_KINDS as SOURCE_ITEM_KINDS

    assert ITEM_KINDS == SOURCE_ITEM_KINDS


def test_a_check_that_fetches_plain_http_imports_neither_httpx_nor_feed_parsers(db_url: str) -> None:
    """The checker's own wire serves http(s) links: httpx and httpcore (which also pull in
    h11 and, through httpx's CLI module, rich) cost ~0.1 s of every start and are loaded only
    for a caller's transport or a URL only httpx can parse; the feed parsers only for the
    canaries of feeds."""
    from tests.links import server as srv
    from tests.links.seed import seed
    from tracker.db.session import open_database

    db = open_database(db_url)
    with srv.FaultServer("127.0.0.1", default=srv.html_page("A page", "words " * 50)) as site:
        seed(db, [site.url("/a"), site.url("/b")])
        db.dispose()
        code, modules = _imports_after(["--db", db_url, "check", "--all", "--format", "json"])
        assert {h.path for h in site.hits()} >= {"/a", "/b"}  # the run did fetch both links
    assert code == 0
    assert "httptools" in modules
    assert "sqlalchemy" not in modules  # a run from the command line records in a forked child
    unwanted = {"httpx", "httpcore", "rich", "h11", "feedparser", "sklearn", "alembic"}
    assert not modules & unwanted, sorted(modules & unwanted)


def test_a_check_on_sqlite_does_not_load_the_postgresql_dialect(tmp_path: Path) -> None:
    from tracker.db.session import open_database

    from tests.links import server as srv
    from tests.links.seed import seed

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    db = open_database(url)
    with srv.FaultServer("127.0.0.1", default=srv.html_page("A page", "words " * 50)) as site:
        seed(db, [site.url("/a")])
        db.dispose()
        # recorded in a thread of this process, through SQLAlchemy (as a process that has the
        # ORM loaded records a small run; from the command line a forked child records it)
        probe = _PROBE.replace("m.split(\".\")[0] for m in sys.modules", "m for m in sys.modules").replace(
            "from tracker.cli import main", "from tracker.cli import main\n"
            "import tracker.services.linkcheck_recorder as r; r.orm_loaded = lambda: True")
        done = subprocess.run([sys.executable, "-c", probe, json.dumps(["--db", url, "check"])],
            capture_output=True, text=True, env={**os.environ, "TRACKER_NOW": TEST_NOW}, check=False)
    modules = set(json.loads(done.stderr.strip().splitlines()[-1])["modules"])
    assert "sqlalchemy.dialects.sqlite" in modules
    assert "sqlalchemy.dialects.postgresql" not in modules


def test_the_console_script_leaves_its_objects_to_the_process_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's last cyclic collection would walk everything a big command left
    (0.15 s after a 10,000-link check): the entry point freezes them on its way out."""
    import gc

    from tracker.cli import main

    monkeypatch.setattr(sys, "argv", ["tracker", "--version"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit):
            main()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
