"""Installed as ``tracker._jobs`` (see setup.py): the default ``schedule.toml`` and
``sources.toml``, found through ``tracker.packaged.default_jobs_file``."""
