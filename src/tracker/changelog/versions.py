"""Naming and ordering document versions: by label, by date or by commit (pure).

Owns: the order of versions (``date_in_name``, ``order_key``: a version's own date
— its git commit date, else a date in its label or folder name, else its import
time — never the order in which versions were imported); ``resolve_version`` (exact label; ``latest``/``previous``; a commit
prefix of at least 4 hex digits, matched against the commit or a label part
such as the ``2d07718`` of ``2024-05-21_2d07718``; a date ``YYYY-MM-DD`` → the
last version of that day) and ``choose_range`` (defaults: the last two
versions; two named the other way round are compared in order). Errors name what exists.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from tracker.errors import Hint, InputError, NotFoundError

__all__ = ["VersionRef", "resolve_version", "choose_range", "date_in_name", "order_key", "DATED_BY"]

_HEX = re.compile(r"^[0-9a-f]{4,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")

#: where a version's date comes from, most trusted first
DATED_BY = ("commit", "name", "import")


def date_in_name(name: str) -> datetime | None:
    """The first valid ``YYYY-MM-DD`` in a label or folder name (``2024-09-11_12f50f2``,
    ``handbook-2024-09-11``), as midnight UTC; None when there is none."""
    for m in _DATE_IN_NAME.finditer(name):
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def order_key(when: datetime, label: str, tiebreak: int) -> tuple[datetime, datetime, int]:
    """Sort key of a version: its own date, then (for versions of one date, such as
    folders committed together) a date in its label, then ``tiebreak`` (import order)."""
    return when, date_in_name(label) or when, tiebreak


@dataclass(frozen=True)
class VersionRef:
    """What names a version: position in date order (``seq``), label, commit and dates."""

    seq: int
    label: str
    commit: str | None
    date: datetime | None
    imported_at: datetime

    @property
    def when(self) -> datetime:
        return self.date or self.imported_at


def _known(versions: Sequence[VersionRef]) -> str:
    labels = [v.label for v in versions]
    shown = ", ".join(labels[-6:])
    return ("… " if len(labels) > 6 else "") + shown


def resolve_version(name: str, versions: Sequence[VersionRef]) -> VersionRef:
    """The version ``name`` refers to; ``NotFoundError`` (listing known ones) otherwise."""
    text = name.strip()
    if not versions:
        raise NotFoundError("no versions imported yet; run `tracker import PATH` first")
    ordered = sorted(versions, key=lambda v: v.seq)
    for v in ordered:
        if v.label == text:
            return v
    low = text.lower()
    if low == "latest":
        return ordered[-1]
    if low == "previous":
        if len(ordered) < 2:
            raise NotFoundError("there is no previous version: only one version is imported")
        return ordered[-2]
    if _HEX.match(low):
        found = [v for v in ordered if (v.commit or "").lower().startswith(low)
                 or any(part.startswith(low) for part in re.split(r"[_.+\-]", v.label.lower())
                        if _HEX.match(part))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(f"version {name!r} is ambiguous: it matches {', '.join(v.label for v in found)}; "
                             "give more digits of the commit")
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{name!r} is not a valid date; use YYYY-MM-DD") from None
        on_day = [v for v in ordered if v.when.date() == day]
        if on_day:
            return on_day[-1]
        raise NotFoundError(f"no version dated {text}; known versions: {_known(ordered)}")
    close = difflib.get_close_matches(text, [v.label for v in ordered], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known versions: {_known(ordered)}"
    raise NotFoundError(f"no version named {name!r} (a label, a date YYYY-MM-DD or a commit prefix){hint}")


def choose_range(versions: Sequence[VersionRef], from_name: str | None,
                 to_name: str | None) -> tuple[VersionRef, VersionRef, bool]:
    """(from, to, swapped): named ones, else ``to`` = latest and ``from`` = the version before
    ``to``; two named the other way round are returned in order, ``swapped`` saying so."""
    ordered = sorted(versions, key=lambda v: v.seq)
    if not ordered:
        raise NotFoundError("no versions imported yet; run `tracker import PATH` first")
    to = resolve_version(to_name, ordered) if to_name else ordered[-1]
    if from_name:
        start = resolve_version(from_name, ordered)
    else:
        before = [v for v in ordered if v.seq < to.seq]
        if not before:
            raise InputError(f"version {to.label} is the first imported version: there is nothing to "
                             "compare it with", hint=Hint("pending"))
        start = before[-1]
    if start.seq == to.seq:
        raise InputError(f"from and to both name version {to.label}; choose two different versions")
    if start.seq > to.seq:
        return to, start, True
    return start, to, False
