"""Commands of the document area: ``db upgrade|check``, ``import``, ``topics``, ``resources``, ``versions``.

Does not own any use case: each command calls one service and renders.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from tracker.cli.common import (Runtime, creates_database, document_option, emit, format_option, info, pass_runtime,
                                to_json)
from tracker.errors import InputError

# Services (and SQLAlchemy with them) are imported inside each command, so that
# `tracker db --help` costs no more than click.


@click.group("db")
def db_group() -> None:
    """Manage the database schema.

    \b
    Example:
      tracker --db sqlite:///tracker.db db upgrade
    """


@db_group.command("upgrade")
@pass_runtime
def db_upgrade(rt: Runtime) -> None:
    """Apply every pending migration.

    \b
    Example:
      tracker db upgrade
    """
    from tracker.db.session import open_database

    db = open_database(rt.settings.database_url, ensure_schema=False)
    try:
        db.upgrade()
        info(f"database at revision {db.current_revision()}")
    finally:
        db.dispose()


@db_group.command("check")
@pass_runtime
def db_check(rt: Runtime) -> None:
    """Fail when the models and the migrations describe different schemas.

    \b
    Example:
      tracker db check
    """
    from tracker.db.session import open_database

    rt.refuse_missing_file()  # a check only reads: a typo in --db must not create the file
    db = open_database(rt.settings.database_url, ensure_schema=False)
    try:
        db.check()
        info(f"schema matches the models (revision {db.current_revision()})")
    finally:
        db.dispose()


@click.command("import")
@click.argument("path")
@document_option
@click.option("--history", is_flag=True, help="Import every git commit that touched the document, oldest first.")
@click.option("--label", metavar="LABEL",
              help="Name of the new version (default: git commit or dated folder name); "
                   "a label that names other content is an error.")
@click.option("--strict", is_flag=True,
              help="Fail on malformed, javascript:, mailto: and bare URLs and duplicate headings.")
@format_option("text", "json", default="text")
@pass_runtime
@creates_database
def import_cmd(rt: Runtime, path: str, document: str | None, history: bool, label: str | None,
               strict: bool, fmt: str) -> None:
    """Import a living document: the handbook layout (index.md + _includes/) or plain
    Markdown (a file or a folder), from disk, git history or the raw-Markdown base URL.

    Content identical to any imported version creates no new version. Versions are
    ordered by their own date (git commit date, else a date in the label or folder
    name such as 2024-09-11_12f50f2, else the import time), so an older version
    imported later takes its place and the latest stays the latest. Inside a larger
    git repository the version is the last commit that touched the folder (+local
    with uncommitted changes there). Symbolic links that leave the folder are skipped.

    \b
    Examples:
      tracker import ../shared/fixtures/genai-handbook/2026-02-02_a7c5287
      tracker import ~/src/genai-handbook.github.io --history
      tracker import https://raw.githubusercontent.com/genai-handbook/genai-handbook.github.io/main/
    """
    from tracker.services.import_ import import_document

    if not path.strip():  # Path("") is the current folder: an unset "$DOC" must not import it
        raise InputError("PATH is empty; pass the document's folder, a Markdown file or its raw-Markdown base URL")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", path) and not path.lower().startswith(("http://", "https://")):
        raise InputError(f"cannot import from {path!r}: give a folder, a Markdown file or an http(s) "
                         "raw-Markdown base URL")
    source: Path | str = path if path.startswith(("http://", "https://")) else Path(path)
    if isinstance(source, Path):  # before the database is opened: a new one is not left behind
        from tracker.services.document_source import must_exist

        must_exist(source)
    results = import_document(rt.db, source, rt.settings, document=document, history=history,
                              label=label, strict=strict)
    for r in results:
        for warning in r.warnings:
            info(f"warning: {warning}")
        if r.created:
            dated = f" dated {r.date:%Y-%m-%d}" if r.date else ""
            info(f"imported {r.document} version {r.label}{dated}: {r.sections} sections, {r.chapters} chapters, "
                 f"{r.links} links to {r.resources} resources ({r.new_resources} new)")
            if r.newer:
                info(f"note: {r.label} is older than {r.newer}, which stays the latest version")
        else:
            info(f"{r.document}: unchanged: the same content as version {r.label}; no new version")
    if fmt == "json":
        click.echo(to_json([r.as_dict() for r in results]))


@click.command("topics")
@document_option
@format_option("table", "json", "csv")
@pass_runtime
def topics_cmd(rt: Runtime, document: str | None, fmt: str) -> None:
    """List sections and chapters of the latest version, with resource counts.

    \b
    Example:
      tracker topics --format json
    """
    from tracker.services import catalog

    rows = catalog.list_topics(rt.db, rt.settings, document)
    emit(fmt, rows, ["slug", "title", "kind", "parent", "position", "resources"])


@click.command("resources")
@document_option
@click.option("--topic", metavar="SLUG", help="Only this topic (a section includes its chapters).")
@format_option("table", "json", "csv")
@pass_runtime
def resources_cmd(rt: Runtime, document: str | None, topic: str | None, fmt: str) -> None:
    """List the resources the latest version cites, each once.

    \b
    Example:
      tracker resources --topic tokenization --format json
    """
    from tracker.services import catalog

    rows = catalog.list_resources(rt.db, rt.settings, document, topic)
    emit(fmt, rows, ["kind", "state", "title", "url", "topics"] if fmt == "table" else
         ["url", "canonical_url", "kind", "title", "topics", "state"])


@click.command("versions")
@document_option
@format_option("table", "json", "csv")
@pass_runtime
def versions_cmd(rt: Runtime, document: str | None, fmt: str) -> None:
    """List imported versions of the document, oldest first by their own date
    (dated_by: commit, name — a date in the label or folder name — or import).

    \b
    Example:
      tracker versions --format json
    """
    from tracker.services import catalog

    rows = catalog.list_versions(rt.db, rt.settings, document)
    emit(fmt, rows, ["seq", "label", "date", "dated_by", "commit", "links", "content_hash", "imported_at"])


def register(group: click.Group) -> None:
    """Add the document commands to ``group``."""
    for command in (db_group, import_cmd, topics_cmd, resources_cmd, versions_cmd):
        group.add_command(command)
