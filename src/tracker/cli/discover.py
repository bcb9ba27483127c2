"""``tracker sources discover``: propose feeds of the sites and channels the document cites.

Thin: calls ``services.discover`` and renders. Registered under the ``sources``
group by ``cli.feeds``. Does not own any use case.
"""

from __future__ import annotations

import click

from tracker.cli.common import Runtime, document_option, info, pass_runtime, to_json

__all__ = ["discover_cmd"]


@click.command("discover")
@document_option
@click.option("--dry-run", is_flag=True, help="List what would be proposed; add nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_runtime
def discover_cmd(rt: Runtime, document: str | None, dry_run: bool, fmt: str) -> None:
    """Find RSS/Atom feeds on the home pages of the sites the document cites, and the YouTube
    channels of its videos; add them as DISABLED sources with the topics their pages sit in
    (enable the ones you want with `tracker sources enable NAME`).

    \b
    Example:
      tracker sources discover --dry-run
    """
    from tracker.services.discover import discover

    result = discover(rt.db, rt.settings, document=document, dry_run=dry_run)
    info(f"{len(result.proposals)} source(s) {'found' if dry_run else 'proposed (disabled)'}, "
         f"{len(result.skipped)} already tracked, {len(result.unreadable)} page(s) unreadable")
    if fmt == "json":
        click.echo(to_json(result.as_dict()))
        return
    for p in result.proposals:
        click.echo(f"{p.name}\t{p.kind}\t{p.target}\t{','.join(p.topics) or '-'}\t(from {p.found_on})")
