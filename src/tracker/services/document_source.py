"""Reading a document's Markdown from disk or from git history (the I/O half of import).

Owns: finding the Markdown files of a folder or file, decoding them strictly as
UTF-8 (with a clear error naming the file otherwise), and reading the same files
at any git commit (``git log`` / ``git cat-file``). Does not parse Markdown.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tracker.document.scan import INCLUDE_TAG
from tracker.errors import DocumentError
from tracker.urls import InvalidURL, canonicalize

__all__ = ["Snapshot", "read_path", "read_url", "git_history", "git_head", "git_pull"]

_SKIP_DIRS = {".git", "node_modules", "_site", ".venv", "vendor", ".jekyll-cache"}
_MD_SUFFIXES = (".md", ".markdown")
MAX_FILE_BYTES = 20 * 1024 * 1024
_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[_\-]|$)")


@dataclass(frozen=True)
class Snapshot:
    """The document's files at one point: ``{relative path: text}`` plus provenance."""

    files: dict[str, str]
    root: Path | str  # a folder, or the base URL the raw files came from
    label: str
    commit: str | None = None
    committed_at: datetime | None = None


def _decode(data: bytes, name: str) -> str:
    if b"\0" in data[:8192]:
        raise DocumentError(f"{name} is a binary file, not Markdown; remove it or point at the document folder")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name} is not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "re-save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentError(f"{name} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for a document file")
        return _decode(path.read_bytes(), name)
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None


def _date_from_name(name: str) -> datetime | None:
    m = _DATED_NAME.match(name)
    if not m:
        return None
    try:
        return datetime.fromisoformat(m.group(1)).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _markdown_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if path.is_file() and path.suffix.lower() in _MD_SUFFIXES:
            found.append(path)
    return found


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True,
                              check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DocumentError(f"git failed in {root}: {exc}") from None
    if done.returncode != 0:
        raise DocumentError(f"git {' '.join(args[:2])} failed in {root}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _git_toplevel(path: Path) -> Path | None:
    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode().strip())


def git_head(root: Path) -> tuple[str, datetime, bool] | None:
    """``(commit, commit date, clean)`` when ``root`` is inside a git work tree."""
    top = _git_toplevel(root)
    if top is None:
        return None
    try:
        line = _git(root, "log", "-1", "--format=%H %cI").decode().strip()
    except DocumentError:
        return None  # a repository with no commits yet
    if not line:
        return None
    commit, date = line.split(" ", 1)
    specs = [f"*{suffix}" for suffix in _MD_SUFFIXES]
    if not _git(root, "ls-files", "--", *specs).strip():
        return None  # the folder sits inside a repository that does not track the document
    status = _git(root, "status", "--porcelain", "--ignored", "--", *specs).decode().strip()
    return commit, datetime.fromisoformat(date).astimezone(timezone.utc), not status


def read_path(path: Path, label: str | None = None) -> Snapshot:
    """The Markdown files at ``path`` (a file or a folder) as they are on disk now."""
    if not path.exists():
        raise DocumentError(f"path {path} does not exist; pass a Markdown file or the document's folder")
    if path.is_file():
        if path.suffix.lower() not in _MD_SUFFIXES:
            raise DocumentError(f"{path} is not a Markdown file (.md); pass a .md file or a folder")
        root, files = path.parent, {path.name: _read(path, path.name)}
    else:
        root = path
        paths = _markdown_files(path)
        if not paths:
            raise DocumentError(f"no Markdown files (*.md) in {path}; point at the document's folder")
        files = {p.relative_to(path).as_posix(): _read(p, p.relative_to(path).as_posix()) for p in paths}
    head = git_head(root)
    committed_at = _date_from_name(path.name)
    commit = None
    if head is not None:
        commit, git_date, clean = head
        committed_at = git_date
        default_label = commit[:7] if clean else f"{commit[:7]}+local"
        if not clean:
            commit = None  # the files on disk are not that commit
    else:  # a dated folder (2026-02-02_a7c5287) names itself; otherwise import uses the date
        default_label = path.name if committed_at is not None else ""
    return Snapshot(files, root.resolve(), label or default_label, commit, committed_at)


