"""The only package that imports SQLAlchemy: models, sessions, migrations, queries.

Owns: the schema (``models_*`` modules on one ``Base``), engine and session
creation, running Alembic, and the repository functions services call.
Does not own: HTTP, parsing or any decision about links, feeds or candidates.
"""
