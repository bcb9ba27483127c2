"""The only package that talks HTTP (httpx).

Owns: politeness (concurrency, per-host intervals, Retry-After), retries, size and
time caps, conditional GET, and turning HTTP outcomes into named results.
Modules: ``links`` (the link checker's client), ``feeds`` (feed polling),
``wayback`` (archive lookups). Nothing here parses documents or decides states.
"""
