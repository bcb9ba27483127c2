"""Packaging that pyproject.toml alone cannot say: every package under src/, plus the
top-level migrations/ and jobs/ folders installed as ``tracker._migrations`` and
``tracker._jobs``, so a wheel carries what the commands read (an editable install maps
them to the folders themselves). Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    # namespace-aware, as pyproject's packages.find is: a folder of modules without an
    # __init__.py (e.g. tracker/export) is a package too
    packages=[*find_namespace_packages("src", include=["tracker", "tracker.*"], exclude=["*.__pycache__"]),
              "tracker._migrations", "tracker._jobs"],
    package_dir={"": "src", "tracker._migrations": "migrations", "tracker._jobs": "jobs"},
    package_data={"tracker": ["py.typed"], "tracker.web": ["templates/*.html", "static/*"], "tracker._migrations": ["script.py.mako", "versions/*.py"],
                  "tracker._jobs": ["*.toml"]},
)
