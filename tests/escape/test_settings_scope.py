"""The property tests' Hypothesis settings stay on their own tests.

``test_renderers`` once called ``settings.load_profile`` when imported: every test
collected after it ran with 60 examples and no deadline, whatever its own module
chose. Its settings are now a ``settings`` object on each of its tests.
"""

from __future__ import annotations

import inspect
import runpy
from pathlib import Path

from hypothesis import HealthCheck, settings

from tests.escape import test_renderers

RENDERERS = Path(test_renderers.__file__)


def test_importing_the_renderer_tests_leaves_the_default_settings_alone() -> None:
    profile, before = settings.get_current_profile_name(), settings.default
    try:
        runpy.run_path(str(RENDERERS), run_name="tests.escape._renderers_again")  # its module code, once more
        after = settings.default
    finally:
        settings.load_profile(profile)  # should it fail, the tests after it keep their own settings
    assert after is before
    assert after.max_examples == before.max_examples and after.deadline == before.deadline


def test_every_renderer_property_test_carries_the_module_settings() -> None:
    tests = [f for name, f in inspect.getmembers(test_renderers, inspect.isfunction)
             if name.startswith("test_") and getattr(f, "is_hypothesis_test", False)]
    assert len(tests) == 10
    for test in tests:
        chosen = test._hypothesis_internal_use_settings
        assert chosen.max_examples == test_renderers.ESCAPE.max_examples == 60, test.__name__
        assert chosen.deadline is None and chosen.database is None, test.__name__


def test_the_suite_times_no_example_on_the_wall_clock() -> None:
    """tests/conftest.py's profile, the same for every test whatever was collected before it."""
    assert settings.get_current_profile_name() == "tracker"
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
