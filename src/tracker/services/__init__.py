"""Use cases: one function per thing a maintainer does (import, check, crawl, propose,
review, changelog, export). Each combines fetch + db + pure logic; the CLI and the
scheduler call these and nothing below them."""
