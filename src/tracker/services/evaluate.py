"""Use case: ``tracker eval topics PATH`` — how well topic scoring ranks the document's own links.

Reads a document from disk (a folder or a Markdown file, as ``import`` does),
parses it, and runs the pure leave-one-paragraph-out evaluation next to the
arxiv-sanity-style baseline. Needs no database. Owns only the reading glue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tracker.candidates.corpus import corpus_from_parsed
from tracker.candidates.evaluate import EvalReport, evaluate_corpus
from tracker.config import Settings
from tracker.document.structure import parse_document
from tracker.services.document_source import read_path

__all__ = ["evaluate_topics"]


def evaluate_topics(path: Path, settings: Settings, *, workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Evaluate topic scoring on the document at ``path`` (raises ``DocumentError``/``InputError``)."""
    snapshot = read_path(path)
    parsed = parse_document(snapshot.files)
    return evaluate_corpus(corpus_from_parsed(parsed, snapshot.files), workers=workers, progress=progress)
