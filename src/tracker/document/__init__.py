"""Parsing the living document (pure): Markdown files in, topics and links out.

Modules: ``model`` (the parsed shapes), ``scan`` (one Markdown file → events with
markdown-it-py and the stdlib HTML parser), ``structure`` (events → topics and
placements for the handbook layout and for plain Markdown), ``slugs``.
Reading files from disk or git lives in ``tracker.services.document_source``.
"""
