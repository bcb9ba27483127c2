"""The document changelog (pure): diffing versions, recognising renames, rendering.

Modules: ``model`` (shapes), ``match`` (which topic is which across versions),
``diff`` (two versions → changes), ``versions`` (naming a version by label,
date or commit), ``render`` (Markdown in Keep a Changelog style, JSON) and
``atom`` (the Atom feed). Reading versions from the database and the pending
changes from link states and decisions live in ``tracker.services``.
"""

from tracker.changelog.diff import diff_versions
from tracker.changelog.model import Change, Changelog, Citation, Release, TopicView, VersionView

__all__ = ["diff_versions", "Change", "Changelog", "Citation", "Release", "TopicView", "VersionView"]
