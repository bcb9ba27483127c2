"""Link judgement (pure): what one response means, and what a history of them means.

Owns: classifying one exchange into an observation outcome (``judge``: status
codes, soft 404s, bot blocks, permanent redirects), page text normalisation,
content hashes and titles (``text``), the state policy over time, due-ness and
inconclusive runs (``policy``), reading Wayback answers (``archive``) and the
link report renderers (``report_render``). Everything here is handed ``now``
and settings; nothing here does I/O, talks HTTP or touches the database.
"""
