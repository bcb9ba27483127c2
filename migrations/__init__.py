"""Installed as ``tracker._migrations`` (see setup.py); tracker finds this folder through
``tracker.packaged.migrations_dir``. Alembic reads the files; nothing imports them."""
