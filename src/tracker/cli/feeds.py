"""Commands of the feeds area: ``sources add|list|remove|enable|disable|sync``, ``crawl``, ``items``.

Thin: each command validates nothing itself beyond click's types, calls one
service function and renders its rows (JSON to stdout, notes to stderr).
Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

import click

from tracker.cli.common import (LIMIT, Runtime, emit, exit_found, format_option, info, parse_fail_on, pass_runtime,
                                 creates_database)
from tracker.packaged import default_jobs_file

# Services (and SQLAlchemy, feedparser, httpx with them) are imported inside each command,
# so that `tracker sources --help` costs no more than click.

#: ``tracker.sources.model.ITEM_KINDS``, written out so that building ``--kind`` does not
#: import the feed parsers (a test keeps the two equal)
ITEM_KINDS = ("paper", "video", "blog")

SOURCE_COLUMNS = ("name", "kind", "status", "target", "items", "consecutive_errors", "next_poll_at", "reason")
CRAWL_COLUMNS = ("source", "outcome", "new", "updated", "items", "status", "error")
ITEM_COLUMNS = ("published_at", "kind", "source", "version", "canonical_id", "title")


@click.group("sources")
def sources_group() -> None:
    """Manage the feeds `tracker crawl` polls: arXiv queries and listings, blog
    feeds, YouTube channels and playlists.

    \b
    Example:
      tracker sources add feed https://lilianweng.github.io/index.xml --topic scaling-laws
    """


@sources_group.command("add")
@click.argument("kind", metavar="KIND")
@click.argument("target", metavar="TARGET")
@click.option("--name", metavar="NAME", help="Name of the source (default: derived from the target).")
@click.option("--topic", "topics", multiple=True, metavar="SLUG",
              help="Topic hint: a chapter slug this source is meant for (repeatable; checked "
                   "against the imported document when there is one).")
@click.option("--disabled", is_flag=True, help="Add it disabled (not polled until enabled).")
@format_option("text", "json", default="text")
@pass_runtime
@creates_database
def sources_add(rt: Runtime, kind: str, target: str, name: str | None, topics: tuple[str, ...],
                disabled: bool, fmt: str) -> None:
    """Add a source. KIND is one of arxiv, arxiv-listing, feed, youtube; TARGET is an arXiv
    search_query (arxiv), categories such as cs.CL+cs.LG (arxiv-listing), a feed URL
    (feed), or a channel id UC… / playlist id PL… (youtube).

    \b
    Examples:
      tracker sources add arxiv 'cat:cs.CL AND abs:"speculative decoding"' --topic speculative-decoding
      tracker sources add arxiv-listing cs.CL+cs.LG --name arxiv-cl-lg
      tracker sources add youtube UCXUPKJO5MZQN11PqgIvyuvQ --name karpathy
    """
    from tracker.services import sources as source_service

    row, warnings = source_service.add_source(rt.db, rt.settings, kind, target, name=name, topics=topics,
                                              enabled=not disabled)
    for warning in warnings:
        info(f"warning: {warning}")
    if fmt == "json":
        emit("json", [row], SOURCE_COLUMNS, json_data=row)
    else:
        info(f"added source {row['name']} ({row['kind']}): {row['url']}")


@sources_group.command("list")
@format_option("table", "json", "csv")
@pass_runtime
def sources_list(rt: Runtime, fmt: str) -> None:
    """List sources with their health: status (active, parked, disabled) and why,
    consecutive errors, last error, next poll, items found.

    \b
    Example:
      tracker sources list --format json
    """
    from tracker.services import sources as source_service

    emit(fmt, source_service.list_sources(rt.db, rt.settings), SOURCE_COLUMNS)


@sources_group.command("remove")
@click.argument("name")
@pass_runtime
def sources_remove(rt: Runtime, name: str) -> None:
    """Remove a source (the items it found are kept).

    \b
    Example:
      tracker sources remove lilianweng.github.io
    """
    from tracker.services import sources as source_service

    row = source_service.remove_source(rt.db, rt.settings, name)
    info(f"removed source {row['name']} ({row['items']} items kept)")


@sources_group.command("enable")
@click.argument("name")
@pass_runtime
def sources_enable(rt: Runtime, name: str) -> None:
    """Enable a source; a parked one resumes (errors reset, polled at the next crawl).

    \b
    Example:
      tracker sources enable lilianweng.github.io
    """
    from tracker.services import sources as source_service

    row = source_service.set_enabled(rt.db, rt.settings, name, True)
    info(f"source {row['name']} is {row['status']}")


@sources_group.command("disable")
@click.argument("name")
@pass_runtime
def sources_disable(rt: Runtime, name: str) -> None:
    """Disable a source (kept, not polled).

    \b
    Example:
      tracker sources disable lilianweng.github.io
    """
    from tracker.services import sources as source_service

    row = source_service.set_enabled(rt.db, rt.settings, name, False)
    info(f"source {row['name']} is {row['status']}")


@sources_group.command("sync")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--prune", is_flag=True, help="Remove sources this file added before but no longer lists.")
@format_option("text", "json", default="text")
@pass_runtime
@creates_database
def sources_sync(rt: Runtime, file: str | None, prune: bool, fmt: str) -> None:
    """Create or update the sources of a declarative TOML list (all or nothing).
    `enabled` applies when a source is created; later enable/disable is kept.
    Without FILE: the list shipped with tracker (jobs/sources.toml).

    \b
    Example:
      tracker sources sync jobs/sources.toml
    """
    from tracker.services import sources as source_service

    path = file or default_jobs_file("sources.toml")
    report = source_service.sync_sources(rt.db, rt.settings, path, prune=prune)
    for warning in report.warnings:
        info(f"warning: {warning}")
    if fmt == "json":
        emit("json", [], (), json_data=report.as_dict())
    else:
        info(f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
             f"{len(report.removed)} removed")


@click.command("crawl")
@click.option("--source", "source", metavar="NAME", help="Poll only this source (even if not due or parked).")
@click.option("--fail-on", "fail_on", metavar="error",
              help="Exit 2 when a source's outcome is in this list (only `error`).")
@format_option("table", "json")
@pass_runtime
def crawl_command(rt: Runtime, source: str | None, fail_on: str | None, fmt: str) -> None:
    """Poll the sources that are due (or one by name) and store new and updated
    items. One failing source never stops the others: its outcome is `error`.

    \b
    Examples:
      tracker crawl --format json
      tracker crawl --source arxiv-cs.CL-cs.LG
    """
    from tracker.services import crawl as crawl_service

    wanted = parse_fail_on(fail_on, ("error",))
    reports = [r.as_dict() for r in crawl_service.crawl(rt.db, rt.settings, source=source)]
    if not reports:
        info("no source is due (see `tracker sources list`)")
    emit(fmt, reports, CRAWL_COLUMNS)
    if any(r["outcome"] in wanted for r in reports):
        exit_found()


@click.command("items")
@click.option("--source", "source", metavar="NAME", help="Only items this source has seen.")
@click.option("--kind", type=click.Choice(list(ITEM_KINDS)), help="Only papers, videos or blog posts.")
@click.option("--limit", type=LIMIT, help="At most this many (newest first).")
@format_option("table", "json", "csv")
@pass_runtime
def items_command(rt: Runtime, source: str | None, kind: str | None, limit: int | None, fmt: str) -> None:
    """List stored feed items, newest first (one per real paper, video or post).

    \b
    Examples:
      tracker items --format json
      tracker items --source lilianweng.github.io --limit 5
    """
    from tracker.services.feed_items import list_items

    emit(fmt, list_items(rt.db, source=source, kind=kind, limit=limit), ITEM_COLUMNS)


def _discover() -> click.Command:
    from tracker.cli.discover import discover_cmd  # issue 13: its own module, wired here

    return discover_cmd


sources_group.add_command(_discover())


def register(group: click.Group) -> None:
    """Add the feeds commands to ``group``."""
    group.add_command(sources_group)
    group.add_command(crawl_command)
    group.add_command(items_command)
