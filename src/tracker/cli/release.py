"""Commands of the release area: ``changelog`` and ``export`` (thin: one service call each).

Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

from pathlib import Path

import click

from tracker.bulk import gc_paused
from tracker.human import plural
from tracker.cli.common import Runtime, document_option, info, pass_runtime, to_json

# the release service (and SQLAlchemy with it) is imported inside each command


@click.command("changelog")
@click.option("--from", "from_name", metavar="VERSION",
              help="Older version: a label, a date YYYY-MM-DD, a commit prefix, or 'previous'.")
@click.option("--to", "to_name", metavar="VERSION", help="Newer version (default: the latest).")
@click.option("--pending", is_flag=True,
              help="What the next version should contain: archived copies of dead links, redirects, "
                   "accepted candidates, new versions, recovered links.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "atom"]), default="md", show_default=True,
              help="Output format (atom: a feed with one entry per version; without --from/--to it "
                   "covers the whole history).")
@click.option("--site", "site_url", metavar="URL", help="The document's web address, linked from the Atom feed.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout.")
@document_option
@pass_runtime
def changelog_cmd(rt: Runtime, from_name: str | None, to_name: str | None, pending: bool, fmt: str,
                  site_url: str | None, out: Path | None, document: str | None) -> None:
    """What changed between two imported versions (default: the last two), per section and
    chapter: resources added, removed, moved and replaced; chapters added, removed and renamed;
    wording changes summarised. Keep a Changelog style, newest first.

    \b
    Examples:
      tracker changelog
      tracker changelog --from 2024-05-21 --to latest --format json
      tracker changelog --format atom --site https://genai-handbook.github.io > changes.xml
      tracker changelog --pending
    """
    from tracker.services import release

    log = release.changelog(rt.db, rt.settings, document=document, from_name=from_name, to_name=to_name,
                            pending=pending, whole_history=fmt == "atom")
    if log.swapped:
        info(f"note: --from {log.to_label} is newer than --to {log.from_label}: "
             f"compared them in order, {log.from_label} → {log.to_label}")
    text = release.render_changelog(log, fmt, site_url)
    if out is not None:
        release.write_text(out, text)
        info(f"wrote {out}: {plural(len(log.changes), 'change')}")
    else:
        click.echo(text, nl=False)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "csv"]), default="md", show_default=True,
              help="Output format of the resource list.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout.")
@click.option("--apply", "apply_dir", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Patch the document's Markdown in DIR: replace dead/redirected URLs in place and "
                   "append accepted candidates to their chapters.")
@click.option("--dry-run", is_flag=True, help="With --apply: print the diff, change nothing.")
@document_option
@pass_runtime
def export_cmd(rt: Runtime, fmt: str, out: Path | None, apply_dir: Path | None, dry_run: bool,
               document: str | None) -> None:
    """The updated resource list of the latest version: every resource under its section and
    chapter in document order, dead links pointing to archived copies, redirects to their new
    URL, accepted candidates added. With --apply, patch the document itself.

    \b
    Examples:
      tracker export --format md --out reading-list.md
      tracker export --format json | jq '.sections[].chapters[].resources[].url'
      tracker export --apply ../genai-handbook --dry-run
    """
    from tracker.services import release

    if apply_dir is None:
        if dry_run:
            raise click.UsageError("--dry-run goes with --apply DIR")
        with gc_paused():  # one object per link, then the text: no collector re-scans in between
            rl = release.export_list(rt.db, rt.settings, document=document)
            for note in rl.notes:
                info(f"note: {note}")
            text = release.render_export(rl, fmt)
        if out is not None:
            release.write_text(out, text)
            info(f"wrote {out}: {rl.summary()}")
        else:
            click.echo(text, nl=False)
        return
    if out is not None:
        raise click.UsageError("--out writes the resource list; it does not go with --apply")
    result = release.apply_pending(rt.db, rt.settings, apply_dir, document=document, dry_run=dry_run)
    for note in result.notes:
        info(f"note: {note}")
    if dry_run:
        click.echo(result.diff, nl=False)
    verb = "would change" if dry_run else "changed"
    info(f"{verb} {plural(len(result.files), 'file')}: {plural(result.replaced, 'link')} replaced, "
         f"{plural(result.added, 'line')} added" + (f" ({', '.join(result.files)})" if result.files else ""))
    if fmt == "json" and not dry_run:
        click.echo(to_json({k: v for k, v in result.__dict__.items() if k != "diff"}))


def register(group: click.Group) -> None:
    """Add ``changelog`` and ``export`` to ``group``."""
    group.add_command(changelog_cmd)
    group.add_command(export_cmd)