def git_history(path: Path) -> list[Snapshot]:
    """Every commit that touched the Markdown under ``path``, oldest first."""
    if not path.exists():
        raise DocumentError(f"path {path} does not exist")
    top = _git_toplevel(path if path.is_dir() else path.parent)
    if top is None:
        raise DocumentError(f"{path} is not inside a git checkout; --history needs git")
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    folder = rel.rsplit("/", 1)[0] if path.is_file() and "/" in rel else ("" if path.is_file() else rel)
    prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
    specs = [rel] if path.is_file() else [f"{prefix}*{suffix}" for suffix in _MD_SUFFIXES]
    log = _git(top, "log", "--reverse", "--format=%H %cI", "--", *specs).decode().split("\n")
    snapshots: list[Snapshot] = []
    for line in filter(None, log):
        commit, date = line.split(" ", 1)
        names = _git(top, "ls-tree", "-r", "--name-only", commit, "--", rel or ".").decode().split("\n")
        wanted = [n for n in names if n.lower().endswith(_MD_SUFFIXES) and n.startswith(prefix)
                  and not any(p in _SKIP_DIRS for p in n.split("/"))]
        if path.is_file():
            wanted = [n for n in wanted if n == rel]
        if not wanted:
            continue
        batch = _git(top, "cat-file", "--batch", input="".join(f"{commit}:{n}\n" for n in wanted).encode())
        files: dict[str, str] = {}
        pos = 0
        for name in wanted:
            header_end = batch.index(b"\n", pos)
            size = int(batch[pos:header_end].split()[2])
            data = batch[header_end + 1: header_end + 1 + size]
            pos = header_end + 2 + size
            files[name[len(prefix):]] = _decode(data, f"{name} at {commit[:7]}")
        snapshots.append(Snapshot(files, top.resolve() / folder, commit[:7], commit,
                                  datetime.fromisoformat(date).astimezone(timezone.utc)))
    if not snapshots:
        raise DocumentError(f"no commit in {top} touched Markdown files under {rel}")
    return snapshots


def read_url(base_url: str, get: Callable[[str], str], entry: str = "index.md",
             max_files: int = 200) -> Snapshot:
    """The document at ``base_url`` (raw Markdown over HTTP): ``entry`` and every file its
    ``{% include %}`` tags pull in from ``_includes/``, fetched with ``get``."""
    try:
        canonicalize(base_url)
    except InvalidURL as exc:
        raise DocumentError(f"cannot import from {base_url!r}: {exc}; give the base URL of the raw "
                            "Markdown, e.g. https://raw.githubusercontent.com/OWNER/REPO/main/") from None
    base = base_url if base_url.endswith("/") else base_url + "/"
    files: dict[str, str] = {}
    queue = [entry]
    while queue:
        name = queue.pop(0)
        if name in files:
            continue
        if len(files) >= max_files:
            raise DocumentError(f"{base} includes more than {max_files} files; refusing to fetch more")
        text = get(base + name)
        if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
            raise DocumentError(f"{base + name} is an HTML page, not Markdown; point at the raw files "
                                "(for GitHub: https://raw.githubusercontent.com/OWNER/REPO/BRANCH/)")
        files[name] = text
        for match in INCLUDE_TAG.finditer(files[name]):
            queue.append(f"_includes/{match.group(1)}")
    return Snapshot(files, base, "")  # labelled by the import date


def git_pull(path: Path) -> None:
    """``git pull --ff-only`` in the checkout holding ``path`` (for ``[document] pull = true``)."""
    top = _git_toplevel(path)
    if top is None:
        raise DocumentError(f"{path} is not a git checkout; set [document] pull = false")
    _git(top, "pull", "--ff-only", "--quiet")
