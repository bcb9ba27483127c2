"""Use cases: one function per thing a maintainer does (import, check, crawl, propose,
review, changelog, export, weekly, demo, run a job). Each combines fetch + db + pure
logic. The CLI and the scheduler call these; below the services they only open the
database (``tracker.db.session``) and, for the scheduler, hold its lease (``db.repo_jobs``).
"""
