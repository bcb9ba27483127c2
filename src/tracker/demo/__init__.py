"""``tracker demo``: the whole product, offline.

Modules: ``site`` (a local web server on loopback addresses that stands in for
the internet: pages that live, die, move or turn into soft 404s, blog/arXiv/
YouTube feeds, a Wayback availability API) and ``sample`` (a small handbook-
layout document written for the demo, pointing at that server). Nothing here is
copied from anyone's data: pages and feeds are generated.
"""
