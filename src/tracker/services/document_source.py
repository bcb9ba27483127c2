"""Reading a document's Markdown from disk, from git history or over HTTP (the I/O half of import).

Owns: finding the Markdown files of a folder or file, decoding them strictly as
UTF-8 (with a clear error naming the file otherwise), and reading the same files
at any git commit (``git log`` / ``git cat-file``); what identifies and dates a
snapshot (for a folder inside a larger repository: the last commit that touched
that folder's Markdown, ``+local`` when that folder has uncommitted changes).
Keeps every read inside the document: a folder import never reads through a
symbolic link that resolves outside the folder (it warns and skips it), and a URL
import never fetches outside its base URL (an include with ``..`` is refused, as
Jekyll refuses it). Does not parse Markdown.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin

from tracker.changelog.versions import date_in_name
from tracker.document.scan import INCLUDE_TAG
from tracker.errors import DocumentError
from tracker.urls import InvalidURL, canonicalize

__all__ = ["Snapshot", "GitState", "location_source", "must_exist", "read_path", "read_url", "git_history", "iter_git_history", "git_head", "git_pull"]

_SKIP_DIRS = {".git", "node_modules", "_site", ".venv", "vendor", ".jekyll-cache"}
_MD_SUFFIXES = (".md", ".markdown")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 20_000  # links inside a folder may repeat it; this bounds what a walk can find
_SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class Snapshot:
    """The document's files at one point: ``{relative path: text}`` plus provenance.

    ``commit``/``committed_at``: the git commit the files are (``commit`` is None and
    ``committed_at`` the base commit's date when the files carry uncommitted changes);
    ``git_path``: the folder or file inside the repository ("" for its top);
    ``named_date``: a date in the folder's name (``2024-09-11_12f50f2``); ``warnings``:
    what was skipped while reading (symbolic links leaving the folder)."""

    files: dict[str, str]
    root: Path | str  # a folder, or the base URL the raw files came from
    label: str
    commit: str | None = None
    committed_at: datetime | None = None
    git_path: str | None = None
    named_date: datetime | None = None
    warnings: tuple[str, ...] = ()
    # a dated folder inside a larger repository (like 2024-09-11_12f50f2/ in an archive):
    # its name, not the commit that stored it, dates it
    dated_folder: bool = False


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


def _inside(path: Path, real_root: Path) -> bool:
    return path.resolve().is_relative_to(real_root)


def _markdown_files(root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """``(relative name, path)`` of every Markdown file under ``root``, and warnings for
    the symbolic links skipped because they resolve outside ``root`` (or nowhere).
    Links that stay inside are followed, except into a folder being walked (a loop)."""
    real_root = root.resolve()
    found: list[tuple[str, Path]] = []
    warnings: list[str] = []

    def walk(folder: Path, rel: PurePosixPath, ancestors: frozenset[Path]) -> None:
        real = folder.resolve()
        if real in ancestors:
            return
        ancestors = ancestors | {real}
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            name = (rel / entry.name).as_posix()
            is_dir = entry.is_dir()
            if is_dir and (entry.name in _SKIP_DIRS or entry.name.startswith(".")):
                continue
            if not is_dir and not entry.name.lower().endswith(_MD_SUFFIXES):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not target.is_relative_to(real_root):
                    warnings.append(f"{name} is a symbolic link to {target}, outside the document folder "
                                    f"{root}; skipped")
                    continue
                if not target.exists():
                    warnings.append(f"{name} is a symbolic link to {target}, which does not exist; skipped")
                    continue
            if is_dir:
                walk(path, rel / entry.name, ancestors)
            elif entry.is_file():
                found.append((name, path))
                if len(found) > MAX_FILES:
                    raise DocumentError(f"{root} holds more than {MAX_FILES} Markdown files (counting those "
                                        "reached through symbolic links); point at the document's folder")

    walk(root, PurePosixPath(), frozenset())
    found.sort(key=lambda item: PurePosixPath(item[0]).parts)
    return found, warnings


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


@dataclass(frozen=True)
class GitState:
    """Where a folder (or file) stands in its repository."""

    commit: str  # the last commit that touched its Markdown
    committed_at: datetime
    clean: bool  # False: uncommitted changes to its Markdown
    path: str  # inside the repository, "" for the top
    top: Path


def _specs(rel: str, is_file: bool) -> list[str]:
    if is_file:
        return [rel]
    prefix = "" if rel in ("", ".") else rel.rstrip("/") + "/"
    return [f"{prefix}*{suffix}" for suffix in _MD_SUFFIXES]  # git's * also matches "/": subfolders too


def git_head(target: Path) -> GitState | None:
    """The state of ``target`` (a folder or a Markdown file) when git tracks its Markdown:
    the last commit that touched it — for a folder inside a larger repository, not the
    repository's HEAD — and whether it has uncommitted changes (in it only)."""
    folder = target if target.is_dir() else target.parent
    top = _git_toplevel(folder)
    if top is None:
        return None
    try:
        rel = target.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    rel = "" if rel == "." else rel
    specs = _specs(rel, target.is_file())
    try:
        line = _git(top, "log", "-1", "--format=%H %cI", "--", *specs).decode().strip()
    except DocumentError:
        return None  # a repository with no commits yet
    if not line or not _git(top, "ls-files", "--", *specs).strip():
        return None  # the repository does not track this document
    commit, date = line.split(" ", 1)
    status = _git(top, "status", "--porcelain", "--ignored", "--", *specs).decode().strip()
    return GitState(commit, datetime.fromisoformat(date).astimezone(timezone.utc), not status, rel, top)


def location_source(location: str) -> str | Path:
    """A ``[document] location`` as an import source: an http(s) base URL as it is, else the
    path, ``~`` expanded (what ``weekly``, ``run import`` and the CLI's may-start-a-database
    question all read it as)."""
    return location if location.startswith(("http://", "https://")) else Path(location).expanduser()


def must_exist(path: Path) -> None:
    """Refuse a document path that does not exist (before anything is opened or written)."""
    if not path.exists():
        raise DocumentError(f"path {path} does not exist; pass a Markdown file or the document's folder")


def read_path(path: Path, label: str | None = None) -> Snapshot:
    """The Markdown files at ``path`` (a file or a folder) as they are on disk now.
    A file named explicitly is read even when it is a symbolic link; inside a folder,
    links that leave the folder are skipped with a warning."""
    must_exist(path)
    warnings: list[str] = []
    if path.is_file():
        if path.suffix.lower() not in _MD_SUFFIXES:
            raise DocumentError(f"{path} is not a Markdown file (.md); pass a .md file or a folder")
        root, files = path.parent, {path.name: _read(path, path.name)}
    else:
        root = path
        paths, warnings = _markdown_files(path)
        if not paths:
            hint = f" ({warnings[0]})" if warnings else ""
            raise DocumentError(f"no Markdown files (*.md) in {path}{hint}; point at the document's folder")
        files = {name: _read(p, name) for name, p in paths}
    shown = path.name or path.resolve().name
    named = date_in_name(shown)
    head = git_head(path)
    if head is None:  # a dated folder (2026-02-02_a7c5287) names itself; otherwise import uses the date
        return Snapshot(files, root.resolve(), label or (shown if named else ""), named_date=named,
                        warnings=tuple(warnings))
    dated_folder = bool(named and head.path and path.is_dir())
    default_label = shown if dated_folder else head.commit[:7]  # a dated folder keeps its own name
    if not head.clean:
        default_label += "+local"
    return Snapshot(files, root.resolve(), label or default_label, head.commit if head.clean else None,
                    head.committed_at, head.path, named, tuple(warnings), dated_folder)


def git_history(path: Path) -> list[Snapshot]:
    """Every commit that touched the Markdown under ``path``, oldest first."""
    return list(iter_git_history(path))


def iter_git_history(path: Path) -> Iterator[Snapshot]:
    """Every commit that touched the Markdown under ``path``, oldest first, read one commit
    at a time (a long history is never held in memory at once). Checks ``path`` and reads
    the commit list before the first snapshot is asked for."""
    if not path.exists():
        raise DocumentError(f"path {path} does not exist")
    top = _git_toplevel(path if path.is_dir() else path.parent)
    if top is None:
        raise DocumentError(f"{path} is not inside a git checkout; --history needs git")
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    rel = "" if rel == "." else rel
    folder = rel.rsplit("/", 1)[0] if path.is_file() and "/" in rel else ("" if path.is_file() else rel)
    prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
    specs = _specs(rel, path.is_file())
    log = _git(top, "log", "--reverse", "--format=%H %cI", "--", *specs).decode().split("\n")
    # a dated folder inside a larger repository is dated by its name, as in read_path
    named = date_in_name(PurePosixPath(rel).name) if rel and not path.is_file() else None
    return _history_snapshots(path, top, rel, folder, prefix, named, log)


def _history_snapshots(path: Path, top: Path, rel: str, folder: str, prefix: str,
                       named: datetime | None, log: list[str]) -> Iterator[Snapshot]:
    found = False
    for line in filter(None, log):
        commit, date = line.split(" ", 1)
        entries = _git(top, "ls-tree", "-r", "-z", commit, "--", rel or ".").decode().split("\0")
        wanted, warnings = [], []
        for entry in filter(None, entries):
            meta, _, n = entry.partition("\t")
            if not (n.lower().endswith(_MD_SUFFIXES) and n.startswith(prefix)
                    and not any(p in _SKIP_DIRS for p in n.split("/"))):
                continue
            if meta.split(" ", 1)[0] == _SYMLINK_MODE:  # its text is a path, not the document
                warnings.append(f"{n[len(prefix):]} is a symbolic link at {commit[:7]}; skipped")
                continue
            wanted.append(n)
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
        found = True
        yield Snapshot(files, top.resolve() / folder, commit[:7], commit,
                       datetime.fromisoformat(date).astimezone(timezone.utc), rel,
                       named, tuple(warnings), named is not None)
    if not found:
        raise DocumentError(f"no commit in {top} touched Markdown files under {rel}")


def _include_name(base: str, including: str, name: str) -> str:
    """``_includes/NAME`` for an include tag, refusing one that could leave ``base``
    (Jekyll itself refuses ``..`` and ``//`` in include names)."""
    plain = unquote(name)
    if ("/.." in f"/{plain}" or "//" in plain or "\\" in plain or plain.startswith("/")
            or ":" in plain.split("/")[0]):
        raise DocumentError(f"{including} includes {name!r}, which is outside the document's base URL {base}; "
                            "refusing to fetch it (include names may not contain .., // or a scheme)")
    rel = f"_includes/{name}"
    if not urljoin(base, posixpath.normpath(rel)).startswith(base):  # pragma: no cover - the checks above
        raise DocumentError(f"{including} includes {name!r}, which is outside {base}; refusing to fetch it")
    return rel


def read_url(base_url: str, get: Callable[[str], str], entry: str = "index.md",
             max_files: int = 200) -> Snapshot:
    """The document at ``base_url`` (raw Markdown over HTTP): ``entry`` and every file its
    ``{% include %}`` tags pull in from ``_includes/``, fetched with ``get``; never a file
    outside ``base_url``."""
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
            queue.append(_include_name(base, name, match.group(1)))
    return Snapshot(files, base, "")  # labelled by the import date


def git_pull(path: Path) -> None:
    """``git pull --ff-only`` in the checkout holding ``path`` (for ``[document] pull = true``)."""
    top = _git_toplevel(path)
    if top is None:
        raise DocumentError(f"{path} is not a git checkout; set [document] pull = false")
    _git(top, "pull", "--ff-only", "--quiet")
